/**
 * idx.ts — reads IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or not, into
 * tensors; validates the header and size and names the file in every error.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { tensor, type CreationOptions } from '../tensor/creation';
import type { Dtype, TypedArray } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';

/** IDX element type codes → how they are read. */
const IDX_TYPES: Record<number, { dtype: Dtype; bytes: number; read: (b: Buffer, n: number) => TypedArray }> = {
  0x08: { dtype: 'uint8', bytes: 1, read: (b, n) => new Uint8Array(b.buffer, b.byteOffset, n).slice() },
  0x09: { dtype: 'int8', bytes: 1, read: (b, n) => new Int8Array(b.buffer, b.byteOffset, n).slice() },
  0x0b: { dtype: 'int16', bytes: 2, read: (b, n) => Int16Array.from({ length: n }, (_, i) => b.readInt16BE(i * 2)) },
  0x0c: { dtype: 'int32', bytes: 4, read: (b, n) => Int32Array.from({ length: n }, (_, i) => b.readInt32BE(i * 4)) },
  0x0d: { dtype: 'float32', bytes: 4, read: (b, n) => Float32Array.from({ length: n }, (_, i) => b.readFloatBE(i * 4)) },
  0x0e: { dtype: 'float64', bytes: 8, read: (b, n) => Float64Array.from({ length: n }, (_, i) => b.readDoubleBE(i * 8)) },
};

/** Parses IDX bytes (already decompressed). `file` is only used in error messages. */
export function parseIdx(bytes: Buffer, file: string): { shape: number[]; dtype: Dtype; data: TypedArray } {
  if (bytes.length < 4) throw new Error(`readIdx: ${file}: file is too short to be IDX (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`readIdx: ${file}: wrong magic number 0x${bytes.readUInt32BE(0).toString(16).padStart(8, '0')} (IDX files start with 0x0000)`);
  }
  const type = IDX_TYPES[bytes[2]];
  if (type === undefined) throw new Error(`readIdx: ${file}: unknown IDX element type 0x${bytes[2].toString(16)}`);
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new Error(`readIdx: ${file}: truncated header (${ndim} dims need ${headerBytes} bytes)`);
  const shape = Array.from({ length: ndim }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected) {
    throw new Error(`readIdx: ${file}: truncated or oversized data: header says [${shape.join(', ')}] (${expected} bytes), file has ${bytes.length}`);
  }
  return { shape, dtype: type.dtype, data: type.read(bytes.subarray(headerBytes), count) };
}

/** Reads an IDX file (`.gz` or raw) into a tensor of its own dtype (uint8 for MNIST images/labels). */
export function readIdx(file: string, options: CreationOptions = {}): Tensor {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`readIdx: cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new Error(`readIdx: ${file}: corrupt gzip data (${(err as Error).message})`);
    }
  }
  const { shape, data } = parseIdx(bytes, file);
  return tensor(data, { ...options, shape });
}
