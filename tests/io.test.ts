/**
 * io.test.ts — saving and loading. The safetensors format: every dtype, byte layout, metadata,
 * names needing JSON escapes, sync and async forms, the event loop staying free; damaged files
 * (truncated, garbage or mis-sized header, bad offsets, unknown dtypes) give errors naming the
 * file. PyTorch-Python interop both ways (files parsed and written by hand in Python: json +
 * struct + torch.frombuffer): Node's weights.safetensors → the equivalent nn.Sequential with
 * load_state_dict(strict=True) → equal outputs; Python's files → Node. model.save → nt.loadModel
 * round trips covering every layer type (same predictions, weights and getConfig()); compiled
 * models reload compiled and keep training; strict and lenient loadWeights reports; readers
 * polling during saves never see a partial file, and kill -9 of writers mid-save never leaves a
 * torn one (the writers run tests/helpers/save_loop.js on the compiled dist/, which `npm test`
 * builds first).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { PY_PRELUDE } from './helpers/safetensors_py';
import { PYTHON, expectTensorClose, refValue, torchReference, type RefResult, type RefValue } from './helpers/torch';

const L = nt.layers;
nt.manualSeed(7);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-io-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirCounter = 0;
/** A fresh path under the test's temp directory. */
const fresh = (name: string): string => path.join(root, `${++dirCounter}-${name}`);

/** Asserts that fn throws or rejects with an error of class `cls` whose message contains `message` (or matches it). */
async function expectError(fn: () => unknown, cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, message: string | RegExp): Promise<void> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(Error);
  expect((err as Error).name).toBe(cls.name);
  if (typeof message === 'string') expect((err as Error).message).toContain(message);
  else expect((err as Error).message).toMatch(message);
}

/** Flat values of a tensor, for exact comparisons. */
const values = (t: nt.Tensor): (number | bigint)[] => Array.from(t.dataSync() as ArrayLike<number | bigint>);

function expectSameTensor(actual: nt.Tensor, expected: nt.Tensor): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  expect(values(actual)).toEqual(values(expected));
}

/** Random weights everywhere (running variances positive), so that no default hides a bug. */
function randomizeWeights(model: nt.Sequential): void {
  const names = model.weightNames();
  const weights = model.getWeights().map((w, i) => {
    if (!w.dtype.startsWith('float')) return nt.full(w.shape, 5 + i, { dtype: w.dtype });
    return names[i].endsWith('running_var') ? nt.rand(w.shape).add(0.5) : nt.randn(w.shape).mul(0.5);
  });
  model.setWeights(weights);
}

/** The parts of a safetensors file, parsed here independently of the library. */
function parseFile(file: string): { headerLength: number; header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; keys: string[]; data: Buffer } {
  const buf = fs.readFileSync(file);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const text = buf.subarray(8, 8 + headerLength).toString('utf8');
  const header = JSON.parse(text);
  return { headerLength, header, keys: Object.keys(header), data: buf.subarray(8 + headerLength) };
}

/** Writes a safetensors-like file from a header (object or raw text) and data bytes. */
function writeRaw(file: string, header: object | string, data: Buffer, headerLength?: number): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerLength ?? text.length));
  fs.writeFileSync(file, Buffer.concat([len, text, data]));
  return file;
}

// ---- the safetensors format ----------------------------------------------------------------

