/**
 * serving.test.ts — `nt.serving.serve` and `nodetorch serve` on the Open Inference Protocol:
 * route by route with fastify's inject and with curl (a real client); a Python OIP client
 * (requests) whose outputs must equal model.predict bit for bit; bad inputs each a 4xx with a clear
 * message (and the server still serving); requests larger than maxBatchSize; a TorchScript model
 * with two inputs/outputs; classify (PNG → top-k) and sample (PNG grid); metrics; queue full →
 * 503 with Retry-After; readiness before loading; the API key; and SIGTERM drain of the CLI.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { decodeInputs, encodeOutput } from '../lib/serving/codec';
import { PYTHON } from './helpers/torch';

const run = promisify(execFile);
const L = nt.layers;
const CLASSES = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];
const PRE = { kind: 'classifier', mean: 0.286, std: 0.353, shape: [1, 28, 28], classNames: CLASSES };

let dir: string;
let server: nt.serving.Server;
let reference: nt.Model;

async function inject(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await server.app.inject({ method, url, payload: payload as string, headers });
  return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body), headers: res.headers };
}

function sampleInput(n: number, seed: number): { name: string; shape: number[]; datatype: string; data: number[] } {
  nt.manualSeed(seed);
  const x = nt.randn([n, 1, 28, 28]);
  const data = Array.from(x.dataSync() as Float32Array);
  x.dispose();
  return { name: 'input', shape: [n, 1, 28, 28], datatype: 'FP32', data };
}

function predictRef(data: number[], shape: number[]): Float32Array {
  const x = nt.tensor(Float32Array.from(data), { shape });
  const y = reference.predictSync(x) as nt.Tensor;
  const out = y.dataSync() as Float32Array;
  x.dispose();
  y.dispose();
  return out;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-serving-'));
  nt.manualSeed(1);
  const cnn = nt.builders.cnn({ inputShape: [1, 28, 28], numClasses: 10 });
  await cnn.save(path.join(dir, 'classifier', 'model'));
  fs.writeFileSync(path.join(dir, 'classifier', 'preprocess.json'), JSON.stringify(PRE));
  cnn.dispose();
  const gen = nt.sequential({ layers: [L.dense({ inputShape: [8], units: 3 * 6 * 6, activation: 'tanh' }), L.reshape({ targetShape: [3, 6, 6] })] });
  await gen.save(path.join(dir, 'dcgan', 'generator'));
  fs.writeFileSync(path.join(dir, 'dcgan', 'preprocess.json'), JSON.stringify({ ...PRE, kind: 'generator', shape: [3, 6, 6] }));
  gen.dispose();
  execFileSync(PYTHON, [path.join(__dirname, 'helpers', 'serving_fixtures.py'), dir]);
  reference = await nt.loadModel(path.join(dir, 'classifier', 'model'), { compile: false });
  server = await nt.serving.serve({
    models: [path.join(dir, 'classifier'), { name: 'gan', path: path.join(dir, 'dcgan') }, path.join(dir, 'pair.pt')],
    port: 0,
    maxBatchSize: 32,
    maxQueueDelayMs: 2,
    bodyLimit: 2 * 2 ** 20,
  });
  await server.loaded;
});

afterAll(async () => {
  await server?.close();
  reference?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('protocol routes (inject)', () => {
  it('health, server metadata, model metadata and readiness, with and without a version', async () => {
    expect((await inject('GET', '/v2/health/live')).json()).toEqual({ live: true });
    expect((await inject('GET', '/v2/health/ready')).json()).toEqual({ ready: true });
    expect((await inject('GET', '/v2')).json()).toMatchObject({ name: 'nodetorch', extensions: ['classify', 'sample'] });
    const meta = { name: 'classifier', versions: ['1'], platform: 'nodetorch', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] }], outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 10] }] };
    expect((await inject('GET', '/v2/models/classifier')).json()).toEqual(meta);
    expect((await inject('GET', '/v2/models/classifier/versions/1')).json()).toEqual(meta);
    expect((await inject('GET', '/v2/models/pair')).json()).toMatchObject({
      platform: 'pytorch_torchscript',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }, { name: 'k', datatype: 'INT64', shape: [-1, 2] }],
      outputs: [{ name: 'doubled', datatype: 'FP32', shape: [-1, 3] }, { name: 'next', datatype: 'INT64', shape: [-1, 2] }],
    });
    for (const url of ['/v2/models/classifier/ready', '/v2/models/classifier/versions/1/ready']) {
      const r = await inject('GET', url);
      expect([r.status, r.json()]).toEqual([200, { name: 'classifier', ready: true }]);
    }
    const unknown = await inject('GET', '/v2/models/nope');
    expect([unknown.status, unknown.json().error]).toEqual([404, "unknown model 'nope'; served: classifier, gan, pair"]);
    const version = await inject('GET', '/v2/models/classifier/versions/7/ready');
    expect([version.status, version.json().error]).toEqual([404, "model 'classifier' has no version '7' (versions: 1)"]);
    expect((await inject('GET', '/v3')).status).toBe(404);
  });

  it('infer returns what model.predict returns, bit for bit, and echoes the id', async () => {
    const input = sampleInput(3, 11);
    const r = await inject('POST', '/v2/models/classifier/versions/1/infer', { id: 'req-7', parameters: { note: 'x' }, inputs: [input] });
    expect(r.status).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ model_name: 'classifier', model_version: '1', id: 'req-7' });
    expect(body.outputs[0]).toMatchObject({ name: 'output', shape: [3, 10], datatype: 'FP32' });
    expect(Float32Array.from(body.outputs[0].data)).toEqual(predictRef(input.data, input.shape));
  });

  it('reads numbers in every JSON form, flat or nested, in any key order, to the same float32 values', async () => {
    const input = sampleInput(2, 14);
    const want = Array.from(predictRef(input.data, input.shape));
    const forms = [(v: number) => v.toExponential(), (v: number) => v.toPrecision(9), (v: number) => String(v), (v: number) => v.toExponential().toUpperCase()];
    const tokens = input.data.map((v, i) => (Object.is(v, 0) && i % 2 === 0 ? '-0' : forms[i % forms.length](v)));
    const flat = `[${tokens.join(', ')}]`;
    const nested = `[${[0, 1].map((n) => `[[${Array.from({ length: 28 }, (_, r) => `[${tokens.slice(n * 784 + r * 28, n * 784 + r * 28 + 28).join(',')}]`).join(',\n ')}]]`).join(', ')}]`;
    const bodies = [
      `{"inputs": [{"name": "input", "shape": [2, 1, 28, 28], "datatype": "FP32", "data": ${flat}}]}`,
      `{"inputs": [{"name": "input", "shape": [2, 1, 28, 28], "datatype": "FP32", "data": ${nested}}]}`,
      `{"inputs": [{"data": ${flat}, "shape": [2, 1, 28, 28], "datatype": "FP32", "name": "input"}], "id": "late"}`,
    ];
    for (const body of bodies) {
      const r = await inject('POST', '/v2/models/classifier/infer', body, { 'content-type': 'application/json' });
      expect([r.status, r.body.slice(0, 200)]).toEqual([200, expect.any(String)]);
      expect(r.json().outputs[0].data).toEqual(want);
    }
  });

  it('splits a request larger than maxBatchSize and joins the outputs; nested data is accepted', async () => {
    const input = sampleInput(70, 12);
    const r = await inject('POST', '/v2/models/classifier/infer', { inputs: [input] });
    expect(r.status).toBe(200);
    const got = r.json().outputs[0];
    expect(got.shape).toEqual([70, 10]);
    const want = predictRef(input.data, input.shape);
    got.data.forEach((v: number, i: number) => expect(v).toBeCloseTo(want[i], 5));
    const nested = await inject('POST', '/v2/models/pair/infer', { inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [[1, 2, 3], [4, 5, 6]] }, { name: 'k', shape: [2, 2], datatype: 'INT64', data: [1, 2, 3, 4] }] });
    expect(nested.json().outputs).toEqual([
      { name: 'doubled', shape: [2, 3], datatype: 'FP32', data: [2, 4, 6, 8, 10, 12] },
      { name: 'next', shape: [2, 2], datatype: 'INT64', data: [2, 3, 4, 5] },
    ]);
    const only = await inject('POST', '/v2/models/pair/infer', { outputs: [{ name: 'next' }], inputs: [{ name: 'k', shape: [1, 2], datatype: 'INT64', data: [7, 8] }, { name: 'x', shape: [1, 3], datatype: 'FP32', data: [0, 0, 0] }] });
    expect(only.json().outputs).toEqual([{ name: 'next', shape: [1, 2], datatype: 'INT64', data: [8, 9] }]);
  });

  it('answers every bad input with a 4xx and a clear message, and keeps serving', async () => {
    const good = sampleInput(1, 13);
    const infer = (body: unknown) => inject('POST', '/v2/models/classifier/infer', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });
    const cases: [string, unknown, number, RegExp][] = [
      ['malformed JSON', '{"inputs": [', 400, /not valid JSON/],
      ['literal NaN', '{"inputs": [{"name": "input", "shape": [1, 1], "datatype": "FP32", "data": [NaN]}]}', 400, /not valid JSON/],
      ['NaN as a string', { inputs: [{ ...good, data: ['NaN', ...good.data.slice(1)] }] }, 400, /data\[0\] must be a finite number, got "NaN"/],
      ['no inputs', { outputs: [] }, 400, /"inputs" must be a non-empty array/],
      ['wrong datatype', { inputs: [{ ...good, datatype: 'FP64' }] }, 400, /datatype must be FP32, got "FP64"/],
      ['unknown datatype', { inputs: [{ ...good, datatype: 'FLOAT' }] }, 400, /datatype must be FP32, got "FLOAT"/],
      ['shape × data mismatch', { inputs: [{ ...good, data: good.data.slice(1) }] }, 400, /shape \[1, 1, 28, 28\] needs 784 elements, data holds 783/],
      ['too much data', { inputs: [{ ...good, data: [...good.data, 1] }] }, 400, /data holds more than the 784 elements/],
      ['unknown input name', { inputs: [{ ...good, name: 'image' }] }, 400, /unknown input 'image'; the model's inputs: input/],
      ['unknown output name', { inputs: [good], outputs: [{ name: 'probs' }] }, 400, /unknown output 'probs'; the model's outputs: output/],
      ['10,000-dim shape', { inputs: [{ ...good, shape: new Array(10000).fill(1) }] }, 400, /shape must have 4 dims \[n, 1, 28, 28\], got 10000 dims/],
      ['negative dims', { inputs: [{ ...good, shape: [-1, 1, 28, 28] }] }, 400, /negative dim/],
      ['wrong sample shape', { inputs: [{ ...good, shape: [1, 1, 14, 56] }] }, 400, /shape must be \[n, 1, 28, 28\] with n >= 1, got \[1, 1, 14, 56\]/],
      ['zero samples', { inputs: [{ ...good, shape: [0, 1, 28, 28], data: [] }] }, 400, /with n >= 1/],
      ['data not an array', { inputs: [{ ...good, data: 'abc' }] }, 400, /data must be an array/],
      ['non-string id', { id: 5, inputs: [good] }, 400, /"id" must be a string/],
      ['a body that is not an object', '[1, 2]', 400, /must be a JSON object with "inputs"/],
      ['literal Infinity', '{"inputs": [{"name": "input", "shape": [1, 1], "datatype": "FP32", "data": [1, -Infinity]}]}', 400, /not valid JSON/],
      ['a trailing comma in data', JSON.stringify({ inputs: [good] }).replace(/\]\}\]\}$/, ',]}]}'), 400, /not valid JSON/],
      ['a leading zero', JSON.stringify({ inputs: [good] }).replace('"data":[', '"data":[01,'), 400, /not valid JSON/],
      ['a value FP32 cannot hold', { inputs: [{ ...good, data: [1e39, ...good.data.slice(1)] }] }, 400, /data\[0\] = 1e\+39 does not fit in FP32/],
      ['a string among numbers', { inputs: [{ ...good, data: [...good.data.slice(0, 5), 'x', ...good.data.slice(6)] }] }, 400, /data\[5\] must be a finite number, got "x"/],
      ['data nested deeper than its shape', { inputs: [{ ...good, data: [[[[[good.data]]]]] }] }, 400, /nested deeper than its shape \[1, 1, 28, 28\]/],
      ['nested data one element short', { inputs: [{ ...good, data: [[good.data.slice(0, 783)]] }] }, 400, /needs 784 elements, data holds 783/],
      ['an empty body', '', 400, /body cannot be empty/i],
    ];
    for (const [what, body, status, message] of cases) {
      const r = await infer(body);
      expect([what, r.status]).toEqual([what, status]);
      expect(r.json().error, what).toMatch(message);
      expect(r.body, what).not.toMatch(/\n\s+at /);
    }
    const huge = await inject('POST', '/v2/models/classifier/infer', JSON.stringify({ inputs: [{ ...good, data: new Array(300000).fill(0.123456789) }] }), { 'content-type': 'application/json' });
    expect([huge.status, huge.json().error]).toEqual([413, expect.stringMatching(/too large/i)]);
    const ints = await inject('POST', '/v2/models/pair/infer', { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }, { name: 'k', shape: [1, 2], datatype: 'INT64', data: [1.5, 2] }] });
    expect([ints.status, ints.json().error]).toEqual([400, expect.stringMatching(/input 'k': data\[0\] must be an integer/)]);
    const after = await infer({ inputs: [good] });
    expect(after.status).toBe(200);
  });
});

describe('datatypes', () => {
  it('decodes every protocol datatype exactly, and refuses values the datatype cannot hold', () => {
    const cases: [string, nt.Dtype, unknown[], unknown[]][] = [
      ['FP32', 'float32', [0.5, -3.25], [0.5, -3.25]],
      ['FP64', 'float64', [1e300, 0.1], [1e300, 0.1]],
      ['FP16', 'float16', [1.5, -2], [1.5, -2]],
      ['INT64', 'int64', [2 ** 53 - 1, -7], [BigInt(2 ** 53 - 1), -7n]],
      ['INT32', 'int32', [16777217, -(2 ** 31)], [16777217, -(2 ** 31)]],
      ['INT16', 'int16', [32767, -1], [32767, -1]],
      ['INT8', 'int8', [127, -128], [127, -128]],
      ['UINT8', 'uint8', [255, 0], [255, 0]],
      ['BOOL', 'bool', [true, false], [1, 0]],
    ];
    for (const [datatype, dtype, data, want] of cases) {
      const [t] = decodeInputs({ inputs: [{ name: 'v', shape: [1, 2], datatype, data }] }, [{ name: 'v', shape: [2], dtype }], 'cpu');
      expect([datatype, t.dtype, Array.from(t.dataSync() as ArrayLike<unknown>)]).toEqual([datatype, dtype, want]);
      expect(encodeOutput('v', t)).toMatchObject({ datatype, shape: [1, 2] });
      t.dispose();
    }
    const refused: [string, nt.Dtype, unknown, RegExp][] = [
      ['FP32', 'float32', 1e39, /does not fit in FP32/],
      ['FP16', 'float16', 70000, /does not fit in FP16/],
      ['UINT8', 'uint8', 256, /integer in \[0, 255\]/],
      ['INT8', 'int8', 1.5, /integer in \[-128, 127\]/],
      ['INT64', 'int64', 2 ** 53, /integer in/],
      ['BOOL', 'bool', 1, /must be true or false/],
    ];
    for (const [datatype, dtype, v, message] of refused) {
      expect(() => decodeInputs({ inputs: [{ name: 'v', shape: [1, 1], datatype, data: [v] }] }, [{ name: 'v', shape: [1], dtype }], 'cpu'), datatype).toThrow(message);
    }
  });
});

describe('images', () => {
  it('classify decodes a PNG with sharp, applies preprocess.json and returns the top-k classes', async () => {
    const pixels = Buffer.alloc(28 * 28, 0);
    for (let i = 0; i < pixels.length; i += 3) pixels[i] = 200;
    const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const r = await inject('POST', '/v2/models/classifier/classify?top=3', png, { 'content-type': 'image/png' });
    expect(r.status).toBe(200);
    const preds = r.json().predictions as { label: string; index: number; probability: number }[];
    expect(preds.length).toBe(3);
    const x = nt.tidy(() => nt.tensor(Float32Array.from(pixels), { shape: [1, 1, 28, 28] }).div(255).sub(PRE.mean).div(PRE.std));
    const probs = reference.predictSync(x) as nt.Tensor;
    const p = probs.dataSync() as Float32Array;
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, 3);
    expect(preds.map((q) => [q.label, q.index])).toEqual(order.map((i) => [CLASSES[i], i]));
    preds.forEach((q, k) => expect(q.probability).toBeCloseTo(p[order[k]], 6));
    x.dispose();
    probs.dispose();
    const bad = await inject('POST', '/v2/models/classifier/classify', Buffer.from('not an image'), { 'content-type': 'image/png' });
    expect([bad.status, bad.json().error]).toEqual([400, expect.stringMatching(/^cannot decode the image/)]);
    const notClassifier = await inject('POST', '/v2/models/gan/classify', png, { 'content-type': 'image/png' });
    expect(notClassifier.status).toBe(400);
  });

  it('sample returns a seeded PNG grid of a generator', async () => {
    const a = await server.app.inject({ method: 'GET', url: '/v2/models/gan/sample?n=4&seed=3' });
    const b = await server.app.inject({ method: 'GET', url: '/v2/models/gan/sample?n=4&seed=3' });
    expect(a.statusCode).toBe(200);
    expect(a.headers['content-type']).toBe('image/png');
    expect(a.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect(a.rawPayload.equals(b.rawPayload)).toBe(true);
    const meta = await sharp(a.rawPayload).metadata();
    expect(meta.width).toBeGreaterThan(6);
    expect((await inject('GET', '/v2/models/gan/sample?n=0')).status).toBe(400);
    expect((await inject('GET', '/v2/models/classifier/sample')).json().error).toMatch(/not an image generator/);
  });
});

describe('real clients', () => {
  it('curl: readiness, metadata, infer, classify and an error', async () => {
    const curl = async (...args: string[]): Promise<[number, string]> => {
      const { stdout } = await run('curl', ['-s', '-m', '30', '-w', '\n%{http_code}', ...args], { timeout: 60_000 });
      const at = stdout.lastIndexOf('\n');
      return [Number(stdout.slice(at + 1)), stdout.slice(0, at)];
    };
    expect(await curl(`${server.url}/v2/health/ready`)).toEqual([200, '{"ready":true}']);
    const [metaStatus, meta] = await curl(`${server.url}/v2/models/classifier`);
    expect([metaStatus, JSON.parse(meta).inputs[0].shape]).toEqual([200, [-1, 1, 28, 28]]);
    const input = sampleInput(2, 21);
    const file = path.join(dir, 'req.json');
    fs.writeFileSync(file, JSON.stringify({ inputs: [input] }));
    const [status, body] = await curl('-H', 'Content-Type: application/json', '--data-binary', `@${file}`, `${server.url}/v2/models/classifier/infer`);
    expect(status).toBe(200);
    expect(Float32Array.from(JSON.parse(body).outputs[0].data)).toEqual(predictRef(input.data, input.shape));
    const png = path.join(dir, 'x.png');
    await sharp(Buffer.alloc(28 * 28, 90), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(png);
    const [cs, cb] = await curl('-H', 'Content-Type: image/png', '--data-binary', `@${png}`, `${server.url}/v2/models/classifier/classify?top=2`);
    expect([cs, JSON.parse(cb).predictions.length]).toEqual([200, 2]);
    const [es, eb] = await curl('-H', 'Content-Type: application/json', '-d', '{"inputs": 3}', `${server.url}/v2/models/classifier/infer`);
    expect([es, JSON.parse(eb)]).toEqual([400, { error: '"inputs" must be a non-empty array' }]);
  });

  it('a Python OIP client (requests) gets exactly what model.predict gives', async () => {
    const { stdout } = await run(PYTHON, [path.join(__dirname, 'helpers', 'oip_client.py'), server.url, 'classifier', '4', '5'], { timeout: 60_000 });
    const { inputs, outputs } = JSON.parse(stdout);
    expect(outputs[0].shape).toEqual([4, 10]);
    expect(Float32Array.from(outputs[0].data)).toEqual(predictRef(inputs[0].data, inputs[0].shape));
  });
});

describe('operations', () => {
  it('metrics count successes, failures by reason, batches and inferences', async () => {
    const r = await inject('GET', '/metrics');
    expect(r.status).toBe(200);
    const text = r.body;
    const value = (series: string): number => Number(new RegExp(`^${series.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('nodetorch_request_success_total{model="classifier"}')).toBeGreaterThanOrEqual(5);
    expect(value('nodetorch_request_failure_total{model="classifier",reason="bad_request"}')).toBeGreaterThanOrEqual(15);
    expect(value('nodetorch_request_failure_total{model="classifier",reason="too_large"}')).toBe(1);
    expect(value('nodetorch_inference_count_total{model="classifier"}')).toBeGreaterThan(value('nodetorch_execution_count_total{model="classifier"}'));
    expect(text).toMatch(/^nodetorch_batch_size_bucket\{le="32",model="classifier"\} \d+$/m);
    expect(text).toMatch(/^nodetorch_queue_seconds_count\{model="classifier"\} \d+$/m);
    expect(text).toMatch(/^nodetorch_compute_seconds_count\{model="classifier"\} \d+$/m);
    expect(text).toMatch(/^nodetorch_pending_requests\{model="classifier"\} 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('leaves no tensor behind: live tensors are no more than before 150 mixed requests', async () => {
    const good = { inputs: [sampleInput(1, 41)] };
    const big = { inputs: [sampleInput(40, 42)] };
    const bad = { inputs: [{ ...sampleInput(1, 43), datatype: 'INT8' }] };
    await inject('POST', '/v2/models/classifier/infer', good);
    const before = nt.memory().numTensors;
    const replies = await Promise.all(
      Array.from({ length: 150 }, (_, i) => inject('POST', '/v2/models/classifier/infer', i % 10 === 0 ? big : i % 7 === 0 ? bad : good)),
    );
    expect(new Set(replies.map((r) => r.status))).toEqual(new Set([200, 400]));
    // No more than before (the GC may free earlier tests' tensors meanwhile); a leak adds ≥ 1 per request.
    expect(nt.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('readiness is false until loaded; the API key guards every route but liveness; a full queue answers 503', async () => {
    const guarded = await nt.serving.serve({ models: [path.join(dir, 'classifier')], port: 0, apiKey: 's3cret', maxBatchSize: 1, maxQueueSize: 1, instances: 2 });
    try {
      const auth = { authorization: 'Bearer s3cret' };
      const early = await guarded.app.inject({ method: 'GET', url: '/v2/health/ready', headers: auth });
      expect([early.statusCode, guarded.isReady()]).toEqual([503, false]);
      const earlyInfer = await guarded.app.inject({ method: 'POST', url: '/v2/models/classifier/infer', payload: { inputs: [sampleInput(1, 1)] }, headers: auth });
      expect([earlyInfer.statusCode, earlyInfer.headers['retry-after']]).toEqual([503, '1']);
      await guarded.loaded;
      expect((await guarded.app.inject({ method: 'GET', url: '/v2/health/ready', headers: auth })).statusCode).toBe(200);
      expect((await guarded.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret' }]) {
        const r = await guarded.app.inject({ method: 'GET', url: '/v2/models/classifier', headers });
        expect([r.statusCode, JSON.parse(r.body).error]).toEqual([401, 'missing or wrong API key (send Authorization: Bearer <key>)']);
      }
      const payload = { inputs: [sampleInput(1, 2)] };
      const replies = await Promise.all(Array.from({ length: 24 }, () => guarded.app.inject({ method: 'POST', url: '/v2/models/classifier/infer', payload, headers: auth })));
      const codes = replies.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 200).length + codes.filter((c) => c === 503).length).toBe(24);
      const busy = replies.filter((r) => r.statusCode === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0].headers['retry-after']).toBe('1');
      expect(JSON.parse(busy[0].body)).toEqual({ error: 'server busy: the queue is full, retry later' });
    } finally {
      await guarded.close();
    }
  });

  it('admits requests before reading their bodies: with the queue full, even a malformed body gets a fast 503', async () => {
    const slow = await nt.serving.serve({ models: [path.join(dir, 'classifier')], port: 0, maxBatchSize: 64, maxQueueDelayMs: 3000, maxQueueSize: 2 });
    try {
      await slow.loaded;
      const post = (body: string) => fetch(`${slow.url}/v2/models/classifier/versions/1/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000) });
      const body = JSON.stringify({ inputs: [sampleInput(1, 5)] });
      const queued = [post(body), post(body)];
      for (let i = 0; i < 500 && !/^nodetorch_pending_requests\{model="classifier"\} 2$/m.test(await (await fetch(`${slow.url}/metrics`)).text()); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const busy = await post('{"inputs": [');
      expect([busy.status, await busy.json(), busy.headers.get('retry-after')]).toEqual([503, { error: 'server busy: the queue is full, retry later' }, '1']);
      expect((await Promise.all(queued)).map((r) => r.status)).toEqual([200, 200]);
      const bad = await post('{"inputs": [');
      expect([bad.status, (await bad.json()).error]).toEqual([400, expect.stringMatching(/not valid JSON/)]);
      const metrics = await (await fetch(`${slow.url}/metrics`)).text();
      expect(metrics).toMatch(/^nodetorch_request_failure_total\{model="classifier",reason="queue_full"\} 1$/m);
    } finally {
      await slow.close();
    }
  });

  it.skipIf(!nt.cuda.isAvailable())('serves on cuda (--device): infer equals the cpu model', async () => {
    const gpu = await nt.serving.serve({ models: [path.join(dir, 'classifier')], port: 0, device: 'cuda' });
    try {
      await gpu.loaded;
      const input = sampleInput(2, 31);
      const r = await gpu.app.inject({ method: 'POST', url: '/v2/models/classifier/infer', payload: { inputs: [input] } });
      expect(r.statusCode).toBe(200);
      const want = predictRef(input.data, input.shape);
      JSON.parse(r.body).outputs[0].data.forEach((v: number, i: number) => expect(v).toBeCloseTo(want[i], 5));
    } finally {
      await gpu.close();
    }
  });

  it('nodetorch serve drains on SIGTERM: accepted requests get their 200, then it exits 0', async () => {
    const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'serve', `clf=${path.join(dir, 'classifier')}`, '--port', '0', '--max-queue-delay-ms', '1500', '--max-batch-size', '64'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line in 60 s: ${out}`)), 60_000);
        child.stdout.on('data', () => out.includes('ready:') && (clearTimeout(timer), resolve()));
        child.on('exit', () => reject(new Error(`exited early: ${out}`)));
      });
      const url = /listening on (http:\/\/\S+),/.exec(out)?.[1] as string;
      const body = JSON.stringify({ inputs: [sampleInput(1, 3)] });
      const requests = Array.from({ length: 8 }, () => fetch(`${url}/v2/models/clf/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(30_000) }));
      // SIGTERM once all 8 wait in the batch queue (accepted, not yet run).
      for (let i = 0; i < 200 && !/nodetorch_pending_requests\{model="clf"\} 8$/m.test(await (await fetch(`${url}/metrics`)).text()); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGTERM');
      const statuses = await Promise.all(requests.map(async (p) => (await p).status));
      expect(statuses).toEqual(new Array(8).fill(200));
      expect([await exited, out]).toEqual([0, out]);
      expect(out).toMatch(/SIGTERM: draining/);
      expect(out).toMatch(/"POST \/v2\/models\/clf\/infer" 200/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
