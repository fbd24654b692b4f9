/**
 * serving_json.test.ts — the fast parser of infer bodies (lib/serving/infer_json.ts) against
 * JSON.parse: every body it takes, it reads as JSON.parse does (FP32/FP16 data bit for bit as
 * JSON.parse followed by a Float32Array store), and every body off its path (malformed JSON,
 * NaN/Infinity, values FP32 cannot hold, non-numbers in data, odd keys) it leaves to JSON.parse.
 */
import { describe, expect, it } from 'vitest';
import { PackedData, parseInferBody, slowPath } from '../lib/serving/infer_json';

/** A body of one FP32 input whose data is `data` (JSON text). */
const bodyOf = (data: string, datatype = 'FP32') => `{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "${datatype}", "data": ${data}}]}`;

/** The body with packed data turned back into plain arrays of float32 values. */
function unpacked(v: unknown): unknown {
  if (v instanceof PackedData) return Array.from(v.values);
  if (Array.isArray(v)) return v.map(unpacked);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unpacked(x)]));
  return v;
}

/** JSON.parse's reading of a body, FP32 data stored through a Float32Array as the decoder does. */
function reference(text: string): unknown {
  const body = JSON.parse(text);
  for (const input of Array.isArray(body?.inputs) ? body.inputs : []) {
    if ((input?.datatype === 'FP32' || input?.datatype === 'FP16') && Array.isArray(input.data)) input.data = Array.from(Float32Array.from(input.data.flat(Infinity)));
  }
  return body;
}

const bits = (xs: Float32Array) => Array.from(new Uint32Array(xs.buffer, xs.byteOffset, xs.length));

function packedValues(text: string): Float32Array {
  const body = parseInferBody(Buffer.from(text));
  expect(body, text).toBeDefined();
  const data = ((body as { inputs: { data: unknown }[] }).inputs[0]).data;
  expect(data).toBeInstanceOf(PackedData);
  return (data as PackedData).values;
}