describe('safetensors files', () => {
  function sampleTensors(): Map<string, nt.Tensor> {
    return new Map<string, nt.Tensor>([
      ['f32', nt.randn([2, 3])],
      ['f64', nt.tensor([1.5, -2.25, 1e-300], { dtype: 'float64' })],
      ['f16', nt.tensor([0.5, -1, 65504, 1e-4], { dtype: 'float16' })],
      ['bf16', nt.tensor([[1.5, -3], [1e30, 0]], { dtype: 'bfloat16' })],
      ['i64', nt.tensor([1, -2, 2 ** 40], { dtype: 'int64' })],
      ['i32', nt.tensor([-(2 ** 31), 7], { dtype: 'int32' })],
      ['i16', nt.tensor([-300, 300], { dtype: 'int16' })],
      ['i8', nt.tensor([-128, 127, 0], { dtype: 'int8' })],
      ['u8', nt.tensor([0, 255], { dtype: 'uint8' })],
      ['bool', nt.tensor([true, false, true])],
      ['scalar', nt.tensor(3.25)],
      ['empty', nt.zeros([0, 3])],
      ['transposed', nt.arange(0, 12, { dtype: 'float32' }).reshape([3, 4]).t()],
    ]);
  }

  it('round-trips every dtype, scalars, empty and non-contiguous tensors, with metadata (async)', async () => {
    const file = fresh('all.safetensors');
    const tensors = sampleTensors();
    expect(tensors.get('transposed')!.isContiguous).toBe(false);
    await nt.io.saveSafetensors(file, tensors, { note: 'hello', empty: '' });
    const loaded = await nt.io.loadSafetensors(file);
    expect(Object.keys(loaded.tensors)).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) expectSameTensor(loaded.tensors[name], t);
    expect(loaded.metadata).toEqual({ note: 'hello', empty: '' });
  });

  it('round-trips with the sync forms, from a plain object, without metadata', () => {
    const file = fresh('sync.safetensors');
    const tensors = Object.fromEntries(sampleTensors());
    nt.io.saveSafetensorsSync(file, tensors);
    const loaded = nt.io.loadSafetensorsSync(file, { device: 'cpu' });
    for (const [name, t] of Object.entries(tensors)) expectSameTensor(loaded.tensors[name], t);
    expect(loaded.metadata).toEqual({});
    expect(parseFile(file).keys).not.toContain('__metadata__');
  });

  it('writes the documented layout: LE header length, padded JSON header, aligned data tiling the rest', async () => {
    const file = fresh('layout.safetensors');
    const a = nt.tensor([1, 2, 3], { dtype: 'int8' });
    const b = nt.tensor([[0.5, -1.5]], { dtype: 'float32' });
    const c = nt.tensor([9], { dtype: 'int64' });
    await nt.io.saveSafetensors(file, new Map([['a', a], ['b', b], ['c', c]]), { k: 'v' });
    const { headerLength, header, keys, data } = parseFile(file);
    expect(headerLength % 8).toBe(0);
    expect(keys).toEqual(['__metadata__', 'a', 'b', 'c']);
    expect(header.__metadata__).toEqual({ k: 'v' });
    expect(header.a).toEqual({ dtype: 'I8', shape: [3], data_offsets: expect.any(Array) });
    expect(header.b.dtype).toBe('F32');
    expect(header.b.shape).toEqual([1, 2]);
    expect(header.c.dtype).toBe('I64');
    const spans = ['a', 'b', 'c'].map((k) => header[k].data_offsets).sort((x, y) => x[0] - y[0]);
    expect(spans[0][0]).toBe(0);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBe(spans[i - 1][1]);
    expect(spans.at(-1)![1]).toBe(data.length);
    expect(header.c.data_offsets[0] % 8).toBe(0);
    expect(header.b.data_offsets[0] % 4).toBe(0);
    const [bBegin, bEnd] = header.b.data_offsets;
    expect(Array.from(new Float32Array(data.buffer.slice(data.byteOffset + bBegin, data.byteOffset + bEnd)))).toEqual([0.5, -1.5]);
    expect(data.readBigInt64LE(header.c.data_offsets[0])).toBe(9n);
    expect(Array.from(data.subarray(header.a.data_offsets[0], header.a.data_offsets[1]))).toEqual([1, 2, 3]);
  });

  it('keeps names and metadata that need JSON escapes', async () => {
    const file = fresh('names.safetensors');
    const names = ['quote"back\\slash', 'new\nline\ttab', 'ünïcødé → ✓', 'ctrl\u0001char'];
    await nt.io.saveSafetensors(file, new Map(names.map((n, i) => [n, nt.tensor([i])])), { 'kéy "1"': 'välue\n' });
    const loaded = await nt.io.loadSafetensors(file);
    expect(Object.keys(loaded.tensors)).toEqual(names);
    expect(loaded.metadata).toEqual({ 'kéy "1"': 'välue\n' });
    expect(Object.keys(parseFile(file).header)).toContain(names[0]);
  });

  it('reads files whose header uses escapes, whitespace and surrogate pairs', async () => {
    const header = `{ "w\\u00e9ight\\ud83d\\ude00" : { "shape" : [ 2 ] , "dtype" : "I8", "data_offsets" : [0, 2], "extra": {"nested": [true, null, -1.5e3]} },\n "__metadata__": {"a\\/b": "\\"q\\""} }`;
    const file = writeRaw(fresh('escapes.safetensors'), header, Buffer.from([5, 251]));
    const loaded = await nt.io.loadSafetensors(file);
    expect(Object.keys(loaded.tensors)).toEqual(['wéight😀']);
    expect(values(loaded.tensors['wéight😀'])).toEqual([5, -5]);
    expect(loaded.metadata).toEqual({ 'a/b': '"q"' });
  });

  it('does the file work off the event loop (timers run while 32 MB are saved and loaded)', async () => {
    const file = fresh('big.safetensors');
    const big = nt.randn([8, 1024, 1024]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let settled = false;
    const saving = nt.io.saveSafetensors(file, { big }).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await saving;
    const saveTicks = ticks;
    const loaded = await nt.io.loadSafetensors(file);
    clearInterval(timer);
    expect(saveTicks).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(saveTicks);
    expect(loaded.tensors.big.sub(big).abs().max().item()).toBe(0);
  });

  it('rejects bad arguments with the op and parameter named', async () => {
    const file = fresh('bad-args.safetensors');
    await expectError(() => nt.io.saveSafetensorsSync(file, { a: [1, 2] as unknown as nt.Tensor }), TypeError, "saveSafetensorsSync: tensors['a'] must be a Tensor, got array of length 2");
    await expectError(() => nt.io.saveSafetensorsSync(file, [nt.ones([1])] as unknown as Record<string, nt.Tensor>), TypeError, 'saveSafetensorsSync: tensors must be an object or Map of name → Tensor, got array of length 1');
    await expectError(() => nt.io.saveSafetensorsSync(file, { a: nt.ones([1]) }, { n: 1 as unknown as string }), TypeError, "saveSafetensorsSync: metadata['n'] must be a string, got number 1");
    await expectError(() => nt.io.saveSafetensorsSync(file, { __metadata__: nt.ones([1]) }), Error, `saveSafetensorsSync: ${file}: '__metadata__' is reserved by the format and cannot name a tensor`);
    await expectError(() => nt.io.saveSafetensors(file, { a: nt.ones([1]) }, ['x'] as unknown as Record<string, string>), TypeError, 'saveSafetensors: metadata must be an object of strings, got array of length 1');
    await expectError(() => nt.io.loadSafetensorsSync(''), TypeError, 'loadSafetensorsSync: path must be a non-empty string, got string');
    await expectError(() => nt.io.loadSafetensors(file, { device: 'gpu' as nt.Device }), RangeError, "loadSafetensors: device must be 'cpu', 'cuda' or 'cuda:N'");
    const missingDir = path.join(root, 'no-such-dir', 'x.safetensors');
    await expect(nt.io.saveSafetensors(missingDir, { a: nt.ones([1]) })).rejects.toThrow(`saveSafetensors: ${missingDir}: cannot create the temporary file`);
    expect(fs.existsSync(file)).toBe(false);
  });
});

