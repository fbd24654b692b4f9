/**
 * functional.test.ts — nt.nn.functional (convolutions, pooling, normalization, dropout,
 * interpolation, losses) against torch.nn.functional on seeded random inputs: outputs and
 * gradients, in-place running-stat updates, dropout statistics, and the errors of bad calls.
 */
import { describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { compareWithTorch, expectThrows, type OpCase } from './helpers/cases';
import { LIBTORCH2 } from './helpers/torch';

const F = nt.nn.functional;
nt.manualSeed(4321);

const leaf = (shape: number[], dtype: nt.Dtype = 'float32'): nt.Tensor => nt.randn(shape, { dtype, requiresGrad: true });
const long = (data: nt.TensorLike): nt.Tensor => nt.tensor(data, { dtype: 'int64' });
/** Accumulations in convolutions and their gradients differ in the last bits between thread counts. */
const loose = { rtol: 1e-4, atol: 1e-4 };

describe('convolutions', () => {
  const conv1dCases: OpCase[] = [
    { name: 'conv1d with bias', inputs: { x: leaf([2, 3, 10]), w: leaf([4, 3, 3]), b: leaf([4]) }, js: ({ x, w, b }) => F.conv1d(x, w, b), py: 'F.conv1d(x, w, b)' },
    {
      name: 'conv1d stride 2, padding 1, no bias',
      inputs: { x: leaf([2, 3, 11]), w: leaf([4, 3, 3]) },
      js: ({ x, w }) => F.conv1d(x, w, null, { stride: 2, padding: 1 }),
      py: 'F.conv1d(x, w, None, stride=2, padding=1)',
    },
    {
      name: "conv1d 'same' with dilation and groups",
      inputs: { x: leaf([1, 4, 9]), w: leaf([6, 2, 3]), b: leaf([6]) },
      js: ({ x, w, b }) => F.conv1d(x, w, b, { padding: 'same', dilation: 2, groups: 2 }),
      py: "F.conv1d(x, w, b, padding='same', dilation=2, groups=2)",
    },
    { name: 'conv1d unbatched', inputs: { x: leaf([3, 8]), w: leaf([2, 3, 4]) }, js: ({ x, w }) => F.conv1d(x, w), py: 'F.conv1d(x, w)' },
  ];
  const conv2dCases: OpCase[] = [
    { name: 'conv2d with bias', inputs: { x: leaf([2, 3, 8, 8]), w: leaf([4, 3, 3, 3]), b: leaf([4]) }, js: ({ x, w, b }) => F.conv2d(x, w, b), py: 'F.conv2d(x, w, b)' },
    {
      name: 'conv2d stride and padding as numbers',
      inputs: { x: leaf([2, 3, 9, 9]), w: leaf([4, 3, 3, 3]), b: leaf([4]) },
      js: ({ x, w, b }) => F.conv2d(x, w, b, { stride: 2, padding: 1 }),
      py: 'F.conv2d(x, w, b, stride=2, padding=1)',
    },
    {
      name: 'conv2d stride and padding as pairs, no bias',
      inputs: { x: leaf([1, 2, 7, 9]), w: leaf([3, 2, 3, 2]) },
      js: ({ x, w }) => F.conv2d(x, w, undefined, { stride: [2, 1], padding: [1, 2] }),
      py: 'F.conv2d(x, w, stride=(2, 1), padding=(1, 2))',
    },
    {
      name: "conv2d padding 'same' with an even kernel",
      inputs: { x: leaf([1, 2, 6, 7]), w: leaf([3, 2, 3, 4]), b: leaf([3]) },
      js: ({ x, w, b }) => F.conv2d(x, w, b, { padding: 'same' }),
      py: "F.conv2d(x, w, b, padding='same')",
    },
    {
      name: "conv2d padding 'valid'",
      inputs: { x: leaf([1, 2, 6, 6]), w: leaf([3, 2, 3, 3]) },
      js: ({ x, w }) => F.conv2d(x, w, null, { padding: 'valid' }),
      py: "F.conv2d(x, w, padding='valid')",
    },
    {
      name: 'conv2d with dilation',
      inputs: { x: leaf([2, 2, 9, 9]), w: leaf([3, 2, 3, 3]), b: leaf([3]) },
      js: ({ x, w, b }) => F.conv2d(x, w, b, { dilation: 2, padding: 1 }),
      py: 'F.conv2d(x, w, b, dilation=2, padding=1)',
    },
    {
      name: 'conv2d with groups',
      inputs: { x: leaf([2, 4, 6, 6]), w: leaf([6, 2, 3, 3]), b: leaf([6]) },
      js: ({ x, w, b }) => F.conv2d(x, w, b, { groups: 2, padding: 1 }),
      py: 'F.conv2d(x, w, b, groups=2, padding=1)',
    },
    {
      name: 'conv2d depthwise on a channels-last permuted input',
      inputs: { x: leaf([2, 6, 6, 3]), w: leaf([3, 1, 3, 3]) },
      js: ({ x, w }) => F.conv2d(x.permute(0, 3, 1, 2), w, null, { groups: 3 }),
      py: 'F.conv2d(x.permute(0, 3, 1, 2), w, groups=3)',
    },
    { name: 'conv2d unbatched 3D input', inputs: { x: leaf([3, 7, 7]), w: leaf([2, 3, 3, 3]), b: leaf([2]) }, js: ({ x, w, b }) => F.conv2d(x, w, b, { padding: 1 }), py: 'F.conv2d(x, w, b, padding=1)' },
    { name: 'conv2d in float64', inputs: { x: leaf([1, 2, 5, 5], 'float64'), w: leaf([2, 2, 3, 3], 'float64') }, js: ({ x, w }) => F.conv2d(x, w), py: 'F.conv2d(x, w)' },
  ];
  const convTransposeCases: OpCase[] = [
    {
      name: 'convTranspose2d stride 2 with padding and outputPadding',
      inputs: { x: leaf([2, 4, 5, 5]), w: leaf([4, 3, 3, 3]), b: leaf([3]) },
      js: ({ x, w, b }) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
      py: 'F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)',
    },
    {
      name: 'convTranspose2d stride 2 kernel 4 (DCGAN upsampling)',
      inputs: { x: leaf([1, 3, 4, 4]), w: leaf([3, 2, 4, 4]) },
      js: ({ x, w }) => F.convTranspose2d(x, w, null, { stride: 2, padding: 1 }),
      py: 'F.conv_transpose2d(x, w, stride=2, padding=1)',
    },
    {
      name: 'convTranspose2d with groups and pairs',
      inputs: { x: leaf([1, 4, 3, 4]), w: leaf([4, 3, 3, 2]), b: leaf([6]) },
      js: ({ x, w, b }) => F.convTranspose2d(x, w, b, { stride: [2, 1], padding: [0, 1], groups: 2 }),
      py: 'F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(0, 1), groups=2)',
    },
    {
      name: 'convTranspose2d with dilation, unbatched',
      inputs: { x: leaf([2, 4, 4]), w: leaf([2, 3, 3, 3]) },
      js: ({ x, w }) => F.convTranspose2d(x, w, null, { dilation: 2 }),
      py: 'F.conv_transpose2d(x, w, dilation=2)',
    },
  ];
  compareWithTorch([...conv1dCases, ...conv2dCases, ...convTransposeCases].map((c) => ({ ...c, close: loose })));
});

describe('pooling', () => {
  const cases: OpCase[] = [
    { name: 'maxPool2d kernel 2', inputs: { x: leaf([2, 3, 6, 6]) }, js: ({ x }) => F.maxPool2d(x, 2), py: 'F.max_pool2d(x, 2)' },
    {
      name: 'maxPool2d kernel 3, stride 2, padding 1',
      inputs: { x: leaf([1, 2, 7, 7]) },
      js: ({ x }) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
      py: 'F.max_pool2d(x, 3, stride=2, padding=1)',
    },
    { name: 'maxPool2d with dilation', inputs: { x: leaf([1, 2, 8, 8]) }, js: ({ x }) => F.maxPool2d(x, 2, { stride: 1, dilation: 2 }), py: 'F.max_pool2d(x, 2, stride=1, dilation=2)' },
    { name: 'maxPool2d ceilMode', inputs: { x: leaf([1, 2, 7, 5]) }, js: ({ x }) => F.maxPool2d(x, 2, { ceilMode: true }), py: 'F.max_pool2d(x, 2, ceil_mode=True)' },
    { name: 'maxPool2d pair kernel and stride, unbatched', inputs: { x: leaf([2, 6, 7]) }, js: ({ x }) => F.maxPool2d(x, [2, 3], { stride: [1, 2] }), py: 'F.max_pool2d(x, (2, 3), stride=(1, 2))' },
    {
      name: 'maxPool2dWithIndices',
      inputs: { x: leaf([2, 2, 6, 5]) },
      js: ({ x }) => {
        const { values, indices } = F.maxPool2dWithIndices(x, 3, { stride: 2, padding: 1, ceilMode: true });
        return [values, indices];
      },
      py: 'F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)',
    },
    { name: 'avgPool2d kernel 2', inputs: { x: leaf([2, 3, 6, 6]) }, js: ({ x }) => F.avgPool2d(x, 2), py: 'F.avg_pool2d(x, 2)' },
    {
      name: 'avgPool2d padding counted',
      inputs: { x: leaf([1, 2, 5, 5]) },
      js: ({ x }) => F.avgPool2d(x, 3, { stride: 2, padding: 1 }),
      py: 'F.avg_pool2d(x, 3, stride=2, padding=1)',
    },
    {
      name: 'avgPool2d countIncludePad false',
      inputs: { x: leaf([1, 2, 5, 5]) },
      js: ({ x }) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
      py: 'F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)',
    },
    { name: 'avgPool2d ceilMode', inputs: { x: leaf([1, 2, 7, 5]) }, js: ({ x }) => F.avgPool2d(x, 2, { ceilMode: true }), py: 'F.avg_pool2d(x, 2, ceil_mode=True)' },
    {
      name: 'avgPool2d divisorOverride, unbatched',
      inputs: { x: leaf([2, 6, 6]) },
      js: ({ x }) => F.avgPool2d(x, [2, 3], { divisorOverride: 4 }),
      py: 'F.avg_pool2d(x, (2, 3), divisor_override=4)',
    },
    { name: 'adaptiveAvgPool2d to 1 (global)', inputs: { x: leaf([2, 3, 5, 7]) }, js: ({ x }) => F.adaptiveAvgPool2d(x, 1), py: 'F.adaptive_avg_pool2d(x, 1)' },
    { name: 'adaptiveAvgPool2d to a non-dividing size', inputs: { x: leaf([1, 2, 7, 5]) }, js: ({ x }) => F.adaptiveAvgPool2d(x, [3, 2]), py: 'F.adaptive_avg_pool2d(x, (3, 2))' },
    { name: 'adaptiveAvgPool2d unbatched upsampling', inputs: { x: leaf([2, 3, 3]) }, js: ({ x }) => F.adaptiveAvgPool2d(x, 4), py: 'F.adaptive_avg_pool2d(x, 4)' },
    { name: 'adaptiveMaxPool2d', inputs: { x: leaf([2, 2, 7, 6]) }, js: ({ x }) => F.adaptiveMaxPool2d(x, [2, 3]), py: 'F.adaptive_max_pool2d(x, (2, 3))' },
    { name: 'adaptiveMaxPool2d unbatched to 1', inputs: { x: leaf([3, 4, 5]) }, js: ({ x }) => F.adaptiveMaxPool2d(x, 1), py: 'F.adaptive_max_pool2d(x, 1)' },
  ];
  compareWithTorch(cases);
});

describe('normalization', () => {
  const runningVar = (c: number): nt.Tensor => nt.rand([c]).add(0.5);
  const cases: OpCase[] = [
    {
      name: 'batchNorm training updates the running stats in place',
      inputs: { x: leaf([4, 3, 5, 5]), rm: nt.randn([3]), rv: runningVar(3), w: leaf([3]), b: leaf([3]) },
      js: ({ x, rm, rv, w, b }) => {
        const mean = rm.clone();
        const variance = rv.clone();
        const y = F.batchNorm(x, mean, variance, { weight: w, bias: b, training: true, momentum: 0.2 });
        return [y, mean, variance];
      },
      pySetup: 'mean = rm.clone(); variance = rv.clone()',
      py: '[F.batch_norm(x, mean, variance, w, b, training=True, momentum=0.2), mean, variance]',
    },
    {
      name: 'batchNorm training on [N, C, L] with default momentum',
      inputs: { x: leaf([5, 2, 4]), rm: nt.zeros([2]), rv: nt.ones([2]) },
      js: ({ x, rm, rv }) => {
        const mean = rm.clone();
        const variance = rv.clone();
        return [F.batchNorm(x, mean, variance, { training: true }), mean, variance];
      },
      pySetup: 'mean = rm.clone(); variance = rv.clone()',
      py: '[F.batch_norm(x, mean, variance, training=True), mean, variance]',
    },
    {
      name: 'batchNorm training without running stats',
      inputs: { x: leaf([3, 2, 4, 4]), w: leaf([2]) },
      js: ({ x, w }) => F.batchNorm(x, null, null, { weight: w, training: true, eps: 1e-3 }),
      py: 'F.batch_norm(x, None, None, w, training=True, eps=1e-3)',
    },
    {
      name: 'batchNorm evaluation uses the running stats',
      inputs: { x: leaf([4, 3]), rm: nt.randn([3]), rv: runningVar(3), w: leaf([3]), b: leaf([3]) },
      js: ({ x, rm, rv, w, b }) => [F.batchNorm(x, rm, rv, { weight: w, bias: b }), rm, rv],
      py: '[F.batch_norm(x, rm, rv, w, b), rm, rv]',
    },
    {
      name: 'layerNorm with affine parameters',
      inputs: { x: leaf([2, 3, 4]), w: leaf([4]), b: leaf([4]) },
      js: ({ x, w, b }) => F.layerNorm(x, [4], { weight: w, bias: b }),
      py: 'F.layer_norm(x, [4], w, b)',
    },
    {
      name: 'layerNorm over two dims without affine, custom eps',
      inputs: { x: leaf([2, 3, 4]) },
      js: ({ x }) => F.layerNorm(x, [3, 4], { eps: 1e-2 }),
      py: 'F.layer_norm(x, [3, 4], eps=1e-2)',
    },
    {
      name: 'layerNorm of a transposed input',
      inputs: { x: leaf([5, 3]), w: leaf([5]) },
      js: ({ x, w }) => F.layerNorm(x.t(), [5], { weight: w }),
      py: 'F.layer_norm(x.t(), [5], w)',
    },
  ];
  compareWithTorch(cases.map((c) => ({ ...c, close: loose })));
});

describe('dropout', () => {
  const cases: OpCase[] = [
    { name: 'dropout p=0 is the identity', inputs: { x: leaf([3, 4]) }, js: ({ x }) => F.dropout(x, 0), py: 'F.dropout(x, 0.0)' },
    { name: 'dropout p=1 zeroes everything', inputs: { x: leaf([3, 4]) }, js: ({ x }) => F.dropout(x, 1), py: 'F.dropout(x, 1.0)' },
    { name: 'dropout when not training is the identity', inputs: { x: leaf([3, 4]) }, js: ({ x }) => F.dropout(x, 0.5, false), py: 'F.dropout(x, 0.5, training=False)' },
    { name: 'dropout2d when not training is the identity', inputs: { x: leaf([2, 3, 2, 2]) }, js: ({ x }) => F.dropout2d(x, 0.5, false), py: 'F.dropout2d(x, 0.5, training=False)' },
    { name: 'dropout2d p=1 zeroes everything', inputs: { x: leaf([2, 3, 2, 2]) }, js: ({ x }) => F.dropout2d(x, 1), py: 'F.dropout2d(x, 1.0)' },
  ];
  compareWithTorch(cases);

  it('keeps the mean by scaling survivors by 1/(1-p), reproducibly under a seed', () => {
    const p = 0.3;
    const x = nt.ones([200_000], { requiresGrad: true });
    nt.manualSeed(99);
    const y = F.dropout(x, p);
    const values = y.detach().dataSync() as Float32Array;
    const kept = values.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / (1 - p)) < 1e-6)).toBe(true);
    expect(Math.abs(1 - kept.length / values.length - p)).toBeLessThan(0.01);
    expect(Math.abs((y.mean().item() as number) - 1)).toBeLessThan(0.01);
    y.sum().backward();
    const grad = x.grad as nt.Tensor;
    expect(grad.eq(y.detach()).all().item()).toBe(true);
    nt.manualSeed(99);
    expect(F.dropout(x.detach(), p).eq(y.detach()).all().item()).toBe(true);
  });

  it('dropout2d zeroes whole channels and scales the rest', () => {
    nt.manualSeed(5);
    const y = F.dropout2d(nt.ones([4, 50, 3, 3]), 0.5);
    const perChannel = y.flatten(2);
    const max = perChannel.max(2).values;
    const min = perChannel.min(2).values;
    expect(max.eq(min).all().item(), 'each channel is constant').toBe(true);
    const zeroed = max.eq(0).sum().item() as number;
    expect(max.eq(0).logicalOr(max.eq(2)).all().item(), 'channels are 0 or 1/(1-p)').toBe(true);
    expect(zeroed).toBeGreaterThan(60);
    expect(zeroed).toBeLessThan(140);
  });

  it('dropout2d reads a 3D input as [N, C, L] (as PyTorch 1.13) and zeroes whole rows', () => {
    nt.manualSeed(6);
    const y = F.dropout2d(nt.ones([4, 10, 6]), 0.25);
    const max = y.max(2).values;
    expect(max.eq(y.min(2).values).all().item(), 'each [n, c] row is constant').toBe(true);
    expect(max.eq(0).logicalOr(max.eq(4 / 3)).all().item(), 'rows are 0 or 1/(1-p)').toBe(true);
    const zeroed = max.eq(0).sum().item() as number;
    expect(zeroed).toBeGreaterThan(0);
    expect(zeroed).toBeLessThan(25);
  });
});

