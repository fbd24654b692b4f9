#!/usr/bin/env node
/**
 * gan.js — one full DCGAN iteration (D step on real and G(z), G step; Adam for both), nodetorch vs
 * PyTorch-Python on one thread, interleaved, for the DCGAN 28×28×1 at batch 64 and 64×64×3 at
 * batch 16 (nt.builders.dcgan, ngf = ndf = 64, latent 100).
 *
 *   npm run bench:gan     (or: node bench/gan.js [--rounds 10] [--round-ms 400])
 *
 * The sides:
 *   nt step    GanTrainer.trainStep(realBatch) per iteration, on the calling thread
 *   nt train   await GanTrainer.train(images, { epochs: 1, stepsPerEpoch: n }) — the native loop
 *              on a worker thread, timed from call to result
 *   PyTorch    bench/gan_torch.py: the PyTorch DCGAN example's iteration
 * Each round runs every side for the same number of iterations, in an order that rotates every
 * round; a ratio is the median of the per-round ratios of images/s (>= 1.00: nodetorch as fast or
 * faster).
 */
'use strict';
const path = require('node:path');
const os = require('node:os');
const { LineChild, pythonCommand, median, table, root } = require('./common');

process.env.OPENBLAS_NUM_THREADS = '1';
const nt = require(root);

const CONFIGS = [
  { size: 28, channels: 1, batch: 64 },
  { size: 64, channels: 3, batch: 16 },
];

function parseArgs(argv) {
  const opts = { rounds: 10, roundMs: 400 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = { '--rounds': 'rounds', '--round-ms': 'roundMs' }[argv[i]];
    const value = Number(argv[i + 1]);
    if (key === undefined || !Number.isInteger(value) || value < 1) throw new Error(`bench/gan.js: expected --rounds N or --round-ms N, got '${argv[i]} ${argv[i + 1]}'`);
    opts[key] = value;
  }
  return opts;
}

/** The nodetorch sides for one configuration: `step(n)` and `train(n)` resolve to wall ns. */
function nodetorchSides({ size, channels, batch }) {
  const make = () => {
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: size, channels });
    return new nt.gan.GanTrainer({ generator, discriminator });
  };
  const stepper = make();
  const trainer = make();
  const pool = nt.rand([8 * batch, channels, size, size]).mul(2).sub(1);
  const batches = Array.from({ length: 8 }, (_, i) => pool.narrow(0, i * batch, batch));
  let next = 0;
  const time = async (fn) => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start);
  };
  return {
    step: (n) =>
      time(() => {
        for (let i = 0; i < n; i++) stepper.trainStep(batches[next++ % 8]);
      }),
    train: (n) => time(() => trainer.train(pool, { epochs: 1, batchSize: batch, stepsPerEpoch: n, verbose: 0 })),
    dispose: () => {
      for (const t of [pool, ...batches]) t.dispose();
      for (const t of [stepper, trainer]) {
        t.dispose();
        t.generator.dispose();
        t.discriminator.dispose();
      }
    },
  };
}

async function benchConfig(config, opts, python) {
  const node = nodetorchSides(config);
  await python.ask(`setup ${config.size} ${config.channels} ${config.batch}`);
  const warm = await node.step(2);
  const steps = Math.max(2, Math.round((opts.roundMs * 1e6 * 2) / warm));
  const sides = {
    step: () => node.step(steps),
    train: () => node.train(steps),
    python: async () => Number((await python.ask(`run ${steps}`)).split(' ')[0]),
  };
  try {
    for (const run of Object.values(sides)) await run();
    const samples = { step: [], train: [], python: [] };
    for (let r = 0; r < opts.rounds; r++) {
      const order = Object.keys(sides);
      for (let s = 0; s < order.length; s++) {
        const key = order[(r + s) % order.length];
        samples[key].push((config.batch * steps * 1e9) / (await sides[key]()));
      }
      process.stderr.write(`  ${config.size}×${config.size} batch ${config.batch}: round ${r + 1}/${opts.rounds}\n`);
    }
    return { steps, samples };
  } finally {
    node.dispose();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  nt.setNumThreads(1);
  nt.manualSeed(0);
  const python = new LineChild('PyTorch-Python', pythonCommand(), [path.join(__dirname, 'gan_torch.py')]);
  const [, pyVersion] = (await python.ask('setup 28 1 2')).split(' ');
  const info = nt.info();
  console.log(`nodetorch ${info.nodetorchVersion} (libtorch ${info.libtorchVersion}) on Node ${process.version}; PyTorch ${pyVersion}; ` +
    `${os.cpus()[0].model}, ${os.cpus().length} cores; 1 thread each; ${opts.rounds} interleaved rounds of ~${opts.roundMs} ms per side\n`);
  const rows = [];
  for (const config of CONFIGS) {
    const { steps, samples } = await benchConfig(config, opts, python);
    const ratio = (a) => median(samples[a].map((v, r) => v / samples.python[r])).toFixed(2);
    rows.push([`DCGAN ${config.size}×${config.size}×${config.channels}`, String(config.batch), String(steps),
      ...['step', 'train', 'python'].map((k) => median(samples[k]).toFixed(1)), ratio('step'), ratio('train')]);
  }
  console.log(table(rows, ['model', 'batch', 'iters/round', 'nt step img/s', 'nt train img/s', 'PyTorch img/s', 'step / Py', 'train / Py'], 3));
  console.log('\nimg/s = real images per second through a full D+G iteration, median over rounds; ratios = median of per-round ratios.');
  await python.close();
}

// bench/libtorch.js reuses the nodetorch side.
module.exports = { CONFIGS, nodetorchSides };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
