#!/usr/bin/env node
// fashion_mnist_cnn.js — the engine's reference job: a small CNN (conv32-BN-pool-conv64-BN-pool-
// dense128-dropout-dense10, Adam) trained with model.fit on the real Fashion-MNIST train set
// (60k) and evaluated on the 10k test set. fit runs natively on a worker thread.
// Usage: node examples/fashion_mnist_cnn.js [--epochs 3] [--limit 60000] [--batch-size 32] [--device cpu] [--threads N]
//        [--mixed-precision bf16|fp16]
'use strict';
const os = require('node:os');
const nt = require('..');
const { arg, loadFashionMnist } = require('./fashion_mnist');

/** The reference CNN (conv32-BN-pool-conv64-BN-pool-dense128-dropout-dense10). */
function buildCnn() {
  return nt.builders.cnn({ inputShape: [1, 28, 28], numClasses: 10 });
}

async function main() {
  const epochs = Number(arg('epochs', 3));
  const limit = Number(arg('limit', 60000));
  const batchSize = Number(arg('batch-size', 32));
  const device = arg('device', 'cpu');
  const mixedPrecision = arg('mixed-precision', undefined);
  nt.manualSeed(0);
  nt.setNumThreads(Number(arg('threads', os.availableParallelism())));

  const train = loadFashionMnist('train', { limit });
  const test = loadFashionMnist('test');
  const model = buildCnn().to(device);
  model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], mixedPrecision });
  model.summary();
  const started = Date.now();
  await model.fit(train.x, train.y, { epochs, batchSize, validationData: [test.x, test.y] });
  const seconds = (Date.now() - started) / 1000;
  const { loss, accuracy } = await model.evaluate(test.x, test.y, { batchSize: 256 });
  console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(accuracy * 100).toFixed(2)}% after ${epochs} epochs${mixedPrecision ? ` in ${mixedPrecision}` : ''} (${seconds.toFixed(0)} s training, ${nt.getNumThreads()} threads)`);
  return accuracy;
}

module.exports = { buildCnn, main };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
