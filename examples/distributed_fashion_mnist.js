#!/usr/bin/env node
// distributed_fashion_mnist.js — the reference CNN trained data-parallel on Fashion-MNIST, one
// process per rank: each rank trains on its shard of every epoch, gradients are averaged by c10d
// after each batch, and rank 0 prints the progress and the test accuracy.
// Usage: nodetorch launch --nproc-per-node 2 examples/distributed_fashion_mnist.js [--epochs 2] [--limit 60000]
//          [--test-limit 10000] [--batch-size 64] [--threads 1]
//   (or torchrun --no_python ... node examples/distributed_fashion_mnist.js; see README)
'use strict';
const nt = require('..');
const { arg, loadFashionMnist } = require('./fashion_mnist');
const { buildCnn } = require('./fashion_mnist_cnn');

async function main() {
  const epochs = Number(arg('epochs', 2));
  const limit = Number(arg('limit', 60000));
  const batchSize = Number(arg('batch-size', 64)); // per rank
  nt.setNumThreads(Number(arg('threads', 1)));
  await nt.distributed.init(); // RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT from the launcher
  const rank = nt.distributed.rank();
  const world = nt.distributed.worldSize();

  nt.manualSeed(rank); // different on each rank on purpose: wrap() gives every rank rank 0's weights
  const train = loadFashionMnist('train', { limit });
  const test = loadFashionMnist('test', { limit: Number(arg('test-limit', 10000)) });
  const model = buildCnn();
  model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await nt.distributed.wrap(model, { seed: 0 });
  const started = Date.now();
  // Each rank trains on its 1/world of every epoch and validates on its 1/world of the test set;
  // the logs are the averages over the ranks, the same on every rank.
  const history = await model.fit(train.x, train.y, { epochs, batchSize, validationData: [test.x, test.y], verbose: 2 });
  const seconds = (Date.now() - started) / 1000;
  const accuracy = history.history.val_accuracy[history.history.val_accuracy.length - 1];
  if (rank === 0) {
    console.log(`${world} ranks × batch ${batchSize}: test accuracy ${(accuracy * 100).toFixed(2)}% after ${epochs} epochs (${seconds.toFixed(0)} s, ${Math.round((epochs * train.x.shape[0]) / seconds)} images/s)`);
  }
  nt.distributed.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
