/**
 * creation.ts — making tensors: from JS data (nested arrays, numbers, TypedArrays), filled,
 * ranges, identity and random, plus the `*Like` variants. Every function takes a dtype and
 * a device.
 */
import { checkOptions, defineOptions, rule } from '../options';
import { native } from '../binding';
import { checkInt, checkNumber, checkShape, invalidType, invalidValue } from '../errors';
import type { Device } from './device';
import { type Dtype, type TypedArray, dtypeCode, dtypeOfTypedArray } from './dtype';
import { Tensor } from './tensor';

/** Options shared by every creation function. */
export interface CreationOptions {
  /** Element type; defaults: float32 for numbers, bool for booleans, int64 for bigints, the array's type for TypedArrays. */
  dtype?: Dtype;
  /** Where the tensor lives: 'cpu' (default), 'cuda', 'cuda:N'. */
  device?: Device;
  /** Track operations on this tensor for autograd. */
  requiresGrad?: boolean;
}

/** Options of `tensor()`: creation options plus the shape of a flat TypedArray. */
export interface TensorOptions extends CreationOptions {
  /** Shape of the data when it is a flat TypedArray (default: 1D). */
  shape?: readonly number[];
}

/** Nested arrays of numbers, booleans or bigints. */
export type TensorLike = number | boolean | bigint | TypedArray | readonly TensorLike[];

// dtype is checked by dtypeCode
const CREATION_OPTIONS = defineOptions<CreationOptions>({ dtype: rule.any(), device: rule.device(), requiresGrad: rule.boolean() });
// shape is checked by tensor() (only with a flat TypedArray)
const TENSOR_OPTIONS = defineOptions<TensorOptions>({ ...CREATION_OPTIONS, shape: rule.any() });

function resolve(op: string, options: CreationOptions | undefined, defaultDtype: Dtype, schema = CREATION_OPTIONS): [number, string, boolean] {
  const o = checkOptions(op, schema, options);
  return [dtypeCode(op, o.dtype ?? defaultDtype), o.device ?? 'cpu', o.requiresGrad ?? false];
}

function inferShape(data: TensorLike, shape: number[], depth: number): void {
  if (Array.isArray(data)) {
    shape.push(data.length);
    if (data.length > 0) inferShape(data[0] as TensorLike, shape, depth + 1);
  }
}

/** Flattens nested arrays, checking every row against the inferred shape. */
function flatten(data: TensorLike, shape: readonly number[]): { values: unknown[]; kind: 'number' | 'boolean' | 'bigint' } {
  const values: unknown[] = [];
  const walk = (node: TensorLike, dim: number): void => {
    if (dim === shape.length) {
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      const got = Array.isArray(node) ? `length ${node.length}` : typeof node;
      throw new RangeError(`tensor: ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${got}`);
    }
    for (const child of node) walk(child as TensorLike, dim + 1);
  };
  walk(data, 0);
  const kind = typeof values[0];
  if (values.length > 0 && kind !== 'number' && kind !== 'boolean' && kind !== 'bigint') {
    throw invalidType('tensor', 'data', 'numbers, booleans or bigints', values[0]);
  }
  for (const v of values) {
    if (typeof v !== kind) throw invalidType('tensor', 'data', `all ${kind}s (mixed element types)`, v);
  }
  return { values, kind: values.length === 0 ? 'number' : (kind as 'number' | 'boolean' | 'bigint') };
}

/**
 * Creates a tensor from JS data, copying it: `tensor([[1, 2], [3, 4]])`,
 * `tensor(new Float32Array(6), { shape: [2, 3] })`, `tensor(3.5)`.
 * Plain numbers become float32 unless `dtype` says otherwise (JS cannot tell 1 from 1.0).
 */
