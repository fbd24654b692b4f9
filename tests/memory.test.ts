/**
 * memory.test.ts — freeing native tensors: dispose() (idempotent; a disposed tensor cannot be
 * used), `using` / [Symbol.dispose], tidy() scopes (returned tensors survive, nesting, keep(),
 * errors, async functions refused), memory() counts and bytes, and the GC backstop (RSS and the
 * live count stay flat over 100k ops whose results are never disposed; GC-time finalizers survive
 * GC pressure with a fit running), and the CPU block cache behind tensor data (memory().cpuCachedBytes).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as nt from '../lib';

const live = (): number => nt.memory().numTensors;
const bytes = (): number => nt.memory().numBytes;
/** memory()'s tensor counts, without the block cache's figure (which any allocation may move). */
const counts = (): { numTensors: number; numBytes: number } => {
  const { numTensors, numBytes } = nt.memory();
  return { numTensors, numBytes };
};

describe('dispose()', () => {
  it('frees the tensor and lowers the live count and bytes', () => {
    const before = counts();
    const t = nt.zeros([1000]);
    expect(counts()).toEqual({ numTensors: before.numTensors + 1, numBytes: before.numBytes + 4000 });
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(counts()).toEqual(before);
  });
  it('is idempotent', () => {
    const t = nt.ones([3]);
    const before = live();
    t.dispose();
    expect(() => t.dispose()).not.toThrow();
    expect(live()).toBe(before - 1);
  });
  it('makes later use throw an Error naming the op', () => {
    const t = nt.ones([3]);
    const other = nt.ones([3]);
    t.dispose();
    expect(() => t.add(1)).toThrow(Error);
    expect(() => t.add(1)).toThrow(/^add: tensor was disposed$/);
    expect(() => other.mul(t)).toThrow(/^mul: tensor was disposed$/);
    expect(() => t.dataSync()).toThrow(/^dataSync: tensor was disposed$/);
    expect(() => t.item()).toThrow(/^item: tensor was disposed$/);
    expect(() => nt.cat([other, t], 0)).toThrow(/^cat: tensor was disposed$/);
  });
  it('leaves other handles to the same data working', () => {
    const t = nt.arange(6).reshape([2, 3]);
    const view = t.t();
    t.dispose();
    expect(view.arraySync()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
  it('shows as Tensor(disposed) in util.inspect', () => {
    const t = nt.ones([2]);
    t.dispose();
    expect(util.inspect(t)).toBe('Tensor(disposed)');
  });
});

// A disposed tensor's native handle is reused for later results (binding/tensor_wrap.cc, Recycle):
// the disposed Tensor must keep behaving as disposed, and never reach the tensor that reuses it.
describe('handle reuse after dispose', () => {
  it('a disposed tensor stays disposed while later results reuse its handle', () => {
    const a = nt.tensor([1, 2, 3]);
    const old = a.add(1);
    old.dispose();
    const fresh = a.mul(10); // takes the handle old gave up
    expect(old.isDisposed).toBe(true);
    expect(() => old.add(1)).toThrow(/^add: tensor was disposed$/);
    expect(() => fresh.add(old)).toThrow(/^add: tensor was disposed$/);
    old.dispose(); // a second dispose must not free the tensor that reuses the handle
    expect(fresh.isDisposed).toBe(false);
    expect(fresh.arraySync()).toEqual([10, 20, 30]);
    fresh.dispose();
    a.dispose();
  });
  it('tidy gives up its tensors the same way', () => {
    const a = nt.tensor([1, 2]);
    let inner: nt.Tensor | undefined;
    nt.tidy(() => {
      inner = a.add(1);
      inner.mul(2);
    });
    const results = Array.from({ length: 4 }, (_, i) => a.add(i));
    expect(inner?.isDisposed).toBe(true);
    expect(() => inner?.sum()).toThrow(/^sum: tensor was disposed$/);
    expect(results.map((t) => t.arraySync())).toEqual([[1, 2], [2, 3], [3, 4], [4, 5]]);
    nt.tidy(() => results.forEach((t) => t.dispose()));
    expect(results.every((t) => t.isDisposed)).toBe(true);
    a.dispose();
  });
  it('keeps memory() exact over many dispose/create cycles', () => {
    // Earlier tests' undisposed tensors go first, so that the GC backstop cannot free one mid-loop.
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    const before = counts();
    const a = nt.zeros([100]);
    for (let i = 0; i < 10_000; i++) a.add(i).dispose();
    nt.tidy(() => {
      for (let i = 0; i < 10_000; i++) a.mul(i);
    });
    a.dispose();
    expect(counts()).toEqual(before);
  });
});

describe('using / Symbol.dispose', () => {
  it('[Symbol.dispose] frees like dispose()', () => {
    const t = nt.ones([4]);
    const before = live();
    t[Symbol.dispose]();
    expect(t.isDisposed).toBe(true);
    expect(live()).toBe(before - 1);
    t[Symbol.dispose]();
  });
  it('a `using` declaration frees the tensor at the end of its block', () => {
    const before = live();
    let escaped: nt.Tensor;
    {
      using t = nt.ones([4]);
      escaped = t;
      expect(live()).toBe(before + 1);
    }
    expect(escaped.isDisposed).toBe(true);
    expect(live()).toBe(before);
  });
});

describe('tidy()', () => {
  it('frees everything created inside except the returned tensor', () => {
    const before = live();
    const x = nt.ones([3]);
    const y = nt.tidy(() => x.add(1).mul(2).sub(1));
    expect(y.arraySync()).toEqual([3, 3, 3]);
    expect(x.isDisposed).toBe(false);
    expect(live()).toBe(before + 2);
  });
  it('keeps tensors returned inside arrays, plain objects and Maps', () => {
    const before = live();
    const result = nt.tidy(() => {
      const a = nt.ones([2]);
      const b = a.add(1);
      const c = b.mul(3);
      return { list: [a, { deep: b }], map: new Map([['c', c]]), n: 5 };
    });
    expect(live()).toBe(before + 3);
    expect((result.list[0] as nt.Tensor).isDisposed).toBe(false);
    expect((result.map.get('c') as nt.Tensor).arraySync()).toEqual([6, 6]);
    expect(((result.list[1] as { deep: nt.Tensor }).deep).arraySync()).toEqual([2, 2]);
  });
  it('accepts a name as first argument', () => {
    const before = live();
    const out = nt.tidy('scope', () => nt.ones([1]).add(1));
    expect(out.item()).toBe(2);
    expect(live()).toBe(before + 1);
  });
  it('nests: survivors of an inner scope are freed by the outer one unless returned', () => {
    const before = live();
    let inner: nt.Tensor | undefined;
    const outer = nt.tidy(() => {
      inner = nt.tidy(() => nt.ones([2]).add(1));
      expect(inner.isDisposed).toBe(false);
      return inner.mul(2);
    });
    expect(inner?.isDisposed).toBe(true);
    expect(outer.arraySync()).toEqual([4, 4]);
    expect(live()).toBe(before + 1);
  });
  it('keep() protects a tensor from its scope', () => {
    const before = live();
    let kept: nt.Tensor | undefined;
    nt.tidy(() => {
      kept = nt.keep(nt.ones([2]).add(4));
      nt.zeros([2]);
    });
    expect(kept?.isDisposed).toBe(false);
    expect(kept?.arraySync()).toEqual([5, 5]);
    expect(live()).toBe(before + 1);
  });
  it('frees what it created when fn throws, and rethrows', () => {
    const before = live();
    const boom = new Error('boom');
    expect(() =>
      nt.tidy(() => {
        nt.ones([2]).add(1);
        throw boom;
      }),
    ).toThrow(boom);
    expect(live()).toBe(before);
  });
  it('throws TypeError for async functions and frees their synchronous tensors', async () => {
    const before = live();
    expect(() =>
      nt.tidy(async () => {
        nt.ones([2]).add(1);
        return 1;
      }),
    ).toThrow(TypeError);
    expect(() => nt.tidy(() => Promise.resolve(nt.ones([1])))).toThrow(/^tidy: fn must be synchronous/);
    expect(live()).toBe(before);
  });
  it('rejects a non-function', () => {
    expect(() => nt.tidy(5 as unknown as () => void)).toThrow(TypeError);
    expect(() => nt.tidy(5 as unknown as () => void)).toThrow(/^tidy: fn must be a function/);
  });
  it('returns numTensors and numBytes to their start after a busy scope', () => {
    const start = counts();
    nt.tidy(() => {
      const w = nt.randn([32, 32], { requiresGrad: true });
      for (let i = 0; i < 50; i++) w.matmul(w).relu().sum().backward();
      nt.arange(10).split(3);
      w.max(0);
      return 42;
    });
    expect(counts()).toEqual(start);
  });
});

describe('memory() accounting', () => {
  it('counts bytes by dtype and shape', () => {
    const before = bytes();
    const ts = [nt.zeros([10], { dtype: 'float64' }), nt.zeros([3, 5], { dtype: 'int16' }), nt.zeros([7], { dtype: 'bool' }), nt.zeros([2, 2], { dtype: 'int64' })];
    expect(bytes() - before).toBe(80 + 30 + 7 + 32);
    ts.forEach((t) => t.dispose());
    expect(bytes()).toBe(before);
  });
  it('counts a view as a tensor but not its shared bytes', () => {
    const t = nt.zeros([4, 8]);
    const start = counts();
    const views = [t.t(), t.reshape([32]), t.select(0, 1), t.detach()];
    expect(counts()).toEqual({ numTensors: start.numTensors + 4, numBytes: start.numBytes });
    views.forEach((v) => v.dispose());
    expect(counts()).toEqual(start);
  });
  it('reading data creates no tensor', async () => {
    const t = nt.ones([100]);
    const one = nt.ones([1]);
    const start = counts();
    t.dataSync();
    t.arraySync();
    one.item();
    expect(counts()).toEqual(start);
    // Across an await, GC finalizers of earlier tests' garbage may run and lower the count.
    await t.data();
    expect(nt.memory().numTensors).toBeLessThanOrEqual(start.numTensors);
  });
});

describe('CPU block cache', () => {
  const cached = (): number => nt.memory().cpuCachedBytes;
  it('is libtorch\'s CPU allocator', () => {
    expect(nt.info().cpuAllocator).toMatch(/^nodetorch's/);
  });
  it('keeps freed small blocks per size, up to 32, and hands them to the next tensors', () => {
    // Earlier tests' undisposed tensors go first: a GC finalizer could free one mid-test.
    v8.setFlagsFromString('--expose-gc');
    (vm.runInNewContext('gc') as () => void)();
    // [3, 7] float32: 84 bytes, kept as a 128-byte block. Forty tensors take every cached one.
    const make = (): nt.Tensor[] => Array.from({ length: 40 }, () => nt.zeros([3, 7]));
    const first = make();
    const drained = cached();
    first.forEach((t) => t.dispose());
    expect(cached() - drained).toBe(32 * 128);
    const second = make();
    expect(cached()).toBe(drained);
    expect(second.every((t) => t.sum().item() === 0)).toBe(true);
    second.forEach((t) => t.dispose());
    // Blocks over 64 KiB go straight back to glibc.
    const before = cached();
    nt.zeros([32768]).dispose();
    expect(cached()).toBe(before);
  });
  it('gives tensors made and freed on other threads correct data', async () => {
    const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 3 })] });
    const x = nt.randn([5, 4]);
    const want = model.predictSync(x).arraySync();
    for (let i = 0; i < 50; i++) {
      const y = await model.predict(x);
      expect(y.arraySync()).toEqual(want);
      y.dispose();
    }
    x.dispose();
    model.dispose();
  });
  it('is off, with glibc\'s settings, under NODETORCH_MALLOC=default', () => {
    const script = `const nt = require(${JSON.stringify(path.join(__dirname, '..'))});
      for (let i = 0; i < 10; i++) nt.zeros([8, 8]).dispose();
      console.log(JSON.stringify([nt.info().cpuAllocator, nt.info().malloc, nt.memory().cpuCachedBytes]));`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODETORCH_MALLOC: 'default' } });
    expect(JSON.parse(out)).toEqual(["libtorch's (NODETORCH_MALLOC=default)", 'glibc defaults (NODETORCH_MALLOC=default)', 0]);
  });
  // Debian's libjemalloc2 (scripts/bootstrap.sh installs it): README's advice for code that leaves results to the GC.
  const jemalloc = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
  it.skipIf(!fs.existsSync(jemalloc))('leaves a preloaded jemalloc its own settings, and frees the GC path through it', () => {
    const script = `const nt = require(${JSON.stringify(path.join(__dirname, '..'))});
      const a = nt.randn([8, 8]);
      const want = a.relu().sum().item();
      (async () => {
        let same = true;
        for (let i = 1; i <= 20000; i++) { if (a.relu().sum().item() !== want) same = false; if (i % 1000 === 0) await new Promise((r) => setImmediate(r)); }
        console.log(JSON.stringify([nt.info().malloc, same, nt.memory().numTensors < 20000]));
      })();`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LD_PRELOAD: jemalloc } });
    expect(JSON.parse(out)).toEqual(['jemalloc, preloaded (its own settings)', true, true]);
  });
});
describe('GC backstop', () => {
  it('RSS and the live count stay flat over 150k undisposed ops on small tensors', () => {
    // In a process of its own (tests/helpers/gc_churn.js): a warm-up round, then three measured rounds.
    const out = execFileSync(process.execPath, [path.join(__dirname, 'helpers', 'gc_churn.js')], { encoding: 'utf8', timeout: 60_000 });
    const { rssBefore, rssGrowths, peak, liveAtStart } = JSON.parse(out) as { rssBefore: number; rssGrowths: number[]; peak: number; liveAtStart: number };
    // Each op leaves a 256-byte result plus its native tensor and handle (~700 bytes in all):
    // leaking them would add over 100 MB in every round, far over this bound. A one-time step (V8
    // growing its heap, or glibc keeping a higher peak: CI once saw 55 MB in one round) is not a
    // leak, so one round of the three must stay flat.
    const bound = Math.max(0.05 * rssBefore, 30 * 1024 * 1024);
    expect(Math.min(...rssGrowths), `RSS growth per round: ${rssGrowths.join(', ')} bytes`).toBeLessThan(bound);
    // 300k tensors were created; without finalizers all of them would still be alive.
    expect(peak - liveAtStart).toBeLessThan(150_000);
  }, 90_000);

  it('survives GC-time finalizers under pressure: varied sizes, forced GCs, orphaned models, a fit meanwhile', () => {
    // In a process of its own (tests/helpers/gc_stress.js), so that an abort fails this test alone.
    // Before V8 heard of freed bytes only outside the GC, this aborted every run ("Check failed:
    // marking_done_" in CppHeap::TraceEpilogue, exit by SIGTRAP).
    const out = execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'helpers', 'gc_stress.js')], { encoding: 'utf8', timeout: 120_000 });
    const { rounds, batches, liveGrowth } = JSON.parse(out) as Record<string, number>;
    expect(rounds).toBeGreaterThanOrEqual(200);
    expect(batches).toBe(30 * 64);  // 30 epochs of 512 samples in batches of 8
    expect(liveGrowth).toBeLessThanOrEqual(2);  // at most the fit's x and y: every result was freed
  }, 150_000);

  it('frees undisposed results during a loop that never yields (finalizers run in the GC)', () => {
    nt.manualSeed(0);
    const a = nt.randn([8, 8]);
    const liveAtStart = live();
    let peak = 0;
    // 600k results, never disposed, no await: finalizers deferred to the event loop would leave all
    // of them alive until the loop ends. Run in the GC, they leave at most what one young
    // generation holds between scavenges (up to ~160k in the test runner's grown heap).
    for (let chunk = 0; chunk < 600; chunk++) {
      for (let i = 0; i < 1000; i++) a.add(i);
      peak = Math.max(peak, live() - liveAtStart);
    }
    expect(peak).toBeLessThan(300_000);
  }, 60_000);
});
