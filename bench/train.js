#!/usr/bin/env node
/**
 * train.js — training throughput (images/s) of one small CNN train step (forward, loss, backward,
 * Adam step): nodetorch vs PyTorch-Python vs a plain C++ libtorch loop vs @tensorflow/tfjs, all
 * on one thread, at several batch sizes.
 *
 *   npm run bench:train     (or: node bench/train.js [--rounds 15] [--batch 1,8,64,256]
 *                                 [--tfjs-batch 1,8 | none] [--tfjs-rounds 3] [--round-ms 250]
 *                                 [--pin-malloc] [--model cnn | resnet20])
 *
 * `--model resnet20` times the CIFAR ResNet-20 (nt.builders.resnet, shortcut A; 3×32×32 inputs,
 * SGD momentum 0.9) against PyTorch-Python only (batch 64 by default; no C++ or tfjs column).
 *
 * The model is conv32-pool-conv64-pool-dense128-dense10 on [1, 28, 28], trained with Adam (lr
 * 1e-3) on sparse categorical cross-entropy of the logits (nodetorch fuses the final softmax into
 * the loss; tfjs keeps it). Data: each side's own pool of 2048 synthetic Fashion-MNIST-shaped
 * samples (randn images, random labels), cut into batches that the steps cycle through.
 * The sides, each the way its users write it:
 *   nodetorch sync  model.trainOnBatchSync(x, y) per step, on views of the pool
 *   nodetorch fit   await model.fit(x, y, { batchSize, epochs: 1, stepsPerEpoch, verbose: 0 }) on
 *                   the pool (shuffled, as fit does by default), timed from call to result
 *   PyTorch         nn.Sequential + torch.optim.Adam + F.cross_entropy, loss.item() each step
 *                   (bench/train_torch.py under /usr/bin/python3 or $NODETORCH_BENCH_PYTHON)
 *   C++             torch::nn::Sequential + torch::optim::Adam (bench/train_cpp.cc, compiled into
 *                   build/bench/ on first run)
 *   tfjs            tf.sequential + tf.train.adam, await model.trainOnBatch (pure-JS CPU backend,
 *                   channels-last); about three orders of magnitude slower, so it runs one step
 *                   per round, at the --tfjs-batch sizes only, for --tfjs-rounds rounds
 * PyTorch and C++ run as persistent child processes driven over stdin/stdout. For each batch size
 * every side runs one untimed warm-up round, then the timed rounds alternate between the sides
 * (the order rotates every round) so the machine's noise hits all of them alike. img/s is the
 * median over the rounds; a ratio is the median of the per-round ratios (pairs measured within
 * a second or two), and is also given from each side's best round. Minor page faults per step are
 * reported too: glibc returns large freed blocks to the kernel depending on each process's
 * history, and re-faulting them can cost a side 20-30 % at some batch sizes; --pin-malloc runs
 * every side under one fixed malloc policy instead (PINNED_MALLOC in bench/common.js).
 */
'use strict';
const os = require('node:os');
const path = require('node:path');
const { LineChild, pythonCommand, cppBinary, median, table, root, benchCnn, PINNED_MALLOC, rerunWithPinnedMalloc } = require('./common');

// One thread everywhere: libtorch's intra-op threads are set per side below, but OpenBLAS (the
// Debian libtorch's BLAS) keeps its own pool, sized from this variable when it loads — before
// nodetorch is required here, and inherited by the PyTorch and C++ children.
process.env.OPENBLAS_NUM_THREADS = '1';
const nt = require(root);

const BATCH_SIZES = [1, 8, 64, 256];
// Synthetic samples per side; the steps cycle through them in batches. Random labels keep the
// loss near ln 10 (as early in real training) instead of memorizing a few batches.
const POOL_SAMPLES = 2048;
const SIDES = ['sync', 'fit', 'python', 'cpp', 'tfjs'];
const LABELS = { sync: 'nt trainOnBatchSync', fit: 'nt fit', python: 'PyTorch', cpp: 'C++', tfjs: 'tfjs' };

