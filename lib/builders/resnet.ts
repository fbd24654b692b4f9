/**
 * resnet.ts — ResNet builders as functional models (He et al. 2016): the CIFAR-style networks of
 * §4.2 (`resnet({ depth: 20 | 32 | 44 | 56 | 110 })`, shortcut A or B) and the ImageNet-style
 * ResNet-18/34 (basic blocks) and ResNet-50/101 (bottlenecks, stride on the 3×3 conv as in
 * torchvision). Layer names follow torchvision's state_dict names (conv1, bn1,
 * layer1.0.conv1, layer2.0.downsample.0, fc, ...), so weights move between the two. Init as in
 * torchvision: Kaiming normal (fan_out) convolutions, BN γ = 1 / β = 0, optionally γ = 0 in the
 * last BN of each block (`zeroInitResidual`).
 */
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { Initializer } from '../layers/initializers';
import * as layers from '../layers';
import { input, type SymbolicTensor } from '../layers/symbolic';
import { Functional } from '../models/functional';

const KAIMING: Initializer = { name: 'heNormal', mode: 'fanOut' };

interface BlockContext {
  /** Prefix of the block's layer names, e.g. 'layer2.0'. */
  name: string;
  filters: number;
  strides: number;
  zeroInitResidual: boolean;
}

function conv(name: string, filters: number, kernelSize: number, strides: number, padding: number): layers.Conv2D {
  return layers.conv2d({ name, filters, kernelSize, strides, padding, useBias: false, kernelInitializer: KAIMING });
}

function bn(name: string, zeroGamma = false): layers.BatchNormalization {
  return layers.batchNormalization({ name, ...(zeroGamma ? { gammaInitializer: 'zeros' as const } : {}) });
}

/** 1×1 projection + BN (shortcut B / torchvision's downsample), or the input itself when shapes agree. */
function projection(x: SymbolicTensor, c: BlockContext, outChannels: number): SymbolicTensor {
  if (c.strides === 1 && x.shape[0] === outChannels) return x;
  const y = conv(`${c.name}.downsample.0`, outChannels, 1, c.strides, 0).apply(x);
  return bn(`${c.name}.downsample.1`).apply(y);
}

/** Zero-padded identity (shortcut A), or the input itself when shapes agree. */
function paddedIdentity(x: SymbolicTensor, c: BlockContext): SymbolicTensor {
  if (c.strides === 1 && x.shape[0] === c.filters) return x;
  return layers.shortcutPadding2d({ name: `${c.name}.shortcut`, filters: c.filters, strides: c.strides }).apply(x);
}

/** Two 3×3 convs (expansion 1). */
function basicBlock(x: SymbolicTensor, c: BlockContext, shortcut: 'A' | 'B'): SymbolicTensor {
  let y = conv(`${c.name}.conv1`, c.filters, 3, c.strides, 1).apply(x);
  y = layers.relu({ name: `${c.name}.relu1` }).apply(bn(`${c.name}.bn1`).apply(y));
  y = bn(`${c.name}.bn2`, c.zeroInitResidual).apply(conv(`${c.name}.conv2`, c.filters, 3, 1, 1).apply(y));
  const skip = shortcut === 'A' ? paddedIdentity(x, c) : projection(x, c, c.filters);
  return layers.relu({ name: `${c.name}.relu2` }).apply(layers.add({ name: `${c.name}.add` }).apply([y, skip]));
}

/** 1×1 reduce, 3×3 (strided), 1×1 expand ×4. */
function bottleneck(x: SymbolicTensor, c: BlockContext): SymbolicTensor {
  let y = conv(`${c.name}.conv1`, c.filters, 1, 1, 0).apply(x);
  y = layers.relu({ name: `${c.name}.relu1` }).apply(bn(`${c.name}.bn1`).apply(y));
  y = conv(`${c.name}.conv2`, c.filters, 3, c.strides, 1).apply(y);
  y = layers.relu({ name: `${c.name}.relu2` }).apply(bn(`${c.name}.bn2`).apply(y));
  y = bn(`${c.name}.bn3`, c.zeroInitResidual).apply(conv(`${c.name}.conv3`, c.filters * 4, 1, 1, 0).apply(y));
  const skip = projection(x, c, c.filters * 4);
  return layers.relu({ name: `${c.name}.relu3` }).apply(layers.add({ name: `${c.name}.add` }).apply([y, skip]));
}

function checkShape(op: string, shape: unknown, fallback: number[]): number[] {
  const s = shape ?? fallback;
  if (!Array.isArray(s) || s.length !== 3 || s.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw invalidValue(op, 'inputShape', '[channels, height, width] (positive integers)', shape);
  }
  return [...s] as number[];
}


/** The classifier head: global average pool (to [C]), fully connected logits. */
function head(x: SymbolicTensor, numClasses: number): SymbolicTensor {
  return layers.dense({ name: 'fc', units: numClasses }).apply(layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x));
}

