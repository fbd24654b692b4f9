/**
 * inputs.ts — turns what users pass as model inputs/labels (Tensors, `{ data, shape }` TypedArrays,
 * nested arrays) into tensors of the dtype training needs, remembering which ones it created so
 * they can be freed afterwards.
 */
import { invalidType } from '../errors';
import { tensor, type TensorLike } from '../tensor/creation';
import type { Dtype, TypedArray } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';

/** Model input or label data: a Tensor, a TypedArray with its shape, or nested arrays. */
export type InputData = Tensor | { data: TypedArray; shape: readonly number[] } | TensorLike;

/** Tensors made for one call; `dispose()` frees those this module created (never the caller's). */
export class Converted {
  private readonly owned: Tensor[] = [];

  /** The data as a tensor, cast to `dtype` when given and different. */
  tensor(op: string, param: string, data: InputData, dtype?: (current: Dtype) => Dtype | undefined): Tensor {
    let t: Tensor;
    if (data instanceof Tensor) {
      if (data.isDisposed) throw new Error(`${op}: ${param} was disposed`);
      t = data;
    } else if (data !== null && typeof data === 'object' && !Array.isArray(data) && !ArrayBuffer.isView(data) && 'data' in data) {
      t = this.own(tensor(data.data, { shape: data.shape }));
    } else if (Array.isArray(data) || ArrayBuffer.isView(data)) {
      t = this.own(tensor(data as TensorLike));
    } else {
      throw invalidType(op, param, 'a Tensor, { data, shape } or nested arrays', data);
    }
    if (t.ndim === 0) throw new RangeError(`${op}: ${param} must have a batch dim, got a scalar`);
    const want = dtype?.(t.dtype);
    return want !== undefined && want !== t.dtype ? this.own(t.to(want)) : t;
  }

  own(t: Tensor): Tensor {
    this.owned.push(t);
    return t;
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}

/** Inputs: integer data becomes float32 unless the model starts with an Embedding. */
export function inputDtype(takesIndices: boolean): (d: Dtype) => Dtype | undefined {
  return (d) => (takesIndices ? (d === 'int64' ? undefined : 'int64') : d.startsWith('float') || d === 'bfloat16' ? undefined : 'float32');
}

/** Labels: class indices (int64) for sparse losses, floats otherwise. */
export function labelDtype(sparse: boolean): (d: Dtype) => Dtype | undefined {
  return (d) => (sparse ? (d === 'int64' ? undefined : 'int64') : d.startsWith('float') || d === 'bfloat16' ? undefined : 'float32');
}
