/**
 * checkpoint.test.ts — resumable checkpoints: a run interrupted after epoch k and resumed with
 * fit({ resumeFrom }) ends with bit-identical weights to an uninterrupted run (Adam with an
 * epoch schedule, SGD with Nesterov momentum and a batch schedule; dropout and batch norm), from
 * modelCheckpoint({ dir }) and model.saveCheckpoint; earlyStopping and reduceLROnPlateau resume
 * where they were (same stopping epoch, same lr steps); CUDA RNG states are saved and restored
 * (skipped visibly without CUDA); damaged or mismatched checkpoints give errors naming the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';

const L = nt.layers;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-ckpt-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirCounter = 0;
const fresh = (name: string): string => path.join(root, `${++dirCounter}-${name}`);

nt.manualSeed(3);
const x = nt.randn([40, 3, 8, 8]);
const y = nt.randint(0, 3, [40]);

const cnn = (): nt.Sequential =>
  nt.sequential({
    layers: [
      L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [3, 8, 8] }),
      L.batchNormalization(),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 16, activation: 'relu' }),
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
  });

const ADAM: nt.CompileArgs = {
  optimizer: nt.optimizers.adam({ lr: 0.01 }),
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
  lrScheduler: nt.schedulers.exponentialLR({ gamma: 0.7 }),
};
const SGD: nt.CompileArgs = {
  optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9, nesterov: true }),
  loss: 'sparseCategoricalCrossentropy',
  lrScheduler: nt.schedulers.stepLR({ stepSize: 3, gamma: 0.5, interval: 'batch' }),
};
const FIT = { batchSize: 8, verbose: 0 as const };

function compiled(args: nt.CompileArgs): nt.Sequential {
  const model = cnn();
  model.compile(args);
  return model;
}

/** Every weight (parameters and batch-norm buffers) as plain arrays, for exact comparison. */
const snapshot = (model: nt.Sequential): (number | bigint)[][] =>
  model.getWeights().map((w) => Array.from(w.dataSync() as ArrayLike<number | bigint>));

/** Weights and final lr after `epochs` uninterrupted epochs from seed `seed`. */
async function uninterrupted(args: nt.CompileArgs, seed: number, epochs: number): Promise<{ weights: (number | bigint)[][]; lr: number }> {
  nt.manualSeed(seed);
  const model = compiled(args);
  await model.fit(x, y, { ...FIT, epochs });
  return { weights: snapshot(model), lr: model.getLearningRate() };
}

async function expectError(fn: () => Promise<unknown>, message: string | RegExp): Promise<void> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected an error').toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(message);
}

describe('resuming from a checkpoint', () => {
  it('Adam, epoch schedule, modelCheckpoint({ dir }) + nt.loadModel: bit-identical to an uninterrupted run', async () => {
    const expected = await uninterrupted(ADAM, 11, 4);
    const dir = fresh('adam');
    nt.manualSeed(11);
    const first = compiled(ADAM);
    const checkpoint = nt.callbacks.modelCheckpoint({ dir, monitor: 'loss' });
    await first.fit(x, y, { ...FIT, epochs: 2, callbacks: [checkpoint] });
    expect(checkpoint.savedEpoch).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'training_state.safetensors', 'weights.safetensors']);

    const resumed = await nt.loadModel(dir);
    nt.manualSeed(12345);
    const history = await resumed.fit(x, y, { ...FIT, epochs: 4, resumeFrom: dir });
    expect(history.epoch).toEqual([2, 3]);
    expect(snapshot(resumed)).toEqual(expected.weights);
    expect(resumed.getLearningRate()).toBe(expected.lr);
  });

  it('SGD with Nesterov momentum, batch schedule, model.saveCheckpoint into a fresh model: bit-identical', async () => {
    const expected = await uninterrupted(SGD, 5, 3);
    const dir = fresh('sgd');
    nt.manualSeed(5);
    const first = compiled(SGD);
    await first.fit(x, y, { ...FIT, epochs: 1 });
    await first.saveCheckpoint(dir);

    const resumed = compiled(SGD);
    await resumed.fit(x, y, { ...FIT, epochs: 3, resumeFrom: dir });
    expect(snapshot(resumed)).toEqual(expected.weights);
    expect(resumed.getLearningRate()).toBe(expected.lr);
  });

  it('a checkpoint of an untrained model resumes at epoch 0', async () => {
    const dir = fresh('untrained');
    const model = compiled(SGD);
    await model.saveCheckpoint(dir);
    const history = await compiled(SGD).fit(x, y, { ...FIT, epochs: 1, resumeFrom: dir });
    expect(history.epoch).toEqual([0]);
  });

  it('saveBestOnly checkpoints record the epoch they were taken at', async () => {
    const dir = fresh('best');
    const model = compiled(ADAM);
    const checkpoint = nt.callbacks.modelCheckpoint({ dir, monitor: 'loss', saveBestOnly: true });
    await model.fit(x, y, { ...FIT, epochs: 3, callbacks: [checkpoint] });
    const state = nt.io.loadSafetensorsSync(path.join(dir, 'training_state.safetensors'));
    expect(state.metadata.epoch).toBe(String(checkpoint.savedEpoch));
    Object.values(state.tensors).forEach((t) => t.dispose());
  });
});