describe('interpolate', () => {
  const cases: OpCase[] = [
    { name: 'nearest 1D by size', inputs: { x: leaf([1, 2, 5]) }, js: ({ x }) => F.interpolate(x, { size: 8 }), py: "F.interpolate(x, size=8, mode='nearest')" },
    { name: 'nearest 1D by scaleFactor', inputs: { x: leaf([2, 1, 4]) }, js: ({ x }) => F.interpolate(x, { scaleFactor: 2.5 }), py: 'F.interpolate(x, scale_factor=2.5)' },
    { name: 'nearest 2D by size (downsampling)', inputs: { x: leaf([1, 2, 6, 7]) }, js: ({ x }) => F.interpolate(x, { size: [4, 3], mode: 'nearest' }), py: 'F.interpolate(x, size=(4, 3))' },
    { name: 'nearest 2D by scaleFactor', inputs: { x: leaf([1, 2, 3, 4]) }, js: ({ x }) => F.interpolate(x, { scaleFactor: 2 }), py: 'F.interpolate(x, scale_factor=2)' },
    { name: 'nearest 2D by per-dim fractional scaleFactor', inputs: { x: leaf([1, 1, 4, 5]) }, js: ({ x }) => F.interpolate(x, { scaleFactor: [1.5, 0.6] }), py: 'F.interpolate(x, scale_factor=(1.5, 0.6))' },
    { name: 'linear 1D', inputs: { x: leaf([1, 2, 5]) }, js: ({ x }) => F.interpolate(x, { size: 9, mode: 'linear' }), py: "F.interpolate(x, size=9, mode='linear')" },
    { name: 'bilinear by size', inputs: { x: leaf([2, 2, 4, 5]) }, js: ({ x }) => F.interpolate(x, { size: [7, 8], mode: 'bilinear' }), py: "F.interpolate(x, size=(7, 8), mode='bilinear')" },
    {
      name: 'bilinear alignCorners by scaleFactor',
      inputs: { x: leaf([1, 2, 4, 4]) },
      js: ({ x }) => F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }),
      py: "F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)",
    },
    {
      name: 'bilinear alignCorners false by fractional scaleFactor',
      inputs: { x: leaf([1, 1, 5, 6]) },
      js: ({ x }) => F.interpolate(x, { scaleFactor: 1.7, mode: 'bilinear', alignCorners: false }),
      py: "F.interpolate(x, scale_factor=1.7, mode='bilinear', align_corners=False)",
    },
    { name: 'bicubic', inputs: { x: leaf([1, 2, 4, 5]) }, js: ({ x }) => F.interpolate(x, { size: [6, 9], mode: 'bicubic' }), py: "F.interpolate(x, size=(6, 9), mode='bicubic')" },
    {
      name: 'bicubic alignCorners',
      inputs: { x: leaf([1, 1, 5, 5]) },
      js: ({ x }) => F.interpolate(x, { scaleFactor: 2, mode: 'bicubic', alignCorners: true }),
      py: "F.interpolate(x, scale_factor=2, mode='bicubic', align_corners=True)",
    },
    { name: 'nt.nn.functional.upsample is interpolate', inputs: { x: leaf([1, 1, 3, 3]) }, js: ({ x }) => F.upsample(x, { size: 5, mode: 'bilinear' }), py: "F.interpolate(x, size=5, mode='bilinear')" },
  ];
  compareWithTorch(cases.map((c) => ({ ...c, close: loose })));
});

