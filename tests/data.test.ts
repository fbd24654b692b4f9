/**
 * data.test.ts — the data pipeline: IDX / CIFAR / CSV / image-folder readers on files the tests
 * generate (and the real Fashion-MNIST where installed), transforms against hand-computed
 * expectations, seeded per-epoch shuffling, fit/evaluate/predict on datasets (equal to the same
 * run on tensors), prefetch overlapping training, and bad data giving errors that name the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';

const T = nt.data.transforms;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const dirOf = (name: string): string => fs.mkdirSync(path.join(tmp, name), { recursive: true }) ?? path.join(tmp, name);

/** An IDX file: uint8 data with the given dims. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** An MNIST-style directory of n images whose pixels all equal their index, labels = index % 10. */
function mnistDir(name: string, n: number, gzip: boolean): string {
  const dir = dirOf(name);
  const images = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => Math.floor(i / 784));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  for (const [file, bytes] of [
    ['train-images-idx3-ubyte', idx([n, 28, 28], images)],
    ['train-labels-idx1-ubyte', idx([n], labels)],
  ] as const) {
    fs.writeFileSync(path.join(dir, gzip ? `${file}.gz` : file), gzip ? zlib.gzipSync(bytes) : bytes);
  }
  return dir;
}

/** Collects every batch of one epoch as plain arrays. */
async function collect(ds: nt.data.Dataset, options: nt.data.BatchOptions): Promise<{ x: number[][]; y: number[] }> {
  const x: number[][] = [];
  const y: number[] = [];
  for await (const batch of ds.batches(options)) {
    x.push(...(batch.x.flatten(1).arraySync() as number[][]));
    if (batch.y) y.push(...(batch.y.arraySync() as number[]));
    batch.x.dispose();
    batch.y?.dispose();
  }
  return { x, y };
}

