// gc_stress.js — GC-time finalizers under pressure, run by memory.test.ts in a process of its own
// (an abort must fail one test, not the runner): undisposed tensors of varied sizes (4 B to 1 MiB,
// so the native bytes freed inside one collection cross V8's reporting step many times over), JS
// garbage, forced full GCs, models and optimizers left to the GC, and a fit() running on its own
// thread meanwhile; then a loop that never yields. Prints {rounds, batches, liveGrowth} as JSON.
'use strict';
const nt = require('../../dist');

const tick = () => new Promise((resolve) => setImmediate(resolve));
const SIZES = [1, 16, 300, 4096, 20_000, 65_536, 262_144];

/** A few hundred undisposed results and some JS garbage. */
function garbage(round) {
  const js = [];
  for (let i = 0; i < 200; i++) {
    const n = SIZES[(round + i) % SIZES.length];
    const t = nt.zeros([n]);
    t.add(1).mul(t);
    js.push(new Array(64).fill(i));
  }
  return js.length;
}

/** A model and an optimizer nobody disposes: their handles are queued by the GC, deleted later. */
function orphans() {
  const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 8 })] });
  model.compile({ optimizer: nt.optimizers.adam({ lr: 0.01 }), loss: 'meanSquaredError' });
  model.predictSync(nt.ones([2, 4]));
  nt.optim.sgd([nt.zeros([16], { requiresGrad: true })], { lr: 0.1 }).step();
}

async function main() {
  nt.manualSeed(0);
  const liveAtStart = nt.memory().numTensors;
  const x = nt.randn([512, 4]);
  const y = x.sum(1).gt(0).long();
  const model = nt.sequential({
    layers: [nt.layers.dense({ inputShape: [4], units: 64, activation: 'relu' }), nt.layers.dense({ units: 2 })],
  });
  model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.05 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
  let batches = 0;
  let finished = false;
  const fit = model
    .fit(x, y, { epochs: 30, batchSize: 8, verbose: 0, callbacks: [{ onBatchEnd: () => void batches++ }] })
    .finally(() => (finished = true));
  let rounds = 0;
  while (!finished || rounds < 200) {
    garbage(rounds);
    if (rounds % 10 === 0) orphans();
    if (rounds % 25 === 0) global.gc();
    rounds++;
    await tick();
  }
  await fit;
  for (let r = 0; r < 200; r++) garbage(r);  // no yield: only the GC itself finalizes here
  global.gc();
  for (let i = 0; i < 5; i++) await tick();
  global.gc();
  const liveGrowth = nt.memory().numTensors - liveAtStart;
  process.stdout.write(JSON.stringify({ rounds, batches, liveGrowth }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