export interface CifarResNetArgs {
  /** 6n + 2 layers: 20, 32, 44, 56 or 110. */
  depth: 20 | 32 | 44 | 56 | 110;
  /** Sample shape (default [3, 32, 32]). */
  inputShape?: number[];
  numClasses?: number;
  /** 'A': zero-padded identity shortcuts, no extra parameters (the paper's CIFAR choice, default); 'B': 1×1 projections where shapes change. */
  shortcut?: 'A' | 'B';
  /** Start each block's last BN at γ = 0, so blocks begin as identities (Goyal et al. 2017). */
  zeroInitResidual?: boolean;
  name?: string;
}

const CIFAR_DEPTHS = [20, 32, 44, 56, 110];

/** CIFAR-style ResNet (He et al. 2016, §4.2): 3×3 conv (16) then 3 stages of n basic blocks with 16/32/64 filters; logits out. */
export function resnet(args: CifarResNetArgs): Functional {
  const op = 'builders.resnet';
  checkOptions(op, CIFAR_OPTIONS, args);
  if (!CIFAR_DEPTHS.includes(args.depth)) throw invalidValue(op, 'depth', `one of ${CIFAR_DEPTHS.join(', ')} (6n + 2)`, args.depth);
  const shortcut = args.shortcut ?? 'A';
  const inputs = input({ shape: checkShape(op, args.inputShape, [3, 32, 32]), name: 'input' });
  const n = (args.depth - 2) / 6;
  let x = layers.relu({ name: 'relu' }).apply(bn('bn1').apply(conv('conv1', 16, 3, 1, 1).apply(inputs)));
  [16, 32, 64].forEach((filters, stage) => {
    for (let i = 0; i < n; i++) {
      const c = { name: `layer${stage + 1}.${i}`, filters, strides: stage > 0 && i === 0 ? 2 : 1, zeroInitResidual: Boolean(args.zeroInitResidual) };
      x = basicBlock(x, c, shortcut);
    }
  });
  return new Functional({ name: args.name ?? `resnet${args.depth}`, inputs, outputs: head(x, args.numClasses ?? 10) });
}

// inputShape is checked by checkShape, depth against CIFAR_DEPTHS
const COMMON = { inputShape: rule.any(), numClasses: rule.int({ min: 1 }), zeroInitResidual: rule.boolean(), name: rule.string() };
const CIFAR_OPTIONS = defineOptions<CifarResNetArgs>({ ...COMMON, depth: rule.any({ required: true }), shortcut: rule.oneOf(['A', 'B']) });

export interface ImageNetResNetArgs {
  /** Sample shape (default [3, 224, 224]). */
  inputShape?: number[];
  numClasses?: number;
  /** For 28–64 px images: a 3×3 stride-1 stem without the max-pool (default false: 7×7/2 + max-pool). */
  smallInput?: boolean;
  zeroInitResidual?: boolean;
  name?: string;
}

const IMAGENET_OPTIONS = defineOptions<ImageNetResNetArgs>({ ...COMMON, smallInput: rule.boolean() });

function imageNetResNet(op: string, defaultName: string, blocks: number[], kind: 'basic' | 'bottleneck', args: ImageNetResNetArgs = {}): Functional {
  checkOptions(op, IMAGENET_OPTIONS, args);
  const inputs = input({ shape: checkShape(op, args.inputShape, [3, 224, 224]), name: 'input' });
  let x = args.smallInput ? conv('conv1', 64, 3, 1, 1).apply(inputs) : conv('conv1', 64, 7, 2, 3).apply(inputs);
  x = layers.relu({ name: 'relu' }).apply(bn('bn1').apply(x));
  if (!args.smallInput) x = layers.maxPooling2d({ name: 'maxpool', poolSize: 3, strides: 2, padding: 1 }).apply(x);
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let i = 0; i < blocks[stage]; i++) {
      const c = { name: `layer${stage + 1}.${i}`, filters, strides: stage > 0 && i === 0 ? 2 : 1, zeroInitResidual: Boolean(args.zeroInitResidual) };
      x = kind === 'basic' ? basicBlock(x, c, 'B') : bottleneck(x, c);
    }
  });
  return new Functional({ name: args.name ?? defaultName, inputs, outputs: head(x, args.numClasses ?? 1000) });
}

/** ResNet-18 (torchvision layout and names; 11,689,512 parameters at 1000 classes). */
export const resnet18 = (args?: ImageNetResNetArgs): Functional => imageNetResNet('builders.resnet18', 'resnet18', [2, 2, 2, 2], 'basic', args);
/** ResNet-34 (basic blocks 3-4-6-3). */
export const resnet34 = (args?: ImageNetResNetArgs): Functional => imageNetResNet('builders.resnet34', 'resnet34', [3, 4, 6, 3], 'basic', args);
/** ResNet-50 (bottlenecks 3-4-6-3; 25,557,032 parameters at 1000 classes). */
export const resnet50 = (args?: ImageNetResNetArgs): Functional => imageNetResNet('builders.resnet50', 'resnet50', [3, 4, 6, 3], 'bottleneck', args);
/** ResNet-101 (bottlenecks 3-4-23-3). */
export const resnet101 = (args?: ImageNetResNetArgs): Functional => imageNetResNet('builders.resnet101', 'resnet101', [3, 4, 23, 3], 'bottleneck', args);
