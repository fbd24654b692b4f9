#!/usr/bin/env node
/**
 * data.js — how fast the data pipeline delivers batches, against how fast the engine consumes
 * them, in one run:
 *   pipeline   Fashion-MNIST train (Debian dataset-fashion-mnist), batches of 256, shuffled per
 *              epoch, uint8 → float32 NCHW scaled and normalized natively on the prefetch thread,
 *              handed to JS as Tensors (`for await ... of ds.batches()`): one epoch per round.
 *              Also with augmentation (randomCrop with padding 2 + randomHorizontalFlip).
 *   image dir  the same images written as PNG files into a temporary class folder tree and
 *              streamed with nt.data.imageFolder (sharp decodes each batch on demand): the first
 *              epoch (cold cache: decoding) and the next (cached).
 *   CNN        bench/train.js's CNN (conv32-pool-conv64-pool-dense128-dense10, Adam), one
 *              trainOnBatchSync per batch of 256 from the pipeline.
 * Rounds alternate between the sides; rates are medians over the rounds, and the ratio is
 * pipeline images/s over CNN images/s (the pipeline should be >= 20× faster, so that training
 * never waits on data).
 *
 *   node bench/data.js [--rounds 5] [--images 4096]
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, table, root, benchCnn } = require('./common');

const nt = require(root);
const BATCH = 256;
// Fashion-MNIST's training-set mean and standard deviation.
const MEAN = 0.286;
const STD = 0.353;

function parseArgs(argv) {
  const opts = { rounds: 5, images: 4096 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = { '--rounds': 'rounds', '--images': 'images' }[argv[i]];
    const value = Number(argv[i + 1]);
    if (key === undefined || !Number.isInteger(value) || value < 1) {
      throw new Error(`bench/data.js: unknown argument '${argv[i]} ${argv[i + 1] ?? ''}' (expected --rounds N, --images N)`);
    }
    opts[key] = value;
  }
  return opts;
}

/** Seconds taken by `fn`. */
async function seconds(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Images/s of one epoch of `ds` iterated from JS (each batch's tensors disposed at once). */
async function epochRate(ds, epoch) {
  let images = 0;
  const s = await seconds(async () => {
    for await (const { x, y } of ds.batches({ batchSize: BATCH, epoch })) {
      images += x.shape[0];
      x.dispose();
      y.dispose();
    }
  });
  return images / s;
}

/** Writes the first `n` training images as grayscale PNGs into <dir>/<class>/<i>.png. */
async function writePngFolder(dir, n) {
  const sharp = require('sharp');
  const ds = nt.data.fashionMnist();
  const { value } = await ds.batches({ batchSize: n, shuffle: false }).next();
  const pixels = value.x.dataSync();
  const labels = value.y.dataSync();
  for (const name of ds.classNames) fs.mkdirSync(path.join(dir, name.replace('/', '-')), { recursive: true });
  for (let i = 0; i < value.x.shape[0]; i++) {
    const file = path.join(dir, ds.classNames[Number(labels[i])].replace('/', '-'), `${i}.png`);
    await sharp(Buffer.from(pixels.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(file);
  }
  value.x.dispose();
  value.y.dispose();
  return value.x.shape[0];
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const normalize = [nt.data.transforms.toFloat({ scale: 1 / 255 }), nt.data.transforms.normalize({ mean: MEAN, std: STD })];
  const augment = [nt.data.transforms.randomCrop({ size: 28, padding: 2 }), nt.data.transforms.randomHorizontalFlip(), ...normalize];
  const plain = nt.data.fashionMnist({ transforms: normalize, seed: 1 });
  const augmented = nt.data.fashionMnist({ transforms: augment, seed: 1 });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-bench-data-'));
  try {
    process.stderr.write(`writing ${opts.images} PNGs into ${tmp} ...\n`);
    const pngs = await writePngFolder(tmp, opts.images);
    const folder = await nt.data.imageFolder({ dir: tmp, size: [28, 28], channels: 1, transforms: normalize, seed: 1 });

    // The CNN trains on real pipeline batches, cycled; one round = about as many steps as take ~2 s.
    const model = benchCnn(nt);
    const batches = [];
    for await (const b of plain.batches({ batchSize: BATCH, epoch: 1000 })) {
      if (batches.length < 8) batches.push(b);
      else (b.x.dispose(), b.y.dispose());
    }
    const step = (i) => model.trainOnBatchSync(batches[i % batches.length].x, batches[i % batches.length].y);
    step(0);
    const once = await seconds(() => step(1));
    const steps = Math.max(2, Math.round(2 / once));
    const cnnRound = async () => (steps * BATCH) / (await seconds(() => { for (let i = 0; i < steps; i++) step(i); }));

    const rates = { plain: [], augmented: [], cold: [], cached: [], cnn: [] };
    await epochRate(plain, 0); // warm-up
    for (let round = 0; round < opts.rounds; round++) {
      process.stderr.write(`round ${round + 1}/${opts.rounds}\n`);
      rates.plain.push(await epochRate(plain, round));
      rates.cnn.push(await cnnRound());
      rates.augmented.push(await epochRate(augmented, round));
      const fresh = await nt.data.imageFolder({ dir: tmp, size: [28, 28], channels: 1, transforms: normalize, seed: round });
      rates.cold.push(await epochRate(fresh, 0));
      rates.cached.push(await epochRate(fresh, 1));
    }
    const cnn = median(rates.cnn);
    const fmt = (v) => Math.round(v).toLocaleString('en-US');
    const row = (name, key) => [name, fmt(median(rates[key])), `${(median(rates[key]) / cnn).toFixed(1)}×`];
    console.log(`nodetorch ${nt.info().nodetorchVersion}, libtorch ${nt.info().libtorchVersion}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), ` +
      `${nt.getNumThreads()} intra-op threads; batch ${BATCH}; ${opts.rounds} rounds; ${folder.length} = ${pngs} PNGs in the image folder\n`);
    console.log(table([
      row('Fashion-MNIST, toFloat + normalize', 'plain'),
      row('Fashion-MNIST, + randomCrop(pad 2) + flip', 'augmented'),
      row('PNG image folder (sharp), first epoch', 'cold'),
      row('PNG image folder (sharp), cached epoch', 'cached'),
      ['CNN trainOnBatchSync (consumer)', fmt(cnn), '1.0×'],
    ], ['source', 'img/s', '÷ CNN img/s'], 1));
    for (const b of batches) (b.x.dispose(), b.y.dispose());
    model.dispose();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