describe('readers', () => {
  it.each([false, true])('MNIST IDX files (gzip %s): images [N, 1, 28, 28] uint8 and int64 labels, in order', async (gzip) => {
    const ds = nt.data.mnist({ dir: mnistDir(`mnist${gzip}`, 12, gzip) });
    expect(ds.length).toBe(12);
    expect(ds.classNames).toHaveLength(10);
    const { x, y } = await collect(ds, { batchSize: 5, shuffle: false });
    expect(y).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(x.map((row) => row[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(x[3].every((v) => v === 3)).toBe(true);
  });

  it.runIf(fs.existsSync(nt.data.FASHION_MNIST_DIR))('the real Fashion-MNIST (Debian dataset-fashion-mnist): 60,000 + 10,000 images, 10 named classes', async () => {
    const train = nt.data.fashionMnist();
    const test = nt.data.fashionMnist({ split: 'test' });
    expect([train.length, test.length]).toEqual([60000, 10000]);
    expect(train.classNames?.[9]).toBe('Ankle boot');
    const first = await train.batches({ batchSize: 256 }).next();
    expect(first.value?.x.shape).toEqual([256, 1, 28, 28]);
    expect(first.value?.x.dtype).toBe('uint8');
  });

  it('CIFAR-10 and CIFAR-100 binary batches: records, labels (fine labels for 100), class names', async () => {
    const dir = dirOf('cifar');
    const record = (label: number[], value: number): Buffer => Buffer.concat([Buffer.from(label), Buffer.alloc(3072, value)]);
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), Buffer.concat([record([b], b * 10), record([9], 7)]));
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), record([3], 1));
    fs.writeFileSync(path.join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    fs.writeFileSync(path.join(dir, 'train.bin'), Buffer.concat([record([1, 42], 5), record([2, 99], 6)]));
    const train = nt.data.cifar10({ dir });
    expect(train.length).toBe(10);
    expect(train.classNames?.[3]).toBe('cat');
    const { x, y } = await collect(train, { batchSize: 4, shuffle: false });
    expect(y).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    expect(x[2].length).toBe(3072);
    expect(new Set(x[2])).toEqual(new Set([20]));
    expect((await collect(nt.data.cifar10({ dir, split: 'test' }), { shuffle: false })).y).toEqual([3]);
    expect((await collect(nt.data.cifar100({ dir }), { shuffle: false })).y).toEqual([42, 99]);
  });

  it('CSV of numeric features with a label column (by name or index), or regression targets', async () => {
    const file = path.join(tmp, 'iris.csv');
    fs.writeFileSync(file, 'a,b,label,c\n1,2,0,3\n4,5,2,6\n7,8.5,1,-9\n');
    const { x, y } = await collect(nt.data.csv({ file, labelColumn: 'label' }), { shuffle: false });
    expect(x).toEqual([[1, 2, 3], [4, 5, 6], [7, 8.5, -9]]);
    expect(y).toEqual([0, 2, 1]);
    const reg = await collect(nt.data.csv({ file, labelColumn: 0, regression: true }), { shuffle: false });
    expect(reg.y).toEqual([[1], [4], [7]]);
  });

  it('image folders: one class per subfolder, PNG and JPEG decoded and resized with sharp', async () => {
    const dir = dirOf('images');
    const solid = (v: number, format: 'png' | 'jpeg'): Promise<Buffer> =>
      sharp({ create: { width: 10, height: 6, channels: 3, background: { r: v, g: 255 - v, b: 40 } } })[format]().toBuffer();
    fs.mkdirSync(path.join(dir, 'cats'));
    fs.mkdirSync(path.join(dir, 'dogs'));
    fs.writeFileSync(path.join(dir, 'cats', 'a.png'), await solid(200, 'png'));
    fs.writeFileSync(path.join(dir, 'cats', 'b.jpg'), await solid(100, 'jpeg'));
    fs.writeFileSync(path.join(dir, 'dogs', 'c.png'), await solid(10, 'png'));
    fs.writeFileSync(path.join(dir, 'dogs', 'notes.txt'), 'not an image');
    const ds = await nt.data.imageFolder({ dir, size: [4, 5] });
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.length).toBe(3);
    const { x, y } = await collect(ds, { shuffle: false });
    expect(y).toEqual([0, 0, 1]);
    expect(x[0].slice(0, 20).every((v) => v === 200)).toBe(true); // red plane of the PNG
    expect(x[0].slice(20, 40).every((v) => v === 55)).toBe(true); // green plane
    expect(Math.abs(x[1][0] - 100)).toBeLessThanOrEqual(3); // JPEG: lossy
    const gray = await nt.data.imageFolder({ dir, size: [2, 2], channels: 1 });
    const first = await gray.batches({ shuffle: false }).next();
    expect(first.value?.x.shape).toEqual([3, 1, 2, 2]);
  });
});

