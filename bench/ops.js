#!/usr/bin/env node
/**
 * ops.js — per-op latency of small tensor ops: nodetorch vs PyTorch-Python vs plain C++, all on
 * the same libtorch, one intra-op thread each.
 *
 *   npm run bench:ops            (or: node bench/ops.js [--rounds 9] [--only add,conv2d])
 *
 * One run starts a persistent PyTorch-Python child (bench/ops_torch.py under /usr/bin/python3,
 * or $NODETORCH_BENCH_PYTHON) and a plain libtorch C++ child (bench/ops_cpp.cc, compiled with
 * g++ into build/bench/ on first run), then for each op alternates timing rounds between the
 * sides (the order rotates every round), so that the machine's noise hits all of them alike.
 * Each side reports the median ns/op over its rounds; a ratio is the median, over the rounds, of
 * that round's time divided by the same round's PyTorch time (pairs measured moments apart).
 *
 * The nodetorch side is the public API as a user calls it (`a.add(b)`), with each result freed
 * the two ways real loops do: `.dispose()` right after the call, or an `nt.tidy` scope around
 * every 10 calls (like a tidy around a small loop body). Python frees results by reference
 * counting (GC enabled); C++ at the end of each statement.
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const { LineChild, pythonCommand, cppBinary, median, table, root } = require('./common');

const nt = require(root);
const F = nt.nn.functional;

/** Inputs, created alike (randn, float32, CPU) on every side. */
const SHAPES = { a: [8, 8], b: [8, 8], x: [1, 3, 16, 16], w: [8, 3, 3, 3], bias: [8] };

/** The ops: the same call in JS and in Python (the C++ child knows each by name). */
const OPS = [
  { name: 'add', what: '[8,8] + [8,8]', js: 'a.add(b)', py: 'a.add(b)' },
  { name: 'mul', what: '[8,8] * [8,8]', js: 'a.mul(b)', py: 'a.mul(b)' },
  { name: 'relu', what: '[8,8]', js: 'a.relu()', py: 'a.relu()' },
  { name: 'sum', what: '[8,8] -> scalar', js: 'a.sum()', py: 'a.sum()' },
  { name: 'matmul', what: '[8,8] @ [8,8]', js: 'a.matmul(b)', py: 'a.matmul(b)' },
  {
    name: 'conv2d',
    what: '[1,3,16,16] * [8,3,3,3], pad 1',
    js: 'F.conv2d(x, w, bias, { padding: 1 })',
    py: 'F.conv2d(x, w, bias, padding=1)',
  },
];

const TIDY_CHUNK = 10;
const ROUND_MS = 25; // target length of one timing round

function parseArgs(argv) {
  const opts = { rounds: 15, only: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') opts.rounds = Number(argv[++i]);
    else if (argv[i] === '--only') opts.only = argv[++i].split(',');
    else throw new Error(`bench/ops.js: unknown argument '${argv[i]}' (expected --rounds N, --only op,op)`);
  }
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error('bench/ops.js: --rounds must be a positive integer');
  return opts;
}

/** The nodetorch side: one timing function per op and disposal style. */
function nodeSide() {
  nt.setNumThreads(1);
  nt.manualSeed(0);
  const inputs = Object.fromEntries(Object.entries(SHAPES).map(([k, shape]) => [k, nt.randn(shape)]));
  const names = Object.keys(inputs);
  const loops = (body) => new Function('nt', 'F', ...names, 'n', body);
  const timers = {};
  for (const op of OPS) {
    const dispose = loops(`for (let i = 0; i < n; i++) (${op.js}).dispose();`);
    const tidy = loops(`for (let i = 0; i < n; i += ${TIDY_CHUNK}) nt.tidy(() => { for (let j = 0; j < ${TIDY_CHUNK}; j++) ${op.js}; });`);
    const time = (fn) => (n) => {
      const start = process.hrtime.bigint();
      fn(nt, F, ...names.map((k) => inputs[k]), n);
      return Number(process.hrtime.bigint() - start) / n;
    };
    timers[op.name] = { dispose: time(dispose), tidy: time(tidy) };
  }
  return timers;
}

async function startPython() {
  const child = new LineChild('PyTorch-Python', pythonCommand(), [path.join(__dirname, 'ops_torch.py')]);
  const ops = Object.fromEntries(OPS.map((op) => [op.name, op.py]));
  const setup = JSON.parse(await child.ask(JSON.stringify({ cmd: 'setup', ops, shapes: SHAPES })));
  return { child, version: setup.torch, threads: setup.threads };
}

async function startCpp() {
  const bin = cppBinary('ops_cpp');
  if (bin === null) return null;
  const child = new LineChild('C++ libtorch', bin, []);
  for (const [name, shape] of Object.entries(SHAPES)) await child.ask(`tensor ${name} ${shape.join(' ')}`);
  return child;
}

function loadAvg() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** Iterations per round: enough for ~ROUND_MS on nodetorch, a multiple of the tidy chunk. */
function calibrate(timer) {
  let n = TIDY_CHUNK;
  timer.dispose(n);
  for (;;) {
    const ns = timer.dispose(n) * n;
    if (ns >= 5e6) return Math.max(TIDY_CHUNK, Math.round((n * ROUND_MS * 1e6) / ns / TIDY_CHUNK) * TIDY_CHUNK);
    n *= 4;
  }
}

async function benchOp(op, node, python, cpp, rounds) {
  const n = calibrate(node[op.name]);
  const sides = [
    ['dispose', async () => node[op.name].dispose(n)],
    ['tidy', async () => node[op.name].tidy(n)],
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
  const ops = opts.only === null ? OPS : OPS.filter((op) => opts.only.includes(op.name));
  if (ops.length === 0) throw new Error(`bench/ops.js: --only matched no op (ops: ${OPS.map((o) => o.name).join(', ')})`);
  const loadBefore = loadAvg();
  const node = nodeSide();
  const python = await startPython();
  const cpp = await startCpp();
  const info = nt.info();
  console.log(`nodetorch ${info.nodetorchVersion} (libtorch ${info.libtorchVersion}) on Node ${process.version}; ` +
    `PyTorch ${python.version}; ${os.cpus()[0].model}, ${os.cpus().length} cores`);
  console.log(`threads: nodetorch ${nt.getNumThreads()}, PyTorch ${python.threads}, C++ 1; ${opts.rounds} interleaved rounds per op, ~${ROUND_MS} ms each\n`);

  const rows = [];
  for (const op of ops) {
    const { n, medians: m, ratios: q } = await benchOp(op, node, python.child, cpp, opts.rounds);
    const ns = (v) => (v === undefined ? 'n/a' : v.toFixed(0));
    const ratio = (v) => (v === undefined ? 'n/a' : v.toFixed(2));
    rows.push([op.name, op.what, String(n), ns(m.dispose), ns(m.tidy), ns(m.python), ns(m.cpp), ratio(q.dispose), ratio(q.tidy), ratio(q.cpp)]);
    process.stderr.write(`  ${op.name} done\n`);
  }
  console.log(table(rows, [
    'op', 'inputs', 'iters/round', 'nt dispose ns', 'nt tidy ns', 'PyTorch ns', 'C++ ns', 'nt dispose / Py', 'nt tidy / Py', 'C++ / Py',
  ], 2));
  console.log('\nns = median ns per op over the rounds; ratio = median over the rounds of (that side / PyTorch-Python in the');
  console.log('same round); <= 1.00: as fast or faster. nt dispose: `.dispose()` after each call; nt tidy: `nt.tidy` per 10 calls.');
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
