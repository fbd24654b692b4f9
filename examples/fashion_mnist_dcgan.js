#!/usr/bin/env node
// fashion_mnist_dcgan.js — trains the 28×28 DCGAN (nt.builders.dcgan, nt.gan.train) on the real
// Fashion-MNIST train set on CPU, writing fixed-noise sample grids, then measures the samples
// objectively: a Fashion-MNIST classifier trained by this library (the CNN of
// fashion_mnist_cnn.js, ≥ 90 % test accuracy) scores 1,000 generated images. Prints the mean
// max-softmax (confident, recognizable images score high) and how many of the 10 classes the
// predictions cover (mode collapse covers few).
// Usage: node examples/fashion_mnist_dcgan.js [--epochs 5] [--limit 60000] [--batch-size 64] [--ngf 64] [--ndf 64]
//          [--classifier-epochs 8] [--classifier-limit 60000] [--score 1000] [--out runs/dcgan] [--threads N]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nt = require('..');
const { arg, loadFashionMnist, toTanhRange, fromTanhRange, CLASS_NAMES } = require('./fashion_mnist');
const { buildCnn } = require('./fashion_mnist_cnn');

/**
 * Trains the classifier that scores the samples; returns it with its test accuracy and, as the
 * yardstick for generated images, its score on `scoreCount` real test images.
 */
async function trainClassifier(epochs, limit, scoreCount) {
  const train = loadFashionMnist('train', { limit });
  const test = loadFashionMnist('test');
  const model = buildCnn();
  model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(train.x, train.y, { epochs, batchSize: 32, verbose: process.stdout.isTTY ? 1 : 2 });
  const { accuracy } = await model.evaluate(test.x, test.y, { batchSize: 256 });
  const real = await score(model, test.x.narrow(0, 0, Math.min(scoreCount, test.x.shape[0])));
  for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
  return { model, accuracy, real };
}

/** Mean max-softmax of the classifier on standardized images, and the predicted class counts. */
async function score(classifier, images) {
  const probs = await classifier.predict(images, { batchSize: 256 });
  const { values, indices } = probs.max(1);
  const counts = new Array(10).fill(0);
  for (const c of indices.dataSync()) counts[Number(c)]++;
  return { confidence: values.mean().item(), counts };
}

async function main() {
  const epochs = Number(arg('epochs', 5));
  const out = arg('out', path.join('runs', 'dcgan'));
  const ngf = Number(arg('ngf', 64));
  const ndf = Number(arg('ndf', 64));
  nt.manualSeed(0);
  nt.setNumThreads(Number(arg('threads', os.availableParallelism())));

  const { x } = loadFashionMnist('train', { limit: Number(arg('limit', 60000)) });
  const images = toTanhRange(x);
  x.dispose();
  const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf, ndf });
  console.log(`DCGAN 28×28: generator ${generator.countParams().toLocaleString('en-US')} and discriminator ` +
    `${discriminator.countParams().toLocaleString('en-US')} parameters; ${images.shape[0]} images, ${epochs} epochs`);
  const started = Date.now();
  const history = await nt.gan.train({
    generator,
    discriminator,
    images,
    epochs,
    batchSize: Number(arg('batch-size', 64)),
    samplesDir: path.join(out, 'samples'),
    verbose: process.stdout.isTTY ? 1 : 2,
  });
  const ganSeconds = (Date.now() - started) / 1000;
  await generator.save(path.join(out, 'generator'));
  console.log(`GAN training: ${ganSeconds.toFixed(0)} s; last grid ${history.samples.at(-1)}`);

  const scoreCount = Number(arg('score', 1000));
  const classifier = await trainClassifier(Number(arg('classifier-epochs', 8)), Number(arg('classifier-limit', 60000)), scoreCount);
  console.log(`classifier test accuracy ${(classifier.accuracy * 100).toFixed(2)}%; ` +
    `on ${scoreCount} real test images: mean max-softmax ${classifier.real.confidence.toFixed(3)}`);
  const generated = await nt.gan.sample(generator, scoreCount, { seed: 1 });
  const { confidence, counts } = await score(classifier.model, fromTanhRange(generated));
  const covered = counts.filter((c) => c > 0).length;
  console.log(`generated images: mean max-softmax ${confidence.toFixed(3)}, ${covered} of 10 classes predicted`);
  console.log(`predicted classes: ${counts.map((c, i) => `${CLASS_NAMES[i]} ${c}`).join(', ')}`);
  fs.writeFileSync(path.join(out, 'score.json'), JSON.stringify({ epochs, ngf, ndf, ganSeconds, classifierAccuracy: classifier.accuracy, realConfidence: classifier.real.confidence, confidence, covered, counts }, null, 2));
  return { confidence, covered, classifierAccuracy: classifier.accuracy };
}

module.exports = { main, score };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
