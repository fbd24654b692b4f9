/**
 * functional.ts — `nt.nn.functional`: convolution, pooling, normalization, dropout, resampling
 * and losses on tensors, with torch.nn.functional's names, arguments and defaults.
 * Each call is one native libtorch op with autograd.
 */
import { native, type Handle } from '../binding';
import { checkNumber, checkOneOf, checkShape, checkSizes, checkTuple, invalidType, invalidValue } from '../errors';
import { isFloatingDtype } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { checkOptions, defineOptions, rule } from '../options';

/** torch.nn.functional also holds these tensor ops. */
export { linear, relu, leakyRelu, elu, gelu, sigmoid, tanh, softmax, logSoftmax, pad } from '../tensor/ops';

/** A size for both spatial dims at once, or per dim. */
export type IntOrPair = number | readonly [number, number] | readonly number[];

function input(op: string, x: unknown, param = 'input'): Tensor {
  if (x instanceof Tensor) return x;
  throw invalidType(op, param, 'a Tensor', x);
}

function optional(op: string, x: unknown, param: string): Handle | null {
  return x === undefined || x === null ? null : input(op, x, param)._h;
}

/** Checks the input rank, naming the layout the op expects. */
function rank(op: string, x: Tensor, allowed: readonly number[], layout: string): void {
  if (!allowed.includes(x.ndim)) {
    const ranks = allowed.map((r) => `${r}D`).join(' or ');
    throw new RangeError(`${op}: expected ${ranks} input ${layout}, got shape [${x.shape.join(', ')}]`);
  }
}

export type Reduction = 'mean' | 'sum' | 'none';

function reduction(op: string, r: Reduction | undefined): Reduction {
  return r === undefined ? 'mean' : checkOneOf(op, 'reduction', r, ['mean', 'sum', 'none']);
}

export interface ConvOptions {
  stride?: IntOrPair;
  /** Zero padding per side, or 'same' / 'valid'. */
  padding?: IntOrPair | 'same' | 'valid';
  dilation?: IntOrPair;
  groups?: number;
}

function convPadding(op: string, padding: ConvOptions['padding'], n: number): number | number[] | string {
  if (padding === 'same' || padding === 'valid') return padding;
  return checkSizes(op, 'padding', padding ?? 0, n);
}

/** 1D convolution over [N, C, L] (or unbatched [C, L]) with weight [out, in/groups, k]. */
// Sizes (int or tuple), tensors and reductions are checked where the functions read them
// (checkSizes, checkTuple, optional(), reduction()); the schemas add unknown keys, types and ranges.
const size = rule.any();
const tensorOrNull = rule.any();
const reductionRule = rule.any();
const groups = rule.int({ min: 1 });
const eps = rule.number({ min: 0 });
const SCHEMAS = {
  conv: defineOptions<ConvOptions>({ stride: size, padding: size, dilation: size, groups }),
  convTranspose: defineOptions<ConvTransposeOptions>({ stride: size, padding: size, outputPadding: size, groups, dilation: size }),
  maxPool: defineOptions<MaxPoolOptions>({ stride: size, padding: size, dilation: size, ceilMode: rule.boolean() }),
  avgPool: defineOptions<AvgPoolOptions>({ stride: size, padding: size, ceilMode: rule.boolean(), countIncludePad: rule.boolean(), divisorOverride: rule.int({ min: 1 }) }),
  batchNorm: defineOptions<BatchNormOptions>({ weight: tensorOrNull, bias: tensorOrNull, training: rule.boolean(), momentum: rule.number({ min: 0, max: 1 }), eps }),
  layerNorm: defineOptions<LayerNormOptions>({ weight: tensorOrNull, bias: tensorOrNull, eps }),
  interpolate: defineOptions<InterpolateOptions>({ size, scaleFactor: size, mode: rule.oneOf(['nearest', 'linear', 'bilinear', 'bicubic']), alignCorners: rule.boolean() }),
  crossEntropy: defineOptions<CrossEntropyOptions>({ weight: tensorOrNull, reduction: reductionRule, ignoreIndex: rule.int(), labelSmoothing: rule.number({ min: 0, max: 1 }) }),
  nllLoss: defineOptions<NllLossOptions>({ weight: tensorOrNull, reduction: reductionRule, ignoreIndex: rule.int() }),
  bce: defineOptions<BceOptions>({ weight: tensorOrNull, reduction: reductionRule }),
  bceWithLogits: defineOptions<BceWithLogitsOptions>({ weight: tensorOrNull, reduction: reductionRule, posWeight: tensorOrNull }),
  reduction: defineOptions<ReductionOptions>({ reduction: reductionRule }),
  smoothL1: defineOptions<SmoothL1Options>({ reduction: reductionRule, beta: rule.number({ min: 0 }) }),
  huber: defineOptions<HuberLossOptions>({ reduction: reductionRule, delta: rule.number({ min: 0, gt: true }) }),
  klDiv: defineOptions<KlDivOptions>({ reduction: rule.oneOf(['mean', 'sum', 'none', 'batchmean']), logTarget: rule.boolean() }),
};

