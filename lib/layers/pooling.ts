/**
 * pooling.ts — pooling layers on [C, H, W] samples: MaxPooling2D, AveragePooling2D,
 * GlobalAveragePooling2D, GlobalMaxPooling2D.
 */
import { checkTuple } from '../errors';
import { defineOptions, rule } from '../options';
import { samePadding, windowOutput } from './convolutional';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

/** A size given for both spatial dims at once, or per dim. */
export type IntOrPair = number | readonly number[];

export interface Pooling2DArgs extends LayerArgs {
  /** Window size (default 2). */
  poolSize?: IntOrPair;
  /** Step (default: poolSize). */
  strides?: IntOrPair;
  /** 'valid' (default), 'same' (output = ceil(input / stride)), or explicit padding per side. */
  padding?: 'valid' | 'same' | IntOrPair;
}

// Sizes given as an int or a pair are checked by the constructor (checkTuple).
const POOLING_OPTIONS = defineOptions<Pooling2DArgs>({ ...LAYER_OPTIONS, poolSize: rule.any(), strides: rule.any(), padding: rule.any() });

/** How a pooling window is padded for one input: PyTorch padding and ceil mode. */
interface PoolPlan {
  padding: number[];
  ceilMode: boolean;
  out: number[];
}

abstract class Pooling2D extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same' | number[];

  protected constructor(args: Pooling2DArgs, prefix: string, fn: string) {
    super(args, prefix, fn, POOLING_OPTIONS);
    this.poolSize = checkTuple(fn, 'poolSize', args.poolSize ?? 2, 2);
    this.strides = checkTuple(fn, 'strides', args.strides ?? this.poolSize, 2);
    const p = args.padding ?? 'valid';
    this.padding = p === 'valid' || p === 'same' ? p : checkTuple(fn, 'padding', p, 2);
  }

  protected plan(inputShape: Shape): PoolPlan {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    const spatial = inputShape.slice(1);
    const k = this.poolSize;
    const s = this.strides;
    if (this.padding !== 'same') {
      const padding = this.padding === 'valid' ? [0, 0] : this.padding;
      this.check(padding.every((p, i) => p <= k[i] / 2), `padding [${padding.join(', ')}] must be at most half the pool size`);
      const out = spatial.map((n, i) => windowOutput(n, k[i], s[i], 2 * padding[i]));
      this.check(out.every((o) => o > 0), `input [${inputShape.join(', ')}] is smaller than the pool [${k.join(', ')}]`);
      return { padding, ceilMode: false, out };
    }
    // 'same': symmetric padding when the total is even, otherwise ceil mode with the smaller half.
    const target = spatial.map((n, i) => Math.ceil(n / s[i]));
    const totals = spatial.map((n, i) => samePadding(n, k[i], s[i]));
    const padding = totals.map((t) => Math.floor(t / 2));
    const ceilMode = totals.some((t) => t % 2 !== 0);
    const out = spatial.map((n, i) => windowOutput(n, k[i], s[i], 2 * padding[i], 1, ceilMode));
    this.check(out.every((o, i) => o === target[i]) && padding.every((p, i) => p <= k[i] / 2),
      `'same' padding is not expressible for input [${inputShape.join(', ')}] with pool [${k.join(', ')}] and strides [${s.join(', ')}]`);
    return { padding, ceilMode, out };
  }

  computeOutputShape(inputShape: Shape): number[] {
    return [inputShape[0], ...this.plan(inputShape).out];
  }

  protected config(): LayerConfig {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

export class MaxPooling2D extends Pooling2D {
  static readonly className = 'MaxPooling2D';
  readonly className = MaxPooling2D.className;
  constructor(args: Pooling2DArgs = {}) {
    super(args, 'max_pooling2d', 'maxPooling2d');
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    const { padding, ceilMode } = this.plan(inputShape);
    return [{ kind: 'maxPool2d', kernel: this.poolSize, stride: this.strides, padding, dilation: [1, 1], ceilMode }];
  }
}

export class AveragePooling2D extends Pooling2D {
  static readonly className = 'AveragePooling2D';
  readonly className = AveragePooling2D.className;
  constructor(args: Pooling2DArgs = {}) {
    super(args, 'average_pooling2d', 'averagePooling2d');
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    const { padding, ceilMode } = this.plan(inputShape);
    // Keras averages over the real (unpadded) inputs only.
    return [{ kind: 'avgPool2d', kernel: this.poolSize, stride: this.strides, padding, ceilMode, countIncludePad: this.padding !== 'same' }];
  }
}

abstract class GlobalPooling2D extends Layer {
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    return [inputShape[0]];
  }
  protected config(): LayerConfig {
    return {};
  }
}

/** Mean over H and W: [C, H, W] → [C]. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  static readonly className = 'GlobalAveragePooling2D';
  readonly className = GlobalAveragePooling2D.className;
  constructor(args: LayerArgs = {}) {
    super(args, 'global_average_pooling2d', 'globalAveragePooling2d', LAYER_OPTIONS);
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    return [{ kind: 'adaptiveAvgPool2d', size: [1, 1] }, { kind: 'flatten', startDim: 1, endDim: -1 }];
  }
}

/** Max over H and W: [C, H, W] → [C]. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  static readonly className = 'GlobalMaxPooling2D';
  readonly className = GlobalMaxPooling2D.className;
  constructor(args: LayerArgs = {}) {
    super(args, 'global_max_pooling2d', 'globalMaxPooling2d', LAYER_OPTIONS);
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    return [{ kind: 'adaptiveMaxPool2d', size: [1, 1] }, { kind: 'flatten', startDim: 1, endDim: -1 }];
  }
}

for (const cls of [MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D]) registerLayer(cls);
