#!/usr/bin/env node
/**
 * ops.js — per-op latency of small tensor ops: nodetorch vs PyTorch-Python vs plain C++, all on
 * the same libtorch, one intra-op thread each.
 *
 *   npm run bench:ops    (or: node bench/ops.js [--rounds 9] [--only add,conv2d] [--clock cpu|wall] [--round-ms 200] [--cpu 0|none])
 *
 * One run starts a persistent PyTorch-Python child (bench/ops_torch.py under /usr/bin/python3,
 * or $NODETORCH_BENCH_PYTHON) and a plain libtorch C++ child (bench/ops_cpp.cc, compiled with
 * g++ into build/bench/ on first run), then for each op alternates timing rounds between the
 * sides (the order rotates every round), so that the machine's noise hits all of them alike.
 * Each side reports the median ns/op over its rounds; a ratio is the median, over the rounds, of
 * that round's time divided by the same round's PyTorch time (pairs measured moments apart).
 * Every side's main thread runs on the same CPU (--cpu, default 0, through taskset; Node's GC
 * threads stay free): on this VM the two vCPUs differ in speed for minutes at a time, and sides
 * on different vCPUs measured that.
 *
 * The nodetorch side is the public API as a user calls it (`a.add(b)`), with each result freed
 * the three ways real loops do: `.dispose()` right after the call, an `nt.tidy` scope around
 * every 10 calls (like a tidy around a small loop body), or nothing at all (the GC path: results
 * are left to the garbage collector, and the loop yields to the event loop every 1,000 ops, as
 * code that awaits anything does). Python frees results by reference counting (GC enabled);
 * C++ at the end of each statement.
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { setImmediate: tick } = require('node:timers/promises');
const { LineChild, pythonCommand, cppBinary, median, table, root, pinMainThread } = require('./common');

const nt = require(root);
const F = nt.nn.functional;

/**
 * Inputs, created alike on every side: randn float32 on the CPU (`grad`: requiring gradients),
 * or an int64 index tensor with the listed values.
 */
const INPUTS = {
  a: { shape: [8, 8] },
  b: { shape: [8, 8] },
  x: { shape: [1, 3, 16, 16] },
  w: { shape: [8, 3, 3, 3] },
  bias: { shape: [8] },
  y: { shape: [1, 8, 16, 16] },
  lx: { shape: [4, 16] },
  lw: { shape: [8, 16] },
  lb: { shape: [8] },
  pa: { shape: [8, 8], grad: true },
  pw: { shape: [8, 8], grad: true },
  po: { shape: [8, 8], grad: true },
  idx: { index: [0, 2, 4, 6] },
};

/** After the inputs: an Adam optimizer over `po`, whose gradient is set once. */
const JS_SETUP = (v) => {
  v.po.grad = nt.randn([8, 8]);
  v.opt = nt.optim.adam([v.po], { lr: 1e-3 });
};
const PY_SETUP = 'po.grad = torch.randn(8, 8)\nopt = torch.optim.Adam([po], lr=1e-3)';

/**
 * The ops: the same call in JS and in Python (the C++ child knows each by name). `js` is an
 * expression; `dispose` is the dispose path's statement when `(js).dispose()` is not it (ops that
 * make several tensors or none).
 */