export function tensor(data: TensorLike | Tensor, options: TensorOptions = {}): Tensor {
  checkOptions('tensor', TENSOR_OPTIONS, options);
  if (data instanceof Tensor) {
    return data.detach().to({ dtype: options.dtype ?? data.dtype, device: options.device ?? data.device, copy: true }).requiresGrad_(Boolean(options.requiresGrad));
  }
  if (ArrayBuffer.isView(data)) {
    const arrayDtype = dtypeOfTypedArray(data as TypedArray);
    if (arrayDtype === undefined) throw invalidType('tensor', 'data', 'a Float32/Float64/Int8/Int16/Int32/Uint8/BigInt64 array', data);
    const shape = options.shape === undefined ? [(data as TypedArray).length] : checkShape('tensor', 'shape', options.shape);
    const [dtype, device, requiresGrad] = resolve('tensor', options, arrayDtype, TENSOR_OPTIONS);
    return new Tensor(native.fromTypedArray(data, shape, dtype, device, requiresGrad));
  }
  const scalar = typeof data === 'number' || typeof data === 'boolean' || typeof data === 'bigint';
  if (!scalar && !Array.isArray(data)) throw invalidType('tensor', 'data', 'a number, nested arrays or a TypedArray', data);
  const shape: number[] = [];
  inferShape(data, shape, 0);
  if (options.shape !== undefined) throw new TypeError('tensor: shape is only accepted with a flat TypedArray');
  const { values, kind } = flatten(data, shape);
  let flat: TypedArray;
  let inferred: Dtype;
  if (kind === 'bigint') {
    flat = BigInt64Array.from(values as bigint[]);
    inferred = 'int64';
  } else if (kind === 'boolean') {
    flat = Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0));
    inferred = 'bool';
  } else {
    flat = Float64Array.from(values as number[]);
    inferred = 'float32';
  }
  const [dtype, device, requiresGrad] = resolve('tensor', options, inferred, TENSOR_OPTIONS);
  return new Tensor(native.fromTypedArray(flat, shape, dtype, device, requiresGrad));
}

function shapeOf(op: string, shape: readonly number[] | number): readonly number[] {
  return typeof shape === 'number' ? [checkInt(op, 'shape', shape)] : checkShape(op, 'shape', shape);
}

type FillFn = 'zeros' | 'ones' | 'empty' | 'rand' | 'randn';

function filled(op: FillFn, shape: readonly number[] | number, options?: CreationOptions): Tensor {
  const [dtype, device, requiresGrad] = resolve(op, options, 'float32');
  return new Tensor(native[op](shapeOf(op, shape), dtype, device, requiresGrad));
}

export function zeros(shape: readonly number[] | number, options?: CreationOptions): Tensor {
  return filled('zeros', shape, options);
}
export function ones(shape: readonly number[] | number, options?: CreationOptions): Tensor {
  return filled('ones', shape, options);
}
/** Uninitialized memory (fast; contents are arbitrary). */
export function empty(shape: readonly number[] | number, options?: CreationOptions): Tensor {
  return filled('empty', shape, options);
}
/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[] | number, options?: CreationOptions): Tensor {
  return filled('rand', shape, options);
}
/** Standard normal samples. */
export function randn(shape: readonly number[] | number, options?: CreationOptions): Tensor {
  return filled('randn', shape, options);
}
/** Filled with `value` (dtype float32 for numbers and bool for booleans unless given). */
export function full(shape: readonly number[] | number, value: number | boolean, options?: CreationOptions): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw invalidType('full', 'value', 'a number or a boolean', value);
  const [dtype, device, requiresGrad] = resolve('full', options, typeof value === 'boolean' ? 'bool' : 'float32');
  return new Tensor(native.full(shapeOf('full', shape), value, dtype, device, requiresGrad));
}

/** Random integers in [low, high): `randint(high, shape)` or `randint(low, high, shape)`; int64 by default. */
export function randint(high: number, shape: readonly number[] | number, options?: CreationOptions): Tensor;
export function randint(low: number, high: number, shape: readonly number[] | number, options?: CreationOptions): Tensor;
export function randint(a: number, b: number | readonly number[], c?: readonly number[] | number | CreationOptions, d?: CreationOptions): Tensor {
  const [low, high, shape, options] =
    typeof b === 'number' ? [a, b, c as readonly number[] | number, d] : [0, a, b, c as CreationOptions | undefined];
  checkInt('randint', 'low', low);
  checkInt('randint', 'high', high);
  if (high <= low) throw invalidValue('randint', 'high', `greater than low (${low})`, high);
  const [dtype, device, requiresGrad] = resolve('randint', options, 'int64');
  return new Tensor(native.randint(low, high, shapeOf('randint', shape), dtype, device, requiresGrad));
}