describe('fast infer-body parser', () => {
  it('reads numbers exactly as JSON.parse + Float32Array: exponents, -0, many digits, float32 round trips', () => {
    const tokens = [
      '0', '-0', '-0.0', '1', '-1', '1e-5', '1E+3', '1e3', '2.5e-3', '0.1', '-0.30000000000000004', '123456789', '16777217', '3.4028234663852886e38',
      '1.17549435e-38', '1e-45', '1e-50', '1e-400', '123456789012345678901234567890', '0.000001234', '9007199254740993', '1.0000000596046448',
      '1.00000005960464477539062500001', '0.99999997', '65504', '65520', '-1e22', '1e23', '5e-324', '3.4028234663852886e+38',
    ];
    const want = Float32Array.from(tokens.map(Number));
    expect(bits(packedValues(bodyOf(`[${tokens.join(', ')}]`)))).toEqual(bits(want));
    // float32 values as clients write them (shortest double repr, 17 digits) and random decimals
    const f32 = new Float32Array(20000);
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < u32.length; i++) u32[i] = (Math.random() * 2 ** 32) >>> 0;
    const finite = f32.filter((v) => Number.isFinite(v));
    const texts = [
      ...Array.from(finite, String),
      ...Array.from({ length: 20000 }, () => String((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 60 - 30))),
      ...Array.from({ length: 5000 }, () => (Math.random() * 100).toFixed(Math.floor(Math.random() * 25))),
      ...Array.from({ length: 5000 }, () => `${Math.floor(Math.random() * 1e9)}${Math.floor(Math.random() * 1e9)}e${Math.floor(Math.random() * 40 - 30)}`),
    ];
    expect(bits(packedValues(bodyOf(`[${texts.join(',')}]`)))).toEqual(bits(Float32Array.from(texts.map(Number))));
  });

  it('reads flat and nested data, whitespace, empty arrays, and the rest of the body as JSON.parse does', () => {
    const texts = [
      bodyOf('[1, 2, 3]'),
      bodyOf('[[1, 2, 3]]'),
      bodyOf(' [ [ 1 ,2 ] , [ ] , [ 3 ] ] '),
      bodyOf('[]'),
      bodyOf('[[[[0.5]]], -2, [3e0]]', 'FP16'),
      `{"id": "r\\u00e9q \\"7\\"", "parameters": {"a": [1, {"b": null}], "c": true, "d": -1.5e3}, "inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}, {"name": "k", "shape": [2, 1], "datatype": "INT64", "data": [7, 8]}, {"name": "b", "datatype": "BOOL", "shape": [1], "data": [true]}], "outputs": [{"name": "y"}]}`,
      `\n\t{"inputs":[{"data":[1,2,3],"name":"late","shape":[1,3],"datatype":"FP32"}]}\r\n`,
      `{"inputs": [{"name": "big", "shape": [64, 3, 32, 32], "datatype": "FP32", "data": [${Array.from({ length: 64 * 3 * 32 * 32 }, (_, i) => (i % 97) / 7).join(',')}]}]}`,
      `{"inputs": [{"name": "nested", "shape": [4, 2, 3], "datatype": "FP32", "data": ${JSON.stringify(Array.from({ length: 4 }, (_, a) => Array.from({ length: 2 }, (_, b) => [a, b, a * b + 0.25])))}}]}`,
    ];
    for (const text of texts) {
      const body = parseInferBody(Buffer.from(text));
      expect(body, text.slice(0, 80)).toBeDefined();
      expect(unpacked(body), text.slice(0, 80)).toEqual(reference(text));
      expect(slowPath(body)).toEqual(JSON.parse(text));
    }
    // data given before its datatype is read as a plain array (JSON.parse's value)
    const late = parseInferBody(Buffer.from(texts[6])) as { inputs: { data: unknown }[] };
    expect(late.inputs[0].data).toEqual([1, 2, 3]);
    expect((parseInferBody(Buffer.from(texts[4])) as { inputs: { data: PackedData }[] }).inputs[0].data.depth).toBe(4);
  });

  it('leaves malformed JSON, NaN/Infinity, values FP32 cannot hold and unusual bodies to JSON.parse', () => {
    const off = [
      '', ' ', '[1, 2]', '"inputs"', '{', '{"inputs": [}', '{"inputs": []', '{"inputs": []}}', '{"inputs": [],}', '{"inputs" [] }', "{'inputs': []}",
      '\ufeff{"inputs": []}', '{"__proto__": {"x": 1}, "inputs": []}', '{"inputs": [{"name": "a\u0001"}]}', '{"inputs": [{"name": "\\x"}]}',
      bodyOf('[1,]'), bodyOf('[,1]'), bodyOf('[01]'), bodyOf('[1.]'), bodyOf('[.5]'), bodyOf('[+1]'), bodyOf('[1e]'), bodyOf('[1e+]'), bodyOf('[-]'),
      bodyOf('[NaN]'), bodyOf('[Infinity]'), bodyOf('[-Infinity]'), bodyOf('[1 2]'), bodyOf('[[1], 2'), bodyOf('[1]]'), bodyOf('[0x10]'),
      bodyOf('["1"]'), bodyOf('[true]'), bodyOf('[null]'), bodyOf('[{}]'), bodyOf('[1e39]'), bodyOf('[3.4028235e38]'), bodyOf('[-1e400]'),
      bodyOf('[65505]', 'FP16'), bodyOf('[1, 2, 3]') + 'x', bodyOf(`${'['.repeat(100)}1${']'.repeat(100)}`),
    ];
    for (const text of off) {
      expect(parseInferBody(Buffer.from(text)), JSON.stringify(text)).toBeUndefined();
    }
    // random corruptions of a valid body: whatever the fast parser takes, JSON.parse takes and reads the same
    const good = bodyOf('[1.5, -2e-3, [0, 1e2]]');
    const alphabet = '{}[],:"\\ -+.eE0123456789NaIfinty\u00e9\ufeff';
    for (let k = 0; k < 5000; k++) {
      let text = good;
      for (let e = 0; e < 1 + (k % 3); e++) {
        const at = Math.floor(Math.random() * text.length);
        const op = Math.floor(Math.random() * 3);
        const ch = alphabet[Math.floor(Math.random() * alphabet.length)];
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      const fast = parseInferBody(Buffer.from(text));
      if (fast === undefined) continue;
      let parsed: unknown;
      expect(() => (parsed = reference(text)), text).not.toThrow();
      expect(unpacked(fast), text).toEqual(parsed);
    }
  });
});
