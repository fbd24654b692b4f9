#!/usr/bin/env node
// fashion_mnist_resnet.js — ResNet-20 (He et al. 2016, CIFAR-style, shortcut A; nt.builders.resnet)
// trained with model.fit on the real Fashion-MNIST train set (60k, 1×28×28) and scored on the 10k
// test set: SGD with Nesterov momentum, weight decay 5e-4 and a one-cycle learning-rate schedule
// stepped per batch natively. Prints the test accuracy, epochs and wall time.
// Usage: node examples/fashion_mnist_resnet.js [--epochs 5] [--limit 60000] [--batch-size 128] [--max-lr 0.1] [--device cpu] [--threads N]
'use strict';
const os = require('node:os');
const nt = require('..');
const { arg, loadFashionMnist } = require('./fashion_mnist');

async function main() {
  const epochs = Number(arg('epochs', 5));
  const limit = Number(arg('limit', 60000));
  const batchSize = Number(arg('batch-size', 128));
  const maxLr = Number(arg('max-lr', 0.1));
  const device = arg('device', 'cpu');
  nt.manualSeed(0);
  nt.setNumThreads(Number(arg('threads', os.availableParallelism())));

  const train = loadFashionMnist('train', { limit });
  const test = loadFashionMnist('test', { limit: Number(arg('test-limit', 10000)) });
  const model = nt.builders.resnet({ depth: 20, inputShape: [1, 28, 28], numClasses: 10 }).to(device);
  model.compile({
    optimizer: nt.optimizers.sgd({ lr: maxLr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }),
    loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['accuracy'],
    lrScheduler: nt.schedulers.oneCycle({ maxLr }),
  });
  console.log(`ResNet-20: ${model.countParams().toLocaleString('en-US')} parameters, ${epochs} epochs of ${train.y.shape[0]} images, batch ${batchSize}`);
  const started = Date.now();
  await model.fit(train.x, train.y, { epochs, batchSize, validationData: [test.x, test.y], verbose: process.stdout.isTTY ? 1 : 2 });
  const seconds = (Date.now() - started) / 1000;
  const { loss, accuracy } = await model.evaluate(test.x, test.y, { batchSize: 256 });
  console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(accuracy * 100).toFixed(2)}% after ${epochs} epochs (${seconds.toFixed(0)} s training, ${nt.getNumThreads()} threads)`);
  return accuracy;
}

module.exports = { main };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