describe('losses', () => {
  const probs = (shape: number[], dim = 1): nt.Tensor => nt.randn(shape).softmax(dim);
  const classCases: OpCase[] = [
    { name: 'crossEntropy with class indices', inputs: { x: leaf([5, 4]), t: long([0, 3, 1, 1, 2]) }, js: ({ x, t }) => F.crossEntropy(x, t), py: 'F.cross_entropy(x, t)' },
    {
      name: 'crossEntropy with weight',
      inputs: { x: leaf([5, 4]), t: long([0, 3, 1, 1, 2]), w: nt.rand([4]).add(0.5) },
      js: ({ x, t, w }) => F.crossEntropy(x, t, { weight: w }),
      py: 'F.cross_entropy(x, t, weight=w)',
    },
    {
      name: 'crossEntropy ignoreIndex (default -100 and custom)',
      inputs: { x: leaf([5, 4]), t: long([0, -100, 1, 2, 2]), u: long([0, 3, 1, 2, 2]) },
      js: ({ x, t, u }) => [F.crossEntropy(x, t), F.crossEntropy(x, u, { ignoreIndex: 2 })],
      py: '[F.cross_entropy(x, t), F.cross_entropy(x, u, ignore_index=2)]',
    },
    {
      name: 'crossEntropy labelSmoothing',
      inputs: { x: leaf([5, 4]), t: long([0, 3, 1, 1, 2]) },
      js: ({ x, t }) => F.crossEntropy(x, t, { labelSmoothing: 0.1 }),
      py: 'F.cross_entropy(x, t, label_smoothing=0.1)',
    },
    {
      name: 'crossEntropy weight, ignoreIndex and labelSmoothing together',
      inputs: { x: leaf([6, 3]), t: long([0, 2, 1, 1, 0, 2]), w: nt.rand([3]).add(0.5) },
      js: ({ x, t, w }) => F.crossEntropy(x, t, { weight: w, ignoreIndex: 1, labelSmoothing: 0.2 }),
      py: 'F.cross_entropy(x, t, weight=w, ignore_index=1, label_smoothing=0.2)',
    },
    {
      name: 'crossEntropy reduction none and sum',
      inputs: { x: leaf([5, 4]), t: long([0, 3, 1, 1, 2]) },
      js: ({ x, t }) => [F.crossEntropy(x, t, { reduction: 'none' }), F.crossEntropy(x, t, { reduction: 'sum' })],
      py: "[F.cross_entropy(x, t, reduction='none'), F.cross_entropy(x, t, reduction='sum')]",
    },
    {
      name: 'crossEntropy over spatial dims [N, C, H, W]',
      inputs: { x: leaf([2, 4, 3, 3]), t: nt.randint(4, [2, 3, 3]) },
      js: ({ x, t }) => F.crossEntropy(x, t),
      py: 'F.cross_entropy(x, t)',
    },
    {
      name: 'crossEntropy with probability targets',
      inputs: { x: leaf([5, 4]), p: probs([5, 4]) },
      js: ({ x, p }) => [F.crossEntropy(x, p), F.crossEntropy(x, p, { reduction: 'none' })],
      py: "[F.cross_entropy(x, p), F.cross_entropy(x, p, reduction='none')]",
    },
    {
      name: 'crossEntropy with probability targets, weight and labelSmoothing',
      inputs: { x: leaf([5, 4]), p: probs([5, 4]), w: nt.rand([4]).add(0.5) },
      js: ({ x, p, w }) => F.crossEntropy(x, p, { weight: w, labelSmoothing: 0.3, reduction: 'sum' }),
      py: "F.cross_entropy(x, p, weight=w, label_smoothing=0.3, reduction='sum')",
    },
    { name: 'nllLoss', inputs: { x: leaf([5, 4]), t: long([0, 3, 1, 1, 2]) }, js: ({ x, t }) => F.nllLoss(x.logSoftmax(1), t), py: 'F.nll_loss(x.log_softmax(1), t)' },
    {
      name: 'nllLoss with weight and ignoreIndex',
      inputs: { x: leaf([5, 4]), t: long([0, 3, 1, 1, 2]), w: nt.rand([4]).add(0.5) },
      js: ({ x, t, w }) => F.nllLoss(x.logSoftmax(1), t, { weight: w, ignoreIndex: 1 }),
      py: 'F.nll_loss(x.log_softmax(1), t, weight=w, ignore_index=1)',
    },
    {
      name: 'nllLoss over [N, C, L], reduction none and sum',
      inputs: { x: leaf([2, 3, 4]), t: nt.randint(3, [2, 4]) },
      js: ({ x, t }) => [F.nllLoss(x.logSoftmax(1), t, { reduction: 'none' }), F.nllLoss(x.logSoftmax(1), t, { reduction: 'sum' })],
      py: "[F.nll_loss(x.log_softmax(1), t, reduction='none'), F.nll_loss(x.log_softmax(1), t, reduction='sum')]",
    },
  ];
  const regressionCases: OpCase[] = [
    { name: 'binaryCrossEntropy', inputs: { x: leaf([4, 3]), t: nt.rand([4, 3]) }, js: ({ x, t }) => F.binaryCrossEntropy(x.sigmoid(), t), py: 'F.binary_cross_entropy(x.sigmoid(), t)' },
    {
      name: 'binaryCrossEntropy with weight, reduction none and sum',
      inputs: { x: leaf([4, 3]), t: nt.rand([4, 3]).gt(0.5).float(), w: nt.rand([3]) },
      js: ({ x, t, w }) => [F.binaryCrossEntropy(x.sigmoid(), t, { weight: w, reduction: 'none' }), F.binaryCrossEntropy(x.sigmoid(), t, { weight: w, reduction: 'sum' })],
      py: "[F.binary_cross_entropy(x.sigmoid(), t, weight=w, reduction='none'), F.binary_cross_entropy(x.sigmoid(), t, weight=w, reduction='sum')]",
    },
    {
      name: 'binaryCrossEntropyWithLogits (gradient to the target too)',
      inputs: { x: leaf([4, 3]), t: nt.rand([4, 3], { requiresGrad: true }) },
      js: ({ x, t }) => F.binaryCrossEntropyWithLogits(x, t),
      py: 'F.binary_cross_entropy_with_logits(x, t)',
    },
    {
      name: 'binaryCrossEntropyWithLogits with posWeight',
      inputs: { x: leaf([4, 3]), t: nt.rand([4, 3]).gt(0.5).float(), pw: nt.tensor([0.5, 2, 4]) },
      js: ({ x, t, pw }) => F.binaryCrossEntropyWithLogits(x.mul(5), t, { posWeight: pw }),
      py: 'F.binary_cross_entropy_with_logits(x * 5, t, pos_weight=pw)',
    },
    {
      name: 'binaryCrossEntropyWithLogits with weight and posWeight, reduction none',
      inputs: { x: leaf([2, 3]), t: nt.rand([2, 3]), w: nt.rand([2, 1]), pw: nt.tensor([3, 1, 0.25]) },
      js: ({ x, t, w, pw }) => F.binaryCrossEntropyWithLogits(x, t, { weight: w, posWeight: pw, reduction: 'none' }),
      py: "F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction='none')",
    },
    { name: 'mseLoss (gradient to the target too)', inputs: { x: leaf([3, 4]), t: leaf([3, 4]) }, js: ({ x, t }) => F.mseLoss(x, t), py: 'F.mse_loss(x, t)' },
    {
      name: 'mseLoss reduction sum and none',
      inputs: { x: leaf([3, 4]), t: nt.randn([3, 4]) },
      js: ({ x, t }) => [F.mseLoss(x, t, { reduction: 'sum' }), F.mseLoss(x, t, { reduction: 'none' })],
      py: "[F.mse_loss(x, t, reduction='sum'), F.mse_loss(x, t, reduction='none')]",
    },
    { name: 'l1Loss', inputs: { x: leaf([3, 4]), t: nt.randn([3, 4]) }, js: ({ x, t }) => F.l1Loss(x, t), py: 'F.l1_loss(x, t)' },
    { name: 'l1Loss reduction none on a transposed input', inputs: { x: leaf([4, 3]), t: nt.randn([3, 4]) }, js: ({ x, t }) => F.l1Loss(x.t(), t, { reduction: 'none' }), py: "F.l1_loss(x.t(), t, reduction='none')" },
    { name: 'smoothL1Loss default beta', inputs: { x: leaf([4, 5]), t: nt.randn([4, 5]) }, js: ({ x, t }) => F.smoothL1Loss(x, t), py: 'F.smooth_l1_loss(x, t)' },
    {
      name: 'smoothL1Loss beta 0.5 and beta 0, sum',
      inputs: { x: leaf([4, 5]), t: nt.randn([4, 5]) },
      js: ({ x, t }) => [F.smoothL1Loss(x, t, { beta: 0.5, reduction: 'sum' }), F.smoothL1Loss(x, t, { beta: 0 })],
      py: "[F.smooth_l1_loss(x, t, beta=0.5, reduction='sum'), F.smooth_l1_loss(x, t, beta=0.0)]",
    },
    { name: 'huberLoss default delta', inputs: { x: leaf([4, 5]), t: nt.randn([4, 5]) }, js: ({ x, t }) => F.huberLoss(x, t), py: 'F.huber_loss(x, t)' },
    {
      name: 'huberLoss delta 0.5 none and delta 2 sum',
      inputs: { x: leaf([4, 5]), t: nt.randn([4, 5]) },
      js: ({ x, t }) => [F.huberLoss(x, t, { delta: 0.5, reduction: 'none' }), F.huberLoss(x, t, { delta: 2, reduction: 'sum' })],
      py: "[F.huber_loss(x, t, delta=0.5, reduction='none'), F.huber_loss(x, t, delta=2.0, reduction='sum')]",
    },
    { name: 'klDiv batchmean', inputs: { x: leaf([4, 5]), p: probs([4, 5]) }, js: ({ x, p }) => F.klDiv(x.logSoftmax(1), p, { reduction: 'batchmean' }), py: "F.kl_div(x.log_softmax(1), p, reduction='batchmean')" },
    {
      name: 'klDiv mean, sum and none',
      inputs: { x: leaf([4, 5]), p: probs([4, 5]) },
      js: ({ x, p }) => [F.klDiv(x.logSoftmax(1), p), F.klDiv(x.logSoftmax(1), p, { reduction: 'sum' }), F.klDiv(x.logSoftmax(1), p, { reduction: 'none' })],
      py: "[F.kl_div(x.log_softmax(1), p), F.kl_div(x.log_softmax(1), p, reduction='sum'), F.kl_div(x.log_softmax(1), p, reduction='none')]",
    },
    {
      name: 'klDiv with a log target (gradient to the target too)',
      inputs: { x: leaf([3, 4]), q: leaf([3, 4]) },
      js: ({ x, q }) => F.klDiv(x.logSoftmax(1), q.logSoftmax(1), { reduction: 'batchmean', logTarget: true }),
      py: "F.kl_div(x.log_softmax(1), q.log_softmax(1), reduction='batchmean', log_target=True)",
    },
  ];
  compareWithTorch([...classCases, ...regressionCases]);
});

