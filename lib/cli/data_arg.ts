/**
 * data_arg.ts — what `--data` names: 'fashion-mnist' (Debian's dataset), or a directory holding
 * MNIST-style IDX files, CIFAR-10 binary batches, or an image folder (one subfolder per class).
 * Returns the train/test datasets (raw samples) and how to preprocess them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as data from '../data';
import type { Dataset } from '../data/dataset';

export interface DataChoice {
  train: Dataset;
  /** The held-out split, or undefined when the source has none (image folders). */
  test: Dataset | undefined;
  /** Per-channel mean/std of pixel values in [0, 1] used to standardize classifier inputs. */
  mean: number;
  std: number;
  /** Sample shape [C, H, W]. */
  shape: number[];
  classNames: string[];
  name: string;
}

/** Resolves `--data`; `imageSize` applies to image folders. */
export async function resolveData(spec: string, imageSize: number, channels: 1 | 3): Promise<DataChoice> {
  if (spec === 'fashion-mnist') {
    return { train: data.fashionMnist({ split: 'train' }), test: data.fashionMnist({ split: 'test' }), mean: 0.286, std: 0.353, shape: [1, 28, 28], classNames: data.FASHION_MNIST_CLASSES, name: spec };
  }
  if (!fs.existsSync(spec) || !fs.statSync(spec).isDirectory()) {
    throw new Error(`--data: '${spec}' is neither 'fashion-mnist' nor a directory (IDX files, CIFAR-10 binary batches, or one subfolder of images per class)`);
  }
  const files = fs.readdirSync(spec);
  if (files.some((f) => f.startsWith('train-images'))) {
    const train = data.mnist({ dir: spec, split: 'train' });
    const hasTest = files.some((f) => f.startsWith('t10k-images'));
    return { train, test: hasTest ? data.mnist({ dir: spec, split: 'test' }) : undefined, mean: 0.5, std: 0.5, shape: [1, 28, 28], classNames: train.classNames ?? [], name: spec };
  }
  if (files.includes('data_batch_1.bin')) {
    const train = data.cifar10({ dir: spec, split: 'train' });
    const test = files.includes('test_batch.bin') ? data.cifar10({ dir: spec, split: 'test' }) : undefined;
    return { train, test, mean: 0.5, std: 0.25, shape: [3, 32, 32], classNames: train.classNames ?? Array.from({ length: 10 }, (_, i) => String(i)), name: spec };
  }
  const train = await data.imageFolder({ dir: spec, size: [imageSize, imageSize], channels });
  return { train, test: undefined, mean: 0.5, std: 0.25, shape: [channels, imageSize, imageSize], classNames: train.classNames ?? [], name: path.resolve(spec) };
}
