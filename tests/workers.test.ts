/**
 * workers.test.ts — the addon in worker_threads: several workers load nodetorch at once and
 * run matmul, conv2d and backward with correct results, exit cleanly, and a second wave works
 * too (per-environment native state); memory() counts and error classes are per thread;
 * terminating a busy worker (computing, or with predictions queued on a model's thread) leaves
 * the process healthy. Workers load the compiled dist/
 * (`npm test` builds it first).
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as nt from '../lib';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compute } = require('./helpers/worker_compute') as { compute: (lib: typeof nt, k: number) => Computed };

interface Computed {
  matmul: number[][];
  conv: number[][][][];
  grad: number[][][][];
}
interface Report {
  k: number;
  result: Computed;
  startCount: number;
  afterTidy: number;
  whileHolding: { numTensors: number; numBytes: number };
  end: { numTensors: number; numBytes: number };
  oom: { name: string; isClass: boolean; message: string } | undefined;
}

const WORKER = path.join(__dirname, 'helpers', 'worker_ops.js');

/** Starts a worker and resolves with its message and exit code once it has exited. */
function run(k: number): Promise<{ report: Report; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { k } });
    let report: Report | undefined;
    worker.on('message', (m: Report) => (report = m));
    worker.on('error', reject);
    worker.on('exit', (exitCode) => (report ? resolve({ report, exitCode }) : reject(new Error(`worker ${k} exited (${exitCode}) without a report`))));
  });
}

function expectClose(actual: unknown, expected: unknown): void {
  const a = [actual].flat(4) as number[];
  const b = [expected].flat(4) as number[];
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i]))));
}

async function wave(ks: number[]): Promise<void> {
  const mainBefore = nt.memory();
  const results = await Promise.all(ks.map(run));
  const mainAfter = nt.memory();
  expect([mainAfter.numTensors, mainAfter.numBytes]).toEqual([mainBefore.numTensors, mainBefore.numBytes]);
  for (const { report, exitCode } of results) {
    expect(exitCode).toBe(0);
    const want = nt.tidy(() => compute(nt, report.k));
    expectClose(report.result.matmul, want.matmul);
    expectClose(report.result.conv, want.conv);
    expectClose(report.result.grad, want.grad);
    // Each worker sees only its own tensors.
    expect(report.afterTidy).toBe(report.startCount);
    expect(report.whileHolding).toMatchObject({ numTensors: report.startCount + 10 + report.k, numBytes: (10 + report.k) * 16 });
    expect(report.end.numTensors).toBe(report.startCount);
    // The OutOfMemoryError class is registered per thread.
    expect(report.oom).toMatchObject({ name: 'OutOfMemoryError', isClass: true });
    expect(report.oom!.message).toMatch(/^empty: /);
  }
}

describe('worker_threads', () => {
  it('dist/ is built (npm test builds it; otherwise run npm run build:ts)', () => {
    expect(fs.existsSync(path.join(__dirname, '..', 'dist', 'index.js'))).toBe(true);
  });

  it('4 workers load the addon at once and compute correctly, with their own memory()', async () => {
    const held = Array.from({ length: 25 }, () => nt.ones([2]));
    await wave([0, 1, 2, 3]);
    held.forEach((t) => t.dispose());
  });

  it('a second wave of workers works after the first has exited', async () => {
    await wave([4, 5, 6, 7]);
  });

  for (const [what, busy] of [['computing', { spin: true }], ['with predictions queued on a model\'s thread', { predicting: true }]] as const) {
    it(`terminating a worker ${what} leaves the process and later workers healthy`, async () => {
      const worker = new Worker(WORKER, { workerData: { k: 1, ...busy } });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 100));
      const exitCode = await worker.terminate();
      expect(exitCode).toBe(1);
      await wave([8]);
      expect(nt.ones([3]).sum().item()).toBe(3);
    });
  }
});