// ---- damaged files -------------------------------------------------------------------------

describe('damaged safetensors files give errors naming the file and the problem', () => {
  /** A valid two-tensor file's parts: a [2, 2] F32 (16 bytes) then a [3] I16 (6 bytes). */
  const goodHeader = () => ({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'I16', shape: [3], data_offsets: [16, 22] } });
  const goodData = () => Buffer.concat([Buffer.from(new Float32Array([1, 2, 3, 4]).buffer), Buffer.from(new Int16Array([5, 6, 7]).buffer)]);

  /** Both load forms fail with `<op>: <file>: ...` containing (or matching) `message`. */
  async function expectLoadError(file: string, message: string | RegExp): Promise<void> {
    const check = (err: unknown, op: string): void => {
      expect(err).toBeInstanceOf(Error);
      const text = (err as Error).message;
      expect(text.startsWith(`${op}: ${file}: `), text).toBe(true);
      if (typeof message === 'string') expect(text).toContain(message);
      else expect(text).toMatch(message);
    };
    let syncError: unknown;
    try {
      nt.io.loadSafetensorsSync(file);
    } catch (err) {
      syncError = err;
    }
    check(syncError, 'loadSafetensorsSync');
    await nt.io.loadSafetensors(file).then(
      () => expect.fail(`${file} loaded`),
      (err) => check(err, 'loadSafetensors'),
    );
  }

  it('a valid file of the same parts loads (the control for the cases below)', async () => {
    const loaded = await nt.io.loadSafetensors(writeRaw(fresh('good.st'), goodHeader(), goodData()));
    expect(values(loaded.tensors.w)).toEqual([1, 2, 3, 4]);
    expect(values(loaded.tensors.b)).toEqual([5, 6, 7]);
  });

  const cases: [string, () => string, string | RegExp][] = [
    ['missing file', () => fresh('absent.st'), 'cannot open (No such file or directory)'],
    [
      'empty file',
      () => {
        const file = fresh('empty.st');
        fs.writeFileSync(file, '');
        return file;
      },
      'the file has 0 bytes, too few for the 8-byte header length (empty or truncated file)',
    ],
    [
      'truncated data',
      () => {
        const file = writeRaw(fresh('trunc.st'), goodHeader(), goodData());
        fs.truncateSync(file, fs.statSync(file).size - 4);
        return file;
      },
      "tensor 'b' has data_offsets [16, 22] past the end of the data (18 bytes follow the header; truncated file?)",
    ],
    [
      'truncated inside the header',
      () => {
        const file = writeRaw(fresh('trunc-header.st'), goodHeader(), goodData());
        fs.truncateSync(file, 20);
        return file;
      },
      /header length \d+ is larger than the 12 bytes after it \(truncated file, or not a safetensors file\)/,
    ],
    [
      'shorter than the length field',
      () => {
        const file = fresh('tiny.st');
        fs.writeFileSync(file, Buffer.from([1, 2, 3, 4, 5]));
        return file;
      },
      'the file has 5 bytes, too few for the 8-byte header length',
    ],
    ['garbage header', () => writeRaw(fresh('garbage.st'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]).toString('latin1'), Buffer.alloc(0)), 'malformed JSON header at byte 0'],
    ['huge header length (not a safetensors file)', () => writeRaw(fresh('png.st'), '{}', Buffer.alloc(4), 2 ** 40), 'header length 1099511627776 is larger than'],
    ['header length too short (JSON cut)', () => writeRaw(fresh('short-len.st'), goodHeader(), goodData(), 30), /malformed JSON header at byte 30: (unterminated string|expected)/],
    ['header length too long (data read as JSON)', () => writeRaw(fresh('long-len.st'), goodHeader(), goodData(), JSON.stringify(goodHeader()).length + 4), 'unexpected data after the JSON value'],
    ['header not an object', () => writeRaw(fresh('array.st'), '[1, 2]', Buffer.alloc(0)), 'the header is an array of 2, not a JSON object'],
    [
      'offsets out of range',
      () => writeRaw(fresh('range.st'), { ...goodHeader(), b: { dtype: 'I16', shape: [3], data_offsets: [16, 1000016] } }, goodData()),
      "tensor 'b' has dtype I16 and shape [3] (6 bytes) but data_offsets [16, 1000016] span 1000000 bytes",
    ],
    [
      'offsets past the end with a consistent size',
      () => writeRaw(fresh('past.st'), { ...goodHeader(), b: { dtype: 'I16', shape: [3], data_offsets: [40, 46] } }, goodData()),
      "tensor 'b' has data_offsets [40, 46] past the end of the data (22 bytes follow the header",
    ],
    ['offsets reversed', () => writeRaw(fresh('reversed.st'), { ...goodHeader(), b: { dtype: 'I16', shape: [3], data_offsets: [22, 16] } }, goodData()), 'data_offsets [22, 16] that end before they begin'],
    [
      'overlapping tensors',
      () => writeRaw(fresh('overlap.st'), { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'I16', shape: [3], data_offsets: [12, 18] } }, goodData()),
      "tensors 'w' and 'b' overlap (data_offsets [0, 16] and [12, 18])",
    ],
    [
      'a gap between tensors',
      () => writeRaw(fresh('gap.st'), { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'I16', shape: [2], data_offsets: [18, 22] } }, goodData()),
      "bytes 16 to 18 of the data belong to no tensor (gap before tensor 'b')",
    ],
    ['trailing bytes', () => writeRaw(fresh('trailing.st'), goodHeader(), Buffer.concat([goodData(), Buffer.alloc(3)])), 'describes 22 bytes of tensor data but 25 bytes follow it'],
    ['unknown dtype', () => writeRaw(fresh('dtype.st'), { ...goodHeader(), b: { dtype: 'F13', shape: [3], data_offsets: [16, 22] } }, goodData()), "tensor 'b' has unknown dtype 'F13' (readable: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)"],
    ['dtype libtorch lacks', () => writeRaw(fresh('u32.st'), { ...goodHeader(), b: { dtype: 'U32', shape: [3], data_offsets: [16, 28] } }, goodData()), "tensor 'b' has dtype 'U32', which libtorch has no type for"],
    ['negative size', () => writeRaw(fresh('neg.st'), { ...goodHeader(), b: { dtype: 'I16', shape: [-3], data_offsets: [16, 22] } }, goodData()), "tensor 'b' shape[0] must be a non-negative integer, got -3"],
    ['missing field', () => writeRaw(fresh('nofield.st'), { ...goodHeader(), b: { dtype: 'I16', data_offsets: [16, 22] } }, goodData()), `tensor 'b' has no "shape"`],
    ['duplicate key', () => writeRaw(fresh('dup.st'), `{"w": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}, "w": {"dtype": "I8", "shape": [1], "data_offsets": [1, 2]}}`, Buffer.alloc(2)), "the header lists 'w' twice"],
    ['metadata not strings', () => writeRaw(fresh('meta.st'), { __metadata__: { step: 3 }, ...goodHeader() }, goodData()), `"__metadata__" entry 'step' must be a string, got 3`],
    ['deeply nested garbage', () => writeRaw(fresh('deep.st'), '['.repeat(5000), Buffer.alloc(0)), 'nested more than 64 deep'],
  ];

  it.each(cases)('%s', async (_, make, message) => {
    await expectLoadError(make(), message);
  });

  it('loadModel names the damaged file: weights.safetensors or model.json', async () => {
    const model = nt.sequential({ layers: [L.dense({ units: 2, inputShape: [3] })] });
    const dir = fresh('damaged-model');
    await model.save(dir);
    const weights = path.join(dir, 'weights.safetensors');
    fs.truncateSync(weights, fs.statSync(weights).size - 1);
    await expect(nt.loadModel(dir)).rejects.toThrow(`loadSafetensors: ${weights}: tensor '0.bias' has data_offsets`);
    const modelJson = path.join(dir, 'model.json');
    fs.writeFileSync(modelJson, '{"format": "nodetorch-model", "formatVersion": 1, "modelTop');
    await expect(nt.loadModel(dir)).rejects.toThrow(`loadModel: ${modelJson}: not valid JSON`);
    fs.writeFileSync(modelJson, '{"hello": 1}');
    await expect(nt.loadModel(dir)).rejects.toThrow(`loadModel: ${modelJson}: not a nodetorch model.json (expected "format": "nodetorch-model")`);
    fs.writeFileSync(modelJson, JSON.stringify({ format: 'nodetorch-model', formatVersion: 99, nodetorchVersion: '9.0.0' }));
    await expect(nt.loadModel(dir)).rejects.toThrow(/written by nodetorch 9\.0\.0 in format version 99; this nodetorch \(.+\) reads format versions up to 1/);
    const doc = { format: 'nodetorch-model', formatVersion: 1, nodetorchVersion: '0', modelTopology: model.getConfig(), buildInputShape: [3], trainingConfig: null };
    doc.modelTopology.config.layers[0].className = 'Dense3000';
    fs.writeFileSync(modelJson, JSON.stringify(doc));
    await expectError(() => nt.loadModel(dir), RangeError, `loadModel: ${modelJson}: fromConfig: unknown layer class 'Dense3000'`);
    await expect(nt.loadModel(path.join(root, 'nowhere'))).rejects.toThrow(`loadModel: cannot read ${path.join(root, 'nowhere', 'model.json')}: ENOENT`);
  });
});

