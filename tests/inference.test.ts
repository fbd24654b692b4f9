/**
 * inference.test.ts — the inference fast path: predict/evaluate run in libtorch's inference mode,
 * yet what predict returns is an ordinary tensor (usable in autograd graphs and in place);
 * optimizeForInference (a frozen, optimized TorchScript graph of the model) gives the eager
 * outputs within 1e-5 for Sequential (with batch norm), functional (two inputs, two outputs) and
 * ResNet-20 models, and PyTorch's own torch.jit.freeze + optimize_for_inference of the export; it
 * goes stale on any weight change (training, setWeights, loadWeights, a train-mode call, to());
 * predict's channelsLast option; and fit's per-batch logs, read from sums kept on the device.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectThrows } from './helpers/cases';
import { expectTensorClose, refValue, torchReference } from './helpers/torch';

const L = nt.layers;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-inference-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Largest |a - b| over all elements. */
function maxDiff(a: nt.Tensor, b: nt.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return a.sub(b).abs().max().item();
}

function single(out: nt.Tensor | nt.Tensor[]): nt.Tensor {
  expect(out).toBeInstanceOf(nt.Tensor);
  return out as nt.Tensor;
}

/** A conv + batch norm + dropout classifier, trained a few steps so its running statistics are not the initial ones. */
async function bnClassifier(seed: number): Promise<{ model: nt.Sequential; x: nt.Tensor; y: nt.Tensor }> {
  nt.manualSeed(seed);
  const model = nt.sequential({
    layers: [
      L.conv2d({ inputShape: [3, 8, 8], filters: 6, kernelSize: 3, padding: 'same' }),
      L.batchNormalization(),
      L.relu(),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 8, kernelSize: 3, useBias: false }),
      L.batchNormalization(),
      L.relu(),
      L.flatten(),
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-2 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = nt.randn([12, 3, 8, 8]);
  const y = nt.randint(0, 4, [12], { dtype: 'int64' });
  for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
  return { model, x, y };
}

function twoInTwoOut(): nt.Functional {
  nt.manualSeed(21);
  const a = nt.input({ shape: [2, 6, 6], name: 'a' });
  const b = nt.input({ shape: [5], name: 'b' });
  const conv = L.relu({ name: 'act' }).apply(L.batchNormalization({ name: 'bn' }).apply(L.conv2d({ name: 'conv', filters: 3, kernelSize: 3 }).apply(a)));
  const pooled = L.globalAveragePooling2d({ name: 'gap' }).apply(conv);
  const joined = L.concatenate({ name: 'cat' }).apply([pooled, L.dense({ name: 'side', units: 3, activation: 'tanh' }).apply(b)]);
  const classes = L.dense({ name: 'classes', units: 4, activation: 'softmax' }).apply(joined);
  const value = L.dense({ name: 'value', units: 1 }).apply(L.subtract({ name: 'sub' }).apply([pooled, L.dense({ name: 'proj', units: 3 }).apply(b)]));
  return nt.model({ inputs: [a, b], outputs: [classes, value], name: 'twoInTwoOut' });
}

describe('predict and evaluate in inference mode', () => {
  it('predict and predictSync outputs are ordinary tensors: autograd and in-place ops work on them', async () => {
    const { model, x } = await bnClassifier(1);
    const head = nt.sequential({ layers: [L.dense({ inputShape: [4], units: 2 })] }).train();
    for (const out of [single(await model.predict(x)), single(model.predictSync(x)), single(await model.predict(x, { batchSize: 5 }))]) {
      expect(out.requiresGrad).toBe(false);
      // fed into a training graph: the output is saved for backward by mul and by the dense layer
      const w = nt.randn(out.shape, { requiresGrad: true });
      const loss = out.mul(w).sum().add(single(head.call(out)).sum());
      loss.backward();
      expect(maxDiff(w.grad as nt.Tensor, out)).toBe(0);
      const before = out.clone();
      out.add_(1);
      expect(maxDiff(out, before.add(1))).toBe(0);
    }
  });

  it('predict in batches equals one batch; evaluate gives the loss and accuracy of the predictions', async () => {
    const { model, x, y } = await bnClassifier(2);
    const whole = single(model.predictSync(x));
    expect(maxDiff(single(await model.predict(x, { batchSize: 5 })), whole)).toBeLessThan(1e-6);
    const logs = await model.evaluate(x, y, { batchSize: 5 });
    const nll = whole.log().gather(1, y.reshape([-1, 1])).neg().mean().item();
    const accuracy = whole.argmax(1).eq(y).float().mean().item();
    expect(logs.loss).toBeCloseTo(nll, 5);
    expect(logs.accuracy).toBeCloseTo(accuracy, 6);
  });

  it('evaluate with a custom JS loss hands the loss tensors it may use freely', async () => {
    nt.manualSeed(3);
    const model = nt.sequential({ layers: [L.dense({ inputShape: [3], units: 2 })] });
    model.compile({ optimizer: 'sgd', loss: (yTrue: nt.Tensor, yPred: nt.Tensor) => yPred.clone().add_(0).sub(yTrue).square().mean() });
    const x = nt.randn([6, 3]);
    const y = nt.randn([6, 2]);
    const logs = await model.evaluate(x, y, { batchSize: 6 });
    expect(logs.loss).toBeCloseTo(single(model.predictSync(x)).sub(y).square().mean().item(), 5);
  });
});

describe('optimizeForInference', () => {
  it('a Sequential model with batch norm and dropout: frozen outputs equal eager within 1e-5', async () => {
    const { model, x } = await bnClassifier(4);
    const eager = single(await model.predict(x));
    expect(model.inferenceOptimized).toBe(false);
    await model.optimizeForInference();
    expect(model.inferenceOptimized).toBe(true);
    expect(maxDiff(single(await model.predict(x)), eager)).toBeLessThan(1e-5);
    expect(maxDiff(single(await model.predict(x, { batchSize: 5 })), eager)).toBeLessThan(1e-5);
    expect(maxDiff(single(model.predictSync(x.narrow(0, 0, 1))), eager.narrow(0, 0, 1))).toBeLessThan(1e-5);
  });

  it('a functional model with two inputs and two outputs', async () => {
    const model = twoInTwoOut();
    const xs = [nt.randn([7, 2, 6, 6]), nt.randn([7, 5])];
    model.train();
    model.call(xs); // moves the batch-norm running statistics off their initial values
    const eager = (await model.predict(xs)) as nt.Tensor[];
    await model.optimizeForInference();
    const frozen = (await model.predict(xs, { batchSize: 3 })) as nt.Tensor[];
    expect(frozen).toHaveLength(2);
    frozen.forEach((t, k) => expect(maxDiff(t, eager[k])).toBeLessThan(1e-5));
  });

  it("ResNet-20: equal to eager within 1e-5, and to PyTorch's torch.jit.freeze + optimize_for_inference of the export", async () => {
    nt.manualSeed(5);
    const model = nt.builders.resnet({ depth: 20 });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
    const x = nt.randn([4, 3, 32, 32]);
    await model.trainOnBatch(nt.randn([8, 3, 32, 32]), nt.randint(0, 10, [8], { dtype: 'int64' }));
    const eager = single(await model.predict(x));
    const file = path.join(dir, 'resnet20.pt');
    await model.exportTorchScript(file);
    await model.optimizeForInference();
    const frozen = single(await model.predict(x));
    expect(maxDiff(frozen, eager)).toBeLessThan(1e-5);
    const [ref] = torchReference([
      { inputs: { x }, code: `m = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.load(${JSON.stringify(file)}).eval()))\nout = m(x)` },
    ]);
    expectTensorClose(frozen, refValue(ref), { atol: 1e-5, rtol: 1e-5 });
    // channels_last through the frozen graph
    expect(maxDiff(single(await model.predict(x, { channelsLast: true })), eager)).toBeLessThan(1e-5);
  });

  it('goes stale when the weights change (training, setWeights, loadWeights, train-mode call, to) and can be rebuilt', async () => {
    const { model, x, y } = await bnClassifier(6);
    const scaled = (f: number): nt.Tensor[] => model.getWeights().map((w) => (w.dtype === 'float32' ? w.mul(f) : w));
    const file = path.join(dir, 'stale.safetensors');
    // [what, the change, what to do before optimizing]
    const changes: [string, () => Promise<unknown> | unknown, (() => Promise<unknown>)?][] = [
      ['trainOnBatch', () => model.trainOnBatch(x, y)],
      ['fit', () => model.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0 })],
      ['setWeights', () => model.setWeights(scaled(0.9))],
      ['loadWeights', () => model.loadWeights(file), async () => {
        await model.saveWeights(file);
        model.setWeights(scaled(1.1));
      }],
      ['train-mode call', () => {
        model.train().call(x);
        model.eval();
      }],
      ['to', () => model.to('cpu')],
    ];
    for (const [what, change, before] of changes) {
      await before?.();
      await model.optimizeForInference();
      expect(model.inferenceOptimized, what).toBe(true);
      const old = single(await model.predict(x));
      await change();
      expect(model.inferenceOptimized, what).toBe(false);
      const now = single(await model.predict(x));
      const eager = single(model.eval().call(x)).detach();
      expect(maxDiff(now, eager), what).toBe(0);
      if (what !== 'to') expect(maxDiff(now, old), what).toBeGreaterThan(1e-4);
    }
    await model.optimizeForInference();
    expect(model.inferenceOptimized).toBe(true);
  });

  it('concurrent predictions on an optimized model agree', async () => {
    const { model, x } = await bnClassifier(7);
    await model.optimizeForInference();
    const ref = single(model.predictSync(x));
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => model.predict(x, { batchSize: 1 + (i % 4) })));
    for (const out of outs) expect(maxDiff(single(out), ref)).toBeLessThan(1e-6);
  });

  it("predictions queued on a model's thread all settle, in order, when the model is disposed meanwhile", async () => {
    const { model, x } = await bnClassifier(10);
    const ref = single(model.predictSync(x));
    const settled: number[] = [];
    const calls = Array.from({ length: 16 }, (_, i) => model.predict(x, { batchSize: 1 + (i % 3) }).then((out) => (settled.push(i), out)));
    model.dispose(); // the queued calls keep the native model until they end; its thread goes with it
    for (const out of await Promise.all(calls)) expect(maxDiff(single(out), ref)).toBeLessThan(1e-6);
    expect(settled).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(() => model.predictSync(x)).toThrow(/disposed/);
  });

  it('bad calls: an unbuilt model, a disposed one', async () => {
    const unbuilt = nt.sequential({ layers: [L.dense({ units: 2 })] });
    await expect(unbuilt.optimizeForInference()).rejects.toThrow(/^optimizeForInference: model '.*' is not built yet/);
    expect(unbuilt.inferenceOptimized).toBe(false);
    const { model } = await bnClassifier(8);
    await model.optimizeForInference();
    expect(model.inferenceOptimized).toBe(true);
    model.dispose();
    // Like the model's other state getters, it does not throw: a disposed model predicts nothing.
    expect(model.inferenceOptimized).toBe(false);
    await expect(model.optimizeForInference()).rejects.toThrow(/^model\.optimizeForInference: the model was disposed/);
  });
});