const OPS = [
  { name: 'add', what: '[8,8] + [8,8]', js: 'a.add(b)', py: 'a.add(b)' },
  { name: 'mul', what: '[8,8] * [8,8]', js: 'a.mul(b)', py: 'a.mul(b)' },
  { name: 'addScalar', what: '[8,8] + 1', js: 'a.add(1)', py: 'a.add(1)' },
  { name: 'relu', what: '[8,8]', js: 'a.relu()', py: 'a.relu()' },
  { name: 'sigmoid', what: '[8,8]', js: 'a.sigmoid()', py: 'a.sigmoid()' },
  { name: 'sum', what: '[8,8] -> scalar', js: 'a.sum()', py: 'a.sum()' },
  { name: 'meanDim', what: '[8,8] -> [8], dim 1', js: 'a.mean(1)', py: 'a.mean(1)' },
  { name: 'softmax', what: '[8,8], dim 1', js: 'a.softmax(1)', py: 'a.softmax(1)' },
  { name: 'view', what: '[8,8] -> [4,16]', js: 'a.view(4, 16)', py: 'a.view(4, 16)' },
  { name: 'transpose', what: '[8,8] dims 0,1', js: 'a.transpose(0, 1)', py: 'a.transpose(0, 1)' },
  { name: 'select', what: '[8,8] row 3 (a[3])', js: 'a.select(0, 3)', py: 'a[3]' },
  { name: 'indexSelect', what: '[8,8] rows [0,2,4,6]', js: 'a.indexSelect(0, idx)', py: 'a.index_select(0, idx)' },
  { name: 'matmul', what: '[8,8] @ [8,8]', js: 'a.matmul(b)', py: 'a.matmul(b)' },
  { name: 'linear', what: '[4,16] x [8,16]^T + [8]', js: 'nt.linear(lx, lw, lb)', py: 'F.linear(lx, lw, lb)' },
  {
    name: 'conv2d',
    what: '[1,3,16,16] * [8,3,3,3], pad 1',
    js: 'F.conv2d(x, w, bias, { padding: 1 })',
    py: 'F.conv2d(x, w, bias, padding=1)',
  },
  { name: 'maxPool2d', what: '[1,8,16,16], kernel 2', js: 'F.maxPool2d(y, 2)', py: 'F.max_pool2d(y, 2)' },
  {
    name: 'backward',
    what: 'relu(pa @ pw).sum().backward()',
    js: 'pa.matmul(pw).relu().sum().backward()',
    dispose: '{ const m = pa.matmul(pw); const r = m.relu(); const s = r.sum(); s.backward(); m.dispose(); r.dispose(); s.dispose(); }',
    py: 'pa.matmul(pw).relu().sum().backward()',
  },
  { name: 'adamStep', what: 'nt.optim.adam, one [8,8] param', js: 'opt.step()', dispose: 'opt.step();', py: 'opt.step()' },
];

const TIDY_CHUNK = 10;
const GC_YIELD_EVERY = 1000;
/**
 * Default length of one timing round. A round must span several young-generation GCs: a scavenge
 * comes every ~40k small results and costs ~20 ms (it collects their handles), so 25 ms rounds
 * either held one or none, the same way in every run — the tidy and GC columns of some ops read 2×
 * and others 1× by where the scavenge fell, not by what the op costs.
 */
const ROUND_MS = 200;
const MIN_ITERS = 2 * GC_YIELD_EVERY;

function parseArgs(argv) {
  const opts = { rounds: 15, only: null, clock: 'cpu', roundMs: ROUND_MS, cpu: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') opts.rounds = Number(argv[++i]);
    else if (argv[i] === '--only') opts.only = argv[++i].split(',');
    else if (argv[i] === '--clock') opts.clock = argv[++i];
    else if (argv[i] === '--round-ms') opts.roundMs = Number(argv[++i]);
    else if (argv[i] === '--cpu') opts.cpu = argv[++i] === 'none' ? null : Number(argv[i]);
    else throw new Error(`bench/ops.js: unknown argument '${argv[i]}' (expected --rounds N, --only op,op, --clock cpu|wall, --round-ms MS, --cpu N|none)`);
  }
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error('bench/ops.js: --rounds must be a positive integer');
  if (!(opts.roundMs > 0)) throw new Error('bench/ops.js: --round-ms must be a positive number');
  if (opts.cpu !== null && !Number.isInteger(opts.cpu)) throw new Error("bench/ops.js: --cpu must be a CPU number or 'none'");
  if (opts.clock !== 'cpu' && opts.clock !== 'wall') throw new Error("bench/ops.js: --clock must be 'cpu' or 'wall'");
  return opts;
}

/**
 * Nanoseconds now on the chosen clock. 'cpu' is the process's CPU time (all its threads, user +
 * system; Python's time.process_time, C++'s CLOCK_PROCESS_CPUTIME_ID): on a shared machine it
 * leaves out the time the process waits for a core, which wall time ('wall') counts.
 */
