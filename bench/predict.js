#!/usr/bin/env node
/**
 * predict.js — inference latency and throughput: nodetorch's model.predict (eager, and after
 * model.optimizeForInference(), each also with { channelsLast: true }; and eager predictSync, on
 * the calling thread) against PyTorch-Python
 * eager under torch.no_grad() and PyTorch's torch.jit.freeze + optimize_for_inference, on the same
 * model and weights (nodetorch exports it with exportTorchScript; bench/predict_torch.py loads it),
 * one thread each, at batch 1, 8 and 64, for the benchmark CNN and the CIFAR ResNet-20.
 *
 *   npm run bench:predict   (or: node bench/predict.js [--rounds 9] [--batch 1,8,64]
 *                                  [--model cnn,resnet20] [--round-ms 200] [--pin-malloc] [--cpu 0|none])
 *
 * For each model and batch size every side runs untimed warm-up calls, then the timed rounds
 * alternate between the sides (the order rotates every round), each round the same number of
 * calls per side (~round-ms of nodetorch eager). Latency is the median over the rounds of the
 * mean time per call; img/s = batch / latency; a ratio is the median of the per-round ratios
 * PyTorch time / nodetorch time (>= 1.00: nodetorch as fast or faster), shown with its min–max
 * over the rounds. --pin-malloc runs both processes under one fixed glibc malloc policy
 * (bench/train.js explains why it matters on this VM). The main thread is pinned to one CPU
 * (--cpu, default 0; bench/common.js pinMainThread), and with it the threads it starts afterwards:
 * each model's predict thread and the Python child. Unpinned, async predict (on the model's thread)
 * and predictSync (on the JS thread) could run on different vCPUs of this VM, which differ in
 * speed for minutes at a time.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { LineChild, pythonCommand, median, table, root, benchCnn, PINNED_MALLOC, rerunWithPinnedMalloc, pinMainThread } = require('./common');

process.env.OPENBLAS_NUM_THREADS = '1'; // read by OpenBLAS when it loads (with nodetorch, and in the child)
const nt = require(root);

const MODELS = {
  cnn: { build: () => benchCnn(nt), shape: [1, 28, 28] },
  resnet20: { build: () => nt.builders.resnet({ depth: 20 }), shape: [3, 32, 32] },
};
const SIDES = ['eager', 'eagerCL', 'eagerSync', 'optimized', 'optimizedCL', 'torch', 'torchFrozen'];
const LABELS = {
  eager: 'nt eager', eagerCL: 'nt eager CL', eagerSync: 'nt eager sync', optimized: 'nt optimized', optimizedCL: 'nt optimized CL', torch: 'PyTorch eager', torchFrozen: 'PyTorch frozen',
};

function parseArgs(argv) {
  const opts = { rounds: 9, batches: [1, 8, 64], models: ['cnn', 'resnet20'], roundMs: 200, pinMalloc: argv.includes('--pin-malloc'), cpu: 0 };
  argv = argv.filter((a) => a !== '--pin-malloc');
  const flags = {
    '--rounds': (v) => (opts.rounds = Number(v)),
    '--batch': (v) => (opts.batches = v.split(',').map(Number)),
    '--model': (v) => (opts.models = v.split(',')),
    '--round-ms': (v) => (opts.roundMs = Number(v)),
    '--cpu': (v) => (opts.cpu = v === 'none' ? null : Number(v)),
  };
  for (let i = 0; i < argv.length; i += 2) {
    if (!(argv[i] in flags) || argv[i + 1] === undefined) {
      throw new Error(`bench/predict.js: unknown argument '${argv[i]}' (expected --pin-malloc, or ${Object.keys(flags).join(', ')} with a value)`);
    }
    flags[argv[i]](argv[i + 1]);
  }
  if (![opts.rounds, opts.roundMs, ...opts.batches].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error('bench/predict.js: --rounds, --round-ms and batch sizes must be positive integers');
  }
  if (opts.cpu !== null && !Number.isInteger(opts.cpu)) throw new Error("bench/predict.js: --cpu must be a CPU number or 'none'");
  const unknown = opts.models.find((m) => !(m in MODELS));
  if (unknown !== undefined) throw new Error(`bench/predict.js: unknown model '${unknown}' (expected ${Object.keys(MODELS).join(', ')})`);
  return opts;
}

/** Wall time of `fn` in ns. */
async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start);
}

/** The nodetorch sides of one model: `run(side, x, calls)` times calls of predict. */
async function nodetorchSides(name, exportPath) {
  const eager = MODELS[name].build();
  const optimized = MODELS[name].build();
  optimized.setWeights(eager.getWeights());
  await optimized.optimizeForInference();
  await eager.exportTorchScript(exportPath);
  const models = { eager, eagerCL: eager, eagerSync: eager, optimized, optimizedCL: optimized };
  const run = (side, x, calls) =>
    timed(async () => {
      const model = models[side];
      const options = { batchSize: x.shape[0], channelsLast: side.endsWith('CL') };
      if (side === 'eagerSync') {
        for (let i = 0; i < calls; i++) model.predictSync(x).dispose();
      } else {
        for (let i = 0; i < calls; i++) (await model.predict(x, options)).dispose();
      }
    });
  /** Largest |optimized - eager| on x, with and without channels_last (a sanity check). */
  const check = async (x) => {
    const ref = await eager.predict(x);
    const diffs = [];
    for (const [m, channelsLast] of [[optimized, false], [optimized, true], [eager, true]]) {
      const out = await m.predict(x, { channelsLast });
      diffs.push(out.sub(ref).abs().max().item());
      out.dispose();
    }
    ref.dispose();
    return diffs;
  };
  return { run, check, dispose: () => [eager, optimized].forEach((m) => m.dispose()) };
}

