/**
 * ops.ts — the functional forms of tensor ops (`nt.add(a, b)`, `nt.cat([...], 0)`, ...). Each
 * delegates to the Tensor method or makes the one native call for ops without a method form.
 */
import { native, type Handle } from '../binding';
import { checkInt, checkIntList, checkOneOf, invalidType } from '../errors';
import { tensor } from './creation';
import { isFloatingDtype } from './dtype';
import { Tensor, type ReduceOptions, type ValuesIndices, type VarianceOptions } from './tensor';

function input(op: string, x: unknown, param = 'input'): Tensor {
  if (x instanceof Tensor) return x;
  throw invalidType(op, param, 'a Tensor', x);
}

function handles(op: string, list: unknown): Handle[] {
  if (!Array.isArray(list) || list.length === 0) throw invalidType(op, 'tensors', 'a non-empty array of Tensors', list);
  return list.map((t, i) => input(op, t, `tensors[${i}]`)._h);
}

/**
 * A number on the left of a binary op becomes a 0-dim tensor on the right operand's device: of the
 * right operand's dtype when the number fits its kind (any number with a floating tensor, an
 * integer with an integer tensor), else int64 for integers and float32 otherwise. The result dtype
 * is then Python's for `number op tensor`, also when the tensor is 0-dim.
 */
function binary(op: string, a: Tensor | number, b: Tensor | number, fn: (x: Tensor, y: Tensor | number) => Tensor): Tensor {
  if (a instanceof Tensor) return fn(a, b);
  if (typeof a !== 'number') throw invalidType(op, 'input', 'a Tensor or a number', a);
  const rhs = input(op, b, 'other');
  const integral = Number.isInteger(a);
  const sameKind = isFloatingDtype(rhs.dtype) || (integral && rhs.dtype !== 'bool');
  const lhs = tensor(a, { dtype: sameKind ? rhs.dtype : integral ? 'int64' : 'float32', device: rhs.device });
  try {
    return fn(lhs, rhs);
  } finally {
    lhs.dispose();
  }
}