function parseArgs(argv) {
  const opts = { rounds: 15, batches: BATCH_SIZES, tfjsBatches: [1, 8], tfjsRounds: 3, roundMs: 250, pinMalloc: false, model: 'cnn' };
  const sizes = (s) => (s === 'none' ? [] : s.split(',').map(Number));
  for (let i = argv.indexOf('--pin-malloc'); i >= 0; i = argv.indexOf('--pin-malloc')) {
    opts.pinMalloc = true;
    argv = argv.filter((_, j) => j !== i);
  }
  const flags = {
    '--rounds': (v) => (opts.rounds = Number(v)),
    '--batch': (v) => (opts.batches = sizes(v)),
    '--tfjs-batch': (v) => (opts.tfjsBatches = sizes(v)),
    '--tfjs-rounds': (v) => (opts.tfjsRounds = Number(v)),
    '--round-ms': (v) => (opts.roundMs = Number(v)),
    '--model': (v) => (opts.model = v),
  };
  for (let i = 0; i < argv.length; i += 2) {
    if (!(argv[i] in flags) || argv[i + 1] === undefined) {
      throw new Error(`bench/train.js: unknown argument '${argv[i]}' (expected --pin-malloc, or ${Object.keys(flags).join(', ')} with a value)`);
    }
    flags[argv[i]](argv[i + 1]);
  }
  for (const key of ['rounds', 'tfjsRounds', 'roundMs']) {
    if (!Number.isInteger(opts[key]) || opts[key] < 1) throw new Error(`bench/train.js: ${key} must be a positive integer`);
  }
  if (!(opts.model in MODELS)) throw new Error(`bench/train.js: --model must be one of ${Object.keys(MODELS).join(', ')}`);
  if (opts.model !== 'cnn') {
    if (!argv.includes('--batch')) opts.batches = [64];
    opts.tfjsBatches = [];
  }
  if ([...opts.batches, ...opts.tfjsBatches].some((b) => !Number.isInteger(b) || b < 1)) {
    throw new Error('bench/train.js: batch sizes must be positive integers');
  }
  return opts;
}

/** The pool size at a batch size: whole batches only, at least one. */
function poolSamples(batch) {
  return Math.max(1, Math.floor(POOL_SAMPLES / batch)) * batch;
}

/** Times `fn` (sync or async): wall and process CPU time in ns, and minor page faults. */
async function timed(fn) {
  const faults = process.resourceUsage().minorPageFault;
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  await fn();
  const elapsed = Number(process.hrtime.bigint() - wall);
  const used = process.cpuUsage(cpu);
  return { wall: elapsed, cpu: (used.user + used.system) * 1e3, faults: process.resourceUsage().minorPageFault - faults };
}

// ---- nodetorch ------------------------------------------------------------------------------

/** The benchmark models: nodetorch builder and sample shape (the PyTorch side builds the same by name). */
const MODELS = {
  cnn: { build: ntCnn, shape: [1, 28, 28] },
  resnet20: { build: ntResNet20, shape: [3, 32, 32] },
};

function ntResNet20() {
  const model = nt.builders.resnet({ depth: 20 });
  model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.01, momentum: 0.9 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
  return model;
}

function ntCnn() {
  return benchCnn(nt);
}

/**
 * The two nodetorch sides at one batch size, each with its own model: `sync(n)` runs n
 * trainOnBatchSync steps over the next batches of the pool, `fit(n)` one fit epoch of n steps
 * over the (shuffled) pool; both resolve to a timing.
 */
function nodetorchSides(batch, model) {
  const samples = poolSamples(batch);
  const x = nt.randn([samples, ...MODELS[model].shape]);
  const y = nt.randint(10, [samples]);
  const xs = Array.from({ length: samples / batch }, (_, b) => x.narrow(0, b * batch, batch));
  const ys = Array.from({ length: samples / batch }, (_, b) => y.narrow(0, b * batch, batch));
  const syncModel = MODELS[model].build();
  const fitModel = MODELS[model].build();
  let next = 0;
  const sync = (n) =>
    timed(() => {
      for (let i = 0; i < n; i++, next = (next + 1) % xs.length) syncModel.trainOnBatchSync(xs[next], ys[next]);
    });
  const fit = (n) => timed(() => fitModel.fit(x, y, { batchSize: batch, epochs: 1, stepsPerEpoch: n, verbose: 0 }));
  const dispose = () => {
    for (const t of [x, y, ...xs, ...ys]) t.dispose();
    syncModel.dispose();
    fitModel.dispose();
  };
  return { sync, fit, dispose };
}

/**
 * Train steps per round so that one nodetorch round lasts about `roundMs` (at least 2, at most
 * one pass over the pool), from `sides`' sync loop.
 */
async function calibrate(sides, batch, roundMs) {
  const most = poolSamples(batch) / batch;
  await sides.sync(2);
  for (let n = 1; ; n *= 2) {
    const { wall } = await sides.sync(n);
    if (wall >= 100e6 || n >= most) return Math.min(most, Math.max(2, Math.round((n * roundMs * 1e6) / wall)));
  }
}