describe('predict({ channelsLast })', () => {
  it('gives the same outputs, contiguous, for conv models; inputs that are not 4-D are left as they are', async () => {
    const { model, x } = await bnClassifier(9);
    const ref = single(await model.predict(x));
    const cl = single(await model.predict(x, { channelsLast: true, batchSize: 5 }));
    expect(cl.isContiguous).toBe(true);
    expect(maxDiff(cl, ref)).toBeLessThan(1e-5);
    expect(maxDiff(single(model.predictSync(x, { channelsLast: true })), ref)).toBeLessThan(1e-5);
    const functional = twoInTwoOut();
    const xs = [nt.randn([3, 2, 6, 6]), nt.randn([3, 5])];
    const plain = (await functional.predict(xs)) as nt.Tensor[];
    ((await functional.predict(xs, { channelsLast: true })) as nt.Tensor[]).forEach((t, k) => expect(maxDiff(t, plain[k])).toBeLessThan(1e-5));
  });

  it('options are strict', async () => {
    const { model, x } = await bnClassifier(10);
    await expect(model.predict(x, { channelsLast: 1 as unknown as boolean })).rejects.toThrow(TypeError);
    await expect(model.predict(x, { channelLast: true } as never)).rejects.toThrow(/channelsLast/);
    expectThrows(() => model.predictSync(x, { batchSize: 2 } as never), TypeError, /^predictSync: unknown option 'batchSize'/);
  });
});

