/**
 * serving_batcher.test.ts — the dynamic batcher without HTTP (nt.serving.batcher): concurrent
 * requests run as fewer forwards and each gets exactly its rows (equal to the model on those rows
 * alone); maxQueueDelayMs 0 never waits; a full queue refuses at once with QueueFullError; a request
 * past timeoutMs is rejected and never runs; samples of different shapes never share a batch
 * (TorchScript with a varying dim); several inputs/outputs; instances run batches concurrently;
 * close() drains; bad calls fail with named errors.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { LIBTORCH2, PYTHON } from './helpers/torch';

const L = nt.layers;
let dir: string;

function mlp(seed: number): nt.Model {
  nt.manualSeed(seed);
  return nt.sequential({ layers: [L.dense({ inputShape: [6], units: 16, activation: 'relu' }), L.dense({ units: 3, activation: 'softmax' })] });
}

function twoInTwoOut(): nt.Model {
  nt.manualSeed(3);
  const a = nt.input({ shape: [4], name: 'a' });
  const b = nt.input({ shape: [2], name: 'b' });
  const h = L.concatenate().apply([L.dense({ units: 5, name: 'ha' }).apply(a), b]);
  const y1 = L.dense({ units: 3, name: 'y1' }).apply(h);
  const y2 = L.dense({ units: 1, activation: 'sigmoid', name: 'y2' }).apply(h);
  return nt.model({ inputs: [a, b], outputs: [y1, y2] });
}

const values = (t: nt.Tensor): number[] => Array.from(t.dataSync() as Float32Array);

/**
 * A batched request's rows equal the same rows run alone: bit for bit on libtorch 1.13 (OpenBLAS's
 * sgemm sums a row the same way at any batch size); the 2.x wheel's MKL picks other kernels for
 * one row than for many, so there they agree to float32 rounding.
 */