export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const op = 'conv1d';
  checkOptions(op, SCHEMAS.conv, options);
  rank(op, input(op, x), [2, 3], '[N, C, L]');
  return new Tensor(
    native.conv1d(x._h, input(op, weight, 'weight')._h, optional(op, bias, 'bias'), checkSizes(op, 'stride', options.stride ?? 1, 1),
      convPadding(op, options.padding, 1), checkSizes(op, 'dilation', options.dilation ?? 1, 1), options.groups ?? 1),
  );
}

/** 2D convolution over [N, C, H, W] (or unbatched [C, H, W]) with weight [out, in/groups, kH, kW]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const op = 'conv2d';
  checkOptions(op, SCHEMAS.conv, options);
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  return new Tensor(
    native.conv2d(x._h, input(op, weight, 'weight')._h, optional(op, bias, 'bias'), checkSizes(op, 'stride', options.stride ?? 1, 2),
      convPadding(op, options.padding, 2), checkSizes(op, 'dilation', options.dilation ?? 1, 2), options.groups ?? 1),
  );
}

export interface ConvTransposeOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  outputPadding?: IntOrPair;
  groups?: number;
  dilation?: IntOrPair;
}

/** Transposed 2D convolution ("deconvolution") with weight [in, out/groups, kH, kW]. */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkOptions(op, SCHEMAS.convTranspose, options);
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  return new Tensor(
    native.convTranspose2d(x._h, input(op, weight, 'weight')._h, optional(op, bias, 'bias'),
      checkSizes(op, 'stride', options.stride ?? 1, 2), checkSizes(op, 'padding', options.padding ?? 0, 2),
      checkSizes(op, 'outputPadding', options.outputPadding ?? 0, 2), options.groups ?? 1,
      checkSizes(op, 'dilation', options.dilation ?? 1, 2)),
  );
}

export interface MaxPoolOptions {
  /** Defaults to the kernel size. */
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
}

/** 2D max pooling over [N, C, H, W] or [C, H, W]. */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, options: MaxPoolOptions = {}): Tensor {
  const op = 'maxPool2d';
  checkOptions(op, SCHEMAS.maxPool, options);
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  const kernel = checkSizes(op, 'kernelSize', kernelSize, 2);
  return new Tensor(
    native.maxPool2d(x._h, kernel, checkSizes(op, 'stride', options.stride ?? kernel, 2), checkSizes(op, 'padding', options.padding ?? 0, 2),
      checkSizes(op, 'dilation', options.dilation ?? 1, 2), Boolean(options.ceilMode), false) as Handle,
  );
}

/** Like maxPool2d, also returning the flat indices of the maxima (for unpooling). */
export function maxPool2dWithIndices(x: Tensor, kernelSize: IntOrPair, options: MaxPoolOptions = {}): { values: Tensor; indices: Tensor } {
  const op = 'maxPool2d';
  checkOptions(op, SCHEMAS.maxPool, options);
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  const kernel = checkSizes(op, 'kernelSize', kernelSize, 2);
  const [values, indices] = native.maxPool2d(x._h, kernel, checkSizes(op, 'stride', options.stride ?? kernel, 2),
    checkSizes(op, 'padding', options.padding ?? 0, 2), checkSizes(op, 'dilation', options.dilation ?? 1, 2), Boolean(options.ceilMode), true) as [Handle, Handle];
  return { values: new Tensor(values), indices: new Tensor(indices) };
}

export interface AvgPoolOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  ceilMode?: boolean;
  /** Count the zero padding in the average (default true, as PyTorch). */
  countIncludePad?: boolean;
  divisorOverride?: number;
}

/** 2D average pooling over [N, C, H, W] or [C, H, W]. */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, options: AvgPoolOptions = {}): Tensor {
  const op = 'avgPool2d';
  checkOptions(op, SCHEMAS.avgPool, options);
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  const kernel = checkSizes(op, 'kernelSize', kernelSize, 2);
  return new Tensor(
    native.avgPool2d(x._h, kernel, checkSizes(op, 'stride', options.stride ?? kernel, 2), checkSizes(op, 'padding', options.padding ?? 0, 2),
      Boolean(options.ceilMode), options.countIncludePad ?? true, options.divisorOverride ?? null),
  );
}