// ---- PyTorch-Python interop ----------------------------------------------------------------


/** The CNN used both ways, in nodetorch and as the equivalent torch.nn.Sequential. */
const cnnLayers = (): nt.layers.Layer[] => [
  L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [3, 10, 10] }),
  L.batchNormalization(),
  L.maxPooling2d({ poolSize: 2 }),
  L.flatten(),
  L.dense({ units: 8, activation: 'relu' }),
  L.dropout({ rate: 0.2 }),
  L.dense({ units: 3 }),
];
const CNN_PY = 'net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))';
const CNN_KEYS = ['0.weight', '0.bias', '2.weight', '2.bias', '5.weight', '5.bias', '8.weight', '8.bias', '2.running_mean', '2.running_var', '2.num_batches_tracked'];
const conv = { rtol: 1e-4, atol: 1e-5 };

describe('PyTorch-Python interop', () => {
  const nodeDir = fresh('node-cnn');
  const fromPython = fresh('from-python.safetensors');
  const pyStateDict = fresh('py-state-dict.safetensors');
  const x = nt.randn([5, 3, 10, 10]);
  let nodeOut: nt.Tensor;
  let results: RefResult[] = [];

  beforeAll(async () => {
    const model = nt.sequential({ layers: cnnLayers() });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
    await model.fit(nt.randn([32, 3, 10, 10]), nt.randint(3, [32]), { epochs: 2, batchSize: 8, verbose: 0 });
    nodeOut = await model.predict(x);
    await model.save(nodeDir);
    results = torchReference([
      {
        inputs: { x },
        code: [
          PY_PRELUDE,
          `sd, meta = read_safetensors(${JSON.stringify(path.join(nodeDir, 'weights.safetensors'))})`,
          CNN_PY,
          'net.load_state_dict(sd, strict=True)',
          'net.eval()',
          'with torch.no_grad():',
          '    y = net(x)',
          "out = [y, meta, list(sd.keys()), str(sd['2.num_batches_tracked'].dtype), sd['2.num_batches_tracked'].item()]",
        ].join('\n'),
      },
      {
        inputs: {},
        code: [
          PY_PRELUDE,
          'torch.manual_seed(3)',
          "ts = {'i64': torch.tensor([3, -2**40, 2**50]), 'f32': torch.randn(2, 3), 'f64': torch.randn(4, dtype=torch.float64),",
          "      'f16': torch.randn(3).half(), 'bf16': torch.randn(2, 2).bfloat16(), 'i32': torch.tensor([-7, 2**31 - 1], dtype=torch.int32),",
          "      'i16': torch.tensor([-2, 9], dtype=torch.int16), 'i8': torch.tensor([-128, 5], dtype=torch.int8), 'u8': torch.tensor([200, 1], dtype=torch.uint8),",
          "      'flag': torch.tensor([True, False, True]), 'scalar': torch.tensor(2.5), 'none': torch.zeros(0, 2), 'tr': torch.randn(3, 2).t()}",
          `write_safetensors(${JSON.stringify(fromPython)}, ts, {'written_by': 'python'})`,
          'out = [list(ts.keys()), [ts[k] for k in ts]]',
        ].join('\n'),
      },
      {
        inputs: { x },
        code: [
          PY_PRELUDE,
          'torch.manual_seed(4)',
          CNN_PY,
          'net.train()',
          'for _ in range(3):',
          '    net(torch.randn(8, 3, 10, 10))',
          'net.eval()',
          'sd = net.state_dict()',
          `write_safetensors(${JSON.stringify(pyStateDict)}, {k: sd[k] for k in reversed(list(sd.keys()))})`,
          'with torch.no_grad():',
          '    out = net(x)',
        ].join('\n'),
      },
      { inputs: {}, code: 'import importlib.util\nout = importlib.util.find_spec("safetensors") is not None' },
    ]);
  });

  it("Node's weights.safetensors loads into the equivalent nn.Sequential (strict) with equal outputs", () => {
    const [y, meta, keys, nbtDtype, nbt] = refValue(results[0]) as RefValue[];
    expectTensorClose(nodeOut, y, conv);
    expect(meta).toEqual({ format: 'pt' });
    expect(keys).toEqual(CNN_KEYS);
    expect(nbtDtype).toBe('torch.int64');
    expect(nbt).toBe(8);
  });

  it('a file written by Python loads in Node: every dtype, values and metadata', async () => {
    const [names, tensors] = refValue(results[1]) as [string[], RefValue[]];
    const loaded = await nt.io.loadSafetensors(fromPython);
    expect(Object.keys(loaded.tensors)).toEqual(names);
    expect(loaded.metadata).toEqual({ written_by: 'python' });
    names.forEach((name, i) => expectTensorClose(loaded.tensors[name], tensors[i], { rtol: 0, atol: 0 }));
  });

  it("a PyTorch state_dict written by Python loads into the nodetorch model (strict) with equal outputs", async () => {
    const model = nt.sequential({ layers: cnnLayers() });
    const report = await model.loadWeights(pyStateDict);
    expect(report.missingKeys).toEqual([]);
    expect(report.unexpectedKeys).toEqual([]);
    expect(report.mismatchedShapes).toEqual([]);
    expect([...report.loadedKeys].sort()).toEqual([...CNN_KEYS].sort());
    expectTensorClose(await model.predict(x), refValue(results[2]), conv);
  });

  it('reports whether the safetensors pip package cross-checked the hand parser', () => {
    const out = refValue(results[3]);
    console.log(`safetensors pip package ${out ? 'present: Python reads were cross-checked with it' : `absent from ${PYTHON}: Python parsed the files by hand only`}`);
    expect(typeof out).toBe('boolean');
  });
});