function expectSameRows(batched: number[], alone: number[]): void {
  if (!LIBTORCH2) {
    expect(batched).toEqual(alone);
    return;
  }
  expect(batched).toHaveLength(alone.length);
  batched.forEach((v, i) => expect(Math.abs(v - alone[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(alone[i]))));
}

/** Each row alone through predictSync, the reference for a batched request's rows. */
function alone(model: nt.Model, x: nt.Tensor): number[] {
  const out = model.predictSync(x) as nt.Tensor;
  const v = values(out);
  out.dispose();
  return v;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-batcher-'));
  // rowsum.pt: a TorchScript module whose input length varies ([n, L] → [n, 1]).
  execFileSync(PYTHON, [path.join(__dirname, 'helpers', 'serving_fixtures.py'), dir]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('batching', () => {
  it('runs concurrent requests as fewer forwards, each resolving to its own rows', async () => {
    const model = mlp(1);
    const seen: number[] = [];
    const b = nt.serving.batcher(model, { maxBatchSize: 32, maxQueueDelayMs: 50, observer: { executed: (size) => seen.push(size) } });
    const xs = Array.from({ length: 12 }, (_, i) => nt.randn([i % 3 === 0 ? 2 : 1, 6]));
    const outs = (await Promise.all(xs.map((x) => b.predict(x)))) as nt.Tensor[];
    const stats = b.stats();
    expect(stats.inferences).toBe(16);
    expect(stats.executions).toBeLessThan(12);
    expect(seen.reduce((a, c) => a + c, 0)).toBe(16);
    outs.forEach((o, i) => {
      expect(o.shape).toEqual([xs[i].shape[0], 3]);
      expectSameRows(values(o), alone(model, xs[i]));
    });
    await b.close();
    for (const t of [...xs, ...outs]) t.dispose();
    model.dispose();
  });

  it('maxQueueDelayMs 0 runs the first request at once and batches what arrives while it runs', async () => {
    const model = mlp(2);
    const sizes: number[] = [];
    const b = nt.serving.batcher(model, { maxBatchSize: 8, maxQueueDelayMs: 0, observer: { executed: (size) => sizes.push(size) } });
    const xs = Array.from({ length: 6 }, () => nt.randn([1, 6]));
    const outs = (await Promise.all(xs.map((x) => b.predict(x)))) as nt.Tensor[];
    expect(sizes).toEqual([1, 5]);
    for (const t of [...xs, ...outs]) t.dispose();
    model.dispose();
  });

  it('never mixes samples of different shapes in one batch (TorchScript input with a varying dim)', async () => {
    const m = await nt.jit.load(path.join(dir, 'rowsum.pt'));
    const sizes: number[] = [];
    const b = nt.serving.batcher(m, { maxBatchSize: 16, maxQueueDelayMs: 30, inputs: [{ name: 'x', shape: [-1], dtype: 'float32' }], observer: { executed: (s) => sizes.push(s) } });
    const xs = [3, 5, 3, 5, 3].map((len, i) => nt.full([1, len], i + 1));
    const outs = (await Promise.all(xs.map((x) => b.predict(x)))) as nt.Tensor[];
    expect(sizes.sort()).toEqual([2, 3]);
    outs.forEach((o, i) => expect(values(o)).toEqual([2 * (i + 1) * xs[i].shape[1]]));
    for (const t of [...xs, ...outs]) t.dispose();
    m.dispose();
  });

  it('joins several inputs and splits several outputs', async () => {
    const model = twoInTwoOut();
    const b = nt.serving.batcher(model, { maxQueueDelayMs: 30 });
    const reqs = Array.from({ length: 4 }, () => [nt.randn([1, 4]), nt.randn([1, 2])]);
    const outs = (await Promise.all(reqs.map((r) => b.predict(r)))) as nt.Tensor[][];
    expect(b.stats().executions).toBe(1);
    expect(b.outputNames).toEqual(['y1', 'y2']);
    outs.forEach((o, i) => {
      const ref = model.predictSync(reqs[i]) as nt.Tensor[];
      expect(o.map((t) => t.shape)).toEqual([[1, 3], [1, 1]]);
      o.forEach((t, k) => expectSameRows(values(t), values(ref[k])));
      for (const t of [...ref, ...o, ...reqs[i]]) t.dispose();
    });
    model.dispose();
  });

  it('runs batches on several instances at once', async () => {
    const copies = [mlp(4), mlp(4)];
    let running = 0;
    let most = 0;
    const b = nt.serving.batcher(copies, {
      maxBatchSize: 1,
      observer: { dequeued: () => (most = Math.max(most, ++running)), executed: () => running-- },
    });
    const xs = Array.from({ length: 6 }, () => nt.randn([1, 6]));
    const outs = (await Promise.all(xs.map((x) => b.predict(x)))) as nt.Tensor[];
    expect(most).toBe(2);
    expect(b.stats().executions).toBe(6);
    for (const t of [...xs, ...outs]) t.dispose();
    copies.forEach((c) => c.dispose());
  });
});

describe('cuda', () => {
  it.skipIf(!nt.cuda.isAvailable())('batches on cuda, each request equal to the cpu model on its rows', async () => {
    const cpu = mlp(9);
    const gpu = mlp(9).to('cuda');
    const b = nt.serving.batcher(gpu, { maxQueueDelayMs: 30 });
    const xs = Array.from({ length: 5 }, () => nt.randn([1, 6]));
    const onGpu = xs.map((x) => x.to('cuda'));
    const outs = (await Promise.all(onGpu.map((x) => b.predict(x)))) as nt.Tensor[];
    expect(b.stats().executions).toBeLessThan(5);
    outs.forEach((o, i) => {
      expect(o.device).toBe('cuda:0');
      const ref = alone(cpu, xs[i]);
      values(o.to('cpu')).forEach((v, j) => expect(v).toBeCloseTo(ref[j], 5));
    });
    for (const t of [...xs, ...onGpu, ...outs]) t.dispose();
    cpu.dispose();
    gpu.dispose();
  });
});

describe('overload, timeouts, shutdown', () => {
  it('refuses beyond maxQueueSize at once with QueueFullError', async () => {
    const model = mlp(5);
    const b = nt.serving.batcher(model, { maxBatchSize: 1, maxQueueSize: 2 });
    const x = nt.randn([1, 6]);
    const settled = await Promise.allSettled(Array.from({ length: 6 }, () => b.predict(x)));
    const refused = settled.filter((s) => s.status === 'rejected');
    // One runs at once (the queue is then empty), two wait, three are refused.
    expect(refused.length).toBe(3);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(nt.serving.QueueFullError);
    expect(b.stats().executions).toBe(3);
    for (const s of settled) if (s.status === 'fulfilled') (s.value as nt.Tensor).dispose();
    x.dispose();
    model.dispose();
  });

  it('rejects a request still queued after timeoutMs, and never runs it', async () => {
    const model = mlp(6);
    const b = nt.serving.batcher(model, { maxBatchSize: 8, maxQueueDelayMs: 2000, timeoutMs: 40 });
    const x = nt.randn([1, 6]);
    await expect(b.predict(x)).rejects.toThrow(nt.serving.RequestTimeoutError);
    await new Promise((r) => setTimeout(r, 50));
    expect(b.stats()).toEqual({ queued: 0, running: 0, inferences: 0, executions: 0 });
    x.dispose();
    model.dispose();
  });

  it('close() finishes queued requests, then refuses new ones with BatcherClosedError', async () => {
    const model = mlp(7);
    const b = nt.serving.batcher(model, { maxBatchSize: 4, maxQueueDelayMs: 5000 });
    const x = nt.randn([1, 6]);
    const pending = [b.predict(x), b.predict(x)];
    await b.close();
    const outs = (await Promise.all(pending)) as nt.Tensor[];
    expect(outs.map((o) => o.shape)).toEqual([[1, 3], [1, 3]]);
    await expect(b.predict(x)).rejects.toThrow(nt.serving.BatcherClosedError);
    for (const t of [x, ...outs]) t.dispose();
    model.dispose();
  });
});

describe('bad calls', () => {
  it('names the problem', async () => {
    const model = mlp(8);
    expect(() => nt.serving.batcher(model, { maxBatchSzie: 4 } as never)).toThrow(/unknown option 'maxBatchSzie' \(did you mean 'maxBatchSize'\?\)/);
    expect(() => nt.serving.batcher(model, { maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => nt.serving.batcher({} as never)).toThrow(/a Model or a ScriptModule/);
    const b = nt.serving.batcher(model, { maxBatchSize: 4 });
    const wrong = nt.randn([1, 5]);
    const many = nt.randn([5, 6]);
    await expect(b.predict(wrong)).rejects.toThrow(/input 'input' takes samples of shape \[6\] \(so \[n, 6\]\), got \[1, 5\]/);
    await expect(b.predict(many)).rejects.toThrow(/1 to maxBatchSize \(4\) samples, got 5/);
    await expect(b.predict([wrong, wrong])).rejects.toThrow(/takes 1 inputs, got 2/);
    await expect(b.predict('x' as never)).rejects.toThrow(TypeError);
    for (const t of [wrong, many]) t.dispose();
    model.dispose();
  });
});
