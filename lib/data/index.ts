/**
 * index.ts — `nt.data`: datasets (in-memory, IDX/Fashion-MNIST/MNIST, CIFAR, image folders, CSV),
 * native batch transforms and prefetching batch iteration; and the raw IDX reader.
 */
export { Dataset, fromTensors } from './dataset';
export type { DatasetArgs, BatchOptions } from './dataset';
export * as transforms from './transforms';
export type { TransformSpec, Size } from './transforms';
export { fashionMnist, mnist, cifar10, cifar100, csv, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from './sources';
export type { Split, SourceOptions, SplitSourceOptions, CsvOptions } from './sources';
export { imageFolder, loadImage } from './image_folder';
export type { ImageOptions, ImageFolderOptions } from './image_folder';
export { readIdx, parseIdx } from './idx';
