#!/usr/bin/env node
/**
 * mixed_precision.js — CPU training throughput (images/s) in fp32 and with bf16 autocast
 * (compile({ mixedPrecision: 'bf16' })), for nodetorch's native step (trainOnBatchSync) and for
 * PyTorch-Python's (torch.autocast('cpu', torch.bfloat16) around forward and loss; the
 * bench/train_torch.py side), one thread everywhere, on the benchmark CNN and ResNet-20.
 *
 *   node bench/mixed_precision.js [--rounds 5] [--round-ms 1500] [--batch 64] [--model cnn,resnet20]
 *
 * The four sides (nt fp32, nt bf16, PyTorch fp32, PyTorch bf16) each train their own model on
 * their own synthetic pool; rounds alternate between them (rotating the order) after one untimed
 * warm-up round. img/s is the median over the rounds; bf16/fp32 is the median of the per-round
 * ratios. Every side runs under one malloc policy (PINNED_MALLOC in common.js), like for like. Whether bf16 can be faster depends on the CPU: avx512_bf16 / amx_bf16 in /proc/cpuinfo
 * give oneDNN native bf16 dot products; without them bf16 is emulated and slower than fp32.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { LineChild, pythonCommand, median, table, root, benchCnn, rerunWithPinnedMalloc } = require('./common');

process.env.OPENBLAS_NUM_THREADS = '1';  // before libtorch loads (here and in the children)
const nt = require(root);

function parseArgs(argv) {
  const opts = { rounds: 5, roundMs: 1500, batch: 64, models: ['cnn', 'resnet20'] };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--rounds') opts.rounds = Number(value);
    else if (key === '--round-ms') opts.roundMs = Number(value);
    else if (key === '--batch') opts.batch = Number(value);
    else if (key === '--model') opts.models = value.split(',');
    else throw new Error(`unknown argument ${key}`);
  }
  return opts;
}

/** A compiled nodetorch model of `name` in `precision` (undefined: fp32). */
function ntModel(name, mixedPrecision) {
  if (name === 'resnet20') {
    const model = nt.builders.resnet({ depth: 20 });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.01, momentum: 0.9 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }), mixedPrecision });
    return model;
  }
  const model = benchCnn(nt);
  model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', mixedPrecision });
  return model;
}

/** A nodetorch side: `run(steps)` → wall ns of `steps` train steps over its pool. */
function ntSide(name, batch, mixedPrecision) {
  const shape = name === 'resnet20' ? [3, 32, 32] : [1, 28, 28];
  const model = ntModel(name, mixedPrecision);
  const count = 8;
  const xs = Array.from({ length: count }, () => nt.randn([batch, ...shape]));
  const ys = Array.from({ length: count }, () => nt.randint(0, 10, [batch]));
  let next = 0;
  return {
    async run(steps) {
      const start = process.hrtime.bigint();
      for (let s = 0; s < steps; s++, next++) model.trainOnBatchSync(xs[next % count], ys[next % count]);
      return Number(process.hrtime.bigint() - start);
    },
    close: async () => model.dispose(),
  };
}

/** A PyTorch-Python side (bench/train_torch.py). */
async function pythonSide(name, batch, bf16) {
  const child = new LineChild('PyTorch', pythonCommand(), [path.join(__dirname, 'train_torch.py')]);
  await child.ask(`setup ${batch} ${batch * 8} ${name}${bf16 ? ' bf16' : ''}`);
  return {
    async run(steps) {
      return Number((await child.ask(`run ${steps}`)).split(' ')[0]);
    },
    close: () => child.close(),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  rerunWithPinnedMalloc();
  nt.setNumThreads(1);
  const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/\b(avx512_bf16|amx_bf16|amx_tile)\b/g) ?? [];
  console.log(`nodetorch ${nt.info().nodetorchVersion} on libtorch ${nt.info().libtorchVersion}; one thread; batch ${opts.batch}; CPU bf16 flags: ${[...new Set(flags)].join(', ') || 'none (bf16 is emulated)'}`);
  const rows = [];
  for (const name of opts.models) {
    const sides = {
      'nt fp32': ntSide(name, opts.batch, undefined),
      'nt bf16': ntSide(name, opts.batch, 'bf16'),
      'PyTorch fp32': await pythonSide(name, opts.batch, false),
      'PyTorch bf16': await pythonSide(name, opts.batch, true),
    };
    const labels = Object.keys(sides);
    // steps per round from one warm-up step of the slowest-looking side, then one warm-up round
    const probe = await sides['nt fp32'].run(1);
    const steps = Math.max(1, Math.round((opts.roundMs * 1e6) / probe));
    for (const label of labels) await sides[label].run(steps);
    const rate = Object.fromEntries(labels.map((l) => [l, []]));
    for (let r = 0; r < opts.rounds; r++) {
      for (let k = 0; k < labels.length; k++) {
        const label = labels[(k + r) % labels.length];
        rate[label].push((steps * opts.batch) / ((await sides[label].run(steps)) / 1e9));
      }
    }
    const ratio = (side) => median(rate[`${side} bf16`].map((v, i) => v / rate[`${side} fp32`][i]));
    const spread = (side) => {
      const rs = rate[`${side} bf16`].map((v, i) => v / rate[`${side} fp32`][i]);
      return `${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}`;
    };
    rows.push([
      name, String(opts.batch),
      ...labels.map((l) => median(rate[l]).toFixed(1)),
      `${ratio('nt').toFixed(2)} (${spread('nt')})`, `${ratio('PyTorch').toFixed(2)} (${spread('PyTorch')})`,
    ]);
    for (const side of Object.values(sides)) await side.close();
  }
  console.log(`\nimg/s, median of ${opts.rounds} interleaved rounds; bf16/fp32: median (min–max) of per-round ratios\n`);
  console.log(table(rows, ['model', 'batch', 'nt fp32', 'nt bf16', 'PyTorch fp32', 'PyTorch bf16', 'nt bf16/fp32', 'PyTorch bf16/fp32'], 1));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