/** Average pooling to a fixed output size (e.g. 1 for global average pooling). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntOrPair): Tensor {
  const op = 'adaptiveAvgPool2d';
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  return new Tensor(native.adaptiveAvgPool2d(x._h, checkTuple(op, 'outputSize', outputSize, 2)));
}

/** Max pooling to a fixed output size. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: IntOrPair): Tensor {
  const op = 'adaptiveMaxPool2d';
  rank(op, input(op, x), [3, 4], '[N, C, H, W]');
  return new Tensor(native.adaptiveMaxPool2d(x._h, checkTuple(op, 'outputSize', outputSize, 2)));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use batch statistics and update the running ones (default false: use the running ones). */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch normalization over dim 1 of [N, C, ...]; running stats are updated in place when training. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const op = 'batchNorm';
  checkOptions(op, SCHEMAS.batchNorm, options);
  input(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: expected input with at least 2 dims [N, C, ...], got shape [${x.shape.join(', ')}]`);
  const training = Boolean(options.training);
  if (!training && (runningMean == null || runningVar == null)) {
    throw new TypeError(`${op}: runningMean and runningVar are required when training is false`);
  }
  return new Tensor(
    native.batchNorm(x._h, optional(op, runningMean, 'runningMean'), optional(op, runningVar, 'runningVar'), optional(op, options.weight, 'weight'),
      optional(op, options.bias, 'bias'), training, options.momentum ?? 0.1, options.eps ?? 1e-5),
  );
}

export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** Layer normalization over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], options: LayerNormOptions = {}): Tensor {
  const op = 'layerNorm';
  checkOptions(op, SCHEMAS.layerNorm, options);
  return new Tensor(
    native.layerNorm(input(op, x)._h, checkShape(op, 'normalizedShape', normalizedShape), optional(op, options.weight, 'weight'),
      optional(op, options.bias, 'bias'), options.eps ?? 1e-5),
  );
}

function probability(op: string, p: number): number {
  checkNumber(op, 'p', p);
  if (!(p >= 0 && p <= 1)) throw invalidValue(op, 'p', 'a probability in [0, 1]', p);
  return p;
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  return new Tensor(native.dropout(input('dropout', x)._h, probability('dropout', p), Boolean(training)));
}

/** Zeroes whole channels of [N, C, H, W] with probability p when training; a 3D input is read as [N, C, L], as PyTorch 1.13 does. */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  rank('dropout2d', input('dropout2d', x), [3, 4], '[N, C, H, W]');
  return new Tensor(native.dropout2d(x._h, probability('dropout2d', p), Boolean(training)));
}

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic';

export interface InterpolateOptions {
  /** Output spatial size (one int for all dims, or one per dim). */
  size?: number | readonly number[];
  /** Multiplier of the spatial size (one for all dims, or one per dim). */
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  alignCorners?: boolean;
}

/** Resizes [N, C, *spatial] by size or scale factor (torch.nn.functional.interpolate). */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const op = 'interpolate';
  const { size, scaleFactor, mode = 'nearest', alignCorners } = checkOptions(op, SCHEMAS.interpolate, options);
  input(op, x);
  const spatial = x.ndim - 2;
  if (spatial < 1 || spatial > 3) throw new RangeError(`${op}: expected 3D, 4D or 5D input [N, C, ...spatial], got shape [${x.shape.join(', ')}]`);
  if ((size === undefined) === (scaleFactor === undefined)) throw new TypeError(`${op}: give exactly one of size or scaleFactor`);
  const sizes = size === undefined ? null : checkTuple(op, 'size', size, spatial);
  let scales: number[] | null = null;
  if (scaleFactor !== undefined) {
    scales = typeof scaleFactor === 'number' ? new Array<number>(spatial).fill(scaleFactor) : [...scaleFactor];
    if (scales.length !== spatial || scales.some((s) => typeof s !== 'number' || !(s > 0))) {
      throw invalidValue(op, 'scaleFactor', `a positive number or ${spatial} positive numbers`, scaleFactor);
    }
  }
  if (alignCorners !== undefined && mode === 'nearest') throw new TypeError(`${op}: alignCorners only applies to linear, bilinear and bicubic modes`);
  return new Tensor(native.interpolate(x._h, sizes, scales, mode, Boolean(alignCorners)));
}

/** Same as interpolate (PyTorch's older name). */
export const upsample = interpolate;

export interface CrossEntropyOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
  reduction?: Reduction;
  /** Target class index that contributes nothing (default -100). */
  ignoreIndex?: number;
  /** Mixes the target with the uniform distribution by this amount, in [0, 1]. */
  labelSmoothing?: number;
}

/** Cross entropy of logits [N, C, ...] against class indices [N, ...] (int64) or class probabilities [N, C, ...]. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkOptions(op, SCHEMAS.crossEntropy, options);
  const smoothing = options.labelSmoothing ?? 0;
  const t = input(op, target, 'target');
  if (isFloatingDtype(t.dtype) && !shapesEqual(input(op, logits).shape, t.shape)) {
    throw new RangeError(
      `${op}: a floating-point target holds class probabilities and must have the input's shape [${logits.shape.join(', ')}], ` +
        `got [${t.shape.join(', ')}] (class indices must be int64)`,
    );
  }
  return new Tensor(
    native.crossEntropy(input(op, logits)._h, t._h, optional(op, options.weight, 'weight'),
      reduction(op, options.reduction), options.ignoreIndex ?? -100, smoothing),
  );
}

