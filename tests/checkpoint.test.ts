/**
 * checkpoint.test.ts — resumable checkpoints: a run interrupted after epoch k and resumed with
 * fit({ resumeFrom }) ends with bit-identical weights to an uninterrupted run (Adam with an
 * epoch schedule, SGD with Nesterov momentum and a batch schedule; dropout and batch norm), from
 * modelCheckpoint({ dir }) and model.saveCheckpoint; damaged or mismatched checkpoints give
 * errors naming the file.
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
