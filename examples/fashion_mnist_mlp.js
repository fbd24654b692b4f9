#!/usr/bin/env node
// fashion_mnist_mlp.js — trains a 2-layer MLP on the real Fashion-MNIST (Debian's
// dataset-fashion-mnist) with nodetorch's Tensor API and autograd, and reports test accuracy.
// Usage: node examples/fashion_mnist_mlp.js [--epochs N] [--limit N] [--device cpu|cuda]
'use strict';
const nt = require('..');
const { arg, loadFashionMnist } = require('./fashion_mnist');

const epochs = Number(arg('epochs', 5));
const limit = Number(arg('limit', 60000));
const device = arg('device', 'cpu');
const batchSize = 128;
const lr = 0.05;
const momentum = 0.9;

/** A split with each image flattened to 784 features. */
function load(split) {
  const { x, y } = loadFashionMnist(split, { device });
  const flat = x.flatten(1);
  x.dispose();
  return { x: flat, y };
}

function linearParams(inFeatures, outFeatures) {
  // PyTorch's nn.Linear default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
  const bound = 1 / Math.sqrt(inFeatures);
  const init = (shape) => nt.tidy(() => nt.rand(shape, { device }).mul(2 * bound).sub(bound)).requiresGrad_();
  return { weight: init([outFeatures, inFeatures]), bias: init([outFeatures]) };
}

function forward(params, x) {
  const h = nt.nn.functional.linear(x, params.fc1.weight, params.fc1.bias).relu();
  return nt.nn.functional.linear(h, params.fc2.weight, params.fc2.bias);
}

function accuracy(params, x, y) {
  return nt.tidy(() => nt.noGrad(() => forward(params, x).argmax(1).eq(y).float().mean().item()));
}

function main() {
  nt.manualSeed(0);
  const train = load('train');
  const test = load('test');
  const n = Math.min(limit, train.x.shape[0]);
  const params = { fc1: linearParams(784, 256), fc2: linearParams(256, 10) };
  const tensors = [params.fc1.weight, params.fc1.bias, params.fc2.weight, params.fc2.bias];
  const velocity = tensors.map((p) => nt.zerosLike(p));
  console.log(`Fashion-MNIST MLP 784-256-10, ${n} training images, batch ${batchSize}, SGD(lr ${lr}, momentum ${momentum}), ${device}`);

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = Date.now();
    const perm = nt.randperm(n, { device });
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      lossSum += nt.tidy(() => {
        const idx = perm.narrow(0, start, size);
        const xb = train.x.indexSelect(0, idx);
        const yb = train.y.indexSelect(0, idx);
        const loss = nt.nn.functional.crossEntropy(forward(params, xb), yb);
        loss.backward();
        nt.noGrad(() => {
          tensors.forEach((p, i) => {
            const g = p.grad;
            velocity[i].mul_(momentum).add_(g);
            p.sub_(velocity[i].mul(lr));
            p.zeroGrad();
          });
        });
        return loss.item();
      });
      batches++;
    }
    perm.dispose();
    const seconds = (Date.now() - started) / 1000;
    console.log(`epoch ${epoch}/${epochs}  loss ${(lossSum / batches).toFixed(4)}  test accuracy ${(100 * accuracy(params, test.x, test.y)).toFixed(2)}%  (${seconds.toFixed(1)} s)`);
  }
}

main();