// ---- PyTorch-Python and C++ children ---------------------------------------------------------

/** A child speaking the setup/run protocol of train_torch.py and train_cpp.cc. */
function childSide(child, batch, steps, model) {
  const ready = child.ask(`setup ${batch} ${poolSamples(batch)} ${model}`);
  return async () => {
    await ready;
    const [wall, cpu, faults, loss] = (await child.ask(`run ${steps}`)).split(' ').map(Number);
    if (!Number.isFinite(loss)) throw new Error(`${child.name}: training diverged (loss ${loss})`);
    return { wall, cpu, faults };
  };
}

// ---- tfjs -----------------------------------------------------------------------------------

function loadTfjs() {
  try {
    const tf = require('@tensorflow/tfjs');
    tf.enableProdMode(); // skips debug checks (and the "install tfjs-node" banner)
    return tf;
  } catch (err) {
    process.stderr.write(`tfjs column skipped: ${err.message}\n`);
    return null;
  }
}

/** The tfjs side at one batch size: one warm-up step now, then `run()` times `steps` steps. */
async function tfjsSide(tf, batch, roundMs) {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const count = poolSamples(batch) / batch;
  const xs = Array.from({ length: count }, () => tf.randomNormal([batch, 28, 28, 1]));
  const ys = Array.from({ length: count }, () => tf.randomUniform([batch, 1], 0, 10, 'int32').toFloat());
  let next = 0;
  const step = () => model.trainOnBatch(xs[next % count], ys[next++ % count]);
  const warm = process.hrtime.bigint();
  await step();
  const steps = Math.max(1, Math.round((roundMs * 1e6) / Number(process.hrtime.bigint() - warm)));
  const run = () =>
    timed(async () => {
      for (let i = 0; i < steps; i++) await step();
    });
  const dispose = () => {
    tf.dispose([...xs, ...ys]);
    model.dispose();
  };
  return { steps, run, dispose };
}

// ---- one batch size -------------------------------------------------------------------------

async function benchBatch(batch, opts, python, cpp, tf) {
  const node = nodetorchSides(batch, opts.model);
  const steps = await calibrate(node, batch, opts.roundMs);
  const sides = { sync: () => node.sync(steps), fit: () => node.fit(steps), python: childSide(python, batch, steps, opts.model) };
  const stepsOf = { sync: steps, fit: steps, python: steps, cpp: steps };
  if (cpp !== null) sides.cpp = childSide(cpp, batch, steps, opts.model);
  const tfjs = tf !== null && opts.tfjsBatches.includes(batch) ? await tfjsSide(tf, batch, opts.roundMs) : null;
  if (tfjs !== null) stepsOf.tfjs = tfjs.steps;
  try {
    for (const run of Object.values(sides)) await run(); // warm-up round, not counted
    const samples = Object.fromEntries(SIDES.map((k) => [k, []]));
    for (let r = 0; r < opts.rounds; r++) {
      const order = Object.keys(sides);
      if (tfjs !== null && r < opts.tfjsRounds) order.push('tfjs');
      for (let s = 0; s < order.length; s++) {
        const key = order[(r + s) % order.length];
        const t = key === 'tfjs' ? await tfjs.run() : await sides[key]();
        const images = batch * stepsOf[key] * 1e9;
        samples[key].push({ ips: images / t.wall, load: t.cpu / t.wall, faults: t.faults / stepsOf[key], round: r });
      }
      process.stderr.write(`  batch ${batch}: round ${r + 1}/${opts.rounds}\n`);
    }
    return { steps, tfjsSteps: tfjs?.steps, samples };
  } finally {
    node.dispose();
    tfjs?.dispose();
  }
}

/** Median of the per-round img/s ratios a/b over the rounds where both sides ran. */
function pairedRatio(samples, a, b) {
  const ratios = samples[a].flatMap((s) => samples[b].filter((t) => t.round === s.round).map((t) => s.ips / t.ips));
  return ratios.length === 0 ? undefined : median(ratios);
}

/** The ratio a/b of the sides' best rounds (noise only ever adds time). */
function bestRatio(samples, a, b) {
  const best = (k) => Math.max(...samples[k].map((s) => s.ips));
  return samples[a].length === 0 || samples[b].length === 0 ? undefined : best(a) / best(b);
}