// ---- model.save → nt.loadModel --------------------------------------------------------------

interface RoundTrip {
  name: string;
  layers: () => nt.layers.Layer[];
  /** Input batch; models whose first layer has no inputShape get built by predict on it. */
  input: () => nt.Tensor;
}

const ROUND_TRIPS: RoundTrip[] = [
  {
    name: 'image CNN: convolutions, pooling, padding, upsampling, normalization, dropout',
    layers: () => [
      L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal', kernelRegularizer: nt.layers.regularizers.l2(1e-3), inputShape: [3, 12, 12], name: 'stem' }),
      L.batchNormalization({ momentum: 0.2, epsilon: 1e-3, gammaInitializer: { name: 'normal', mean: 1, std: 0.02 }, betaInitializer: 'zeros' }),
      L.shortcutPadding2d({ filters: 8 }),
      L.maxPooling2d({ poolSize: 2 }),
      L.zeroPadding2d({ padding: [[1, 0], [0, 2]] }),
      L.conv2d({ filters: 4, kernelSize: [3, 2], strides: [1, 2], dilationRate: 1, groups: 2, useBias: false }),
      L.averagePooling2d({ poolSize: 2, padding: 'same' }),
      L.spatialDropout2d({ rate: 0.3 }),
      L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
      L.upSampling2d({ size: [2, 1], interpolation: 'bilinear' }),
      L.layerNormalization({ normalizedDims: 3, epsilon: 1e-4 }),
      L.globalAveragePooling2d(),
      L.dense({ units: 5, biasInitializer: { name: 'constant', value: 0.1 } }),
      L.softmax(),
    ],
    input: () => nt.randn([4, 3, 12, 12]),
  },
  {
    name: 'sequence model: conv1d, batch norm 1d, activations, dropout, dense',
    layers: () => [
      L.conv1d({ filters: 5, kernelSize: 3, strides: 2, inputShape: [2, 11] }),
      L.batchNormalization({ affine: false }),
      L.elu({ alpha: 0.7 }),
      L.leakyReLU({ alpha: 0.1 }),
      L.flatten(),
      L.dropout({ rate: 0.5 }),
      L.dense({ units: 6, activation: 'gelu' }),
      L.gelu({ approximate: 'tanh' }),
      L.activation({ activation: 'sigmoid' }),
      L.relu(),
    ],
    input: () => nt.randn([3, 2, 11]),
  },
  {
    name: 'embedding, reshape, permute, layer norm, softmax on an axis',
    layers: () => [
      L.embedding({ inputDim: 20, outputDim: 4, inputShape: [6] }),
      L.reshape({ targetShape: [3, -1] }),
      L.permute({ dims: [2, 1] }),
      L.layerNormalization(),
      L.softmax({ axis: 1 }),
      L.flatten(),
      L.dense({ units: 2, useBias: false }),
    ],
    input: () => nt.randint(20, [5, 6]),
  },
  {
    name: 'no inputShape on the first layer (built by predict), global max pooling',
    layers: () => [L.conv2d({ filters: 3, kernelSize: 1 }), L.globalMaxPooling2d(), L.dense({ units: 2, activation: 'softmax' })],
    input: () => nt.randn([2, 4, 5, 5]),
  },
];

