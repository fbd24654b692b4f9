/**
 * jit.test.ts — TorchScript in and out. PyTorch-Python (same libtorch) scripts and saves modules
 * (tests/helpers/jit_fixtures.py): Node loads them with nt.jit.load and must get Python's outputs
 * on the same inputs (tensors, dict inputs, tuple/list/dict outputs, int64 and control flow,
 * methods other than forward, scalar/list/optional arguments); errors inside scripts, bad files and
 * bad arguments come back as JS errors; concurrent async calls on one module are safe; a module is
 * fine-tuned from Node with the Tensor API and Python loads the result; Sequential models are
 * exported with exportTorchScript and Python loads and runs them with the same outputs.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectThrows } from './helpers/cases';
import { PYTHON, expectTensorClose, refValue, torchReference, type CloseOptions, type RefValue } from './helpers/torch';

const L = nt.layers;
nt.manualSeed(7);

let dir: string;
const file = (name: string): string => path.join(dir, name);
/** Python statement loading a module saved in the temp dir. */
const pyLoad = (name: string): string => `m = torch.jit.load(${JSON.stringify(file(name))})`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-jit-'));
  execFileSync(PYTHON, [path.join(__dirname, 'helpers', 'jit_fixtures.py'), dir]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Compares a method result (nested arrays/objects of tensors and scalars) with Python's. */
function expectValueClose(actual: nt.jit.ScriptValue, expected: RefValue, close: CloseOptions = {}): void {
  if (actual instanceof nt.Tensor) {
    expectTensorClose(actual, expected, close);
  } else if (Array.isArray(actual)) {
    expect(Array.isArray(expected)).toBe(true);
    const list = expected as RefValue[];
    expect(actual.length).toBe(list.length);
    actual.forEach((v, i) => expectValueClose(v, list[i], close));
  } else if (actual !== null && typeof actual === 'object') {
    const dict = expected as Record<string, RefValue>;
    expect(Object.keys(actual).sort()).toEqual(Object.keys(dict).sort());
    for (const k of Object.keys(dict)) expectValueClose(actual[k], dict[k], close);
  } else {
    expect(actual).toEqual(expected);
  }
}

/** Asserts that `promise` rejects with exactly `cls` (by name) and a message matching `message`. */
async function expectRejects(promise: Promise<unknown>, cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a rejection').toBeInstanceOf(Error);
  expect((err as Error).name).toBe(cls.name);
  expect((err as Error).message).toMatch(message);
}

describe('jit.load: modules scripted in Python', () => {
  const x = nt.randn([3, 1, 8, 8]);
  const a = nt.randn([2, 3]);
  const b = nt.randn([2, 4]);
  const c = nt.randn([3, 2]);
  const evenIds = nt.tensor([[1, 2], [3, 4]], { dtype: 'int64' });
  const oddIds = nt.tensor([4, -7, 2], { dtype: 'int64' });
  const xs = [nt.randn([2, 2]), nt.randn([3])];
  const got: Record<string, nt.jit.ScriptValue> = {};
  let refs: Record<string, RefValue>;

  beforeAll(async () => {
    const cnn = await nt.jit.load(file('cnn.pt'));
    got.cnn = await cnn.forward(x);
    cnn.train();
    got.cnnTrain = [cnn.forwardSync(x), cnn.namedBuffers().find(([n]) => n === 'bn.running_mean')![1]];
    const dict = await nt.jit.load(file('dict_tuple.pt'));
    got.dictTuple = await dict.forward({ a, b }, 2); // 2 goes to a float parameter: the schema decides
    const ints = await nt.jit.load(file('int_control.pt'));
    got.intEven = await ints.forward(evenIds, 3);
    got.intOdd = ints.forwardSync(oddIds, 4);
    const methods = await nt.jit.load(file('methods.pt'));
    got.forwardOffset = await methods.forward(c);
    got.scaleAll = await methods.runMethod('scale_all', xs, 3);
    const cases = [
      ['cnn', ['cnn.pt', 'out = m(x)']],
      ['cnnTrain', ['cnn.pt', 'm.train()\nout = [m(x), m.bn.running_mean]']],
      ['dictTuple', ['dict_tuple.pt', 'out = m({"a": a, "b": b}, 2.0)']],
      ['intEven', ['int_control.pt', 'out = m(evenIds, 3)']],
      ['intOdd', ['int_control.pt', 'out = m(oddIds, 4)']],
      ['forwardOffset', ['methods.pt', 'out = m(c)']],
      ['scaleAll', ['methods.pt', 'out = m.scale_all([xs0, xs1], 3.0)']],
    ] as const;
    const results = torchReference(
      cases.map(([, [name, code]]) => ({ inputs: { x, a, b, c, evenIds, oddIds, xs0: xs[0], xs1: xs[1] }, code: `${pyLoad(name)}\n${code}` })),
    );
    refs = Object.fromEntries(cases.map(([key], i) => [key, refValue(results[i])]));
  });

  it('a CNN (conv, batch norm, pooling, linear, softmax) gives Python outputs, in eval and train mode', () => {
    expectValueClose(got.cnn, refs.cnn);
    expectValueClose(got.cnnTrain, refs.cnnTrain);
  });

  it('a dict input and a tuple output (with a list, a dict and an int inside)', () => {
    const out = got.dictTuple as nt.jit.ScriptValue[];
    expect(out).toHaveLength(4);
    expect(out[3]).toBe(2);
    expect(Object.keys(out[2] as object).sort()).toEqual(['a', 'b']);
    expectValueClose(got.dictTuple, refs.dictTuple);
  });

  it('int64 tensors through a data-dependent if and a loop', () => {
    expect((got.intEven as nt.Tensor).dtype).toBe('int64');
    expectValueClose(got.intEven, refs.intEven);
    expectValueClose(got.intOdd, refs.intOdd);
  });

  it('methods other than forward: lists of tensors, floats, ints, strings, optionals, big ints', async () => {
    expectValueClose(got.forwardOffset, refs.forwardOffset);
    expectValueClose(got.scaleAll, refs.scaleAll);
    const m = await nt.jit.load(file('methods.pt'));
    expect(m.methodNames().sort()).toEqual(['big', 'describe', 'forward', 'scale_all']);
    expect(m.schema('describe')).toContain('int[] sizes, bool flag, int? limit');
    expect(await m.runMethod('describe', ['a', 'b'], [1, 2.5], [1, 2, 3], true, null)).toEqual(['a,b', 3.5, 6, false, null]);
    expect(m.runMethodSync('describe', [], [], [], false, 7)).toEqual(['', 0, 0, true, 7]);
    expect(m.runMethodSync('big')).toBe(9007199254740993n);
  });

  it('parameters and buffers alias the module: names, requiresGrad, in-place changes', async () => {
    const m = await nt.jit.load(file('cnn.pt'));
    const names = m.namedParameters().map(([n]) => n);
    expect(names).toEqual(['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(m.training).toBe(false);
    const fcBias = m.namedParameters().find(([n]) => n === 'fc.bias')![1];
    const fcWeight = m.namedParameters().find(([n]) => n === 'fc.weight')![1];
    nt.noGrad(() => {
      fcWeight.zero_();
      fcBias.copy_(nt.tensor([0, 0, Math.log(2)]));
    });
    const out = (await m.forward(x)) as nt.Tensor;
    expectTensorClose(out, { tensor: true, shape: [3, 3], dtype: 'float32', data: [0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.25, 0.25, 0.5] });
  });

  it('async calls run without autograd; sync calls follow the grad mode', async () => {
    const m = await nt.jit.load(file('regressor.pt'));
    const input = nt.randn([2, 4]);
    expect(((await m.forward(input)) as nt.Tensor).requiresGrad).toBe(false);
    expect(m.forwardSync<nt.Tensor>(input).requiresGrad).toBe(true);
    expect(nt.noGrad(() => m.forwardSync<nt.Tensor>(input)).requiresGrad).toBe(false);
  });

  it('to(device) keeps the module working; train()/eval() switch the mode', async () => {
    const m = await nt.jit.load(file('cnn.pt'), { device: 'cpu' });
    expect(m.to('cpu').parameters()[0].device).toBe('cpu');
    expect(m.train().training).toBe(true);
    expect(m.eval().training).toBe(false);
    expectValueClose(await m.forward(x), refs.cnn);
    expectThrows(() => m.to('gpu' as nt.Device), RangeError, /^to: device must be 'cpu', 'cuda' or 'cuda:N'/);
  });

  it.skipIf(!nt.cuda.isAvailable())('loads onto CUDA (map location) and runs there', async () => {
    const m = await nt.jit.load(file('cnn.pt'), { device: 'cuda' });
    const params = m.parameters();
    expect(params[0].device).toBe('cuda:0');
    const out = (await m.forward(x.to({ device: 'cuda' }))) as nt.Tensor;
    expectValueClose(out.to({ device: 'cpu' }), refs.cnn, { atol: 1e-5, rtol: 1e-4 });
    m.to('cpu');
    expect(params[0].device).toBe('cpu');
  });
});

describe('jit errors', () => {
  it('a script raise becomes a RangeError (ValueError) with the TorchScript message and traceback', async () => {
    const m = await nt.jit.load(file('raises.pt'));
    const neg = nt.ones([2, 3]).neg();
    await expectRejects(m.forward(neg, nt.ones([3, 2])), RangeError, /^forward: ValueError: x must have a non-negative sum\nTraceback of TorchScript/);
    expectThrows(() => m.forwardSync(neg, nt.ones([3, 2])), RangeError, /^forward: ValueError: x must have a non-negative sum/);
  });

  it('an op failing inside the script becomes an Error naming the method, and the module keeps working', async () => {
    const m = await nt.jit.load(file('raises.pt'));
    await expectRejects(m.forward(nt.ones([2, 3]), nt.ones([2, 3])), Error, /^forward: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    expect(((await m.forward(nt.ones([2, 3]), nt.ones([3, 2]))) as nt.Tensor).shape).toEqual([2, 2]);
  });

  it('arguments that do not fit the schema are TypeErrors naming the method and argument', async () => {
    const m = await nt.jit.load(file('methods.pt'));
    expectThrows(() => m.runMethodSync('describe', ['a'], [1], [1, 2.5], true, null), TypeError, /^describe: argument 2 'sizes'\[1\] must be int, got the number 2.5/);
    expectThrows(() => m.runMethodSync('describe', ['a'], [1], [1], 'yes', null), TypeError, /^describe: argument 3 'flag' must be bool, got a string/);
    await expectRejects(m.runMethod('scale_all', [nt.ones([1]), 3], 2), TypeError, /^scale_all: argument 0 'xs'\[1\] must be Tensor, got the number 3/);
    await expectRejects(m.forward(nt.ones([2]), nt.ones([2])), TypeError, /^forward: takes 1 argument\(s\), got 2/);
    await expectRejects(m.forward(), Error, /^forward: forward\(\) is missing value for argument 'x'/);
    await expectRejects(m.runMethod('nope'), RangeError, /^nope: the module has no method 'nope' \(methods: .*forward/);
    await expectRejects(m.forward(new Map() as never), TypeError, /^forward: argument 0 must be a Tensor, number, .* got Map/);
    const d = await nt.jit.load(file('dict_tuple.pt'));
    await expectRejects(d.forward({ a: nt.ones([2, 3]), b: 'x' }, 1), TypeError, /^forward: argument 0 'inputs'\['b'\] must be Tensor, got a string/);
  });

  it('missing, garbage and truncated files are errors naming the file', async () => {
    await expectRejects(nt.jit.load(file('missing.pt')), Error, /^jit\.load: cannot open '.*missing\.pt': No such file or directory/);
    fs.writeFileSync(file('garbage.pt'), 'not a zip archive');
    await expectRejects(nt.jit.load(file('garbage.pt')), Error, /^jit\.load: '.*garbage\.pt' is not a TorchScript module this libtorch can load: PytorchStreamReader/);
    const bytes = fs.readFileSync(file('cnn.pt'));
    fs.writeFileSync(file('truncated.pt'), bytes.subarray(0, bytes.length >> 1));
    await expectRejects(nt.jit.load(file('truncated.pt')), Error, /^jit\.load: '.*truncated\.pt' is not a TorchScript module/);
    await expectRejects(nt.jit.load(''), TypeError, /^jit\.load: path must be a non-empty string/);
    await expectRejects(nt.jit.load(file('cnn.pt'), { device: 'tpu' as nt.Device }), RangeError, /^jit\.load: device must be/);
  });

  it('errors from async calls carry the JS call site in their stack', async () => {
    const err = (await nt.jit.load(file('missing.pt')).catch((e: unknown) => e)) as Error;
    expect(err.stack).toContain('jit.test.ts');
  });

  it('a disposed module refuses calls', async () => {
    const m = await nt.jit.load(file('cnn.pt'));
    m.dispose();
    await expectRejects(m.forward(nt.ones([1, 1, 8, 8])), Error, /^forward: the module was disposed/);
    expectThrows(() => m.parameters(), Error, /^namedParameters: the module was disposed/);
  });
});

describe('jit concurrency', () => {
  it('concurrent async forwards, method calls and a save on one module all complete with the right results', async () => {
    const m = await nt.jit.load(file('cnn.pt'));
    const inputs = Array.from({ length: 12 }, () => nt.randn([4, 1, 8, 8]));
    const expected = inputs.map((input) => nt.noGrad(() => m.forwardSync<nt.Tensor>(input)));
    const [outs] = await Promise.all([Promise.all(inputs.map((input) => m.forward<nt.Tensor>(input))), m.save(file('cnn_copy.pt'))]);
    outs.forEach((out, i) => expect(out.sub(expected[i]).abs().max().item()).toBe(0));
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const copy = await nt.jit.load(file('cnn_copy.pt'));
    expect(((await copy.forward(inputs[0])) as nt.Tensor).sub(expected[0]).abs().max().item()).toBe(0);
  });
});

describe('fine-tuning a loaded module from Node', () => {
  it('SGD on its parameters with the Tensor API lowers the loss; Python loads the saved weights', async () => {
    const m = await nt.jit.load(file('regressor.pt'));
    m.train();
    const x = nt.randn([64, 4]);
    const y = x.matmul(nt.tensor([[1], [-2], [0.5], [3]])).tanh();
    const params = m.parameters();
    const lossOf = (): number => nt.noGrad(() => m.forwardSync<nt.Tensor>(x).sub(y).square().mean().item() as number);
    const initial = lossOf();
    for (let step = 0; step < 60; step++) {
      nt.tidy(() => {
        const loss = m.forwardSync<nt.Tensor>(x).sub(y).square().mean();
        loss.backward();
        nt.noGrad(() => {
          for (const p of params) {
            p.sub_(p.grad!.mul(0.1));
            p.grad = null;
          }
        });
      });
    }
    const final = lossOf();
    expect(final).toBeLessThan(initial * 0.5);

    await m.save(file('regressor_tuned.pt'));
    fs.writeFileSync(file('regressor_tuned.pt.tmp-999999999-0'), 'left by a writer killed mid-save');
    await m.save(file('regressor_tuned.pt')); // replacing an existing file, removing the dead writer's temp
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const out = nt.noGrad(() => m.forwardSync<nt.Tensor>(x));
    const named = Object.fromEntries(m.namedParameters());
    const [ref] = torchReference([
      { inputs: { x }, code: `${pyLoad('regressor_tuned.pt')}\nout = [m(x), dict(m.named_parameters())]` },
    ]);
    const [refOut, refParams] = refValue(ref) as [RefValue, Record<string, RefValue>];
    expectTensorClose(out, refOut, { atol: 1e-6 });
    expect(Object.keys(refParams).sort()).toEqual(Object.keys(named).sort());
    for (const [name, t] of Object.entries(named)) expectTensorClose(t.detach(), refParams[name], { atol: 0, rtol: 0 });
    await expectRejects(m.save(path.join(dir, 'no', 'such', 'dir.pt')), Error, /^save: cannot write '.*no\/such\/dir\.pt'/);
  });
});

describe('exportTorchScript', () => {
  const models: Record<string, { model: nt.Sequential; x: nt.Tensor }> = {};
  let refs: Record<string, RefValue>;
  let names: Record<string, RefValue>;
  const trainX = nt.randn([2, 3, 6, 6]);

  beforeAll(async () => {
    const cnn = nt.sequential({
      layers: [
        L.conv2d({ inputShape: [1, 12, 12], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
        L.batchNormalization(),
        L.maxPooling2d(),
        L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }),
        L.globalAveragePooling2d(),
        L.dropout({ rate: 0.3 }),
        L.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    cnn.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const images = nt.randn([32, 1, 12, 12]);
    await cnn.fit(images, nt.randint(0, 3, [32], { dtype: 'int64' }), { epochs: 2, batchSize: 8, verbose: 0 });
    models.cnn = { model: cnn, x: nt.randn([5, 1, 12, 12]) };

    models.decoder = {
      model: nt.sequential({
        layers: [
          L.dense({ inputShape: [6], units: 36, activation: 'relu' }),
          L.reshape({ targetShape: [4, 3, 3] }),
          L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          L.batchNormalization({ momentum: 0.2, epsilon: 1e-3 }),
          L.upSampling2d(),
          L.zeroPadding2d({ padding: 1 }),
          L.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh', useBias: false }),
          L.upSampling2d({ size: [2, 1], interpolation: 'bilinear' }),
          L.spatialDropout2d({ rate: 0.5 }),
          L.averagePooling2d({ poolSize: 2, padding: 'same' }),
          L.globalMaxPooling2d(),
          L.dense({ units: 4 }),
        ],
      }),
      x: nt.randn([3, 6]),
    };

    models.sequence = {
      model: nt.sequential({
        layers: [
          L.embedding({ inputShape: [7], inputDim: 10, outputDim: 4 }),
          L.permute({ dims: [2, 1] }),
          L.conv1d({ filters: 5, kernelSize: 3, padding: 'same' }),
          L.layerNormalization(),
          L.leakyReLU({ alpha: 0.2 }),
          L.elu(),
          L.gelu({ approximate: 'tanh' }),
          L.flatten(),
          L.dense({ units: 3, activation: 'sigmoid' }),
          L.batchNormalization({ affine: false }),
          L.activation({ activation: 'logSoftmax' }),
        ],
      }),
      x: nt.randint(0, 10, [4, 7], { dtype: 'int64' }),
    };

    models.bnTrain = {
      model: nt.sequential({
        layers: [L.conv2d({ inputShape: [3, 6, 6], filters: 2, kernelSize: 3 }), L.batchNormalization(), L.relu(), L.flatten(), L.dense({ units: 2 })],
      }),
      x: trainX,
    };

    for (const [name, { model }] of Object.entries(models)) await model.exportTorchScript(file(`${name}_export.pt`));
    const keys = Object.keys(models);
    const results = torchReference([
      ...keys.map((k) => ({ inputs: { x: models[k].x }, code: `${pyLoad(`${k}_export.pt`)}\nout = [m(x), m.training]` })),
      ...keys.map((k) => ({ inputs: {}, code: `${pyLoad(`${k}_export.pt`)}\nout = sorted(m.state_dict().keys())` })),
      {
        inputs: { x: trainX },
        code: `${pyLoad('bnTrain_export.pt')}\nm.train()\nout = [m(x), getattr(m, "1").running_mean, getattr(m, "1").num_batches_tracked]`,
      },
    ]);
    refs = Object.fromEntries(keys.map((k, i) => [k, refValue(results[i])]));
    names = Object.fromEntries(keys.map((k, i) => [k, refValue(results[keys.length + i])]));
    refs.bnTrainMode = refValue(results[2 * keys.length]);
  });

  for (const name of ['cnn', 'decoder', 'sequence']) {
    it(`${name}: Python runs the exported module (eval mode) with model.predict's outputs, same state_dict names`, async () => {
      const { model, x } = models[name];
      const [out, training] = refs[name] as [RefValue, boolean];
      expect(training).toBe(false);
      expectTensorClose(await model.predict(x), out, { atol: 1e-5, rtol: 1e-5 });
      expect(names[name]).toEqual([...model.weightNames()].sort());
    });
  }

  it('the exported batch norm trains as libtorch does in Python train mode (batch statistics, running stats, counter)', () => {
    const { model, x } = models.bnTrain;
    model.train();
    const out = model.call(x);
    const weights = Object.fromEntries(model.weightNames().map((n, i) => [n, model.getWeights()[i]]));
    const [refOut, refMean, refCount] = refs.bnTrainMode as RefValue[];
    expectTensorClose(out, refOut, { atol: 1e-5, rtol: 1e-5 });
    expectTensorClose(weights['1.running_mean'], refMean, { atol: 1e-6 });
    expectTensorClose(weights['1.num_batches_tracked'], refCount);
  });

  it('Node loads its own export back with jit.load', async () => {
    const { model, x } = models.decoder;
    const m = await nt.jit.load(file('decoder_export.pt'));
    expect(m.namedParameters().map(([n]) => n).sort()).toEqual(
      model.weightNames().filter((n) => !n.includes('running_') && !n.includes('num_batches')).sort(),
    );
    expectTensorClose((await m.forward(x)) as nt.Tensor, (refs.decoder as RefValue[])[0], { atol: 1e-6 });
  });

  it('bad calls: an unbuilt model, a bad path, a directory that does not exist', async () => {
    const unbuilt = nt.sequential({ layers: [L.dense({ units: 2 })] });
    await expectRejects(unbuilt.exportTorchScript(file('x.pt')), Error, /^exportTorchScript: model '.*' is not built yet/);
    await expectRejects(models.cnn.model.exportTorchScript(''), TypeError, /^exportTorchScript: path must be a non-empty string/);
    await expectRejects(models.cnn.model.exportTorchScript(file('missing/dir/m.pt')), Error, /^exportTorchScript: cannot write '.*missing\/dir\/m\.pt'/);
  });
});
