/**
 * shortcut.ts — ShortcutPadding2D: the parameter-free residual shortcut "A" of He et al. 2016
 * (§4.2, CIFAR ResNets): keeps every `strides`-th pixel and zero-pads the channels up to
 * `filters`, split evenly before and after (as the common PyTorch CIFAR ResNets do with F.pad).
 */
import { defineOptions, rule } from '../options';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

export interface ShortcutPadding2DArgs extends LayerArgs {
  /** Output channels (at least the input channels). */
  filters: number;
  /** Spatial subsampling step (default 1). */
  strides?: number;
}

const SHORTCUT_OPTIONS = defineOptions<ShortcutPadding2DArgs>({
  ...LAYER_OPTIONS,
  filters: rule.int({ min: 1, required: true }),
  strides: rule.int({ min: 1 }),
});

export class ShortcutPadding2D extends Layer {
  static readonly className = 'ShortcutPadding2D';
  readonly className = ShortcutPadding2D.className;
  readonly filters: number;
  readonly strides: number;
  constructor(args: ShortcutPadding2DArgs) {
    super(args, 'shortcut_padding2d', 'shortcutPadding2d', SHORTCUT_OPTIONS);
    this.filters = args.filters;
    this.strides = args.strides ?? 1;
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    this.check(inputShape[0] <= this.filters, `cannot pad ${inputShape[0]} channels down to ${this.filters}`);
    return [this.filters, Math.ceil(inputShape[1] / this.strides), Math.ceil(inputShape[2] / this.strides)];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    const extra = this.filters - inputShape[0];
    const before = Math.floor(extra / 2);
    return [{ kind: 'shortcutPad2d', stride: this.strides, padBefore: before, padAfter: extra - before }];
  }
  protected config(): LayerConfig {
    return { filters: this.filters, strides: this.strides };
  }
}

registerLayer(ShortcutPadding2D);