describe('model.save → nt.loadModel round trip', () => {
  it('the round trips cover every single-input layer class (merge layers: tests/graph.test.ts)', () => {
    const all = Object.values(L)
      .filter((v): v is { className: string } & typeof nt.layers.Layer => typeof v === 'function' && v.prototype instanceof L.Layer && v !== L.MergeLayer && !(v.prototype instanceof L.MergeLayer))
      .map((cls) => cls.className);
    expect(all.length).toBeGreaterThanOrEqual(24);
    const used = new Set(ROUND_TRIPS.flatMap((r) => r.layers().map((l) => l.className)));
    expect(all.filter((c) => !used.has(c))).toEqual([]);
  });

  it.each(ROUND_TRIPS.map((r) => [r.name, r] as const))('%s', async (_, rt) => {
    const model = nt.sequential({ layers: rt.layers() });
    const x = rt.input();
    const built = await model.predict(x);
    expect(built.shape[0]).toBe(x.shape[0]);
    randomizeWeights(model);
    const before = await model.predict(x);
    const dir = fresh('round-trip');
    await model.save(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.safetensors']);

    const loaded = await nt.loadModel(dir);
    expect(loaded).toBeInstanceOf(nt.Sequential);
    expect(loaded.getConfig()).toEqual(model.getConfig());
    expect(JSON.stringify(loaded.getConfig())).toBe(JSON.stringify(JSON.parse(JSON.stringify(model.getConfig()))));
    expect(loaded.name).toBe(model.name);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.inputShape).toEqual(model.inputShape);
    expect(loaded.compiled).toBe(false);
    expect(loaded.weightNames()).toEqual(model.weightNames());
    const [w0, w1] = [model.getWeights(), loaded.getWeights()];
    w0.forEach((w, i) => expectSameTensor(w1[i], w));
    expectSameTensor(await loaded.predict(x), before);
    expectSameTensor(loaded.predictSync(x), model.predictSync(x));
  });

  it('model.json holds the topology, build shape, compile config and versions', async () => {
    const model = nt.sequential({ layers: [L.dense({ units: 3 })] });
    await model.predict(nt.randn([2, 7]));
    const dir = fresh('json');
    await model.save(dir);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(doc).toEqual({
      format: 'nodetorch-model',
      formatVersion: 1,
      nodetorchVersion: nt.info().nodetorchVersion,
      modelTopology: JSON.parse(JSON.stringify(model.getConfig())),
      buildInputShape: [7],
      trainingConfig: null,
    });
  });

  it('save overwrites an earlier save in place and refuses an unbuildable model', async () => {
    const dir = fresh('overwrite');
    const a = nt.sequential({ layers: [L.dense({ units: 2, inputShape: [3] })] });
    await a.save(dir);
    randomizeWeights(a);
    await a.save(dir);
    const loaded = await nt.loadModel(dir);
    a.getWeights().forEach((w, i) => expectSameTensor(loaded.getWeights()[i], w));
    const unbuilt = nt.sequential({ layers: [L.dense({ units: 2 })] });
    await expect(unbuilt.save(fresh('never'))).rejects.toThrow(/^save: model '.+' is not built yet/);
    await expectError(() => a.save(''), TypeError, 'save: dir must be a non-empty string');
    const fileInTheWay = fresh('file');
    fs.writeFileSync(fileInTheWay, 'x');
    await expect(a.save(fileInTheWay)).rejects.toThrow(`save: cannot create the directory ${fileInTheWay}`);
  });

  it("loads onto a device given in options ('cpu' here; CUDA runs in the GPU check)", async () => {
    const model = nt.sequential({ layers: [L.dense({ units: 2, inputShape: [3] })] });
    const dir = fresh('device');
    await model.save(dir);
    const loaded = await nt.loadModel(dir, { device: 'cpu' });
    expect(loaded.device).toBe('cpu');
    await expectError(() => nt.loadModel(dir, { device: 'tpu' as nt.Device }), RangeError, 'loadModel: device must be');
  });
});

// ---- compiled models -----------------------------------------------------------------------