export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b, (x, y) => x.add(y));
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b, (x, y) => x.sub(y));
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b, (x, y) => x.mul(y));
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b, (x, y) => x.div(y));
export const remainder = (a: Tensor | number, b: Tensor | number): Tensor => binary('remainder', a, b, (x, y) => x.remainder(y));
export function pow(base: Tensor | number, exponent: Tensor | number): Tensor {
  if (typeof base === 'number') return new Tensor(native.rpow(input('pow', exponent, 'exponent')._h, base));
  return input('pow', base).pow(exponent);
}
export const eq = (a: Tensor, b: Tensor | number | boolean): Tensor => input('eq', a).eq(b);
export const ne = (a: Tensor, b: Tensor | number | boolean): Tensor => input('ne', a).ne(b);
export const lt = (a: Tensor, b: Tensor | number): Tensor => input('lt', a).lt(b);
export const le = (a: Tensor, b: Tensor | number): Tensor => input('le', a).le(b);
export const gt = (a: Tensor, b: Tensor | number): Tensor => input('gt', a).gt(b);
export const ge = (a: Tensor, b: Tensor | number): Tensor => input('ge', a).ge(b);
export const maximum = (a: Tensor, b: Tensor): Tensor => input('maximum', a).maximum(b);
export const minimum = (a: Tensor, b: Tensor): Tensor => input('minimum', a).minimum(b);
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => input('logicalAnd', a).logicalAnd(b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => input('logicalOr', a).logicalOr(b);
export const logicalNot = (x: Tensor): Tensor => input('logicalNot', x).logicalNot();

export const neg = (x: Tensor): Tensor => input('neg', x).neg();
export const abs = (x: Tensor): Tensor => input('abs', x).abs();
export const exp = (x: Tensor): Tensor => input('exp', x).exp();
export const log = (x: Tensor): Tensor => input('log', x).log();
export const sqrt = (x: Tensor): Tensor => input('sqrt', x).sqrt();
export const rsqrt = (x: Tensor): Tensor => input('rsqrt', x).rsqrt();
export const floor = (x: Tensor): Tensor => input('floor', x).floor();
export const ceil = (x: Tensor): Tensor => input('ceil', x).ceil();
export const round = (x: Tensor): Tensor => input('round', x).round();
export const sign = (x: Tensor): Tensor => input('sign', x).sign();
export const sin = (x: Tensor): Tensor => input('sin', x).sin();
export const cos = (x: Tensor): Tensor => input('cos', x).cos();
export const reciprocal = (x: Tensor): Tensor => input('reciprocal', x).reciprocal();
export const square = (x: Tensor): Tensor => input('square', x).square();
export const isnan = (x: Tensor): Tensor => input('isnan', x).isnan();
export const isfinite = (x: Tensor): Tensor => input('isfinite', x).isfinite();
export const clamp = (x: Tensor, min?: number | null, max?: number | null): Tensor => input('clamp', x).clamp(min, max);

/** Elementwise choice: `x` where `condition` holds, else `y` (tensors or numbers). */
export function where(condition: Tensor, x: Tensor | number, y: Tensor | number): Tensor {
  const cond = input('where', condition, 'condition');
  const operand = (v: Tensor | number, name: string): Handle | number => {
    if (typeof v === 'number') return v;
    return input('where', v, name)._h;
  };
  return new Tensor(native.where(cond._h, operand(x, 'x'), operand(y, 'y')));
}

export const sum = (x: Tensor, dim?: number | readonly number[], options?: ReduceOptions): Tensor => input('sum', x).sum(dim, options);
export const mean = (x: Tensor, dim?: number | readonly number[], options?: ReduceOptions): Tensor => input('mean', x).mean(dim, options);
export const prod = (x: Tensor, dim?: number, options?: ReduceOptions): Tensor => input('prod', x).prod(dim, options);
export const all = (x: Tensor, dim?: number, options?: ReduceOptions): Tensor => input('all', x).all(dim, options);
export const any = (x: Tensor, dim?: number, options?: ReduceOptions): Tensor => input('any', x).any(dim, options);
export const std = (x: Tensor, dim?: number | readonly number[], options?: VarianceOptions): Tensor => input('std', x).std(dim, options);
export const variance = (x: Tensor, dim?: number | readonly number[], options?: VarianceOptions): Tensor => input('var', x).var(dim, options);
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, options?: ReduceOptions): ValuesIndices;
export function max(x: Tensor, dim?: number, options?: ReduceOptions): Tensor | ValuesIndices {
  return dim === undefined ? input('max', x).max() : input('max', x).max(dim, options);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, options?: ReduceOptions): ValuesIndices;
export function min(x: Tensor, dim?: number, options?: ReduceOptions): Tensor | ValuesIndices {
  return dim === undefined ? input('min', x).min() : input('min', x).min(dim, options);
}
export const argmax = (x: Tensor, dim?: number, options?: ReduceOptions): Tensor => input('argmax', x).argmax(dim, options);
export const argmin = (x: Tensor, dim?: number, options?: ReduceOptions): Tensor => input('argmin', x).argmin(dim, options);

export const sort = (x: Tensor, dim?: number, options?: { descending?: boolean }): ValuesIndices => input('sort', x).sort(dim, options);
export const argsort = (x: Tensor, dim?: number, options?: { descending?: boolean }): Tensor => input('argsort', x).argsort(dim, options);
export const topk = (x: Tensor, k: number, dim?: number, options?: { largest?: boolean; sorted?: boolean }): ValuesIndices =>
  input('topk', x).topk(k, dim, options);
export const cumsum = (x: Tensor, dim: number): Tensor => input('cumsum', x).cumsum(dim);
export const logsumexp = (x: Tensor, dim: number | readonly number[], options?: ReduceOptions): Tensor => input('logsumexp', x).logsumexp(dim, options);

