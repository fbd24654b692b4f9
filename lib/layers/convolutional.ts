/**
 * convolutional.ts — convolution layers on NCHW data: Conv1D, Conv2D, Conv2DTranspose, and the
 * spatial resizing layers ZeroPadding2D and UpSampling2D.
 */
import { checkTuple, invalidValue } from '../errors';
import { type Schema, defineOptions, rule } from '../options';
import { ACTIVATION_RULE, type ActivationName, activationSpecs } from './activations';
import { INITIALIZER_RULE, type Initializer, REGULARIZER_RULE, type Regularizer, initializerSpec, regularizerSpec } from './initializers';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

/** A size given for every spatial dim at once, or per dim. */
export type IntOrTuple = number | readonly number[];
export type ConvPadding = 'valid' | 'same' | IntOrTuple;

export interface ConvArgs extends LayerArgs {
  /** Output channels. */
  filters: number;
  kernelSize: IntOrTuple;
  /** Step of the kernel (default 1). */
  strides?: IntOrTuple;
  /** 'valid' (default, no padding), 'same' (output = ceil(input / stride)), or explicit zero padding per side. */
  padding?: ConvPadding;
  dilationRate?: IntOrTuple;
  /** Split channels into groups convolved separately (default 1). */
  groups?: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  kernelRegularizer?: Regularizer;
}

// Sizes given as an int or a tuple are checked by the constructors (checkTuple, for the layer's rank).
const tuple = rule.any();
const CONV_OPTIONS = defineOptions<ConvArgs>({
  ...LAYER_OPTIONS,
  filters: rule.int({ min: 1, required: true }),
  kernelSize: rule.any({ required: true }),
  strides: tuple,
  padding: tuple,
  dilationRate: tuple,
  groups: rule.int({ min: 1 }),
  activation: ACTIVATION_RULE,
  useBias: rule.boolean(),
  kernelInitializer: INITIALIZER_RULE,
  biasInitializer: INITIALIZER_RULE,
  kernelRegularizer: REGULARIZER_RULE,
});

/** Output size of one spatial dim for a convolution/pooling window. */
export function windowOutput(size: number, kernel: number, stride: number, padTotal: number, dilation = 1, ceil = false): number {
  const span = size + padTotal - dilation * (kernel - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

/** Total zero padding per dim that makes a strided window output ceil(size / stride) (TF's 'same'). */
export function samePadding(size: number, kernel: number, stride: number, dilation = 1): number {
  const target = Math.ceil(size / stride);
  return Math.max((target - 1) * stride + dilation * (kernel - 1) + 1 - size, 0);
}

/** Options every convolution layer shares, validated once for Conv1D, Conv2D and Conv2DTranspose. */
abstract class ConvLayer extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same' | number[];
  readonly dilationRate: number[];
  readonly activation: ActivationName | undefined;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer | undefined;
  readonly biasInitializer: Initializer | undefined;
  readonly kernelRegularizer: Regularizer | undefined;

  protected constructor(args: Omit<ConvArgs, 'groups'>, prefix: string, op: string, schema: Schema<LayerArgs>, rank: 1 | 2) {
    super(args, prefix, op, schema);
    this.filters = args.filters;
    this.kernelSize = checkTuple(op, 'kernelSize', args.kernelSize, rank);
    this.strides = checkTuple(op, 'strides', args.strides ?? 1, rank);
    const p = args.padding ?? 'valid';
    this.padding = p === 'valid' || p === 'same' ? p : checkTuple(op, 'padding', p, rank);
    this.dilationRate = checkTuple(op, 'dilationRate', args.dilationRate ?? 1, rank);
    this.activation = args.activation;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer;
    this.biasInitializer = args.biasInitializer;
    this.kernelRegularizer = regularizerSpec(args.kernelRegularizer);
  }

  /** The kernel/bias options of the native conv spec. */
  protected kernelSpec(): Record<string, unknown> {
    return {
      bias: this.useBias,
      weightInitializer: initializerSpec(this.kernelInitializer),
      biasInitializer: initializerSpec(this.biasInitializer),
      regularizer: this.kernelRegularizer,
    };
  }

  protected config(): LayerConfig {
    return {
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
    };
  }
}

/** Shared by Conv1D and Conv2D: groups and the padding plan for a given input. */
abstract class ConvBase extends ConvLayer {
  readonly groups: number;

  protected constructor(args: ConvArgs, prefix: string, readonly rank: 1 | 2) {
    super(args, prefix, prefix, CONV_OPTIONS, rank);
    this.groups = args.groups ?? 1;
    if (this.filters % this.groups !== 0) {
      throw invalidValue(prefix, 'groups', `a positive divisor of filters (${this.filters})`, this.groups);
    }
  }

  /** Total padding per spatial dim for this input. */
  protected padTotals(spatial: Shape): number[] {
    if (this.padding === 'valid') return spatial.map(() => 0);
    if (this.padding === 'same') return spatial.map((s, i) => samePadding(s, this.kernelSize[i], this.strides[i], this.dilationRate[i]));
    return this.padding.map((p) => 2 * p);
  }

  computeOutputShape(inputShape: Shape): number[] {
    const want = this.rank + 1;
    this.check(inputShape.length === want, `expects [C, ${this.rank === 1 ? 'L' : 'H, W'}] samples, got [${inputShape.join(', ')}]`);
    this.check(inputShape[0] % this.groups === 0, `input channels (${inputShape[0]}) must be divisible by groups (${this.groups})`);
    const spatial = inputShape.slice(1);
    const pads = this.padTotals(spatial);
    const out = spatial.map((s, i) => windowOutput(s, this.kernelSize[i], this.strides[i], pads[i], this.dilationRate[i]));
    this.check(out.every((o) => o > 0), `input [${inputShape.join(', ')}] is too small for kernel [${this.kernelSize.join(', ')}]`);
    return [this.filters, ...out];
  }

  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    const pads = this.padTotals(inputShape.slice(1));
    const specs: ModuleSpec[] = [];
    let padding: number[] | 'same' = pads.map((p) => p / 2);
    if (this.padding === 'same' && this.strides.every((s) => s === 1)) {
      padding = 'same';
    } else if (pads.some((p) => p % 2 !== 0)) {
      // TF-style 'same': the extra zeros go at the end (bottom/right); pad lists run last dim first.
      const perSide = [...pads].reverse().flatMap((p) => [Math.floor(p / 2), Math.ceil(p / 2)]);
      specs.push({ kind: this.rank === 1 ? 'zeroPad1d' : 'zeroPad2d', padding: perSide });
      padding = pads.map(() => 0);
    }
    specs.push({
      ...this.kernelSpec(),
      kind: this.rank === 1 ? 'conv1d' : 'conv2d',
      inChannels: inputShape[0],
      outChannels: this.filters,
      kernel: this.kernelSize,
      stride: this.strides,
      padding,
      dilation: this.dilationRate,
      groups: this.groups,
    });
    return [...specs, ...activationSpecs(this.activation)];
  }

  protected override config(): LayerConfig {
    return { ...super.config(), groups: this.groups };
  }
}