function clockNs(clock) {
  if (clock === 'wall') return Number(process.hrtime.bigint());
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/**
 * Each nodetorch round pays for collecting its own garbage: it ends with a full collection, timed
 * with it, minus the time of a second full collection right after (the cost of marking the heap
 * the bench itself keeps alive, which is not the round's). Without it, the handles a GC-path round
 * left behind were collected (finalizers and all) during whichever round allocated next, usually a
 * dispose or tidy round; and ops with sizeable results (conv2d, maxPool2d) made V8 start
 * incremental marking for the native bytes they report, whose mark-compact then fell into the next
 * round (2.6–5.4 ms of a 200 ms dispose round, `node --trace-gc`).
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
async function timeRound(clock, run) {
  const start = clockNs(clock);
  await run();
  gc();
  const end = clockNs(clock);
  gc();
  return end - start - (clockNs(clock) - end);
}

/** The nodetorch side: one timing function per op and disposal style (each returns ns/op). */
function nodeSide(clock) {
  nt.setNumThreads(1);
  nt.manualSeed(0);
  const inputs = Object.fromEntries(
    Object.entries(INPUTS).map(([k, spec]) => [
      k,
      spec.index ? nt.tensor(spec.index, { dtype: 'int64' }) : nt.randn(spec.shape, { requiresGrad: Boolean(spec.grad) }),
    ]),
  );
  JS_SETUP(inputs);
  const names = Object.keys(inputs);
  const loops = (body) => new Function('nt', 'F', 'tick', ...names, 'n', body);
  const timers = {};
  for (const op of OPS) {
    const disposeStatement = op.dispose ?? `(${op.js}).dispose();`;
    const dispose = loops(`for (let i = 0; i < n; i++) ${disposeStatement}`);
    const tidy = loops(`for (let i = 0; i < n; i += ${TIDY_CHUNK}) nt.tidy(() => { for (let j = 0; j < ${TIDY_CHUNK}; j++) ${op.js}; });`);
    const gc = loops(`return (async () => { for (let i = 1; i <= n; i++) { ${op.js}; if (i % ${GC_YIELD_EVERY} === 0) await tick(); } })();`);
    const time = (fn) => async (n) => (await timeRound(clock, () => fn(nt, F, tick, ...names.map((k) => inputs[k]), n))) / n;
    timers[op.name] = { dispose: time(dispose), tidy: time(tidy), gc: time(gc) };
  }
  return timers;
}

async function startPython(clock) {
  const child = new LineChild('PyTorch-Python', pythonCommand(), [path.join(__dirname, 'ops_torch.py'), clock]);
  const ops = Object.fromEntries(OPS.map((op) => [op.name, op.py]));
  const setup = JSON.parse(await child.ask(JSON.stringify({ cmd: 'setup', ops, inputs: INPUTS, setup: PY_SETUP })));
  return { child, version: setup.torch, threads: setup.threads };
}

async function startCpp(clock) {
  const bin = cppBinary('ops_cpp');
  if (bin === null) return null;
  const child = new LineChild('C++ libtorch', bin, [clock]);
  for (const [name, spec] of Object.entries(INPUTS)) {
    await child.ask(spec.index ? `index ${name} ${spec.index.join(' ')}` : `tensor ${name} ${spec.grad ? 1 : 0} ${spec.shape.join(' ')}`);
  }
  return child;
}

function loadAvg() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

/**
 * Iterations per round: enough for ~roundMs on nodetorch (the fastest of three trials, so that a
 * preempted trial does not shrink the rounds), a multiple of the tidy chunk, and at least
 * MIN_ITERS (two GC-path yields).
 */
async function calibrate(timer, roundMs) {
  let n = TIDY_CHUNK;
  await timer.dispose(n);
  for (;;) {
    const ns = Math.min(await timer.dispose(n), await timer.dispose(n), await timer.dispose(n)) * n;
    if (ns >= 5e6) return Math.max(MIN_ITERS, Math.round((n * roundMs * 1e6) / ns / TIDY_CHUNK) * TIDY_CHUNK);
    n *= 4;
  }
}

async function benchOp(op, node, python, cpp, rounds, roundMs) {
  const n = await calibrate(node[op.name], roundMs);
  const sides = [
    ['dispose', () => node[op.name].dispose(n)],
    ['tidy', () => node[op.name].tidy(n)],
    ['gc', () => node[op.name].gc(n)],
    ['python', async () => JSON.parse(await python.ask(JSON.stringify({ cmd: 'time', op: op.name, iters: n }))).ns],
  ];
  if (cpp !== null) sides.push(['cpp', async () => Number(await cpp.ask(`time ${op.name} ${n}`))]);
  for (const [, run] of sides) await run(); // warm-up round, not counted
  const samples = Object.fromEntries(sides.map(([k]) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < sides.length; s++) {
      const [key, run] = sides[(r + s) % sides.length];
      samples[key].push(await run());
    }
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
  const ratios = Object.fromEntries(
    Object.entries(samples).map(([k, xs]) => [k, median(xs.map((x, r) => x / samples.python[r]))]),
  );
  return { n, medians, ratios };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  pinMainThread(opts.cpu);
  const ops = opts.only === null ? OPS : OPS.filter((op) => opts.only.includes(op.name));
  if (ops.length === 0) throw new Error(`bench/ops.js: --only matched no op (ops: ${OPS.map((o) => o.name).join(', ')})`);
  const loadBefore = loadAvg();
  const node = nodeSide(opts.clock);
  const python = await startPython(opts.clock);
  const cpp = await startCpp(opts.clock);
  const info = nt.info();
  console.log(`nodetorch ${info.nodetorchVersion} (libtorch ${info.libtorchVersion}) on Node ${process.version}; ` +
    `PyTorch ${python.version}; ${os.cpus()[0].model}, ${os.cpus().length} cores`);
  console.log(`threads: nodetorch ${nt.getNumThreads()} (OpenBLAS ${info.blasThreads ?? 'n/a'}), PyTorch ${python.threads}, C++ 1; ` +
    `${opts.rounds} interleaved rounds per op, ~${opts.roundMs} ms each; clock: ${opts.clock === 'cpu' ? 'process CPU time' : 'wall time'}; ` +
    `${opts.cpu === null ? 'unpinned' : `every side's main thread pinned to CPU ${opts.cpu}`}\n`);

  const rows = [];
  for (const op of ops) {
    const { n, medians: m, ratios: q } = await benchOp(op, node, python.child, cpp, opts.rounds, opts.roundMs);
    const ns = (v) => (v === undefined ? 'n/a' : v.toFixed(0));
    const ratio = (v) => (v === undefined ? 'n/a' : v.toFixed(2));
    rows.push([
      op.name, op.what, String(n), ns(m.dispose), ns(m.tidy), ns(m.gc), ns(m.python), ns(m.cpp),
      ratio(q.dispose), ratio(q.tidy), ratio(q.gc), ratio(q.cpp),
    ]);
    process.stderr.write(`  ${op.name} done\n`);
  }
  console.log(table(rows, [
    'op', 'inputs', 'iters/round', 'nt dispose ns', 'nt tidy ns', 'nt GC ns', 'PyTorch ns', 'C++ ns',
    'nt dispose / Py', 'nt tidy / Py', 'nt GC / Py', 'C++ / Py',
  ], 2));
  console.log(`\nns = median ${opts.clock === 'cpu' ? 'CPU' : 'wall'} ns per op over the rounds; ratio = median over the rounds of (that side / PyTorch-Python in the`);
  console.log('same round); <= 1.00: as fast or faster. nt dispose: `.dispose()` after each call; nt tidy: `nt.tidy` per 10 calls;');
  console.log(`nt GC: no dispose, no tidy, the loop yields every ${GC_YIELD_EVERY} ops. malloc: nodetorch ${info.malloc}; PyTorch and C++ glibc defaults. CPU allocator: nodetorch ${info.cpuAllocator}; PyTorch and C++ libtorch's own.`);
  console.log(`load average before / after: ${loadBefore} / ${loadAvg()} (${os.cpus().length} cores; noise grows with it)`);
  await Promise.all([python.child.close(), cpp?.close()]);
}

// bench/libtorch.js reuses the nodetorch side.
module.exports = { OPS, nodeSide };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