describe('callback and RNG state in checkpoints', () => {
  const PLAIN: nt.CompileArgs = { optimizer: nt.optimizers.adam({ lr: 0.01 }), loss: 'sparseCategoricalCrossentropy' };
  // Only the first epoch counts as an improvement: the run stops once `patience` epochs have not.
  const stopper = (): nt.callbacks.EarlyStopping => nt.callbacks.earlyStopping({ monitor: 'loss', minDelta: 10, patience: 3, restoreBestWeights: true });

  it('earlyStopping resumed after an interruption stops at the same epoch, with the same best weights, as an uninterrupted run', async () => {
    nt.manualSeed(21);
    const whole = compiled(PLAIN);
    const wholeStop = stopper();
    const wholeHistory = await whole.fit(x, y, { ...FIT, epochs: 10, callbacks: [wholeStop] });
    expect(wholeStop.stoppedEpoch).toBe(3);
    expect(wholeHistory.epoch).toEqual([0, 1, 2, 3]);

    const dir = fresh('early');
    nt.manualSeed(21);
    // The checkpoint writer comes first in the list, yet it saves earlyStopping's state of the same epoch.
    await compiled(PLAIN).fit(x, y, { ...FIT, epochs: 2, callbacks: [nt.callbacks.modelCheckpoint({ dir }), stopper()] });
    const resumedStop = stopper();
    const resumed = compiled(PLAIN);
    const history = await resumed.fit(x, y, { ...FIT, epochs: 10, resumeFrom: dir, callbacks: [nt.callbacks.modelCheckpoint({ dir }), resumedStop] });
    expect(resumedStop.stoppedEpoch).toBe(3);
    expect(history.epoch).toEqual([2, 3]);
    expect(snapshot(resumed)).toEqual(snapshot(whole));
  });

  it('reduceLROnPlateau resumed after an interruption lowers the lr at the same epochs', async () => {
    const plateau = (): nt.callbacks.ReduceLROnPlateau => nt.callbacks.reduceLROnPlateau({ monitor: 'loss', minDelta: 10, patience: 2, factor: 0.5, cooldown: 1 });
    nt.manualSeed(22);
    const whole = compiled(PLAIN);
    const wholeHistory = await whole.fit(x, y, { ...FIT, epochs: 6, callbacks: [plateau()] });

    const dir = fresh('plateau');
    nt.manualSeed(22);
    const first = await compiled(PLAIN).fit(x, y, { ...FIT, epochs: 3, callbacks: [plateau(), nt.callbacks.modelCheckpoint({ dir })] });
    const resumed = compiled(PLAIN);
    const rest = await resumed.fit(x, y, { ...FIT, epochs: 6, resumeFrom: dir, callbacks: [plateau()] });
    expect([...first.history.lr, ...rest.history.lr]).toEqual(wholeHistory.history.lr);
    expect(new Set(wholeHistory.history.lr).size).toBeGreaterThan(2);
    expect(snapshot(resumed)).toEqual(snapshot(whole));
  });

  it('callback states the resumed fit has no callback for are dropped', async () => {
    const dir = fresh('unclaimed');
    const model = compiled(PLAIN);
    await model.fit(x, y, { ...FIT, epochs: 1, callbacks: [stopper(), nt.callbacks.modelCheckpoint({ dir })] });
    const weights = model.getWeights();
    const state = nt.io.loadSafetensorsSync(path.join(dir, 'training_state.safetensors'));
    expect(JSON.parse(state.metadata.callbacks)).toEqual({
      'EarlyStopping#0': { values: { best: expect.any(String), wait: '0', stoppedEpoch: '-1' }, tensors: weights.length },
      'ModelCheckpoint#0': { values: { best: 'Infinity', savedEpoch: '-1' }, tensors: 0 },
    });
    weights.forEach((t) => t.dispose());
    Object.values(state.tensors).forEach((t) => t.dispose());
    const history = await compiled(PLAIN).fit(x, y, { ...FIT, epochs: 2, resumeFrom: dir });
    expect(history.epoch).toEqual([1]);
  });

  it('a checkpoint holds one CUDA RNG state per CUDA device (none without CUDA)', async () => {
    const dir = fresh('rng');
    await compiled(PLAIN).saveCheckpoint(dir);
    const state = nt.io.loadSafetensorsSync(path.join(dir, 'training_state.safetensors'));
    const cudaKeys = Object.keys(state.tensors).filter((k) => k.startsWith('rng.cuda.'));
    expect(cudaKeys).toHaveLength(nt.cuda.deviceCount());
    Object.values(state.tensors).forEach((t) => t.dispose());
  });

  it.skipIf(!nt.cuda.isAvailable())('the CUDA RNG state is saved and restored on resume', async () => {
    const dir = fresh('cuda-rng');
    nt.manualSeed(23);
    await compiled(PLAIN).saveCheckpoint(dir);
    const expected = nt.rand([8], { device: 'cuda' }).dataSync();
    await compiled(PLAIN).fit(x, y, { ...FIT, epochs: 1, resumeFrom: dir });
    expect(nt.rand([8], { device: 'cuda' }).dataSync()).toEqual(expected);
  });
});

