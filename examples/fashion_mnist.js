// fashion_mnist.js — shared by the examples: command-line flags and the real Fashion-MNIST
// (Debian's dataset-fashion-mnist, or FASHION_MNIST_DIR) as standardized float images and labels.
'use strict';
const path = require('node:path');
const nt = require('..');

const DATA_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
/** Train-set pixel mean and std (of values scaled to [0, 1]). */
const MEAN = 0.286;
const STD = 0.353;

/** The value after `--name` on the command line, or `fallback`. */
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** The first `limit` images of a split as float32 [N, 1, 28, 28] (standardized) and int64 labels [N]. */
function loadFashionMnist(split, { limit = Infinity, device = 'cpu' } = {}) {
  const prefix = split === 'train' ? 'train' : 't10k';
  return nt.tidy(() => {
    const images = nt.data.readIdx(path.join(DATA_DIR, `${prefix}-images-idx3-ubyte.gz`));
    const labels = nt.data.readIdx(path.join(DATA_DIR, `${prefix}-labels-idx1-ubyte.gz`));
    const n = Math.min(limit, images.shape[0]);
    const x = images.narrow(0, 0, n).to({ dtype: 'float32', device }).div(255).sub(MEAN).div(STD).unsqueeze(1);
    return { x, y: labels.narrow(0, 0, n).to({ dtype: 'int64', device }) };
  });
}

/** Standardized images (as loadFashionMnist returns them) mapped to [-1, 1], a tanh generator's range. */
function toTanhRange(x) {
  return nt.tidy(() => x.mul(STD).add(MEAN).mul(2).sub(1));
}

/** Images in [-1, 1] standardized as loadFashionMnist does (the classifier's input). */
function fromTanhRange(images) {
  return nt.tidy(() => images.add(1).div(2).sub(MEAN).div(STD));
}

const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

module.exports = { arg, loadFashionMnist, toTanhRange, fromTanhRange, CLASS_NAMES };