describe('image folders stream (decoded per batch, bounded cache)', () => {
  async function folder(name: string, values: number[]): Promise<string> {
    const dir = dirOf(name);
    fs.mkdirSync(path.join(dir, 'only'), { recursive: true });
    for (const [i, v] of values.entries()) {
      fs.writeFileSync(path.join(dir, 'only', `${i}.png`), await sharp({ create: { width: 3, height: 3, channels: 3, background: { r: v, g: v, b: v } } }).png().toBuffer());
    }
    return dir;
  }
  const firstPixels = async (ds: nt.data.Dataset): Promise<number[]> => (await collect(ds, { shuffle: false, batchSize: 2 })).x.map((row) => row[0]);

  it('a cached sample is decoded once; cacheSize 0 decodes on every pass', async () => {
    const dir = await folder('cache', [10, 20, 30]);
    const cached = await nt.data.imageFolder({ dir, size: [3, 3] });
    const uncached = await nt.data.imageFolder({ dir, size: [3, 3], cacheSize: 0 });
    expect(await firstPixels(cached)).toEqual([10, 20, 30]);
    expect(await firstPixels(uncached)).toEqual([10, 20, 30]);
    fs.writeFileSync(path.join(dir, 'only', '1.png'), await sharp({ create: { width: 3, height: 3, channels: 3, background: { r: 99, g: 99, b: 99 } } }).png().toBuffer());
    expect(await firstPixels(cached)).toEqual([10, 20, 30]);
    expect(await firstPixels(uncached)).toEqual([10, 99, 30]);
  });

  it('grayscale files give one channel as stored, or three equal sRGB channels', async () => {
    const dir = dirOf('grayfiles');
    fs.mkdirSync(path.join(dir, 'g'), { recursive: true });
    const pixels = Uint8Array.from([0, 40, 80, 120, 160, 200]);
    await sharp(Buffer.from(pixels), { raw: { width: 3, height: 2, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(dir, 'g', 'a.png'));
    expect((await collect(await nt.data.imageFolder({ dir, size: [2, 3], channels: 1 }), {})).x).toEqual([[0, 40, 80, 120, 160, 200]]);
    const rgb = (await collect(await nt.data.imageFolder({ dir, size: [2, 3] }), {})).x[0];
    expect([rgb.slice(0, 6), rgb.slice(6, 12), rgb.slice(12)]).toEqual([[0, 40, 80, 120, 160, 200], [0, 40, 80, 120, 160, 200], [0, 40, 80, 120, 160, 200]]);
  });

  it('map adds native transforms; fit, evaluate and predict consume it; shuffling is seeded', async () => {
    const ds = (await nt.data.imageFolder({ dir: await folder('fit', [0, 50, 100, 150, 200]), size: [3, 3], channels: 1, seed: 4 })).map(T.toFloat({ scale: 1 / 255 }));
    const { x } = await collect(ds, { shuffle: false });
    expect(x.map((row) => Math.round(row[0] * 255))).toEqual([0, 50, 100, 150, 200]);
    const a = await collect(ds, { batchSize: 2, epoch: 3 });
    expect(a.x.map((row) => Math.round(row[0] * 255))).toEqual((await collect(ds, { batchSize: 2, epoch: 3 })).x.map((row) => Math.round(row[0] * 255)));
    const model = nt.sequential({ layers: [nt.layers.flatten({ inputShape: [1, 3, 3] }), nt.layers.dense({ units: 2 })] });
    model.compile({ optimizer: 'sgd', loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
    const h = await model.fit(ds, { epochs: 2, batchSize: 2, verbose: 0 });
    expect(h.history.loss).toHaveLength(2);
    expect((await model.predict(ds, { batchSize: 4 })).shape).toEqual([5, 2]);
  });

  it('many iterations at once leave libuv threads to the decoder (none waits on a pool thread)', async () => {
    const ds = await nt.data.imageFolder({ dir: await folder('concurrent', [1, 2, 3, 4, 5, 6]), size: [3, 3], cacheSize: 0 });
    const runs = await Promise.all(Array.from({ length: 6 }, (_, epoch) => collect(ds, { batchSize: 2, epoch })));
    for (const { x } of runs) expect(x.map((row) => row[0]).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('an image that fails to decode mid-epoch rejects the iteration and fit, naming the file', async () => {
    const dir = await folder('truncated', [1, 2, 3]);
    const file = path.join(dir, 'only', '2.png');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer();
    fs.writeFileSync(file, png.subarray(0, png.length - 200));
    const ds = await nt.data.imageFolder({ dir, size: [3, 3] });
    await expect(collect(ds, { batchSize: 1 })).rejects.toThrow(/dataset\.batches: data\.imageFolder: cannot decode .*truncated\/only\/2\.png/);
    const model = nt.sequential({ layers: [nt.layers.flatten({ inputShape: [3, 3, 3] }), nt.layers.dense({ units: 2 })] });
    model.compile({ optimizer: 'sgd', loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
    await expect(model.fit(ds.map(T.toFloat()), { epochs: 1, batchSize: 1, verbose: 0 })).rejects.toThrow(/cannot decode .*2\.png/);
  });

  it.skipIf(!nt.cuda.isAvailable())('batches({ device }) puts batches on cuda from the prefetch thread', async () => {
    const ds = (await nt.data.imageFolder({ dir: await folder('cuda', [7, 8]), size: [3, 3] })).map(T.toFloat());
    const { value } = await ds.batches({ device: 'cuda', shuffle: false }).next();
    expect(value!.x.device).toMatch(/^cuda/);
    expect(value!.y!.device).toMatch(/^cuda/);
    expect(value!.x.cpu().flatten().arraySync()[0]).toBe(7);
  });
});

describe('transforms (applied natively per batch)', () => {
  const image = nt.arange(0, 2 * 4 * 4).reshape([1, 2, 4, 4]).to('uint8');

  async function once(transforms: nt.data.TransformSpec[], seed = 1): Promise<nt.Tensor> {
    const ds = nt.data.fromTensors(image, undefined, { transforms, seed });
    const { value } = await ds.batches({ shuffle: false }).next();
    return value!.x;
  }

  it('toFloat and normalize per channel', async () => {
    const out = await once([T.toFloat({ scale: 0.5 }), T.normalize({ mean: [1, 2], std: [2, 4] })]);
    expect(out.dtype).toBe('float32');
    const expected = nt.arange(0, 32).reshape([1, 2, 4, 4]).mul(0.5).sub(nt.tensor([1, 2]).reshape([1, 2, 1, 1])).div(nt.tensor([2, 4]).reshape([1, 2, 1, 1]));
    expect(out.sub(expected).abs().max().item()).toBeLessThan(1e-6);
  });

  it('centerCrop, and resize equal to bilinear interpolate', async () => {
    expect((await once([T.centerCrop({ size: 2 })])).flatten().arraySync()).toEqual([5, 6, 9, 10, 21, 22, 25, 26]);
    const resized = await once([T.toFloat(), T.resize({ size: [3, 5] })]);
    const expected = nt.nn.functional.interpolate(image.to('float32'), { size: [3, 5], mode: 'bilinear', alignCorners: false });
    expect(resized.sub(expected).abs().max().item()).toBeLessThan(1e-5);
  });

  it('randomHorizontalFlip with p = 1 mirrors, p = 0 keeps; randomCrop returns windows of the zero-padded image', async () => {
    expect((await once([T.randomHorizontalFlip({ p: 1 })])).eq(image.flip([3])).all().item()).toBe(true);
    expect((await once([T.randomHorizontalFlip({ p: 0 })])).eq(image).all().item()).toBe(true);
    const padded = nt.pad(image.to('float32'), [1, 1, 1, 1]);
    const windows = new Set<string>();
    for (let top = 0; top <= 2; top++) for (let left = 0; left <= 2; left++) windows.add(JSON.stringify(padded.narrow(2, top, 4).narrow(3, left, 4).flatten().arraySync()));
    const seen = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const crop = JSON.stringify((await once([T.toFloat(), T.randomCrop({ size: 4, padding: 1 })], seed)).flatten().arraySync());
      expect(windows.has(crop)).toBe(true);
      seen.add(crop);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('randomAffine: identity parameters keep the image; a 2× zoom magnifies the center', async () => {
    const float = image.to('float32');
    const same = await once([T.toFloat(), T.randomAffine({ degrees: 0 })]);
    expect(same.sub(float).abs().max().item()).toBeLessThan(1e-4);
    const zoomed = await once([T.toFloat(), T.randomAffine({ scale: [2, 2] })]);
    const center = float.narrow(2, 1, 2).narrow(3, 1, 2).mean().item();
    expect(Math.abs(zoomed.mean().item() - center)).toBeLessThan(1);
    const rotated = await once([T.toFloat(), T.randomAffine({ degrees: 180 })], 3);
    expect(rotated.sub(float).abs().max().item()).toBeGreaterThan(0);
  });
});

describe('batching and shuffling', () => {
  const ds = nt.data.fromTensors(nt.arange(0, 50).reshape([50, 1]), nt.arange(0, 50), { seed: 5 });

  it('same seed and epoch → same order; other epochs and seeds → other orders; every sample once', async () => {
    const e0 = (await collect(ds, { batchSize: 8, epoch: 0 })).y;
    const again = (await collect(ds, { batchSize: 8, epoch: 0 })).y;
    const e1 = (await collect(ds, { batchSize: 8, epoch: 1 })).y;
    const other = (await collect(nt.data.fromTensors(nt.arange(0, 50).reshape([50, 1]), nt.arange(0, 50), { seed: 6 }), { batchSize: 8 })).y;
    expect(again).toEqual(e0);
    expect(e1).not.toEqual(e0);
    expect(other).not.toEqual(e0);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('batch sizes, dropLast and numBatches', async () => {
    const sizes: number[] = [];
    for await (const b of ds.batches({ batchSize: 16, dropLast: false })) sizes.push(b.x.shape[0]);
    expect(sizes).toEqual([16, 16, 16, 2]);
    const dropped: number[] = [];
    for await (const b of ds.batches({ batchSize: 16, dropLast: true })) dropped.push(b.x.shape[0]);
    expect(dropped).toEqual([16, 16, 16]);
    expect([ds.numBatches(16), ds.numBatches(16, true)]).toEqual([4, 3]);
  });

  it('fit/evaluate/predict on a dataset equal the same calls on its tensors (no shuffling)', async () => {
    const x = nt.randn([96, 6]);
    const y = x.sum(1).gt(0).to('int64');
    const build = (): nt.Sequential => {
      nt.manualSeed(11);
      const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [6], units: 8, activation: 'relu' }), nt.layers.dense({ units: 2 })] });
      m.compile({ optimizer: nt.optimizers.sgd({ lr: 0.1 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
      return m;
    };
    const onTensors = build();
    const h1 = await onTensors.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
    const onDataset = build();
    const data = nt.data.fromTensors(x, y);
    const h2 = await onDataset.fit(data, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0, validationData: data });
    expect(h2.history.loss).toEqual(h1.history.loss);
    expect(h2.history.val_loss).toHaveLength(3);
    expect(await onDataset.evaluate(data, { batchSize: 32 })).toEqual(await onTensors.evaluate(x, y, { batchSize: 32 }));
    const p = await onDataset.predict(data, { batchSize: 20 });
    expect(p.shape).toEqual([96, 2]);
    expect(p.sub(await onTensors.predict(x)).abs().max().item()).toBe(0);
  });

  it('prefetch overlaps the producer (slow transforms) with training', async () => {
    nt.setNumThreads(1);
    const images = nt.randint(0, 255, [512, 3, 48, 48]).to('uint8');
    const transforms = [T.toFloat({ scale: 1 / 255 }), T.randomAffine({ degrees: 10, translate: [0.1, 0.1] }), T.resize({ size: 32 }), T.randomAffine({ degrees: 5 })];
    const slow = nt.data.fromTensors(images, nt.zeros([512], { dtype: 'int64' }), { transforms, seed: 1 });
    const model = nt.sequential({ layers: [nt.layers.conv2d({ inputShape: [3, 32, 32], filters: 24, kernelSize: 3 }), nt.layers.flatten(), nt.layers.dense({ units: 2 })] });
    model.compile({ optimizer: 'sgd', loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
    const time = async (fn: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const xs = nt.randn([512, 3, 32, 32]);
    const ys = nt.zeros([512], { dtype: 'int64' });
    await model.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0 }); // warm-up
    const produce = await time(() => collect(slow, { batchSize: 32 }));
    const consume = await time(() => model.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0 }));
    const both = await time(() => model.fit(slow, { epochs: 1, batchSize: 32, verbose: 0 }));
    // Serial work would take produce + consume; overlapped, about the slower of the two.
    expect(both).toBeLessThan(0.85 * (produce + consume) + 50);
    nt.setNumThreads(os.availableParallelism());
  });
});

describe('bad data and calls: clear errors naming the file', () => {
  it('missing files say where the library looked and how to get the data', () => {
    expect(() => nt.data.fashionMnist({ dir: path.join(tmp, 'nowhere') })).toThrow(/data\.fashionMnist: no train-images-idx3-ubyte\[\.gz\] in .*nowhere/);
    expect(() => nt.data.cifar10({ dir: path.join(tmp, 'nowhere') })).toThrow(/data\.cifar10: no data_batch_1\.bin in/);
    expect(() => nt.data.fashionMnist({ split: 'val' as 'train' })).toThrow(/split/);
  });

  it('truncated IDX, wrong magic number, label count ≠ image count', () => {
    const dir = mnistDir('bad', 4, false);
    const images = path.join(dir, 'train-images-idx3-ubyte');
    const good = fs.readFileSync(images);
    fs.writeFileSync(images, good.subarray(0, good.length - 10));
    expect(() => nt.data.mnist({ dir })).toThrow(/train-images-idx3-ubyte: truncated or oversized data/);
    const wrong = Buffer.from(good);
    wrong.writeUInt32BE(0x12345678, 0);
    fs.writeFileSync(images, wrong);
    expect(() => nt.data.mnist({ dir })).toThrow(/train-images-idx3-ubyte: wrong magic number 0x12345678/);
    fs.writeFileSync(images, idx([3, 28, 28], new Uint8Array(3 * 784)));
    expect(() => nt.data.mnist({ dir })).toThrow(/train-labels-idx1-ubyte has 4 labels but .*train-images-idx3-ubyte has 3 images/);
    expect(() => nt.data.fromTensors(nt.zeros([3, 2]), nt.zeros([4]))).toThrow(/label count \(4\) differs from the sample count \(3\)/);
  });

  it('corrupt PNG, empty folder, bad CSV cell, bad CIFAR size, bad transforms', async () => {
    const dir = dirOf('corrupt');
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'a', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    await expect(nt.data.imageFolder({ dir, size: [4, 4] })).rejects.toThrow(/data\.imageFolder: cannot decode .*broken\.png/);
    await expect(nt.data.imageFolder({ dir: dirOf('empty'), size: [4, 4] })).rejects.toThrow(/has no class subfolders/);
    fs.mkdirSync(path.join(dirOf('emptyclass'), 'x'));
    await expect(nt.data.imageFolder({ dir: path.join(tmp, 'emptyclass'), size: [4, 4] })).rejects.toThrow(/emptyclass\/x has no PNG\/JPEG\/WebP images/);
    const csvFile = path.join(tmp, 'bad.csv');
    fs.writeFileSync(csvFile, 'a,b\n1,2\n3,oops\n');
    expect(() => nt.data.csv({ file: csvFile })).toThrow(/bad\.csv:3: column 2 is not a number: 'oops'/);
    const cifarDir = dirOf('badcifar');
    fs.writeFileSync(path.join(cifarDir, 'test_batch.bin'), Buffer.alloc(100));
    expect(() => nt.data.cifar10({ dir: cifarDir, split: 'test' })).toThrow(/test_batch\.bin: 100 bytes is not a whole number of 3073-byte records/);
    expect(() => T.normalize({ mean: [1, 2], std: [1] })).toThrow(/normalize/);
    const uint8 = nt.data.fromTensors(nt.zeros([2, 3, 4, 4], { dtype: 'uint8' }), undefined, { transforms: [T.normalize({ mean: [1, 2, 3], std: [1, 1, 1] })] });
    await expect(collect(uint8, {})).rejects.toThrow(/dataset\.batches: normalize: needs float images/);
    const channels = nt.data.fromTensors(nt.zeros([2, 3, 4, 4]), undefined, { transforms: [T.normalize({ mean: [1, 2], std: [1, 1] })] });
    await expect(collect(channels, {})).rejects.toThrow(/normalize: 2 means for 3 channels/);
  });
});
