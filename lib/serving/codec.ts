/**
 * codec.ts — tensors in and out of the Open Inference Protocol's JSON: the datatype names
 * (FP32, INT64, ...), an input's `shape`/`datatype`/`data` checked against the model's declared
 * input and turned into a tensor, and an output tensor turned back into `{name, shape, datatype,
 * data}`. Every bad input is an HttpError 400 whose message names the input and what is wrong.
 */
import type { Dtype } from '../tensor/dtype';
import { tensor } from '../tensor/creation';
import type { Device } from '../tensor/device';
import type { Tensor } from '../tensor/tensor';
import { HttpError } from './http_error';
import { PackedData, slowPath } from './infer_json';
import type { TensorSpec } from './runner';

const DATATYPES: Record<string, Dtype> = {
  FP32: 'float32',
  FP64: 'float64',
  FP16: 'float16',
  INT64: 'int64',
  INT32: 'int32',
  INT16: 'int16',
  INT8: 'int8',
  UINT8: 'uint8',
  BOOL: 'bool',
};
const NAMES = new Map<Dtype, string>(Object.entries(DATATYPES).map(([k, v]) => [v, k]));

/** Integer ranges of the integer datatypes (INT64: what a JSON number holds exactly). */
const INT_RANGES: Partial<Record<Dtype, [number, number]>> = {
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int8: [-128, 127],
  uint8: [0, 255],
};
const FLOAT_MAX: Partial<Record<Dtype, number>> = { float32: 3.4028234663852886e38, float16: 65504, float64: Number.MAX_VALUE };

/** The protocol's name of a dtype (FP32 for float32, ...). */
export function datatypeOf(dtype: Dtype): string {
  const name = NAMES.get(dtype);
  if (name === undefined) throw new Error(`serving: no Open Inference Protocol datatype for ${dtype}`);
  return name;
}

/** The dtype of a protocol datatype name, or undefined. */
export function dtypeOfDatatype(datatype: string): Dtype | undefined {
  return Object.prototype.hasOwnProperty.call(DATATYPES, datatype) ? DATATYPES[datatype] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

type Values = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/** Copies `data` (flat, or nested as deep as the shape) into `out`, checking every element. */
function fill(where: string, data: unknown, shape: number[], out: Values, dtype: Dtype): void {
  const expected = out.length;
  let n = 0;
  const range = INT_RANGES[dtype];
  const max = FLOAT_MAX[dtype];
  const put = (v: unknown): void => {
    if (n >= expected) throw new HttpError(400, `${where}: data holds more than the ${expected} elements of shape [${shape.join(', ')}]`);
    if (dtype === 'bool') {
      if (typeof v !== 'boolean') throw new HttpError(400, `${where}: data[${n}] must be true or false (BOOL), got ${JSON.stringify(v)}`);
      (out as Uint8Array)[n++] = v ? 1 : 0;
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new HttpError(400, `${where}: data[${n}] must be a finite number, got ${JSON.stringify(v)}`);
    if (range !== undefined) {
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) throw new HttpError(400, `${where}: data[${n}] must be an integer in [${range[0]}, ${range[1]}], got ${v}`);
      if (dtype === 'int64') (out as BigInt64Array)[n++] = BigInt(v);
      else (out as Float32Array | Float64Array)[n++] = v;
      return;
    }
    if (Math.abs(v) > (max as number)) throw new HttpError(400, `${where}: data[${n}] = ${v} does not fit in ${datatypeOf(dtype)}`);
    (out as Float32Array | Float64Array)[n++] = v;
  };
  const walk = (v: unknown, depth: number): void => {
    if (!Array.isArray(v)) return put(v);
    if (depth >= shape.length) throw new HttpError(400, `${where}: data is nested deeper than its shape [${shape.join(', ')}]`);
    for (const e of v) walk(e, depth + 1);
  };
  if (!Array.isArray(data)) throw new HttpError(400, `${where}: data must be an array (flat, or nested as the shape)`);
  walk(data, 0);
  if (n !== expected) throw new HttpError(400, `${where}: shape [${shape.join(', ')}] needs ${expected} elements, data holds ${n}`);
}

/** The values and shape of each input of `body`, in the model's input order (see decodeInputs). */
function decode(body: unknown, specs: readonly TensorSpec[]): { values: Values; shape: number[]; dtype: Dtype }[] {
  if (!isObject(body)) throw new HttpError(400, 'the request body must be a JSON object with "inputs"');
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new HttpError(400, '"inputs" must be a non-empty array');
  const byName = new Map<string, Record<string, unknown>>();
  inputs.forEach((input, i) => {
    if (!isObject(input) || typeof input.name !== 'string') throw new HttpError(400, `inputs[${i}] must be an object with a "name"`);
    if (!specs.some((s) => s.name === input.name)) {
      throw new HttpError(400, `unknown input '${input.name}'; the model's inputs: ${specs.map((s) => s.name).join(', ')}`);
    }
    if (byName.has(input.name)) throw new HttpError(400, `input '${input.name}' is given twice`);
    byName.set(input.name, input);
  });
  let rows: number | undefined;
  return specs.map((spec) => {
    const input = byName.get(spec.name);
    if (input === undefined) throw new HttpError(400, `input '${spec.name}' is missing`);
    const where = `input '${spec.name}'`;
    const want = datatypeOf(spec.dtype);
    if (input.datatype !== want) throw new HttpError(400, `${where}: datatype must be ${want}, got ${JSON.stringify(input.datatype)}`);
    const shape = input.shape;
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d))) {
      throw new HttpError(400, `${where}: shape must be an array of integers`);
    }
    const full = `[n, ${spec.shape.join(', ')}]`;
    if (shape.length !== spec.shape.length + 1) {
      throw new HttpError(400, `${where}: shape must have ${spec.shape.length + 1} dims ${full}, got ${shape.length} dims`);
    }
    if (shape.some((d) => d < 0)) throw new HttpError(400, `${where}: shape has a negative dim: [${shape.join(', ')}]`);
    if (shape[0] < 1 || shape.slice(1).some((d, j) => spec.shape[j] !== -1 && d !== spec.shape[j])) {
      throw new HttpError(400, `${where}: shape must be ${full} with n >= 1, got [${shape.join(', ')}]`);
    }
    if (rows !== undefined && shape[0] !== rows) throw new HttpError(400, `inputs have different numbers of samples (${rows} and ${shape[0]})`);
    rows = shape[0];
    const count = shape.reduce((a, b) => a * b, 1);
    const data = input.data;
    if (data instanceof PackedData) {
      // read by the fast parser (infer_json.ts): checked as fill() checks an array
      if (data.datatype !== want || data.depth > shape.length || data.values.length !== count) {
        throw new HttpError(400, `${where}: data does not match shape [${shape.join(', ')}]`);
      }
      return { values: data.values, shape, dtype: spec.dtype };
    }
    // float32/float16 data lands in a Float32Array (after the range check), integers in a Float64Array (exact).
    const values =
      spec.dtype === 'int64' ? new BigInt64Array(count)
      : spec.dtype === 'bool' ? new Uint8Array(count)
      : spec.dtype === 'float32' || spec.dtype === 'float16' ? new Float32Array(count)
      : new Float64Array(count);
    fill(where, data, shape, values, spec.dtype);
    return { values, shape, dtype: spec.dtype };
  });
}