describe('damaged or mismatched checkpoints', () => {
  const dir = fresh('good');
  const stateFile = (d: string): string => path.join(d, 'training_state.safetensors');
  const copy = (name: string): string => {
    const d = fresh(name);
    fs.cpSync(dir, d, { recursive: true });
    return d;
  };

  it('writes a checkpoint to damage', async () => {
    const model = compiled(ADAM);
    await model.fit(x, y, { ...FIT, epochs: 1 });
    await model.saveCheckpoint(dir);
  });

  it('a truncated training state names the file', async () => {
    const d = copy('truncated');
    fs.truncateSync(stateFile(d), fs.statSync(stateFile(d)).size - 10);
    await expectError(() => compiled(ADAM).fit(x, y, { ...FIT, resumeFrom: d }), new RegExp(`^fit: .*${stateFile(d).replace(/[.]/g, '\\.')}`));
  });

  it('a missing training state says the checkpoint is incomplete', async () => {
    const d = copy('missing');
    fs.rmSync(stateFile(d));
    await expectError(() => compiled(ADAM).fit(x, y, { ...FIT, resumeFrom: d }), 'training_state.safetensors: missing: the directory is not a complete checkpoint');
  });

  it('garbage optimizer bytes are reported as a damaged optimizer state', async () => {
    const d = copy('garbage');
    const state = nt.io.loadSafetensorsSync(stateFile(d));
    const garbage = nt.full(state.tensors.optimizer.shape, 7, { dtype: 'uint8' });
    nt.io.saveSafetensorsSync(stateFile(d), { ...state.tensors, optimizer: garbage }, state.metadata);
    await expectError(() => compiled(ADAM).fit(x, y, { ...FIT, resumeFrom: d }), `fit: ${stateFile(d)}: the optimizer state does not load`);
  });

  it('damaged callback state metadata names the file', async () => {
    const d = copy('callbacks');
    const state = nt.io.loadSafetensorsSync(stateFile(d));
    nt.io.saveSafetensorsSync(stateFile(d), state.tensors, { ...state.metadata, callbacks: '{"EarlyStopping#0": 3}' });
    await expectError(() => compiled(ADAM).fit(x, y, { ...FIT, resumeFrom: d }), `fit: ${stateFile(d)}: metadata callbacks: the state of 'EarlyStopping#0' is malformed`);
  });

  it('another optimizer kind is refused', async () => {
    await expectError(() => compiled(SGD).fit(x, y, { ...FIT, resumeFrom: dir }), "holds the state of a 'adam' optimizer, but the model is compiled with 'sgd'");
  });

  it('weights of another architecture are reported by key', async () => {
    const other = nt.sequential({ layers: [L.flatten({ inputShape: [3, 8, 8] }), L.dense({ units: 3 })] });
    other.compile(ADAM);
    await expectError(() => other.fit(x, y, { ...FIT, resumeFrom: dir }), /weights\.safetensors does not match the model's weights/);
  });

  it('bad arguments are type errors', async () => {
    await expectError(() => compiled(ADAM).fit(x, y, { ...FIT, resumeFrom: 42 as unknown as string }), 'fit: resumeFrom must be a checkpoint directory path');
    await expectError(() => compiled(ADAM).saveCheckpoint(''), 'saveCheckpoint: dir must be a non-empty string');
    await expectError(() => cnn().saveCheckpoint(fresh('uncompiled')), 'must be compiled first');
    expect(() => nt.callbacks.modelCheckpoint({ dir: fresh('x'), onSave: () => undefined })).toThrow('give either dir or onSave');
  });
});
