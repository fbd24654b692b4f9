/**
 * transforms.ts — `nt.data.transforms`: batch transforms applied natively on the prefetch thread
 * (binding/transforms.cc), with torchvision's meanings. Images are [C, H, W] per sample.
 */
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';

export interface TransformSpec {
  kind: 'toFloat' | 'normalize' | 'randomCrop' | 'resize' | 'centerCrop' | 'randomHorizontalFlip' | 'randomAffine';
  [option: string]: unknown;
}

/** An image size: one number for a square, or [height, width]. */
export type Size = number | [number, number];

function size(op: string, s: Size): number[] {
  const v = typeof s === 'number' ? [s, s] : s;
  if (!Array.isArray(v) || v.length !== 2 || v.some((d) => !Number.isInteger(d) || d < 1)) throw invalidValue(op, 'size', 'a positive integer or [h, w]', s);
  return v;
}

export interface ToFloatOptions {
  /** Multiplier applied after the cast (default 1; 1/255 for uint8 images). */
  scale?: number;
}
export interface NormalizeOptions {
  /** Mean per channel (one value applies to every channel). */
  mean: number | number[];
  /** Standard deviation per channel, > 0. */
  std: number | number[];
}
export interface RandomCropOptions {
  size: Size;
  /** Zeros added on every side before cropping (default 0). */
  padding?: number;
}
export interface FlipOptions {
  /** Probability of mirroring each image (default 0.5). */
  p?: number;
}
export interface SizeOptions {
  size: Size;
}
export interface RandomAffineOptions {
  /** Rotation range ±degrees (default 0). */
  degrees?: number;
  /** Largest shift as fractions of [width, height], each in [0, 1] (default [0, 0]). */
  translate?: [number, number];
  /** Zoom range [lo, hi], positive (default [1, 1]). */
  scale?: [number, number];
}

// sizes and mean/std are checked by the factories (size(), normalize)
const SIZE = defineOptions<SizeOptions>({ size: rule.any({ required: true }) });
const SCHEMAS = {
  toFloat: defineOptions<ToFloatOptions>({ scale: rule.number() }),
  normalize: defineOptions<NormalizeOptions>({ mean: rule.any({ required: true }), std: rule.any({ required: true }) }),
  randomCrop: defineOptions<RandomCropOptions>({ ...SIZE, padding: rule.int({ min: 0 }) }),
  randomHorizontalFlip: defineOptions<FlipOptions>({ p: rule.number({ min: 0, max: 1 }) }),
  randomAffine: defineOptions<RandomAffineOptions>({
    degrees: rule.number({ min: 0 }),
    translate: rule.tuple(2, rule.number({ min: 0, max: 1 })),
    scale: rule.tuple(2, rule.number({ min: 0, gt: true })),
  }),
};

/** Casts to float32 and multiplies by `scale` (e.g. 1/255 for uint8 images). */
export const toFloat = (o: ToFloatOptions = {}): TransformSpec => ({ kind: 'toFloat', scale: checkOptions('toFloat', SCHEMAS.toFloat, o).scale ?? 1 });

/** (x - mean) / std per channel (one value applies to every channel). */
export const normalize = (o: NormalizeOptions): TransformSpec => {
  const { mean, std } = checkOptions('normalize', SCHEMAS.normalize, o);
  const m = typeof mean === 'number' ? [mean] : mean;
  const s = typeof std === 'number' ? [std] : std;
  if (!Array.isArray(m) || !Array.isArray(s) || m.length !== s.length || m.some((v) => !Number.isFinite(v)) || s.some((v) => !(v > 0 && v < Infinity))) {
    throw invalidValue('normalize', 'mean/std', 'finite numbers (or equal-length arrays) with std > 0', { mean, std });
  }
  return { kind: 'normalize', mean: m, std: s };
};

/** A random `size` crop of each image after zero-padding it by `padding` on every side. */
export const randomCrop = (o: RandomCropOptions): TransformSpec => {
  const { size: s, padding = 0 } = checkOptions('randomCrop', SCHEMAS.randomCrop, o);
  return { kind: 'randomCrop', size: size('randomCrop', s), padding };
};

/** Mirrors each image left-right with probability p (default 0.5). */
export const randomHorizontalFlip = (o: FlipOptions = {}): TransformSpec => ({ kind: 'randomHorizontalFlip', p: checkOptions('randomHorizontalFlip', SCHEMAS.randomHorizontalFlip, o).p ?? 0.5 });

/** Bilinear resize to `size` (float images). */
export const resize = (o: SizeOptions): TransformSpec => ({ kind: 'resize', size: size('resize', checkOptions('resize', SIZE, o).size) });

/** The central `size` crop. */
export const centerCrop = (o: SizeOptions): TransformSpec => ({ kind: 'centerCrop', size: size('centerCrop', checkOptions('centerCrop', SIZE, o).size) });

/** Random rotation (±degrees), shift (fractions of width/height) and zoom (a [lo, hi] range), bilinear, zero fill. */
export const randomAffine = (o: RandomAffineOptions = {}): TransformSpec => {
  const { degrees = 0, translate = [0, 0], scale = [1, 1] } = checkOptions('randomAffine', SCHEMAS.randomAffine, o);
  return { kind: 'randomAffine', degrees, translate, scale };
};

/** @internal The rule of a `transforms` option: an array of specs from `nt.data.transforms.*`. */
export const TRANSFORMS_RULE = rule.array(rule.spec('a transform from nt.data.transforms.*()', { toFloat, normalize, randomCrop, randomHorizontalFlip, resize, centerCrop, randomAffine }));
