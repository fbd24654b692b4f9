/**
 * transforms.ts — `nt.data.transforms`: batch transforms applied natively on the prefetch thread
 * (binding/transforms.cc), with torchvision's meanings. Images are [C, H, W] per sample.
 */
import { checkNumber, invalidValue } from '../errors';

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

/** Casts to float32 and multiplies by `scale` (e.g. 1/255 for uint8 images). */
export const toFloat = ({ scale = 1 }: { scale?: number } = {}): TransformSpec => ({ kind: 'toFloat', scale: checkNumber('toFloat', 'scale', scale) });

/** (x - mean) / std per channel (one value applies to every channel). */
export const normalize = ({ mean, std }: { mean: number | number[]; std: number | number[] }): TransformSpec => {
  const m = typeof mean === 'number' ? [mean] : mean;
  const s = typeof std === 'number' ? [std] : std;
  if (!Array.isArray(m) || !Array.isArray(s) || m.length !== s.length || s.some((v) => !(v > 0))) {
    throw invalidValue('normalize', 'mean/std', 'numbers (or equal-length arrays) with std > 0', { mean, std });
  }
  return { kind: 'normalize', mean: m, std: s };
};

/** A random `size` crop of each image after zero-padding it by `padding` on every side. */
export const randomCrop = (args: { size: Size; padding?: number }): TransformSpec => ({ kind: 'randomCrop', size: size('randomCrop', args.size), padding: args.padding ?? 0 });

/** Mirrors each image left-right with probability p (default 0.5). */
export const randomHorizontalFlip = ({ p = 0.5 }: { p?: number } = {}): TransformSpec => ({ kind: 'randomHorizontalFlip', p: checkNumber('randomHorizontalFlip', 'p', p) });

/** Bilinear resize to `size` (float images). */
export const resize = (args: { size: Size }): TransformSpec => ({ kind: 'resize', size: size('resize', args.size) });

/** The central `size` crop. */
export const centerCrop = (args: { size: Size }): TransformSpec => ({ kind: 'centerCrop', size: size('centerCrop', args.size) });

/** Random rotation (±degrees), shift (fractions of width/height) and zoom (a [lo, hi] range), bilinear, zero fill. */
export const randomAffine = (args: { degrees?: number; translate?: [number, number]; scale?: [number, number] }): TransformSpec => ({
  kind: 'randomAffine',
  degrees: checkNumber('randomAffine', 'degrees', args.degrees ?? 0),
  translate: args.translate ?? [0, 0],
  scale: args.scale ?? [1, 1],
});