/**
 * The tensors of a request's `inputs`, in the model's input order, each [n, ...sample shape] with
 * the same n for all; checks names, datatypes, shapes and data against `specs`. A body of the fast
 * parser that does not pass is decoded again from JSON.parse, for the same error as any other body.
 */
export function decodeInputs(body: unknown, specs: readonly TensorSpec[], device: Device): Tensor[] {
  let decoded;
  try {
    decoded = decode(body, specs);
  } catch (err) {
    const slow = slowPath(body);
    if (slow === undefined) throw err;
    decoded = decode(slow, specs);
  }
  const out: Tensor[] = [];
  try {
    for (const { values, shape, dtype } of decoded) out.push(tensor(values, { shape, dtype, device }));
  } catch (err) {
    for (const t of out) t.dispose();
    throw err;
  }
  return out;
}

/** The names of the outputs a request asks for (`outputs: [{name}]`), or all. */
export function requestedOutputs(body: Record<string, unknown>, names: readonly string[]): string[] {
  if (body.outputs === undefined) return [...names];
  if (!Array.isArray(body.outputs)) throw new HttpError(400, '"outputs" must be an array of {"name": ...}');
  return body.outputs.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw new HttpError(400, `outputs[${i}] must be an object with a "name"`);
    if (!names.includes(o.name)) throw new HttpError(400, `unknown output '${o.name}'; the model's outputs: ${names.join(', ')}`);
    return o.name;
  });
}

/** An output tensor as the protocol's `{name, shape, datatype, data}` (data flat, row-major). */
export function encodeOutput(name: string, t: Tensor): { name: string; shape: number[]; datatype: string; data: (number | boolean)[] } {
  const data = t.dataSync();
  const values: (number | boolean)[] =
    t.dtype === 'bool' ? Array.from(data as Uint8Array, (v) => v !== 0) : data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data as Float32Array);
  return { name, shape: [...t.shape], datatype: datatypeOf(t.dtype), data: values };
}
