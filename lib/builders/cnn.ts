/**
 * cnn.ts — `nt.builders.cnn`: a small image classifier (two conv blocks with batch norm and
 * max-pooling, a dense head with dropout, softmax out), the library's reference CNN: 91 % on
 * Fashion-MNIST after 3 epochs of Adam (examples/fashion_mnist_cnn.js).
 */
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import * as layers from '../layers';
import { Sequential } from '../models/sequential';

export interface CnnArgs {
  /** Sample shape [C, H, W] (default [1, 28, 28]). */
  inputShape?: number[];
  /** Classes of the softmax output (default 10). */
  numClasses?: number;
  name?: string;
}

const CNN_OPTIONS = defineOptions<CnnArgs>({ inputShape: rule.any(), numClasses: rule.int({ min: 2 }), name: rule.string() });

/** conv32-BN-pool-conv64-BN-pool-dense128-dropout(0.3)-dense(numClasses, softmax). */
export function cnn(args: CnnArgs = {}): Sequential {
  checkOptions('builders.cnn', CNN_OPTIONS, args);
  const inputShape = args.inputShape ?? [1, 28, 28];
  if (!Array.isArray(inputShape) || inputShape.length !== 3) throw invalidValue('builders.cnn', 'inputShape', '[channels, height, width]', args.inputShape);
  const numClasses = args.numClasses ?? 10;
  return new Sequential({
    name: args.name ?? 'cnn',
    layers: [
      layers.conv2d({ inputShape, filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      layers.batchNormalization(),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      layers.batchNormalization(),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 128, activation: 'relu' }),
      layers.dropout({ rate: 0.3 }),
      layers.dense({ units: numClasses, activation: 'softmax' }),
    ],
  });
}