describe('compiled models', () => {
  const layers = (): nt.layers.Layer[] => [
    L.conv2d({ filters: 4, kernelSize: 3, inputShape: [1, 8, 8], activation: 'relu' }),
    L.batchNormalization(),
    L.flatten(),
    L.dense({ units: 4, activation: 'softmax' }),
  ];
  const xs = nt.randn([24, 1, 8, 8]);
  const ys = nt.randint(4, [24]);

  it('reload compiled (same optimizer, loss, metrics, schedule) and train on identically', async () => {
    const model = nt.sequential({ layers: layers() });
    model.compile({
      optimizer: nt.optimizers.adam({ lr: 0.01, betas: [0.8, 0.99], clipNorm: 5 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy', nt.metrics.topKCategoricalAccuracy({ k: 2 })],
      lrScheduler: nt.schedulers.stepLR({ stepSize: 1, gamma: 0.5 }),
    });
    const dir = fresh('compiled');
    await model.save(dir);
    const loaded = await nt.loadModel(dir);
    expect(loaded.compiled).toBe(true);
    expect(loaded.getCompileConfig()).toEqual(model.getCompileConfig());
    expect(loaded.getCompileConfig()?.lrScheduler).toEqual({ kind: 'stepLR', stepSize: 1, gamma: 0.5, interval: 'epoch' });
    expect(await loaded.evaluate(xs, ys)).toEqual(await model.evaluate(xs, ys));
    // Same weights and a fresh optimizer on both: the same training steps give the same numbers.
    for (let step = 0; step < 3; step++) expect(await loaded.trainOnBatch(xs, ys)).toEqual(await model.trainOnBatch(xs, ys));
    model.getWeights().forEach((w, i) => expectSameTensor(loaded.getWeights()[i], w));
    const history = await loaded.fit(xs, ys, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(history.history.loss).toHaveLength(3);
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    expect(Object.keys(history.history)).toEqual(expect.arrayContaining(['loss', 'accuracy', 'top2Accuracy']));
    expect(loaded.getLearningRate()).toBeCloseTo(0.01 * 0.5 ** 2, 10);
  });

  it('{ compile: false } loads a compiled model uncompiled; an uncompiled model stays so', async () => {
    const model = nt.sequential({ layers: layers() });
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const dir = fresh('compile-false');
    await model.save(dir);
    const loaded = await nt.loadModel(dir, { compile: false });
    expect(loaded.compiled).toBe(false);
    expect(loaded.getCompileConfig()).toBeNull();
    await expectError(() => nt.loadModel(dir, { compile: 'yes' as unknown as boolean }), TypeError, 'loadModel: compile must be a boolean');
  });

  it('a custom JS loss is not saved: loading needs { customLoss } or { compile: false }', async () => {
    const mse = (yTrue: nt.Tensor, yPred: nt.Tensor): nt.Tensor => yPred.sub(yTrue).square().mean();
    const model = nt.sequential({ layers: [L.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.1 }), loss: mse, metrics: ['mae'] });
    const dir = fresh('custom-loss');
    await model.save(dir);
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(doc.trainingConfig.loss).toBeNull();
    await expectError(() => nt.loadModel(dir), Error, `loadModel: ${path.join(dir, 'model.json')} describes a model compiled with a custom JS loss, which cannot be saved; pass { customLoss:`);
    expect((await nt.loadModel(dir, { compile: false })).compiled).toBe(false);
    const loaded = await nt.loadModel(dir, { customLoss: mse });
    expect(loaded.compiled).toBe(true);
    expect(loaded.getCompileConfig()).toEqual(model.getCompileConfig());
    const x = nt.randn([6, 3]);
    const y = nt.randn([6, 2]);
    expect(await loaded.trainOnBatch(x, y)).toEqual(await model.trainOnBatch(x, y));
  });
});

// ---- saveWeights / loadWeights --------------------------------------------------------------

describe('saveWeights / loadWeights', () => {
  const source = nt.sequential({ layers: [L.dense({ units: 4, inputShape: [3] }), L.dense({ units: 2 })] });
  const file = fresh('weights.safetensors');
  beforeAll(async () => {
    source.build();
    randomizeWeights(source);
    await source.saveWeights(file);
  });

  it('round-trips into a model of the same topology (strict), with an all-loaded report', async () => {
    const target = nt.sequential({ layers: [L.dense({ units: 4, inputShape: [3] }), L.dense({ units: 2 })] });
    const report = await target.loadWeights(file);
    expect(report).toEqual({ loadedKeys: ['0.weight', '0.bias', '1.weight', '1.bias'], missingKeys: [], unexpectedKeys: [], mismatchedShapes: [] });
    const x = nt.randn([5, 3]);
    expectSameTensor(await target.predict(x), await source.predict(x));
    expect((await nt.io.loadSafetensors(file)).metadata).toEqual({ format: 'pt' });
  });

  it('strict: missing and mis-shaped keys are reported and nothing is changed', async () => {
    const target = nt.sequential({ layers: [L.dense({ units: 4, inputShape: [3] }), L.dense({ units: 5 }), L.dense({ units: 2 })] });
    target.build();
    const before = target.getWeights();
    const err = await target.loadWeights(file).then(
      () => expect.fail('loaded'),
      (e: Error) => e,
    );
    expect(err.message).toBe(
      [
        `loadWeights: ${file} does not match the model's weights (strict):`,
        '  missing keys (in the model, not in the file): 2.weight, 2.bias',
        '  shape mismatch for 1.weight: model [5, 4], file [2, 4]',
        '  shape mismatch for 1.bias: model [5], file [2]',
        'Pass { strict: false } to load the keys that match and get this report back.',
      ].join('\n'),
    );
    target.getWeights().forEach((w, i) => expectSameTensor(w, before[i]));
  });

  it('lenient: loads what matches and returns the report', async () => {
    const target = nt.sequential({ layers: [L.dense({ units: 4, inputShape: [3] }), L.dense({ units: 5 }), L.dense({ units: 2 })] });
    target.build();
    const before = target.getWeights();
    const report = await target.loadWeights(file, { strict: false });
    expect(report).toEqual({
      loadedKeys: ['0.weight', '0.bias'],
      missingKeys: ['2.weight', '2.bias'],
      unexpectedKeys: [],
      mismatchedShapes: [
        { key: '1.weight', modelShape: [5, 4], fileShape: [2, 4] },
        { key: '1.bias', modelShape: [5], fileShape: [2] },
      ],
    });
    const after = target.getWeights();
    expectSameTensor(after[0], source.getWeights()[0]);
    expectSameTensor(after[1], source.getWeights()[1]);
    for (const i of [2, 3, 4, 5]) expectSameTensor(after[i], before[i]);
  });

  it('unexpected keys: strict refuses, lenient ignores them', async () => {
    const target = nt.sequential({ layers: [L.dense({ units: 4, inputShape: [3] })] });
    await expect(target.loadWeights(file)).rejects.toThrow('  unexpected keys (in the file, not in the model): 1.weight, 1.bias');
    const report = await target.loadWeights(file, { strict: false });
    expect(report.loadedKeys).toEqual(['0.weight', '0.bias']);
    expect(report.unexpectedKeys).toEqual(['1.weight', '1.bias']);
    expectSameTensor(target.getWeights()[0], source.getWeights()[0]);
  });

  it('bad calls', async () => {
    const unbuilt = nt.sequential({ layers: [L.dense({ units: 2 })] });
    await expect(unbuilt.loadWeights(file)).rejects.toThrow(/^loadWeights: model '.+' is not built yet/);
    await expectError(() => source.loadWeights(file, { strict: 'no' as unknown as boolean }), TypeError, 'loadWeights: strict must be a boolean');
    await expectError(() => source.saveWeights(42 as unknown as string), TypeError, 'saveWeights: path must be a non-empty string');
    const absent = fresh('absent.safetensors');
    await expect(source.loadWeights(absent)).rejects.toThrow(`loadSafetensors: ${absent}: cannot open (No such file or directory)`);
  });
});

// ---- crash safety --------------------------------------------------------------------------

describe('crash safety: atomic replacement, kill -9 during save', () => {
  const LOOP = path.join(__dirname, 'helpers', 'save_loop.js');

  interface Killed {
    dir: string;
    start: number;
    /** Iterations whose save completed (printed by the child before it died). */
    completed: number[];
  }

  /** Starts a writer on `dir`, SIGKILLs it at a random moment once it is saving, resolves when dead. */
  function runAndKill(dir: string, start: number): Promise<Killed> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [LOOP, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        const first = !out.includes('ready');
        out += d.toString();
        if (first && out.includes('ready')) setTimeout(() => child.kill('SIGKILL'), Math.random() * 500);
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (signal !== 'SIGKILL') return reject(new Error(`writer exited with ${code}: ${err}`));
        const completed = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
        resolve({ dir, start, completed });
      });
    });
  }

  /** The iteration whose weights the directory holds (undefined: nothing saved), after checking it loads. */
  async function savedIteration(dir: string): Promise<number | undefined> {
    if (!fs.existsSync(path.join(dir, 'model.json'))) {
      await expect(nt.loadModel(dir)).rejects.toThrow('loadModel: cannot read');
      return undefined;
    }
    const model = await nt.loadModel(dir);
    const ks = new Set(model.getWeights().flatMap((w) => values(w).map(Number)));
    expect(ks.size, 'every weight holds the same iteration number').toBe(1);
    const { tensors } = await nt.io.loadSafetensors(path.join(dir, 'weights.safetensors'));
    expect(Object.keys(tensors).sort()).toEqual([...model.weightNames()].sort());
    model.dispose();
    return [...ks][0];
  }

  it('a reader polling while saves run only ever sees a complete file, old or new', async () => {
    const file = fresh('polled.safetensors');
    const contents = (k: number): Record<string, nt.Tensor> => ({ a: nt.full([2048, 1024], k), b: nt.full([1024], k, { dtype: 'int64' }) });
    await nt.io.saveSafetensors(file, contents(0));
    let reads = 0;
    for (let k = 1; k <= 5; k++) {
      let done = false;
      const saving = nt.io.saveSafetensors(file, contents(k)).then(() => (done = true));
      while (!done) {
        const { tensors } = nt.io.loadSafetensorsSync(file);
        const seen = [tensors.a.min(), tensors.a.max(), tensors.b.min(), tensors.b.max()].map((t) => t.item());
        expect(new Set(seen).size, `read ${reads}: ${seen}`).toBe(1);
        expect([k - 1, k]).toContain(seen[0]);
        for (const t of Object.values(tensors)) t.dispose();
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await saving;
    }
    expect(reads).toBeGreaterThan(5);
  });

  it('leaves the old or the new save, never a torn one; temp files are ignored, then cleaned', async () => {
    const dirs = [0, 1, 2, 3].map((i) => fresh(`crash-${i}`));
    const runs = await Promise.all(dirs.map((dir, i) => runAndKill(dir, (i + 1) * 100_000)));
    let interrupted = 0;
    const saved: string[] = [];
    for (const run of runs) {
      const k = await savedIteration(run.dir);
      const last = run.completed.at(-1);
      // The last completed save or the one in flight; with none completed, nothing or the first.
      const allowed = last !== undefined ? [last, last + 1] : [undefined, run.start];
      expect(allowed, `${run.dir}: found iteration ${k}`).toContain(k);
      if (fs.existsSync(run.dir) && fs.readdirSync(run.dir).some((f) => f.includes('.tmp-'))) interrupted++;
      if (k !== undefined) saved.push(run.dir);
    }
    console.log(`kill -9: ${interrupted} of ${runs.length} writers died mid-save (temp files left behind)`);
    for (const dir of saved) {
      const model = await nt.loadModel(dir);
      await model.save(dir);
      expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.safetensors']);
    }
  });
});
