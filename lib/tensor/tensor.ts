/**
 * tensor.ts — the Tensor class: a JS object holding one native handle, with PyTorch's method
 * names for properties, ops, data access, autograd and disposal. Every op is one native call.
 */
import { checkOptions, defineOptions, rule } from '../options';
import { native, type Handle, type Operand, type TypedArrayOut } from '../binding';
import { checkInt, checkIntList, checkNumber, checkOneOf, checkShape, invalidType } from '../errors';
import { type Device, checkDevice } from './device';
import { type Dtype, dtypeCode, dtypeName } from './dtype';
import { formatTensor } from './format';
import { disposedHandle, trackTensor } from './memory';

/** Nested JS arrays as read back from a tensor. */
export type NestedArray = number | boolean | NestedArray[];

/** Options of reductions. */
export interface ReduceOptions {
  /** Keep reduced dims with size 1. */
  keepdim?: boolean;
}

/** Options of std/var. */
export interface VarianceOptions extends ReduceOptions {
  /** Bessel's correction: 1 (default, unbiased) or 0 (population). */
  correction?: number;
  /** Same as correction 1 (true) or 0 (false), PyTorch's older name. */
  unbiased?: boolean;
}

/** Options of `backward`. */
export interface BackwardOptions {
  /** Keep the graph so backward can run again through it. */
  retainGraph?: boolean;
  /** Build a graph of the gradient itself (higher-order derivatives). */
  createGraph?: boolean;
}

/** Options of `to`. */
export interface ToOptions {
  dtype?: Dtype;
  device?: Device;
  /** Always return a fresh copy, even when nothing changes. */
  copy?: boolean;
}

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** Largest first (default false). */
  descending?: boolean;
}

/** Options of `topk`. */
export interface TopkOptions {
  /** The k largest (default true) or smallest. */
  largest?: boolean;
  /** Return them in order (default true). */
  sorted?: boolean;
}

const REDUCE_OPTIONS = defineOptions<ReduceOptions>({ keepdim: rule.boolean() });
const VARIANCE_OPTIONS = defineOptions<VarianceOptions>({ keepdim: rule.boolean(), correction: rule.int({ min: 0 }), unbiased: rule.boolean() });
const BACKWARD_OPTIONS = defineOptions<BackwardOptions>({ retainGraph: rule.boolean(), createGraph: rule.boolean() });
// dtype is checked by dtypeCode
const TO_OPTIONS = defineOptions<ToOptions>({ dtype: rule.any(), device: rule.device(), copy: rule.boolean() });
const SORT_OPTIONS = defineOptions<SortOptions>({ descending: rule.boolean() });
const TOPK_OPTIONS = defineOptions<TopkOptions>({ largest: rule.boolean(), sorted: rule.boolean() });

/** The keepdim option of a reduction `op` (no options, the common call, skips the check). */
function keepdim(op: string, options: ReduceOptions | undefined): boolean {
  if (options === undefined) return false;
  return checkOptions(op, REDUCE_OPTIONS, options).keepdim ?? false;
}

/** Values and indices of `max`/`min` along a dim. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

function operand(op: string, other: Tensor | number | boolean): Operand {
  if (typeof other === 'number' || typeof other === 'boolean') return other;
  if (other instanceof Tensor) return other._h;
  throw invalidType(op, 'other', 'a Tensor, a number or a boolean', other);
}

function handleOf(op: string, param: string, t: unknown): Handle {
  if (t instanceof Tensor) return t._h;
  throw invalidType(op, param, 'a Tensor', t);
}

function optHandle(op: string, param: string, t: unknown): Handle | null {
  return t === undefined || t === null ? null : handleOf(op, param, t);
}

function dimsArg(op: string, dim: number | readonly number[] | undefined): number | readonly number[] | null {
  if (dim === undefined) return null;
  return typeof dim === 'number' ? checkInt(op, 'dim', dim) : checkIntList(op, 'dim', dim);
}

function optDim(op: string, dim: number | undefined): number | null {
  return dim === undefined ? null : checkInt(op, 'dim', dim);
}

function shapeArgs(op: string, args: readonly (number | readonly number[])[]): readonly number[] {
  const shape = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  return checkIntList(op, 'shape', shape);
}

/** A tensor backed by libtorch. Create them with `nt.tensor`, `nt.zeros`, ... */
export class Tensor {
  /** @internal The native handle (disposedHandle() once disposed: the native side reuses the old one). */
  _h: Handle;
  private _shape: readonly number[] | undefined;
  private _dtype: Dtype | undefined;
  private _device: Device | undefined;