/** img/s with three significant digits at most (tfjs runs below 1 img/s). */
function rate(v) {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

function spread(xs) {
  return xs.length < 2 ? 0 : (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.pinMalloc) rerunWithPinnedMalloc();
  nt.setNumThreads(1);
  nt.manualSeed(0);
  const python = new LineChild('PyTorch-Python', pythonCommand(), [path.join(__dirname, 'train_torch.py')]);
  const cppBin = opts.model === 'cnn' ? cppBinary('train_cpp') : null;
  const cpp = cppBin === null ? null : new LineChild('C++ libtorch', cppBin, []);
  const tf = opts.tfjsBatches.length > 0 ? loadTfjs() : null;
  await tf?.ready();
  const [, pyVersion, pyThreads] = (await python.ask(`setup 1 1`)).split(' ');
  const info = nt.info();
  console.log(`nodetorch ${info.nodetorchVersion} (libtorch ${info.libtorchVersion}) on Node ${process.version}; PyTorch ${pyVersion}` +
    `${tf === null ? '' : `; tfjs ${tf.version.tfjs} (${tf.getBackend()} backend)`}; ${os.cpus()[0].model}, ${os.cpus().length} cores`);
  console.log(`model: ${opts.model}; threads: nodetorch ${nt.getNumThreads()}, PyTorch ${pyThreads}, C++ 1, tfjs 1, OpenBLAS ${process.env.OPENBLAS_NUM_THREADS}; ${opts.rounds} interleaved rounds ` +
    `per batch size (tfjs: ${opts.tfjsRounds}), ~${opts.roundMs} ms each; malloc: ` +
    `${opts.pinMalloc ? Object.entries(PINNED_MALLOC).map(([k, v]) => `${k}=${v}`).join(' ') : 'glibc defaults'}\n`);

  const rows = [];
  const bestRows = [];
  const diagRows = [];
  const loads = Object.fromEntries(SIDES.map((k) => [k, []]));
  const pairs = [['sync', 'python'], ['fit', 'python'], ['sync', 'cpp'], ['fit', 'cpp']];
  for (const batch of opts.batches) {
    const { steps, tfjsSteps, samples } = await benchBatch(batch, opts, python, cpp, tf);
    const ips = (k) => (samples[k].length === 0 ? 'n/a' : rate(median(samples[k].map((s) => s.ips))));
    const ratio = (v) => (v === undefined ? 'n/a' : v.toFixed(v < 10 ? 2 : 0));
    rows.push([String(batch), `${steps}${tfjsSteps === undefined ? '' : ` / ${tfjsSteps}`}`, ...['sync', 'fit', 'python', 'cpp', 'tfjs'].map(ips),
      ...pairs.map(([a, b]) => ratio(pairedRatio(samples, a, b))), ratio(pairedRatio(samples, 'sync', 'tfjs'))]);
    bestRows.push([String(batch), ...pairs.map(([a, b]) => ratio(bestRatio(samples, a, b)))]);
    const diag = (k) => (samples[k].length === 0 ? 'n/a'
      : `${(spread(samples[k].map((s) => s.ips)) * 100).toFixed(0)}% / ${median(samples[k].map((s) => s.faults)).toFixed(0)}`);
    diagRows.push([String(batch), ...SIDES.map(diag)]);
    for (const k of SIDES) loads[k].push(...samples[k].map((s) => s.load));
  }
  const pairNames = pairs.map(([a, b]) => `${a} / ${b === 'python' ? 'Py' : 'C++'}`);
  console.log(table(rows, [
    'batch', 'steps/round', 'nt sync img/s', 'nt fit img/s', 'PyTorch img/s', 'C++ img/s', 'tfjs img/s', ...pairNames, 'sync / tfjs',
  ], 2));
  console.log('\nimg/s = images / wall time, median over the rounds; ratios = median of the per-round ratios (>= 1.00: nodetorch as');
  console.log('fast or faster). steps/round: train steps per timed round (nodetorch, PyTorch, C++ / tfjs).\n');
  console.log('The same ratios from each side\'s best round (on a shared machine noise only ever adds time):');
  console.log(table(bestRows, ['batch', ...pairNames], 1));
  console.log('\nRound-to-round spread of img/s, (max - min) / median, and minor page faults per step (median; tfjs: whole process):');
  console.log(table(diagRows, ['batch', ...SIDES.map((k) => LABELS[k])], 1));
  console.log(`process CPU time / wall time, median over all rounds (1.00 = one busy core): ` +
    SIDES.filter((k) => loads[k].length > 0).map((k) => `${LABELS[k]} ${median(loads[k]).toFixed(2)}`).join(', '));
  await Promise.all([python.close(), cpp?.close()]);
}

// bench/libtorch.js reuses the nodetorch side.
module.exports = { nodetorchSides };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