/**
 * Values from start to end (exclusive) by step: `arange(5)`, `arange(1, 4)`, `arange(0, 1, 0.25)`.
 * int64 when all arguments are integers, float32 otherwise (as in PyTorch).
 */
export function arange(end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, step: number, options?: CreationOptions): Tensor;
export function arange(...args: (number | CreationOptions | undefined)[]): Tensor {
  const nums = args.filter((a): a is number => typeof a === 'number');
  const options = args.find((a): a is CreationOptions => typeof a === 'object' && a !== null);
  if (nums.length === 0 || nums.length > 3) throw new TypeError('arange: expected (end), (start, end) or (start, end, step)');
  const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw invalidValue('arange', 'step', 'non-zero', step);
  const integral = [start, end, step].every(Number.isInteger);
  const [dtype, device, requiresGrad] = resolve('arange', options, integral ? 'int64' : 'float32');
  return new Tensor(native.arange(start, end, step, dtype, device, requiresGrad));
}

/** A random permutation of 0..n-1 (int64 by default). */
export function randperm(n: number, options?: CreationOptions): Tensor {
  if (checkInt('randperm', 'n', n) < 0) throw invalidValue('randperm', 'n', 'non-negative', n);
  const [dtype, device, requiresGrad] = resolve('randperm', options, 'int64');
  return new Tensor(native.randperm(n, dtype, device, requiresGrad));
}

/** `steps` evenly spaced values from start to end (inclusive). */
export function linspace(start: number, end: number, steps: number, options?: CreationOptions): Tensor {
  checkNumber('linspace', 'start', start);
  checkNumber('linspace', 'end', end);
  if (checkInt('linspace', 'steps', steps) < 0) throw invalidValue('linspace', 'steps', 'non-negative', steps);
  const [dtype, device, requiresGrad] = resolve('linspace', options, 'float32');
  return new Tensor(native.linspace(start, end, steps, dtype, device, requiresGrad));
}

/** Identity matrix n×m (m defaults to n). */
export function eye(n: number, m?: number | CreationOptions, options?: CreationOptions): Tensor {
  const cols = typeof m === 'number' ? m : n;
  const opts = typeof m === 'object' ? m : options;
  checkInt('eye', 'n', n);
  checkInt('eye', 'm', cols);
  const [dtype, device, requiresGrad] = resolve('eye', opts, 'float32');
  return new Tensor(native.eye(n, cols, dtype, device, requiresGrad));
}

/** The shape of a *Like function's input, checked to be a Tensor (evaluated before likeOptions). */
function likeShape(op: string, t: Tensor): readonly number[] {
  if (!(t instanceof Tensor)) throw invalidType(op, 'input', 'a Tensor', t);
  return t.shape;
}

function likeOptions(t: Tensor, options?: CreationOptions): CreationOptions {
  return { dtype: t.dtype, device: t.device, ...options };
}

export function zerosLike(t: Tensor, options?: CreationOptions): Tensor {
  return zeros(likeShape('zerosLike', t), likeOptions(t, options));
}
export function onesLike(t: Tensor, options?: CreationOptions): Tensor {
  return ones(likeShape('onesLike', t), likeOptions(t, options));
}
export function emptyLike(t: Tensor, options?: CreationOptions): Tensor {
  return empty(likeShape('emptyLike', t), likeOptions(t, options));
}
export function fullLike(t: Tensor, value: number | boolean, options?: CreationOptions): Tensor {
  return full(likeShape('fullLike', t), value, likeOptions(t, options));
}
export function randLike(t: Tensor, options?: CreationOptions): Tensor {
  return rand(likeShape('randLike', t), likeOptions(t, options));
}
export function randnLike(t: Tensor, options?: CreationOptions): Tensor {
  return randn(likeShape('randnLike', t), likeOptions(t, options));
}
export function randintLike(t: Tensor, low: number, high: number, options?: CreationOptions): Tensor {
  return randint(low, high, likeShape('randintLike', t), likeOptions(t, options));
}