describe('fit reads running figures only when asked', () => {
  it("a batch callback sees every batch, its running logs ending on the epoch's logs", async () => {
    const { model, x, y } = await bnClassifier(11);
    const seen: { batch: number; logs: nt.Logs }[] = [];
    const history = await model.fit(x, y, { epochs: 2, batchSize: 5, verbose: 0, shuffle: false, callbacks: [{ onBatchEnd: (batch, logs) => void seen.push({ batch, logs }) }] });
    expect(seen.map((s) => s.batch)).toEqual([0, 1, 2, 0, 1, 2]);
    for (const [epoch, last] of [[0, seen[2]], [1, seen[5]]] as const) {
      expect(last.logs.loss).toBe(history.history.loss[epoch]);
      expect(last.logs.accuracy).toBe(history.history.accuracy[epoch]);
    }
    expect(seen[0].logs.size).toBe(5);
    expect(seen[2].logs.size).toBe(2);
  });
});

describe.skipIf(!nt.cuda.isAvailable())('on CUDA', () => {
  it('optimizeForInference and channelsLast on a cuda model equal eager', async () => {
    const { model, x } = await bnClassifier(12);
    model.to('cuda');
    const eager = single(await model.predict(x)).to('cpu');
    await model.optimizeForInference();
    expect(model.inferenceOptimized).toBe(true);
    expect(maxDiff(single(await model.predict(x)).to('cpu'), eager)).toBeLessThan(1e-4);
    expect(maxDiff(single(await model.predict(x, { channelsLast: true })).to('cpu'), eager)).toBeLessThan(1e-4);
  });
});
