#!/usr/bin/env node
/**
 * ops_handles.js — what a JS handle to a native object costs under Node-API, by mechanism: the
 * question behind nodetorch's per-op overhead (BENCHMARKS.md, "Per-op latency"). Each case makes
 * (or reads) one handle per iteration inside a small JS object, as `new Tensor(handle)` does, and
 * leaves it to the GC; no libtorch is involved.
 *
 *   node bench/ops_handles.js [--rounds 5] [--n 2000000]      CPU ns per iteration, min over rounds
 *     (after a warm-up; the order of the cases rotates every round)
 *   node bench/ops_handles.js --case external --n 200000       one case, for a profiler:
 *   valgrind --tool=callgrind node bench/ops_handles.js --case external --n 200000
 *     (instructions per iteration = the difference against --n 0, divided by n)
 *
 * Cases: external (napi_create_external + finalizer: nodetorch's handle), externalNoFinalizer (its
 * floor, with no GC backstop), wrapped (napi_create_object + napi_wrap), number (a slot index, no
 * JS object), numberRegistered (a slot index whose Tensor registers in a FinalizationRegistry),
 * the dispose path (a result made and given back at once): externalDisposed (a new external each
 * time, as before handles were recycled), pooledStrong (a disposed handle kept by a strong
 * reference and handed out again: binding/tensor_wrap.cc's Recycle) and pooledWeak (the same with
 * one lifelong reference toggled strong/weak), and the argument reads readExternal / readWrapped /
 * readNumber.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { root } = require('./common');

function addon() {
  const src = path.join(__dirname, 'ops_handles.c');
  const bin = path.join(root, 'build', 'bench', 'ops_handles.node');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const include = path.dirname(require.resolve('node-api-headers/include/node_api.h'));
    execFileSync('gcc', ['-O2', '-shared', '-fPIC', `-I${include}`, src, '-o', bin], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return require(bin);
}

function parseArgs(argv) {
  const opts = { rounds: 5, n: 2_000_000, case: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') opts.rounds = Number(argv[++i]);
    else if (argv[i] === '--n') opts.n = Number(argv[++i]);
    else if (argv[i] === '--case') opts.case = argv[++i];
    else throw new Error(`bench/ops_handles.js: unknown argument '${argv[i]}' (expected --rounds N, --n N, --case NAME)`);
  }
  return opts;
}

/** A stand-in for Tensor: one field holding the handle. */
class Holder {
  constructor(h) {
    this._h = h;
  }
}

function cases(m) {
  const registry = new FinalizationRegistry(() => {});
  const e = m.external();
  const w = m.wrapped();
  const k = m.number();
  return {
    external: () => new Holder(m.external()),
    externalNoFinalizer: () => new Holder(m.externalNoFinalizer()),
    wrapped: () => new Holder(m.wrapped()),
    number: () => new Holder(m.number()),
    numberRegistered: () => {
      const h = new Holder(m.number());
      registry.register(h, 7);
      return h;
    },
    externalDisposed: () => m.readExternal(new Holder(m.external())._h),
    pooledStrong: () => m.poolGiveStrong(new Holder(m.poolTakeStrong())._h),
    pooledWeak: () => m.poolGiveWeak(new Holder(m.poolTakeWeak())._h),
    readExternal: () => m.readExternal(e),
    readWrapped: () => m.readWrapped(w),
    readNumber: () => m.readNumber(k),
  };
}

function cpuNs() {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const all = cases(addon());
  if (opts.case !== null) {
    const f = all[opts.case];
    if (f === undefined) throw new Error(`bench/ops_handles.js: no case '${opts.case}' (cases: ${Object.keys(all).join(', ')})`);
    for (let i = 0; i < opts.n; i++) f();
    return;
  }
  const entries = Object.entries(all);
  for (const [, f] of entries) for (let i = 0; i < opts.n / 10; i++) f(); // warm-up, not counted
  const best = {};
  for (let r = 0; r < opts.rounds; r++) {
    for (let c = 0; c < entries.length; c++) {
      const [name, f] = entries[(r + c) % entries.length]; // the order rotates every round
      const start = cpuNs();
      for (let i = 0; i < opts.n; i++) f();
      best[name] = Math.min(best[name] ?? Infinity, (cpuNs() - start) / opts.n);
    }
  }
  console.log(`Node ${process.version}; CPU ns per iteration (min over ${opts.rounds} rounds of ${opts.n}; GC included)`);
  for (const [name, ns] of Object.entries(best)) console.log(`${name.padEnd(22)} ${ns.toFixed(0)}`);
}

main();