/** PyTorch's version and threads, from its first answer. */
const pyInfo = { version: '?', threads: '?' };

async function benchModel(name, opts, python, dir) {
  const exportPath = path.join(dir, `${name}.pt`);
  const ntSides = await nodetorchSides(name, exportPath);
  const rows = [];
  for (const batch of opts.batches) {
    const x = nt.randn([batch, ...MODELS[name].shape]);
    const [, version, threads, eagerDiff, frozenDiff] = (await python.ask(`load ${name} ${exportPath} ${batch}`)).split(' ');
    Object.assign(pyInfo, { version, threads });
    const diffs = await ntSides.check(x);
    const run = (side, calls) =>
      side.startsWith('torch') ? python.ask(`run ${side === 'torch' ? 'eager' : 'frozen'} ${calls}`).then(Number) : ntSides.run(side, x, calls);
    for (const side of SIDES) await run(side, 2);
    let calls = 1;
    while ((await run('eager', calls)) < opts.roundMs * 1e6 / 2 && calls < 1e5) calls *= 2;
    const perCall = Object.fromEntries(SIDES.map((s) => [s, []]));
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < SIDES.length; k++) {
        const side = SIDES[(k + r) % SIDES.length];
        perCall[side].push((await run(side, calls)) / calls);
      }
    }
    const ratio = (slow, fast) => {
      const rs = perCall[slow].map((t, r) => t / perCall[fast][r]);
      return `${median(rs).toFixed(2)} (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`;
    };
    const lat = (s) => median(perCall[s]) / 1e6;
    rows.push({
      latency: [name, String(batch), String(calls), ...SIDES.map((s) => lat(s).toFixed(lat(s) < 10 ? 3 : 1))],
      throughput: [name, String(batch), ...SIDES.map((s) => String(Math.round((batch * 1e3) / lat(s))))],
      ratios: [name, String(batch), ratio('torch', 'eager'), ratio('torch', 'eagerCL'), ratio('torch', 'eagerSync'), ratio('torch', 'optimized'), ratio('torch', 'optimizedCL'),
        ratio('torchFrozen', 'optimized')],
      check: [name, String(batch), ...diffs.map((d) => d.toExponential(1)), eagerDiff, frozenDiff],
    });
    x.dispose();
  }
  ntSides.dispose();
  return rows;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.pinMalloc) rerunWithPinnedMalloc();
  pinMainThread(opts.cpu);
  nt.setNumThreads(1);
  nt.manualSeed(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-bench-predict-'));
  const python = new LineChild('PyTorch-Python', pythonCommand(), [path.join(__dirname, 'predict_torch.py')]);
  try {
    const rows = [];
    for (const name of opts.models) rows.push(...(await benchModel(name, opts, python, dir)));
    const info = nt.info();
    console.log(`nodetorch ${info.nodetorchVersion} (libtorch ${info.libtorchVersion}) on Node ${process.version}; PyTorch ${pyInfo.version}; ` +
      `${os.cpus()[0].model}, ${os.cpus().length} cores; threads: nodetorch ${nt.getNumThreads()}, PyTorch ${pyInfo.threads}, OpenBLAS 1; ` +
      `${opts.rounds} interleaved rounds; ${opts.cpu === null ? 'unpinned' : `pinned to CPU ${opts.cpu}`}; malloc: ${opts.pinMalloc ? Object.entries(PINNED_MALLOC).map(([k, v]) => `${k}=${v}`).join(' ') : 'glibc defaults'}; nodetorch's CPU allocator: ${info.cpuAllocator}\n`);
    console.log('Latency, ms per predict call (median over rounds); CL = { channelsLast: true }:');
    console.log(table(rows.map((r) => r.latency), ['model', 'batch', 'calls/round', ...SIDES.map((s) => LABELS[s])], 2));
    console.log('\nThroughput, img/s:');
    console.log(table(rows.map((r) => r.throughput), ['model', 'batch', ...SIDES.map((s) => LABELS[s])], 2));
    console.log('\nSpeed ratios, median (min–max over rounds); >= 1.00: nodetorch as fast or faster:');
    console.log(table(rows.map((r) => r.ratios), ['model', 'batch', 'eager / Py eager', 'eager CL / Py eager', 'eager sync / Py eager', 'optimized / Py eager',
      'optimized CL / Py eager', 'optimized / Py frozen'], 2));
    console.log('\nSanity: max |difference| of outputs (nt: vs nt eager; Py: vs the loaded export):');
    console.log(table(rows.map((r) => r.check), ['model', 'batch', 'nt optimized', 'nt optimized CL', 'nt eager CL', 'Py eager', 'Py frozen'], 2));
  } finally {
    await python.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
