/**
 * dtype.ts — tensor element types: their names, libtorch codes (c10::ScalarType), and the
 * TypedArrays they map to in JS.
 */
import { invalidValue } from '../errors';

/** Element types, PyTorch names without the `torch.` prefix. */
export type Dtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'bool';

/** c10::ScalarType values (stable across libtorch versions). */
const CODES: Record<Dtype, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};

const NAMES = new Map<number, Dtype>(Object.entries(CODES).map(([name, code]) => [code, name as Dtype]));

/** Aliases PyTorch users type (`float`, `long`, `half`, ...). */
const ALIASES: Record<string, Dtype> = {
  float: 'float32',
  double: 'float64',
  half: 'float16',
  long: 'int64',
  int: 'int32',
  short: 'int16',
};

export const DTYPES: readonly Dtype[] = Object.keys(CODES) as Dtype[];

/** The libtorch code of a dtype name; throws RangeError for unknown names. */
export function dtypeCode(op: string, dtype: string): number {
  const code = CODES[(ALIASES[dtype] ?? dtype) as Dtype];
  if (code === undefined) throw invalidValue(op, 'dtype', `one of ${DTYPES.join(', ')}`, dtype);
  return code;
}

/** The dtype name of a libtorch code. */
export function dtypeName(code: number): Dtype {
  const name = NAMES.get(code);
  if (name === undefined) throw new RangeError(`nodetorch: unsupported libtorch dtype code ${code}`);
  return name;
}

export function isFloatingDtype(dtype: Dtype): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** TypedArrays accepted as tensor data, and the dtype each one implies. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Int32Array
  | BigInt64Array;

export function dtypeOfTypedArray(data: TypedArray): Dtype | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  return undefined;
}