/** 1D convolution over [C, L] samples (PyTorch Conv1d). */
export class Conv1D extends ConvBase {
  static readonly className = 'Conv1D';
  readonly className = Conv1D.className;
  constructor(args: ConvArgs) {
    super(args, 'conv1d', 1);
  }
}

/** 2D convolution over [C, H, W] samples (PyTorch Conv2d; weight [filters, C/groups, kH, kW]). */
export class Conv2D extends ConvBase {
  static readonly className = 'Conv2D';
  readonly className = Conv2D.className;
  constructor(args: ConvArgs) {
    super(args, 'conv2d', 2);
  }
}

export interface Conv2DTransposeArgs extends Omit<ConvArgs, 'padding' | 'groups'> {
  /** 'valid' (default), 'same' (output = input × stride), or explicit padding as in PyTorch. */
  padding?: ConvPadding;
  /** Extra size added to one side of the output (PyTorch output_padding); only with explicit padding. */
  outputPadding?: IntOrTuple;
}

const CONV_TRANSPOSE_OPTIONS = defineOptions<Conv2DTransposeArgs>({
  ...LAYER_OPTIONS,
  filters: CONV_OPTIONS.filters,
  kernelSize: CONV_OPTIONS.kernelSize,
  strides: tuple,
  padding: tuple,
  dilationRate: tuple,
  outputPadding: tuple,
  activation: ACTIVATION_RULE,
  useBias: rule.boolean(),
  kernelInitializer: INITIALIZER_RULE,
  biasInitializer: INITIALIZER_RULE,
  kernelRegularizer: REGULARIZER_RULE,
});

/** Transposed 2D convolution (PyTorch ConvTranspose2d; weight [C, filters, kH, kW]) — the DCGAN upsampler. */
export class Conv2DTranspose extends ConvLayer {
  static readonly className = 'Conv2DTranspose';
  readonly className = Conv2DTranspose.className;
  readonly outputPadding: number[];

  constructor(args: Conv2DTransposeArgs) {
    super(args, 'conv2d_transpose', 'conv2dTranspose', CONV_TRANSPOSE_OPTIONS, 2);
    this.outputPadding = checkTuple('conv2dTranspose', 'outputPadding', args.outputPadding ?? 0, 2);
    if (typeof this.padding === 'string' && this.outputPadding.some((p) => p !== 0)) {
      throw new TypeError('conv2dTranspose: outputPadding is only accepted with explicit numeric padding');
    }
  }