  /** @internal Wraps a native handle; use the creation functions instead. */
  constructor(handle: Handle) {
    this._h = handle;
    trackTensor(this);
  }

  // ---- properties -------------------------------------------------------------------------

  /** Sizes of each dim. */
  get shape(): readonly number[] {
    return (this._shape ??= Object.freeze(native.shape(this._h)));
  }
  /** Same as `shape` (PyTorch's `size()`), or the size of one dim. */
  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.shape;
    const d = checkInt('size', 'dim', dim);
    const n = this.shape.length;
    if (d < -n || d >= n) throw new RangeError(`size: dim ${d} is out of range for a ${n}D tensor`);
    return this.shape[d < 0 ? d + n : d];
  }
  get dtype(): Dtype {
    return (this._dtype ??= dtypeName(native.dtype(this._h)));
  }
  get device(): Device {
    return (this._device ??= native.device(this._h) as Device);
  }
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get numel(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  get strides(): readonly number[] {
    return native.strides(this._h);
  }
  get isContiguous(): boolean {
    return native.isContiguous(this._h);
  }
  get requiresGrad(): boolean {
    return native.requiresGrad(this._h);
  }
  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this._h, Boolean(value));
  }
  /** Sets requiresGrad in place and returns this tensor (PyTorch's `requires_grad_`). */
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this._h, Boolean(value));
    return this;
  }
  /** The accumulated gradient, or null. Each read returns a new Tensor sharing the gradient's data. */
  get grad(): Tensor | null {
    const h = native.grad(this._h);
    return h === null ? null : new Tensor(h);
  }
  /** Sets or clears the gradient; it must match this tensor's shape, dtype and device (as in PyTorch). */
  set grad(value: Tensor | null) {
    const h = optHandle('grad', 'value', value);
    if (value) {
      if (value.dtype !== this.dtype || value.device !== this.device) {
        throw new TypeError(`grad: assigned grad is ${value.dtype} on ${value.device}, but the tensor is ${this.dtype} on ${this.device}`);
      }
      if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
        throw new RangeError(`grad: assigned grad has shape [${value.shape.join(', ')}], but the tensor has shape [${this.shape.join(', ')}]`);
      }
    }
    native.setGrad(this._h, h);
  }
  /** Name of the autograd node that produced this tensor, or null for leaves. */
  get gradFn(): string | null {
    const name = native.gradFn(this._h);
    return name === null ? null : name.slice(name.lastIndexOf(':') + 1);
  }
  get isLeaf(): boolean {
    return native.isLeaf(this._h);
  }
  get isDisposed(): boolean {
    return native.isDisposed(this._h);
  }

  // ---- memory -----------------------------------------------------------------------------

  /** Frees the native tensor now. Idempotent; using the tensor afterwards throws. */
  dispose(): void {
    const h = this._h;
    this._h = disposedHandle();
    native.recycle(h);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- moving and converting ----------------------------------------------------------------

  /** Moves and/or casts: `to('cuda')`, `to('float64')`, `to({ device, dtype, copy })`. */
  to(target: Device | Dtype | ToOptions): Tensor {
    let dtype: Dtype | undefined;
    let device: Device | undefined;
    let copy = false;
    if (typeof target === 'string') {
      if (target === 'cpu' || target.startsWith('cuda')) device = checkDevice('to', target);
      else dtype = target as Dtype;
    } else if (target !== null && typeof target === 'object') {
      ({ dtype, device } = checkOptions('to', TO_OPTIONS, target));
      copy = Boolean(target.copy);
    } else {
      throw invalidType('to', 'target', "a device, a dtype or { dtype, device }", target);
    }
    const code = dtype === undefined ? null : dtypeCode('to', dtype);
    return new Tensor(native.to(this._h, code, device ?? null, copy));
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index?: number): Tensor {
    return this.to(index === undefined ? 'cuda' : (`cuda:${checkInt('cuda', 'index', index)}` as Device));
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  half(): Tensor {
    return this.to('float16');
  }
  int(): Tensor {
    return this.to('int32');
  }
  long(): Tensor {
    return this.to('int64');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  clone(): Tensor {
    return new Tensor(native.clone(this._h));
  }
  /** A tensor sharing this one's data, cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(native.detach(this._h));
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this._h));
  }

  // ---- reading data -------------------------------------------------------------------------

  /**
   * Copies the data into a TypedArray (row-major). int64 reads as BigInt64Array, bool as
   * Uint8Array, float16/bfloat16 as Float32Array. Blocks while a CUDA tensor is copied.
   */
  dataSync(): TypedArrayOut {
    return native.dataSync(this._h);
  }
  /** Like dataSync, but the copy runs on a worker thread; the event loop stays free. */
  data(): Promise<TypedArrayOut> {
    return native.data(this._h);
  }
  /** The value of a one-element tensor. */
  item(): number | boolean {
    return native.item(this._h);
  }
  /** The data as nested arrays (int64 values become numbers, bool values booleans). */
  arraySync(): NestedArray {
    return toNested(this.dataSync(), this.shape, this.dtype === 'bool');
  }
  /** Like arraySync, with the copy off the event loop. */
  async array(): Promise<NestedArray> {
    const shape = this.shape;
    const isBool = this.dtype === 'bool';
    return toNested(await this.data(), shape, isBool);
  }
  /** PyTorch-style printout: `tensor([[1., 2.], [3., 4.]])`. */
  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? 'Tensor(disposed)' : this.toString();
  }

  // ---- autograd -----------------------------------------------------------------------------

  /** Computes gradients of this tensor w.r.t. graph leaves (accumulated into their `.grad`). */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    checkOptions('backward', BACKWARD_OPTIONS, options);
    native.backward(this._h, optHandle('backward', 'gradient', gradient), Boolean(options.retainGraph), Boolean(options.createGraph));
  }
  /** Clears `.grad` (like `optimizer.zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    native.setGrad(this._h, null);
  }
  /** Keeps `.grad` for a non-leaf tensor after backward. */
  retainGrad(): this {
    native.retainGrad(this._h);
    return this;
  }

  // ---- elementwise arithmetic ---------------------------------------------------------------

  add(other: Tensor | number): Tensor {
    return new Tensor(native.add(this._h, operand('add', other)));
  }
  sub(other: Tensor | number): Tensor {
    return new Tensor(native.sub(this._h, operand('sub', other)));
  }
  mul(other: Tensor | number | boolean): Tensor {
    return new Tensor(native.mul(this._h, operand('mul', other)));
  }
  div(other: Tensor | number): Tensor {
    return new Tensor(native.div(this._h, operand('div', other)));
  }
  pow(exponent: Tensor | number): Tensor {
    return new Tensor(native.pow(this._h, operand('pow', exponent)));
  }
  remainder(other: Tensor | number): Tensor {
    return new Tensor(native.remainder(this._h, operand('remainder', other)));
  }
  /** In-place add (PyTorch `add_`); returns this tensor. */
  add_(other: Tensor | number): this {
    native.add_(this._h, operand('add_', other));
    return this;
  }
  sub_(other: Tensor | number): this {
    native.sub_(this._h, operand('sub_', other));
    return this;
  }
  mul_(other: Tensor | number): this {
    native.mul_(this._h, operand('mul_', other));
    return this;
  }
  div_(other: Tensor | number): this {
    native.div_(this._h, operand('div_', other));
    return this;
  }
  zero_(): this {
    native.zero_(this._h);
    return this;
  }
  fill_(value: number | boolean): this {
    if (typeof value !== 'number' && typeof value !== 'boolean') throw invalidType('fill_', 'value', 'a number or a boolean', value);
    native.fill_(this._h, value);
    return this;
  }
  copy_(src: Tensor): this {
    native.copy_(this._h, handleOf('copy_', 'src', src));
    return this;
  }
  neg(): Tensor {
    return new Tensor(native.neg(this._h));
  }
  abs(): Tensor {
    return new Tensor(native.abs(this._h));
  }
  exp(): Tensor {
    return new Tensor(native.exp(this._h));
  }
  log(): Tensor {
    return new Tensor(native.log(this._h));
  }
  sqrt(): Tensor {
    return new Tensor(native.sqrt(this._h));
  }
  rsqrt(): Tensor {
    return new Tensor(native.rsqrt(this._h));
  }
  floor(): Tensor {
    return new Tensor(native.floor(this._h));
  }
  ceil(): Tensor {
    return new Tensor(native.ceil(this._h));
  }
  round(): Tensor {
    return new Tensor(native.round(this._h));
  }
  sign(): Tensor {
    return new Tensor(native.sign(this._h));
  }
  sin(): Tensor {
    return new Tensor(native.sin(this._h));
  }
  cos(): Tensor {
    return new Tensor(native.cos(this._h));
  }
  reciprocal(): Tensor {
    return new Tensor(native.reciprocal(this._h));
  }
  square(): Tensor {
    return new Tensor(native.square(this._h));
  }
  /** Clamps into [min, max]; either bound may be omitted (null/undefined). */
  clamp(min?: number | null, max?: number | null): Tensor {
    if (min == null && max == null) throw new TypeError('clamp: at least one of min or max must be a number');
    return new Tensor(
      native.clamp(this._h, min == null ? null : checkNumber('clamp', 'min', min), max == null ? null : checkNumber('clamp', 'max', max)),
    );
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(native.maximum(this._h, handleOf('maximum', 'other', other)));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(native.minimum(this._h, handleOf('minimum', 'other', other)));
  }
  /** PyTorch's `x.where(condition, y)`: x where condition holds, else y. */
  where(condition: Tensor, other: Tensor | number): Tensor {
    return new Tensor(native.where(handleOf('where', 'condition', condition), this._h, operand('where', other)));
  }

  // ---- comparisons and logic ----------------------------------------------------------------

  eq(other: Tensor | number | boolean): Tensor {
    return new Tensor(native.eq(this._h, operand('eq', other)));
  }
  ne(other: Tensor | number | boolean): Tensor {
    return new Tensor(native.ne(this._h, operand('ne', other)));
  }
  lt(other: Tensor | number): Tensor {
    return new Tensor(native.lt(this._h, operand('lt', other)));
  }
  le(other: Tensor | number): Tensor {
    return new Tensor(native.le(this._h, operand('le', other)));
  }
  gt(other: Tensor | number): Tensor {
    return new Tensor(native.gt(this._h, operand('gt', other)));
  }
  ge(other: Tensor | number): Tensor {
    return new Tensor(native.ge(this._h, operand('ge', other)));
  }
  logicalNot(): Tensor {
    return new Tensor(native.logicalNot(this._h));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(native.logicalAnd(this._h, handleOf('logicalAnd', 'other', other)));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(native.logicalOr(this._h, handleOf('logicalOr', 'other', other)));
  }
  isnan(): Tensor {
    return new Tensor(native.isnan(this._h));
  }
  isfinite(): Tensor {
    return new Tensor(native.isfinite(this._h));
  }

  // ---- reductions ---------------------------------------------------------------------------

  sum(dim?: number | readonly number[], options?: ReduceOptions): Tensor {
    return new Tensor(native.sum(this._h, dimsArg('sum', dim), keepdim('sum', options)));
  }
  mean(dim?: number | readonly number[], options?: ReduceOptions): Tensor {
    return new Tensor(native.mean(this._h, dimsArg('mean', dim), keepdim('mean', options)));
  }
  prod(dim?: number, options?: ReduceOptions): Tensor {
    return new Tensor(native.prod(this._h, optDim('prod', dim), keepdim('prod', options)));
  }
  all(dim?: number, options?: ReduceOptions): Tensor {
    return new Tensor(native.all(this._h, optDim('all', dim), keepdim('all', options)));
  }
  any(dim?: number, options?: ReduceOptions): Tensor {
    return new Tensor(native.any(this._h, optDim('any', dim), keepdim('any', options)));
  }
  std(dim?: number | readonly number[], options: VarianceOptions = {}): Tensor {
    return new Tensor(native.std(this._h, dimsArg('std', dim), correctionOf('std', options), Boolean(options.keepdim)));
  }
  var(dim?: number | readonly number[], options: VarianceOptions = {}): Tensor {
    return new Tensor(native.var(this._h, dimsArg('var', dim), correctionOf('var', options), Boolean(options.keepdim)));
  }
  /** Max of all elements, or `{ values, indices }` along `dim`. */
  max(): Tensor;
  max(dim: number, options?: ReduceOptions): ValuesIndices;
  max(dim?: number, options?: ReduceOptions): Tensor | ValuesIndices {
    return valuesOrPair(native.max(this._h, optDim('max', dim), keepdim('max', options)));
  }
  /** Min of all elements, or `{ values, indices }` along `dim`. */
  min(): Tensor;
  min(dim: number, options?: ReduceOptions): ValuesIndices;
  min(dim?: number, options?: ReduceOptions): Tensor | ValuesIndices {
    return valuesOrPair(native.min(this._h, optDim('min', dim), keepdim('min', options)));
  }
  argmax(dim?: number, options?: ReduceOptions): Tensor {
    return new Tensor(native.argmax(this._h, optDim('argmax', dim), keepdim('argmax', options)));
  }
  argmin(dim?: number, options?: ReduceOptions): Tensor {
    return new Tensor(native.argmin(this._h, optDim('argmin', dim), keepdim('argmin', options)));
  }

  /** Sorted values and their original indices along `dim` (default: last). */
  sort(dim = -1, options: SortOptions = {}): ValuesIndices {
    const descending = checkOptions('sort', SORT_OPTIONS, options).descending ?? false;
    return valuesOrPair(native.sort(this._h, checkInt('sort', 'dim', dim), descending)) as ValuesIndices;
  }
  /** Indices that sort the tensor along `dim`. */
  argsort(dim = -1, options: SortOptions = {}): Tensor {
    const { values, indices } = this.sort(dim, options);
    values.dispose();
    return indices;
  }
  /** The k largest (or smallest) values along `dim` and their indices. */
  topk(k: number, dim = -1, options: TopkOptions = {}): ValuesIndices {
    checkOptions('topk', TOPK_OPTIONS, options);
    const h = native.topk(this._h, checkInt('topk', 'k', k), checkInt('topk', 'dim', dim), options.largest ?? true, options.sorted ?? true);
    return valuesOrPair(h) as ValuesIndices;
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this._h, checkInt('cumsum', 'dim', dim)));
  }
  /** log(sum(exp(x))) along dims, computed stably. */
  logsumexp(dim: number | readonly number[], options?: ReduceOptions): Tensor {
    const dims = typeof dim === 'number' ? [checkInt('logsumexp', 'dim', dim)] : checkIntList('logsumexp', 'dim', dim);
    return new Tensor(native.logsumexp(this._h, dims, keepdim('logsumexp', options)));
  }

  // ---- products -----------------------------------------------------------------------------

  matmul(other: Tensor): Tensor {
    return new Tensor(native.matmul(this._h, handleOf('matmul', 'other', other)));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(native.bmm(this._h, handleOf('bmm', 'other', other)));
  }

  // ---- activations --------------------------------------------------------------------------

  relu(): Tensor {
    return new Tensor(native.relu(this._h));
  }
  leakyRelu(negativeSlope = 0.01): Tensor {
    return new Tensor(native.leakyRelu(this._h, checkNumber('leakyRelu', 'negativeSlope', negativeSlope)));
  }
  elu(alpha = 1.0): Tensor {
    return new Tensor(native.elu(this._h, checkNumber('elu', 'alpha', alpha)));
  }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(native.gelu(this._h, checkOneOf('gelu', 'approximate', approximate, ['none', 'tanh'])));
  }
  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this._h));
  }
  tanh(): Tensor {
    return new Tensor(native.tanh(this._h));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this._h, checkInt('softmax', 'dim', dim)));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this._h, checkInt('logSoftmax', 'dim', dim)));
  }

  // ---- shape --------------------------------------------------------------------------------

  /** New shape with the same data (-1 infers one size): `reshape([2, -1])` or `reshape(2, -1)`. */
  reshape(...shape: (number | readonly number[])[]): Tensor {
    return new Tensor(native.reshape(this._h, shapeArgs('reshape', shape)));
  }
  /** Like reshape, but never copies (fails on incompatible strides). */
  view(...shape: (number | readonly number[])[]): Tensor {
    return new Tensor(native.view(this._h, shapeArgs('view', shape)));
  }
  permute(...dims: (number | readonly number[])[]): Tensor {
    return new Tensor(native.permute(this._h, shapeArgs('permute', dims)));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this._h, checkInt('transpose', 'dim0', dim0), checkInt('transpose', 'dim1', dim1)));
  }
  /** Transpose of a 2D tensor (PyTorch `t()`). */
  t(): Tensor {
    if (this.ndim > 2) throw new RangeError(`t: expects a tensor with <= 2 dims, got ${this.ndim}D`);
    return this.ndim < 2 ? this.view(this.shape) : this.transpose(0, 1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this._h, optDim('squeeze', dim)));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this._h, checkInt('unsqueeze', 'dim', dim)));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this._h, checkInt('flatten', 'startDim', startDim), checkInt('flatten', 'endDim', endDim)));
  }
  expand(...shape: (number | readonly number[])[]): Tensor {
    return new Tensor(native.expand(this._h, shapeArgs('expand', shape)));
  }
  expandAs(other: Tensor): Tensor {
    if (!(other instanceof Tensor)) throw invalidType('expandAs', 'other', 'a Tensor', other);
    return this.expand(other.shape);
  }
  repeat(...reps: (number | readonly number[])[]): Tensor {
    return new Tensor(native.repeat(this._h, shapeArgs('repeat', reps)));
  }
  /** Splits into pieces of `splitSize` (or the given sizes) along `dim`. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    const sizes = typeof splitSize === 'number' ? checkInt('split', 'splitSize', splitSize) : checkShape('split', 'splitSize', splitSize);
    return native.split(this._h, sizes, checkInt('split', 'dim', dim)).map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return native.chunk(this._h, checkInt('chunk', 'chunks', chunks), checkInt('chunk', 'dim', dim)).map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return native.unbind(this._h, checkInt('unbind', 'dim', dim)).map((h) => new Tensor(h));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(
      native.narrow(this._h, checkInt('narrow', 'dim', dim), checkInt('narrow', 'start', start), checkInt('narrow', 'length', length)),
    );
  }
  /** Python's `x[start:end:step]` along `dim` (a view; omitted bounds mean the ends). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return new Tensor(
      native.slice(
        this._h,
        checkInt('slice', 'dim', dim),
        start == null ? null : checkInt('slice', 'start', start),
        end == null ? null : checkInt('slice', 'end', end),
        checkInt('slice', 'step', step),
      ),
    );
  }
  /** Python's `x[..., index, ...]` at `dim` (removes that dim). */
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this._h, checkInt('select', 'dim', dim), checkInt('select', 'index', index)));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this._h, checkInt('indexSelect', 'dim', dim), handleOf('indexSelect', 'index', index)));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this._h, checkInt('gather', 'dim', dim), handleOf('gather', 'index', index)));
  }
  /** Out-of-place scatter: a copy with `src` (or a value) written at `index` along `dim`. */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    return new Tensor(native.scatter(this._h, checkInt('scatter', 'dim', dim), handleOf('scatter', 'index', index), operand('scatter', src)));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(
      native.scatterAdd(this._h, checkInt('scatterAdd', 'dim', dim), handleOf('scatterAdd', 'index', index), handleOf('scatterAdd', 'src', src)),
    );
  }
  maskedFill(mask: Tensor, value: number | boolean): Tensor {
    if (typeof value !== 'number' && typeof value !== 'boolean') throw invalidType('maskedFill', 'value', 'a number', value);
    return new Tensor(native.maskedFill(this._h, handleOf('maskedFill', 'mask', mask), value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(native.maskedSelect(this._h, handleOf('maskedSelect', 'mask', mask)));
  }
  flip(...dims: (number | readonly number[])[]): Tensor {
    return new Tensor(native.flip(this._h, shapeArgs('flip', dims)));
  }
}

function correctionOf(op: string, options: VarianceOptions): number {
  checkOptions(op, VARIANCE_OPTIONS, options);
  if (options.correction !== undefined) return checkInt(op, 'correction', options.correction);
  return options.unbiased === false ? 0 : 1;
}

function valuesOrPair(r: Handle | [Handle, Handle]): Tensor | ValuesIndices {
  if (Array.isArray(r)) return { values: new Tensor(r[0]), indices: new Tensor(r[1]) };
  return new Tensor(r);
}

function toNested(data: TypedArrayOut, shape: readonly number[], isBool: boolean): NestedArray {
  const read = (i: number): number | boolean => {
    const v = data[i];
    if (typeof v === 'bigint') return Number(v);
    return isBool ? v !== 0 : v;
  };
  if (shape.length === 0) return read(0);
  let offset = 0;
  const build = (dim: number): NestedArray[] => {
    const n = shape[dim];
    const out: NestedArray[] = new Array(n);
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = read(offset++);
    } else {
      for (let i = 0; i < n; i++) out[i] = build(dim + 1);
    }
    return out;
  };
  return build(0);
}
