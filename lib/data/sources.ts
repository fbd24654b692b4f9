/**
 * sources.ts — datasets from files on disk (nothing is ever downloaded): MNIST and Fashion-MNIST
 * IDX files (gzipped or not; Fashion-MNIST from Debian's dataset-fashion-mnist by default),
 * CIFAR-10/100 binary batches, image folders (one subfolder per class, PNG/JPEG/WebP decoded and
 * resized with sharp), and CSV files of numeric features. Every error names the file and, for a
 * missing dataset, where the library looked and how to get it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkOptions, defineOptions, rule } from '../options';
import { tensor } from '../tensor/creation';
import { tidy } from '../tensor/memory';
import { Dataset, type DatasetArgs, SOURCE_OPTIONS } from './dataset';
import { readIdx } from './idx';

/** Which part of a dataset to read. */
export type Split = 'train' | 'test';
/** Dataset options a file source accepts (batching, shuffling, transforms, prefetch): everything but the data itself. */
export type SourceOptions = Omit<DatasetArgs, 'x' | 'y' | 'classNames'>;

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Options of the file sources with a train and a test split. */
export interface SplitSourceOptions extends SourceOptions {
  /** 'train' (default) or 'test'. */
  split?: Split;
  /** The directory holding the files. */
  dir?: string;
}

/** Options of `nt.data.csv`. */
export interface CsvOptions extends SourceOptions {
  /** The CSV file. */
  file: string;
  /** The label column, by header name or index (default: none, features only). */
  labelColumn?: string | number;
  /** The first line is a header (default true). */
  header?: boolean;
  /** Labels are float32 [N, 1] targets instead of int64 classes (default false). */
  regression?: boolean;
}

const split = rule.oneOf(['train', 'test']);
const SPLIT_OPTIONS = defineOptions<SplitSourceOptions>({ ...SOURCE_OPTIONS, split, dir: rule.string() });
const SPLIT_DIR_OPTIONS = defineOptions<SplitSourceOptions>({ ...SOURCE_OPTIONS, split, dir: rule.string({ required: true }) });
const CSV_OPTIONS = defineOptions<CsvOptions>({
  ...SOURCE_OPTIONS,
  file: rule.string({ required: true }),
  labelColumn: { check: (fn, param, v) => (typeof v === 'number' ? rule.int({ min: 0 }) : rule.string()).check(fn, param, v) },
  header: rule.boolean(),
  regression: rule.boolean(),
});

/** The first of `names` (with or without .gz) present in `dir`; a clear error listing what was looked for otherwise. */
function findFile(op: string, dir: string, names: string[], hint: string): string {
  for (const name of names) {
    for (const candidate of [name, `${name}.gz`]) {
      const file = path.join(dir, candidate);
      if (fs.existsSync(file)) return file;
    }
  }
  throw new Error(`${op}: no ${names[0]}[.gz] in ${dir}. ${hint}`);
}

/** Images [N, 1, 28, 28] uint8 and labels [N] int64 from an IDX pair. */
function idxDataset(op: string, dir: string, split: Split, hint: string, classNames: string[] | undefined, options: SourceOptions): Dataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = findFile(op, dir, [`${prefix}-images-idx3-ubyte`, `${prefix}-images.idx3-ubyte`], hint);
  const labelsFile = findFile(op, dir, [`${prefix}-labels-idx1-ubyte`, `${prefix}-labels.idx1-ubyte`], hint);
  const [x, y] = tidy(() => {
    const images = readIdx(imagesFile);
    const labels = readIdx(labelsFile);
    if (images.ndim !== 3) throw new Error(`${op}: ${imagesFile}: expected images [N, H, W], got [${images.shape.join(', ')}]`);
    if (labels.shape[0] !== images.shape[0]) {
      throw new Error(`${op}: ${labelsFile} has ${labels.shape[0]} labels but ${imagesFile} has ${images.shape[0]} images`);
    }
    return [images.unsqueeze(1), labels.to('int64')];
  });
  try {
    return new Dataset({ ...options, x, y, classNames });
  } finally {
    x.dispose();
    y.dispose();
  }
}

/**
 * Fashion-MNIST (60k train / 10k test, 1×28×28 uint8, 10 classes) from `dir` (default Debian's
 * /usr/share/datasets/fashion-mnist). Add transforms such as toFloat({ scale: 1/255 }).
 */
export function fashionMnist(options: SplitSourceOptions = {}): Dataset {
  const { split = 'train', dir = FASHION_MNIST_DIR, ...rest } = checkOptions('data.fashionMnist', SPLIT_OPTIONS, options);
  const hint = dir === FASHION_MNIST_DIR ? 'Install it with: apt-get install dataset-fashion-mnist (or pass { dir })' : 'Pass the directory holding the IDX files as { dir }';
  return idxDataset('data.fashionMnist', dir, split, hint, FASHION_MNIST_CLASSES, rest);
}