  /**
   * PyTorch padding and output_padding per dim that realize this layer's padding mode, and the
   * rows/columns to crop at the bottom/right: TF's 'same' output starts at floor(excess / 2) of the
   * full transposed output, so an odd excess leaves one extra row/column at the end.
   */
  private torchPadding(): { padding: number[]; outputPadding: number[]; crop: number[] } {
    if (this.padding === 'valid') return { padding: [0, 0], outputPadding: [0, 0], crop: [0, 0] };
    if (this.padding === 'same') {
      const excess = this.kernelSize.map((k, i) => this.dilationRate[i] * (k - 1) + 1 - this.strides[i]);
      const padding = excess.map((e) => Math.max(Math.floor(e / 2), 0));
      return { padding, outputPadding: excess.map((e) => Math.max(-e, 0)), crop: excess.map((e) => (e > 0 ? e % 2 : 0)) };
    }
    return { padding: this.padding, outputPadding: this.outputPadding, crop: [0, 0] };
  }

  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    const { padding, outputPadding, crop } = this.torchPadding();
    this.check(outputPadding.every((op, i) => op >= 0 && (op < this.strides[i] || op < this.dilationRate[i])),
      `output padding [${outputPadding.join(', ')}] must be smaller than the stride or the dilation`);
    const out = inputShape.slice(1).map((s, i) =>
      (s - 1) * this.strides[i] - 2 * padding[i] + this.dilationRate[i] * (this.kernelSize[i] - 1) + outputPadding[i] + 1 - crop[i]);
    this.check(out.every((o) => o > 0), `output size [${out.join(', ')}] is not positive`);
    return [this.filters, ...out];
  }

  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    const { padding, outputPadding, crop } = this.torchPadding();
    return [
      {
        ...this.kernelSpec(),
        kind: 'convTranspose2d',
        inChannels: inputShape[0],
        outChannels: this.filters,
        kernel: this.kernelSize,
        stride: this.strides,
        padding,
        outputPadding,
        dilation: this.dilationRate,
        groups: 1,
      },
      ...(crop.some((c) => c > 0) ? [{ kind: 'zeroPad2d', padding: [0, -crop[1], 0, -crop[0]] }] : []),
      ...activationSpecs(this.activation),
    ];
  }

  protected override config(): LayerConfig {
    return { ...super.config(), outputPadding: this.outputPadding };
  }
}

export interface ZeroPadding2DArgs extends LayerArgs {
  /** n (all sides), [h, w] (symmetric), or [[top, bottom], [left, right]]. */
  padding?: number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];
}

const ZERO_PADDING_OPTIONS = defineOptions<ZeroPadding2DArgs>({ ...LAYER_OPTIONS, padding: tuple });

export class ZeroPadding2D extends Layer {
  static readonly className = 'ZeroPadding2D';
  readonly className = ZeroPadding2D.className;
  /** [top, bottom, left, right]. */
  readonly pads: number[];
  constructor(args: ZeroPadding2DArgs = {}) {
    super(args, 'zero_padding2d', 'zeroPadding2d', ZERO_PADDING_OPTIONS);
    const p = args.padding ?? 1;
    let pads: unknown[];
    if (typeof p === 'number') pads = [p, p, p, p];
    else if (Array.isArray(p) && typeof p[0] === 'number') pads = [p[0], p[0], p[1], p[1]];
    else if (Array.isArray(p) && Array.isArray(p[0]) && Array.isArray(p[1])) pads = [p[0][0], p[0][1], p[1][0], p[1][1]];
    else pads = [NaN];
    if (pads.some((v) => !Number.isInteger(v) || (v as number) < 0)) {
      throw invalidValue('zeroPadding2d', 'padding', 'n, [h, w] or [[top, bottom], [left, right]] of non-negative integers', p);
    }
    this.pads = pads as number[];
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    const [t, b, l, r] = this.pads;
    return [inputShape[0], inputShape[1] + t + b, inputShape[2] + l + r];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    const [t, b, l, r] = this.pads;
    return [{ kind: 'zeroPad2d', padding: [l, r, t, b] }];
  }
  protected config(): LayerConfig {
    const [t, b, l, r] = this.pads;
    return { padding: [[t, b], [l, r]] };
  }
}

export interface UpSampling2DArgs extends LayerArgs {
  /** Factor per spatial dim (default 2). */
  size?: IntOrTuple;
  interpolation?: 'nearest' | 'bilinear';
}

const UP_SAMPLING_OPTIONS = defineOptions<UpSampling2DArgs>({ ...LAYER_OPTIONS, size: tuple, interpolation: rule.oneOf(['nearest', 'bilinear']) });

export class UpSampling2D extends Layer {
  static readonly className = 'UpSampling2D';
  readonly className = UpSampling2D.className;
  readonly size: number[];
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(args: UpSampling2DArgs = {}) {
    super(args, 'up_sampling2d', 'upSampling2d', UP_SAMPLING_OPTIONS);
    this.size = checkTuple('upSampling2d', 'size', args.size ?? 2, 2);
    if (this.size.some((s) => s < 1)) throw invalidValue('upSampling2d', 'size', 'positive integers', args.size);
    this.interpolation = args.interpolation ?? 'nearest';
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    return [inputShape[0], inputShape[1] * this.size[0], inputShape[2] * this.size[1]];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    return [{ kind: 'upsample', scaleFactor: this.size, mode: this.interpolation, alignCorners: false }];
  }
  protected config(): LayerConfig {
    return { size: this.size, interpolation: this.interpolation };
  }
}

for (const cls of [Conv1D, Conv2D, Conv2DTranspose, ZeroPadding2D, UpSampling2D]) registerLayer(cls);