describe('bad calls', () => {
  const img = nt.randn([1, 2, 8, 8]);
  const logits = nt.randn([4, 5]);
  const classes = long([0, 1, 2, 2]);
  it('conv2d on a 2D input', () =>
    expectThrows(() => F.conv2d(nt.randn([28, 28]), nt.randn([1, 1, 3, 3])), RangeError, 'conv2d: expected 3D or 4D input [N, C, H, W], got shape [28, 28]'));
  it('conv1d on a 4D input', () => expectThrows(() => F.conv1d(img, nt.randn([1, 2, 3])), RangeError, 'conv1d: expected 2D or 3D input [N, C, L], got shape [1, 2, 8, 8]'));
  it('conv2d channel mismatch', () =>
    expectThrows(() => F.conv2d(img, nt.randn([4, 3, 3, 3])), Error, /^conv2d: Given groups=1, weight of size \[4, 3, 3, 3\], expected input\[1, 2, 8, 8\] to have 3 channels/));
  it('conv2d with a 3-element stride', () =>
    expectThrows(() => F.conv2d(img, nt.randn([1, 2, 3, 3]), null, { stride: [1, 1, 1] }), RangeError, 'conv2d: stride must be an integer or 2 integers, got array of length 3'));
  it("conv2d 'same' with a stride", () =>
    expectThrows(() => F.conv2d(img, nt.randn([1, 2, 3, 3]), null, { stride: 2, padding: 'same' }), Error, /^conv2d: padding='same' is not supported for strided convolutions/));
  it('conv2d with groups not dividing the channels', () => expectThrows(() => F.conv2d(img, nt.randn([3, 1, 3, 3]), null, { groups: 3 }), Error, /^conv2d: /));
  it('convTranspose2d with too large an outputPadding', () =>
    expectThrows(() => F.convTranspose2d(img, nt.randn([2, 3, 3, 3]), null, { stride: 2, outputPadding: 2 }), Error, /^convTranspose2d: output padding must be smaller than either stride or dilation/));
  it('maxPool2d on a 2D input', () => expectThrows(() => F.maxPool2d(nt.randn([4, 5]), 2), RangeError, 'maxPool2d: expected 3D or 4D input [N, C, H, W], got shape [4, 5]'));
  it('maxPool2d with padding over half the kernel', () => expectThrows(() => F.maxPool2d(img, 2, { padding: 2 }), Error, /^maxPool2d: pad should be at most half of (effective )?kernel size/)); // "effective": libtorch 2.x
  it('adaptiveAvgPool2d with a 3-element size', () => expectThrows(() => F.adaptiveAvgPool2d(img, [1, 2, 3]), RangeError, 'adaptiveAvgPool2d: outputSize must be an integer or 2 integers, got array of length 3'));
  it('batchNorm in evaluation without running stats', () =>
    expectThrows(() => F.batchNorm(img, null, null), TypeError, 'batchNorm: runningMean and runningVar are required when training is false'));
  it('batchNorm running stats of the wrong size', () => expectThrows(() => F.batchNorm(img, nt.zeros([3]), nt.ones([3])), Error, /^batchNorm: running_mean should contain 2 elements not 3/));
  it('layerNorm shape mismatch', () => expectThrows(() => F.layerNorm(logits, [4]), Error, /^layerNorm: Given normalized_shape=\[4\], expected input with shape \[\*, 4\]/));
  it('dropout with p=1.5', () => expectThrows(() => F.dropout(logits, 1.5), RangeError, 'dropout: p must be a probability in [0, 1], got number 1.5'));
  it('dropout2d on a 2D input', () => expectThrows(() => F.dropout2d(logits), RangeError, 'dropout2d: expected 3D or 4D input [N, C, H, W], got shape [4, 5]'));
  it('interpolate with both size and scaleFactor', () =>
    expectThrows(() => F.interpolate(img, { size: 16, scaleFactor: 2 }), TypeError, 'interpolate: give exactly one of size or scaleFactor'));
  it('interpolate with neither size nor scaleFactor', () => expectThrows(() => F.interpolate(img, {}), TypeError, 'interpolate: give exactly one of size or scaleFactor'));
  it('interpolate bilinear on a 3D input', () => expectThrows(() => F.interpolate(nt.randn([1, 1, 4]), { size: 8, mode: 'bilinear' }), RangeError, /^interpolate: mode 'bilinear' does not support 3D input/));
  it('interpolate alignCorners with nearest', () =>
    expectThrows(() => F.interpolate(img, { size: 4, alignCorners: true }), TypeError, 'interpolate: alignCorners only applies to linear, bilinear and bicubic modes'));
  it('interpolate with a negative scaleFactor', () => expectThrows(() => F.interpolate(img, { scaleFactor: -2 }), RangeError, /^interpolate: scaleFactor must be a positive number or 2 positive numbers/));
  it('mseLoss with an unknown reduction', () =>
    expectThrows(() => F.mseLoss(logits, logits, { reduction: 'avg' as 'mean' }), RangeError, "mseLoss: reduction must be one of 'mean', 'sum', 'none', got string 'avg'"));
  it('crossEntropy with an unknown reduction', () => expectThrows(() => F.crossEntropy(logits, classes, { reduction: 'total' as 'sum' }), RangeError, /^crossEntropy: reduction must be one of/));
  it('klDiv with an unknown reduction', () => expectThrows(() => F.klDiv(logits, logits, { reduction: 'avg' as 'mean' }), RangeError, /^klDiv: reduction must be one of 'mean', 'sum', 'none', 'batchmean'/));
  it('crossEntropy with float targets of the wrong shape', () =>
    expectThrows(() => F.crossEntropy(logits, nt.rand([4, 3])), RangeError, /^crossEntropy: a floating-point target holds class probabilities and must have the input's shape \[4, 5\], got \[4, 3\]/));
  it('crossEntropy with float class indices', () => expectThrows(() => F.crossEntropy(logits, classes.float()), RangeError, /^crossEntropy: .*got \[4\] \(class indices must be int64\)/));
  it('crossEntropy with int32 class indices', () => expectThrows(() => F.crossEntropy(logits, classes.int()), Error, LIBTORCH2 ? /^crossEntropy: expected target dtype to be Long or Byte, but got Int/ : /^crossEntropy: expected scalar type Long but found Int/));
  it('crossEntropy with an out-of-range class', () => expectThrows(() => F.crossEntropy(logits, long([0, 1, 7, 2])), RangeError, /^crossEntropy: Target 7 is out of bounds/));
  it('crossEntropy with a batch size mismatch', () => expectThrows(() => F.crossEntropy(logits, long([0, 1, 2])), RangeError, /^crossEntropy: Expected input batch_size \(4\) to match target batch_size \(3\)/));
  it('crossEntropy labelSmoothing above 1', () => expectThrows(() => F.crossEntropy(logits, classes, { labelSmoothing: 1.5 }), RangeError, 'crossEntropy: labelSmoothing must be a number in [0, 1], got number 1.5'));
  it('nllLoss with an out-of-range class', () => expectThrows(() => F.nllLoss(logits, long([0, 1, 2, 9])), RangeError, /^nllLoss: Target 9 is out of bounds/));
  it('mseLoss shape mismatch', () => expectThrows(() => F.mseLoss(nt.randn([2, 3]), nt.randn([3, 2])), RangeError, 'mseLoss: input shape [2, 3] and target shape [3, 2] differ'));
  it('binaryCrossEntropy shape mismatch (no silent broadcast)', () =>
    expectThrows(() => F.binaryCrossEntropy(nt.rand([4, 1]), nt.rand([4])), RangeError, 'binaryCrossEntropy: input shape [4, 1] and target shape [4] differ'));
  it('binaryCrossEntropyWithLogits shape mismatch', () =>
    expectThrows(() => F.binaryCrossEntropyWithLogits(nt.randn([4, 1]), nt.rand([4])), RangeError, 'binaryCrossEntropyWithLogits: input shape [4, 1] and target shape [4] differ'));
  it('huberLoss with delta 0', () => expectThrows(() => F.huberLoss(logits, logits, { delta: 0 }), RangeError, 'huberLoss: delta must be a finite number > 0, got number 0'));
  it('smoothL1Loss with a negative beta', () => expectThrows(() => F.smoothL1Loss(logits, logits, { beta: -1 }), RangeError, 'smoothL1Loss: beta must be a finite number ≥ 0, got number -1'));
});