/** MNIST from the IDX files in `dir` (train-images-idx3-ubyte[.gz], ...). */
export function mnist(options: SplitSourceOptions & { dir: string }): Dataset {
  const { split = 'train', dir, ...rest } = checkOptions('data.mnist', SPLIT_DIR_OPTIONS, options);
  const names = Array.from({ length: 10 }, (_, i) => String(i));
  return idxDataset('data.mnist', dir as string, split, 'Put the four MNIST IDX files there', names, rest);
}

/** CIFAR-10 / CIFAR-100 from the binary batches in `dir` (3×32×32 uint8 images; CIFAR-100: fine labels). */
function cifar(op: string, kind: 10 | 100, options: SplitSourceOptions & { dir: string }): Dataset {
  const { split = 'train', dir, ...rest } = checkOptions(op, SPLIT_DIR_OPTIONS, options) as SplitSourceOptions & { dir: string };
  const files =
    kind === 10 ? (split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin']) : [split === 'train' ? 'train.bin' : 'test.bin'];
  const labelBytes = kind === 10 ? 1 : 2;
  const record = labelBytes + 3072;
  const chunks = files.map((name) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`${op}: no ${name} in ${dir} (the CIFAR-${kind} binary version: ${files.join(', ')})`);
    const bytes = fs.readFileSync(file);
    if (bytes.length === 0 || bytes.length % record !== 0) throw new Error(`${op}: ${file}: ${bytes.length} bytes is not a whole number of ${record}-byte records`);
    return bytes;
  });
  const n = chunks.reduce((a, b) => a + b.length / record, 0);
  const pixels = new Uint8Array(n * 3072);
  const labels = new BigInt64Array(n);
  let i = 0;
  for (const bytes of chunks) {
    for (let off = 0; off < bytes.length; off += record, i++) {
      labels[i] = BigInt(bytes[off + labelBytes - 1]);
      pixels.set(bytes.subarray(off + labelBytes, off + record), i * 3072);
    }
  }
  const namesFile = path.join(dir, kind === 10 ? 'batches.meta.txt' : 'fine_label_names.txt');
  const classNames = fs.existsSync(namesFile) ? fs.readFileSync(namesFile, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean) : undefined;
  const x = tensor(pixels, { shape: [n, 3, 32, 32] });
  const y = tensor(labels);
  try {
    return new Dataset({ ...rest, x, y, classNames });
  } finally {
    x.dispose();
    y.dispose();
  }
}

export const cifar10 = (options: SplitSourceOptions & { dir: string }): Dataset => cifar('data.cifar10', 10, options);
export const cifar100 = (options: SplitSourceOptions & { dir: string }): Dataset => cifar('data.cifar100', 100, options);

/**
 * A CSV file of numeric columns (first line a header unless `header: false`): features [N, F]
 * float32 and, when `labelColumn` (name or index) is given, labels [N] int64 (float32 with
 * `regression: true`).
 */
export function csv(options: CsvOptions): Dataset {
  const op = 'data.csv';
  const { file, labelColumn, header = true, regression = false, ...rest } = checkOptions(op, CSV_OPTIONS, options);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${op}: cannot read ${file}: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const names = header ? lines.shift()?.split(',').map((s) => s.trim()) ?? [] : [];
  if (lines.length === 0) throw new Error(`${op}: ${file} has no data rows`);
  const width = lines[0].split(',').length;
  const labelIndex = labelColumn === undefined ? -1 : typeof labelColumn === 'number' ? labelColumn : names.indexOf(labelColumn);
  if (labelColumn !== undefined && (labelIndex < 0 || labelIndex >= width)) throw new Error(`${op}: ${file} has no column '${labelColumn}'`);
  const features = new Float32Array(lines.length * (width - (labelIndex >= 0 ? 1 : 0)));
  const labels = new Float64Array(lines.length);
  let k = 0;
  lines.forEach((line, row) => {
    const cells = line.split(',');
    if (cells.length !== width) throw new Error(`${op}: ${file}:${row + (header ? 2 : 1)}: ${cells.length} columns, expected ${width}`);
    cells.forEach((cell, col) => {
      const v = Number(cell);
      if (cell.trim() === '' || !Number.isFinite(v)) throw new Error(`${op}: ${file}:${row + (header ? 2 : 1)}: column ${col + 1} is not a number: '${cell}'`);
      if (col === labelIndex) labels[row] = v;
      else features[k++] = v;
    });
  });
  const x = tensor(features, { shape: [lines.length, features.length / lines.length] });
  const y = labelIndex < 0 ? undefined : regression ? tensor(Float32Array.from(labels), { shape: [lines.length, 1] }) : tensor(BigInt64Array.from(labels, (v) => BigInt(Math.round(v))));
  try {
    return new Dataset({ ...rest, x, y });
  } finally {
    x.dispose();
    y?.dispose();
  }
}
