#!/usr/bin/env node
/**
 * libtorch.js — the same nodetorch workloads on two builds of the addon, e.g. against Debian's
 * libtorch 1.13 and against a PyTorch wheel's 2.x (scripts/libtorch-from-wheel.sh), in one run:
 * the nodetorch sides of bench/train.js (trainOnBatchSync at batch 8 and 64, fit at 64),
 * parts of that step alone (the dense layer's sgemm, a conv forward and backward, Adam), bench/ops.js
 * (each op, results disposed) and bench/gan.js (GanTrainer.trainStep), one thread.
 *
 *   node bench/libtorch.js [--addons build/Release/nodetorch.node,build-wheel/Release/nodetorch.node]
 *                          [--runs 2] [--rounds 7] [--round-ms 300] [--only REGEX]
 *
 * Each build runs in its own child process (bench/libtorch_side.js with NODETORCH_ADDON). For each
 * workload the rounds alternate between the two (the order swaps every round), so the machine's
 * noise hits both alike; a run's ratio is the median of the per-round ratios of throughput
 * (second build ÷ first: > 1.00, the second is faster). --runs repeats everything with fresh
 * children and the table gives each ratio's min–max over the runs. --only keeps the workloads whose
 * label matches.
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const { LineChild, median, table, root } = require('./common');

const WORKLOADS = [
  { label: 'CNN trainOnBatchSync, batch 8', cmd: 'train', kind: 'sync', batch: 8, unit: 'img/s', work: 8 },
  { label: 'CNN trainOnBatchSync, batch 64', cmd: 'train', kind: 'sync', batch: 64, unit: 'img/s', work: 64 },
  { label: 'CNN fit, batch 64', cmd: 'train', kind: 'fit', batch: 64, unit: 'img/s', work: 64 },
  { label: 'matmul [64,3136] @ [3136,128] (the dense layer: BLAS sgemm)', cmd: 'kernel', name: 'sgemm', unit: 'img/s', work: 64 },
  { label: 'conv2d [64,32,14,14] * [64,32,3,3], pad 1 (forward)', cmd: 'kernel', name: 'conv', unit: 'img/s', work: 64 },
  { label: 'the same conv2d, forward + backward', cmd: 'kernel', name: 'convBackward', unit: 'img/s', work: 64 },
  { label: 'Adam step over the CNN\'s parameters (421k)', cmd: 'kernel', name: 'adam', unit: 'steps/s', work: 1 },
  ...require('./ops').OPS.map((op) => ({ label: `${op.name} ${op.what}`, cmd: 'op', name: op.name, unit: 'ops/s', work: 1 })),
  ...require('./gan').CONFIGS.map((c, config) => ({ label: `DCGAN ${c.size}×${c.size}×${c.channels} trainStep, batch ${c.batch}`, cmd: 'gan', config, unit: 'img/s', work: c.batch })),
];

function parseArgs(argv) {
  const opts = { addons: ['build/Release/nodetorch.node', 'build-wheel/Release/nodetorch.node'], runs: 2, rounds: 7, roundMs: 300, only: /./ };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (argv[i] === '--addons' && value) opts.addons = value.split(',');
    else if (argv[i] === '--only' && value) opts.only = new RegExp(value);
    else if (['--runs', '--rounds', '--round-ms'].includes(argv[i]) && Number.isInteger(Number(value)) && Number(value) > 0) {
      opts[{ '--runs': 'runs', '--rounds': 'rounds', '--round-ms': 'roundMs' }[argv[i]]] = Number(value);
    } else throw new Error(`bench/libtorch.js: unknown argument '${argv[i]} ${value}' (expected --addons a,b, --runs N, --rounds N, --round-ms N, --only REGEX)`);
  }
  if (opts.addons.length !== 2) throw new Error('bench/libtorch.js: --addons takes two addon files');
  opts.addons = opts.addons.map((a) => path.resolve(root, a));
  return opts;
}

/** One child per build. */
function start(addon) {
  const env = { ...process.env, NODETORCH_ADDON: addon, OPENBLAS_NUM_THREADS: '1' };
  const child = new LineChild(path.basename(path.dirname(path.dirname(addon))), process.execPath, [path.join(__dirname, 'libtorch_side.js')], env);
  return { child, ask: async (request) => JSON.parse(await child.ask(JSON.stringify(request))) };
}

/** Throughput samples of both builds over the rounds of one workload. */
async function measure(builds, workload, opts) {
  const run = (b, n) => builds[b].ask({ ...workload, n }).then(({ ns }) => (workload.work * n * 1e9) / ns);
  await run(0, 1);
  await run(1, 1);
  let n = 1; // calibrated on the first build to about --round-ms
  for (let ns = 0; ns < 50e6; n *= 2) ns = (await builds[0].ask({ ...workload, n })).ns;
  n = Math.max(1, Math.round((n / 2) * ((opts.roundMs * 1e6) / (await builds[0].ask({ ...workload, n: n / 2 })).ns)));
  const rates = [[], []];
  for (let r = 0; r < opts.rounds; r++) {
    for (const b of r % 2 ? [1, 0] : [0, 1]) rates[b].push(await run(b, n));
  }
  return { rates: rates.map(median), ratio: median(rates[1].map((rate, r) => rate / rates[0][r])) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const workloads = WORKLOADS.filter((w) => opts.only.test(w.label));
  const results = workloads.map(() => []);
  let infos;
  for (let run = 0; run < opts.runs; run++) {
    const builds = opts.addons.map(start);
    infos = await Promise.all(builds.map((b) => b.ask({ cmd: 'info' })));
    for (const [w, workload] of workloads.entries()) {
      results[w].push(await measure(builds, workload, opts));
      process.stderr.write(`run ${run + 1}/${opts.runs}: ${workload.label}: ${results[w].at(-1).ratio.toFixed(2)}\n`);
    }
    await Promise.all(builds.map((b) => b.child.close()));
  }
  const names = infos.map((i) => `libtorch ${i.libtorchVersion}`);
  for (const [b, i] of infos.entries()) {
    console.log(`${names[b]}: ${i.libtorchPath}; BLAS ${i.blas}; kernels ${i.cpu}; ${i.threads} thread`);
  }
  console.log(`${os.cpus()[0].model}, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ` +
    `${opts.runs} runs of ${opts.rounds} alternating rounds of ~${opts.roundMs} ms\n`);
  const range = (xs, digits) => {
    const lo = Math.min(...xs).toFixed(digits);
    const hi = Math.max(...xs).toFixed(digits);
    return lo === hi ? lo : `${lo}–${hi}`;
  };
  const rate = (x) => (x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));
  const rows = workloads.map((workload, w) => [
    workload.label,
    workload.unit,
    ...[0, 1].map((b) => rate(median(results[w].map((r) => r.rates[b])))),
    range(results[w].map((r) => r.ratio), 2),
  ]);
  console.log(table(rows, ['workload', 'unit', names[0], names[1], `${names[1]} ÷ ${names[0]} (min–max of runs)`], 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