export const matmul = (a: Tensor, b: Tensor): Tensor => input('matmul', a).matmul(b);
export const bmm = (a: Tensor, b: Tensor): Tensor => input('bmm', a).bmm(b);
/** x · weightᵀ + bias, weight shaped [out, in] (PyTorch's F.linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const b = bias == null ? null : input('linear', bias, 'bias')._h;
  return new Tensor(native.linear(input('linear', x)._h, input('linear', weight, 'weight')._h, b));
}

export const relu = (x: Tensor): Tensor => input('relu', x).relu();
export const leakyRelu = (x: Tensor, negativeSlope?: number): Tensor => input('leakyRelu', x).leakyRelu(negativeSlope);
export const elu = (x: Tensor, alpha?: number): Tensor => input('elu', x).elu(alpha);
export const gelu = (x: Tensor, approximate?: 'none' | 'tanh'): Tensor => input('gelu', x).gelu(approximate);
export const sigmoid = (x: Tensor): Tensor => input('sigmoid', x).sigmoid();
export const tanh = (x: Tensor): Tensor => input('tanh', x).tanh();
export const softmax = (x: Tensor, dim: number): Tensor => input('softmax', x).softmax(dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => input('logSoftmax', x).logSoftmax(dim);

export const reshape = (x: Tensor, shape: readonly number[]): Tensor => input('reshape', x).reshape(shape);
export const permute = (x: Tensor, dims: readonly number[]): Tensor => input('permute', x).permute(dims);
export const transpose = (x: Tensor, dim0: number, dim1: number): Tensor => input('transpose', x).transpose(dim0, dim1);
export const squeeze = (x: Tensor, dim?: number): Tensor => input('squeeze', x).squeeze(dim);
export const unsqueeze = (x: Tensor, dim: number): Tensor => input('unsqueeze', x).unsqueeze(dim);
export const flatten = (x: Tensor, startDim?: number, endDim?: number): Tensor => input('flatten', x).flatten(startDim, endDim);
export const split = (x: Tensor, splitSize: number | readonly number[], dim?: number): Tensor[] => input('split', x).split(splitSize, dim);
export const chunk = (x: Tensor, chunks: number, dim?: number): Tensor[] => input('chunk', x).chunk(chunks, dim);
export const unbind = (x: Tensor, dim?: number): Tensor[] => input('unbind', x).unbind(dim);
export const narrow = (x: Tensor, dim: number, start: number, length: number): Tensor => input('narrow', x).narrow(dim, start, length);
export const slice = (x: Tensor, dim: number, start?: number | null, end?: number | null, step?: number): Tensor =>
  input('slice', x).slice(dim, start, end, step);
export const indexSelect = (x: Tensor, dim: number, index: Tensor): Tensor => input('indexSelect', x).indexSelect(dim, index);
export const gather = (x: Tensor, dim: number, index: Tensor): Tensor => input('gather', x).gather(dim, index);
export const scatter = (x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor => input('scatter', x).scatter(dim, index, src);
export const scatterAdd = (x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor => input('scatterAdd', x).scatterAdd(dim, index, src);
export const maskedFill = (x: Tensor, mask: Tensor, value: number | boolean): Tensor => input('maskedFill', x).maskedFill(mask, value);
export const maskedSelect = (x: Tensor, mask: Tensor): Tensor => input('maskedSelect', x).maskedSelect(mask);
export const flip = (x: Tensor, dims: readonly number[]): Tensor => input('flip', x).flip(dims);
export const clone = (x: Tensor): Tensor => input('clone', x).clone();
export const detach = (x: Tensor): Tensor => input('detach', x).detach();

/** Joins tensors along an existing dim. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(handles('cat', tensors), checkInt('cat', 'dim', dim)));
}
/** Joins tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(handles('stack', tensors), checkInt('stack', 'dim', dim)));
}
/** Lower triangle (elements on and below the `diagonal`-th diagonal). */
export const tril = (x: Tensor, diagonal = 0): Tensor => new Tensor(native.tril(input('tril', x)._h, checkInt('tril', 'diagonal', diagonal)));
/** Upper triangle. */
export const triu = (x: Tensor, diagonal = 0): Tensor => new Tensor(native.triu(input('triu', x)._h, checkInt('triu', 'diagonal', diagonal)));

/** Pad modes of `pad`, as in torch.nn.functional.pad. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * Pads the last dims: `pad` lists (left, right) for the last dim first, then the one before
 * (torch.nn.functional.pad order).
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const list = checkIntList('pad', 'pad', pads);
  if (list.length % 2 !== 0) throw new RangeError(`pad: pad must have an even number of entries, got ${list.length}`);
  checkOneOf('pad', 'mode', mode, ['constant', 'reflect', 'replicate', 'circular']);
  return new Tensor(native.pad(input('pad', x)._h, list, mode, mode === 'constant' ? value : null));
}