export interface NllLossOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
}

/** Negative log likelihood of log-probabilities [N, C, ...] against class indices [N, ...]. */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  checkOptions(op, SCHEMAS.nllLoss, options);
  return new Tensor(
    native.nllLoss(input(op, logProbs)._h, input(op, target, 'target')._h, optional(op, options.weight, 'weight'),
      reduction(op, options.reduction), options.ignoreIndex ?? -100),
  );
}

export interface BceOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
}

/** Binary cross entropy of probabilities in [0, 1] against targets of the same shape. */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  checkOptions(op, SCHEMAS.bce, options);
  sameShape(op, input(op, probs), input(op, target, 'target'));
  return new Tensor(
    native.binaryCrossEntropy(input(op, probs)._h, input(op, target, 'target')._h, optional(op, options.weight, 'weight'), reduction(op, options.reduction)),
  );
}

export interface BceWithLogitsOptions extends BceOptions {
  /** Weight of positive examples, per class. */
  posWeight?: Tensor | null;
}

/** Binary cross entropy on logits (sigmoid fused, numerically stable). */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkOptions(op, SCHEMAS.bceWithLogits, options);
  sameShape(op, input(op, logits), input(op, target, 'target'));
  return new Tensor(
    native.binaryCrossEntropyWithLogits(input(op, logits)._h, input(op, target, 'target')._h, optional(op, options.weight, 'weight'),
      optional(op, options.posWeight, 'posWeight'), reduction(op, options.reduction)),
  );
}

export interface ReductionOptions {
  reduction?: Reduction;
}

function shapesEqual(sa: readonly number[], sb: readonly number[]): boolean {
  return sa.length === sb.length && sa.every((d, i) => d === sb[i]);
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new RangeError(`${op}: input shape [${a.shape.join(', ')}] and target shape [${b.shape.join(', ')}] differ`);
  }
}

/** Mean squared error. */
export function mseLoss(x: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const op = 'mseLoss';
  checkOptions(op, SCHEMAS.reduction, options);
  sameShape(op, input(op, x), input(op, target, 'target'));
  return new Tensor(native.mseLoss(x._h, target._h, reduction(op, options.reduction)));
}

/** Mean absolute error. */
export function l1Loss(x: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const op = 'l1Loss';
  checkOptions(op, SCHEMAS.reduction, options);
  sameShape(op, input(op, x), input(op, target, 'target'));
  return new Tensor(native.l1Loss(x._h, target._h, reduction(op, options.reduction)));
}

/** Smooth L1: quadratic below `beta`, linear above (PyTorch's SmoothL1Loss). */
export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  beta?: number;
}
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}
export interface KlDivOptions {
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities (default false). */
  logTarget?: boolean;
}

export function smoothL1Loss(x: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const op = 'smoothL1Loss';
  checkOptions(op, SCHEMAS.smoothL1, options);
  sameShape(op, input(op, x), input(op, target, 'target'));
  const beta = options.beta ?? 1;
  return new Tensor(native.smoothL1Loss(x._h, target._h, reduction(op, options.reduction), beta));
}

/** Huber loss: quadratic below `delta`, linear above, scaled by delta (PyTorch's HuberLoss). */
export function huberLoss(x: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = 'huberLoss';
  checkOptions(op, SCHEMAS.huber, options);
  sameShape(op, input(op, x), input(op, target, 'target'));
  const delta = options.delta ?? 1;
  return new Tensor(native.huberLoss(x._h, target._h, reduction(op, options.reduction), delta));
}

/** KL divergence of log-probabilities `x` from `target` ('batchmean' divides the sum by the batch size). */
export function klDiv(x: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = 'klDiv';
  checkOptions(op, SCHEMAS.klDiv, options);
  const r = options.reduction ?? 'mean';
  const h = native.klDiv(input(op, x)._h, input(op, target, 'target')._h, r === 'batchmean' ? 'sum' : r, Boolean(options.logTarget));
  if (r !== 'batchmean') return new Tensor(h);
  const total = new Tensor(h);
  try {
    return total.div(x.ndim > 0 ? x.shape[0] : 1);
  } finally {
    total.dispose();
  }
}
