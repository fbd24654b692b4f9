/**
 * layers.test.ts — one harness applied to every layer factory in nt.layers: each case builds a
 * one- or two-layer Sequential and checks the output shape (summary, computeOutputShape, predict),
 * the parameter count and state_dict names against the PyTorch module, the getConfig →
 * layerFromConfig round trip, and the forward output against the equivalent torch.nn.Sequential
 * (weights copied with load_state_dict(strict=True), eval mode; batch norm also in train mode).
 * Also: initializers, kernel regularizers in the training loss and gradient, dropout statistics,
 * and the errors of bad calls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectThrows } from './helpers/cases';
import { expectTensorClose, refValue, torchReference, type CloseOptions, type RefResult, type RefValue } from './helpers/torch';

const L = nt.layers;
nt.manualSeed(2024);

type Factories = typeof L;
type FactoryName = {
  [K in keyof Factories]: Factories[K] extends (...args: never[]) => nt.layers.Layer ? K : never;
}[keyof Factories];
/** A layer as [factory name, args] (the harness adds the inputShape to the first). */
type LayerSpec = { [K in FactoryName]: [K, Parameters<Factories[K]>[0]?] }[FactoryName];

interface LayerCase {
  name: string;
  inputShape: number[];
  layers: LayerSpec[];
  /** Output sample shape, derived by hand from the Keras definition of the layer. */
  outputShape: number[];
  /** Python statements building `net`, the torch.nn.Sequential with the same state_dict names. */
  py: string;
  /** Input batch (default: randn [3, ...inputShape]). */
  input?: () => nt.Tensor;
  /** Also compare a training-mode forward and the buffers it updates (batch norm). */
  train?: boolean;
  close?: CloseOptions;
}

/** Accumulation order in convolutions differs in the last bits between implementations. */
const conv = { rtol: 1e-4, atol: 1e-5 };

/** Python helpers: TF/Keras 'same' padding, computed independently of the library. */
const PRELUDE = `
import math
import torch.nn as nn
class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn
    def forward(self, x):
        return self.fn(x)
def tf_same(n, k, s, d=1):
    total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2
class SameConv2d(nn.Conv2d):
    def forward(self, x):
        (t, b), (l, r) = [tf_same(x.shape[2 + i], self.kernel_size[i], self.stride[i], self.dilation[i]) for i in range(2)]
        return F.conv2d(F.pad(x, (l, r, t, b)), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
class SameConvTranspose2d(nn.ConvTranspose2d):
    # TF: the gradient of a 'same' conv whose input is x.size * stride; the full transposed output
    # starts at floor(excess / 2) and is cropped or zero-extended to x.size * stride.
    def forward(self, x):
        y = F.conv_transpose2d(x, self.weight, None, self.stride, 0, 0, 1, self.dilation)
        pads = []
        for i in (1, 0):
            n = x.shape[2 + i] * self.stride[i]
            e = self.dilation[i] * (self.kernel_size[i] - 1) + 1 - self.stride[i]
            before = max(e, 0) // 2
            pads += [-before, n - (y.shape[2 + i] - before)]
        y = F.pad(y, pads)
        return y if self.bias is None else y + self.bias.reshape(1, -1, 1, 1)
def tf_pool(x, k, s, mode):
    (t, b), (l, r) = tf_same(x.shape[2], k, s), tf_same(x.shape[3], k, s)
    if mode == 'max':
        return F.max_pool2d(F.pad(x, (l, r, t, b), value=-math.inf), k, s)
    total = F.avg_pool2d(F.pad(x, (l, r, t, b)), k, s, divisor_override=1)
    count = F.avg_pool2d(F.pad(torch.ones_like(x), (l, r, t, b)), k, s, divisor_override=1)
    return total / count
`;

const CASES: LayerCase[] = [
  // ---- dense ----
  { name: 'dense tanh', inputShape: [6], layers: [['dense', { units: 4, activation: 'tanh' }]], outputShape: [4], py: 'net = nn.Sequential(nn.Linear(6, 4), nn.Tanh())' },
  {
    name: 'dense on [5, 6] samples, no bias',
    inputShape: [5, 6],
    layers: [['dense', { units: 3, useBias: false }]],
    outputShape: [5, 3],
    py: 'net = nn.Sequential(nn.Linear(6, 3, bias=False))',
  },
  {
    name: 'dense softmax then a linear activation layer',
    inputShape: [7],
    layers: [['dense', { units: 5, activation: 'softmax' }], ['activation', { activation: 'linear' }]],
    outputShape: [5],
    py: 'net = nn.Sequential(nn.Linear(7, 5), nn.Softmax(dim=-1))',
  },
  // ---- conv1d ----
  {
    name: 'conv1d strides 2 relu',
    inputShape: [3, 10],
    layers: [['conv1d', { filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }]],
    outputShape: [4, 4],
    py: 'net = nn.Sequential(nn.Conv1d(3, 4, 3, stride=2), nn.ReLU())',
    close: conv,
  },
  {
    name: "conv1d 'same' with dilation 2",
    inputShape: [2, 9],
    layers: [['conv1d', { filters: 3, kernelSize: 3, padding: 'same', dilationRate: 2 }]],
    outputShape: [3, 9],
    py: 'net = nn.Sequential(nn.Conv1d(2, 3, 3, padding=2, dilation=2))',
    close: conv,
  },
  {
    name: "conv1d 'same' stride 2 on an odd length (even total padding)",
    inputShape: [2, 9],
    layers: [['conv1d', { filters: 3, kernelSize: 3, strides: 2, padding: 'same', useBias: false }]],
    outputShape: [3, 5],
    py: 'net = nn.Sequential(nn.Conv1d(2, 3, 3, stride=2, padding=1, bias=False))',
    close: conv,
  },
  {
    name: "conv1d 'same' stride 2 on an even length (odd total padding: zero pad at the end, then conv)",
    inputShape: [2, 8],
    layers: [['conv1d', { filters: 3, kernelSize: 3, strides: 2, padding: 'same' }]],
    outputShape: [3, 4],
    py: 'net = nn.Sequential(nn.ConstantPad1d((0, 1), 0.0), nn.Conv1d(2, 3, 3, stride=2))',
    close: conv,
  },
  // ---- conv2d ----
  {
    name: 'conv2d relu',
    inputShape: [3, 8, 8],
    layers: [['conv2d', { filters: 4, kernelSize: 3, activation: 'relu' }]],
    outputShape: [4, 6, 6],
    py: 'net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())',
    close: conv,
  },
  {
    name: "conv2d strides [2, 1], kernel [3, 2], 'valid'",
    inputShape: [2, 9, 7],
    layers: [['conv2d', { filters: 5, kernelSize: [3, 2], strides: [2, 1], padding: 'valid' }]],
    outputShape: [5, 4, 6],
    py: 'net = nn.Sequential(nn.Conv2d(2, 5, (3, 2), stride=(2, 1)))',
    close: conv,
  },
  {
    name: "conv2d 'same' with an even kernel (extra zeros at the bottom/right)",
    inputShape: [2, 7, 6],
    layers: [['conv2d', { filters: 3, kernelSize: 4, padding: 'same' }]],
    outputShape: [3, 7, 6],
    py: 'net = nn.Sequential(SameConv2d(2, 3, 4))',
    close: conv,
  },
  {
    name: "conv2d 'same' stride 2 on an odd size (even total padding)",
    inputShape: [2, 9, 9],
    layers: [['conv2d', { filters: 3, kernelSize: 3, strides: 2, padding: 'same' }]],
    outputShape: [3, 5, 5],
    py: 'net = nn.Sequential(nn.Conv2d(2, 3, 3, stride=2, padding=1))',
    close: conv,
  },
  {
    name: "conv2d 'same' stride 2 on an even size (odd total padding: zero pad, then conv)",
    inputShape: [2, 8, 8],
    layers: [['conv2d', { filters: 3, kernelSize: 3, strides: 2, padding: 'same' }]],
    outputShape: [3, 4, 4],
    py: 'net = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(2, 3, 3, stride=2))',
    close: conv,
  },
  {
    name: "conv2d 'same' stride 2 on [8, 9] (odd total in H, even in W)",
    inputShape: [2, 8, 9],
    layers: [['conv2d', { filters: 3, kernelSize: 3, strides: 2, padding: 'same' }]],
    outputShape: [3, 4, 5],
    py: 'net = nn.Sequential(nn.ZeroPad2d((1, 1, 0, 1)), nn.Conv2d(2, 3, 3, stride=2))',
    close: conv,
  },
  {
    name: 'conv2d padding 1 (number) with stride 2',
    inputShape: [3, 7, 7],
    layers: [['conv2d', { filters: 2, kernelSize: 3, strides: 2, padding: 1 }]],
    outputShape: [2, 4, 4],
    py: 'net = nn.Sequential(nn.Conv2d(3, 2, 3, stride=2, padding=1))',
    close: conv,
  },
  {
    name: 'conv2d padding [1, 2]',
    inputShape: [2, 6, 6],
    layers: [['conv2d', { filters: 2, kernelSize: 3, padding: [1, 2] }]],
    outputShape: [2, 6, 8],
    py: 'net = nn.Sequential(nn.Conv2d(2, 2, 3, padding=(1, 2)))',
    close: conv,
  },
  {
    name: 'conv2d dilation 2',
    inputShape: [2, 9, 9],
    layers: [['conv2d', { filters: 3, kernelSize: 3, dilationRate: 2 }]],
    outputShape: [3, 5, 5],
    py: 'net = nn.Sequential(nn.Conv2d(2, 3, 3, dilation=2))',
    close: conv,
  },
  {
    name: 'conv2d groups 2',
    inputShape: [4, 6, 6],
    layers: [['conv2d', { filters: 6, kernelSize: 3, groups: 2 }]],
    outputShape: [6, 4, 4],
    py: 'net = nn.Sequential(nn.Conv2d(4, 6, 3, groups=2))',
    close: conv,
  },
  {
    name: "conv2d useBias false, 'same' with dilation 2, sigmoid",
    inputShape: [3, 7, 7],
    layers: [['conv2d', { filters: 2, kernelSize: 3, padding: 'same', dilationRate: 2, useBias: false, activation: 'sigmoid' }]],
    outputShape: [2, 7, 7],
    py: 'net = nn.Sequential(nn.Conv2d(3, 2, 3, padding=2, dilation=2, bias=False), nn.Sigmoid())',
    close: conv,
  },
  // ---- conv2dTranspose ----
  {
    name: "conv2dTranspose 'valid' stride 2",
    inputShape: [3, 4, 4],
    layers: [['conv2dTranspose', { filters: 2, kernelSize: 3, strides: 2 }]],
    outputShape: [2, 9, 9],
    py: 'net = nn.Sequential(nn.ConvTranspose2d(3, 2, 3, stride=2))',
    close: conv,
  },
  {
    name: "conv2dTranspose 'same' kernel 4 stride 2",
    inputShape: [3, 4, 5],
    layers: [['conv2dTranspose', { filters: 2, kernelSize: 4, strides: 2, padding: 'same' }]],
    outputShape: [2, 8, 10],
    py: 'net = nn.Sequential(SameConvTranspose2d(3, 2, 4, stride=2))',
    close: conv,
  },
  {
    name: "conv2dTranspose 'same' kernel 3 stride 2 (odd excess)",
    inputShape: [3, 3, 4],
    layers: [['conv2dTranspose', { filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }]],
    outputShape: [2, 6, 8],
    py: 'net = nn.Sequential(SameConvTranspose2d(3, 2, 3, stride=2), nn.ReLU())',
    close: conv,
  },
  {
    name: "conv2dTranspose 'same' kernel 1 stride 2 (kernel smaller than the stride)",
    inputShape: [2, 3, 3],
    layers: [['conv2dTranspose', { filters: 2, kernelSize: 1, strides: 2, padding: 'same' }]],
    outputShape: [2, 6, 6],
    py: 'net = nn.Sequential(SameConvTranspose2d(2, 2, 1, stride=2))',
    close: conv,
  },
  {
    name: 'conv2dTranspose explicit padding 1 and outputPadding 1, no bias',
    inputShape: [2, 4, 4],
    layers: [['conv2dTranspose', { filters: 3, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, useBias: false }]],
    outputShape: [3, 8, 8],
    py: 'net = nn.Sequential(nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, bias=False))',
    close: conv,
  },
  // ---- pooling ----
  { name: 'maxPooling2d 2 on [2, 6, 7]', inputShape: [2, 6, 7], layers: [['maxPooling2d']], outputShape: [2, 3, 3], py: 'net = nn.Sequential(nn.MaxPool2d(2))' },
  {
    name: "maxPooling2d 'same' pool 2 on an odd size",
    inputShape: [2, 5, 5],
    layers: [['maxPooling2d', { poolSize: 2, padding: 'same' }]],
    outputShape: [2, 3, 3],
    py: "net = nn.Sequential(Lambda(lambda x: tf_pool(x, 2, 2, 'max')))",
  },
  {
    name: "maxPooling2d 'same' pool 3 stride 1",
    inputShape: [2, 5, 6],
    layers: [['maxPooling2d', { poolSize: 3, strides: 1, padding: 'same' }]],
    outputShape: [2, 5, 6],
    py: "net = nn.Sequential(Lambda(lambda x: tf_pool(x, 3, 1, 'max')))",
  },
  {
    name: 'maxPooling2d pool 3 stride 2 padding 1 (PyTorch padding)',
    inputShape: [2, 7, 7],
    layers: [['maxPooling2d', { poolSize: 3, strides: 2, padding: 1 }]],
    outputShape: [2, 4, 4],
    py: 'net = nn.Sequential(nn.MaxPool2d(3, 2, padding=1))',
  },
  {
    name: 'averagePooling2d pool 3 stride 2 padding 1 (PyTorch padding, zeros counted)',
    inputShape: [2, 7, 7],
    layers: [['averagePooling2d', { poolSize: 3, strides: 2, padding: 1 }]],
    outputShape: [2, 4, 4],
    py: 'net = nn.Sequential(nn.AvgPool2d(3, 2, padding=1))',
  },
  {
    name: "averagePooling2d 'valid' pool 3 stride 2",
    inputShape: [2, 6, 7],
    layers: [['averagePooling2d', { poolSize: 3, strides: 2 }]],
    outputShape: [2, 2, 3],
    py: 'net = nn.Sequential(nn.AvgPool2d(3, 2))',
  },
  {
    name: "averagePooling2d 'same' pool 2 on an odd size (averages real inputs only)",
    inputShape: [2, 5, 5],
    layers: [['averagePooling2d', { padding: 'same' }]],
    outputShape: [2, 3, 3],
    py: "net = nn.Sequential(Lambda(lambda x: tf_pool(x, 2, 2, 'avg')))",
  },
  {
    name: "averagePooling2d 'same' pool 3 stride 2 on [6, 7]",
    inputShape: [2, 6, 7],
    layers: [['averagePooling2d', { poolSize: 3, strides: 2, padding: 'same' }]],
    outputShape: [2, 3, 4],
    py: "net = nn.Sequential(Lambda(lambda x: tf_pool(x, 3, 2, 'avg')))",
  },
  {
    name: 'globalAveragePooling2d',
    inputShape: [3, 4, 5],
    layers: [['globalAveragePooling2d']],
    outputShape: [3],
    py: 'net = nn.Sequential(Lambda(lambda x: x.mean((2, 3))))',
  },
  {
    name: 'conv2d then globalMaxPooling2d',
    inputShape: [2, 5, 5],
    layers: [['conv2d', { filters: 4, kernelSize: 3 }], ['globalMaxPooling2d']],
    outputShape: [4],
    py: 'net = nn.Sequential(nn.Conv2d(2, 4, 3), Lambda(lambda x: x.amax((2, 3))))',
    close: conv,
  },
  // ---- normalization ----
  {
    name: 'batchNormalization on [C] samples (1d)',
    inputShape: [5],
    layers: [['batchNormalization']],
    outputShape: [5],
    py: 'net = nn.Sequential(nn.BatchNorm1d(5))',
    input: () => nt.randn([8, 5]),
    train: true,
  },
  {
    name: 'batchNormalization on [C, L] samples (1d), epsilon 1e-3',
    inputShape: [4, 6],
    layers: [['batchNormalization', { epsilon: 1e-3 }]],
    outputShape: [4, 6],
    py: 'net = nn.Sequential(nn.BatchNorm1d(4, eps=1e-3))',
    train: true,
  },
  {
    name: 'conv2d 1×1 then batchNormalization (2d by rank), momentum 0.2',
    inputShape: [3, 4, 4],
    layers: [['conv2d', { filters: 3, kernelSize: 1 }], ['batchNormalization', { momentum: 0.2 }]],
    outputShape: [3, 4, 4],
    py: 'net = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3, momentum=0.2))',
    train: true,
    close: conv,
  },
  {
    name: 'batchNormalization 2d affine false',
    inputShape: [2, 3, 3],
    layers: [['batchNormalization', { affine: false }]],
    outputShape: [2, 3, 3],
    py: 'net = nn.Sequential(nn.BatchNorm2d(2, affine=False))',
    train: true,
  },
  { name: 'layerNormalization', inputShape: [6], layers: [['layerNormalization']], outputShape: [6], py: 'net = nn.Sequential(nn.LayerNorm(6))' },
  {
    name: 'layerNormalization affine false over [C, H, W]',
    inputShape: [2, 3, 3],
    layers: [['layerNormalization', { normalizedDims: 3, affine: false }]],
    outputShape: [2, 3, 3],
    py: 'net = nn.Sequential(nn.LayerNorm([2, 3, 3], elementwise_affine=False))',
  },
  {
    name: 'layerNormalization over 2 dims, epsilon 1e-3',
    inputShape: [3, 4],
    layers: [['layerNormalization', { normalizedDims: 2, epsilon: 1e-3 }]],
    outputShape: [3, 4],
    py: 'net = nn.Sequential(nn.LayerNorm([3, 4], eps=1e-3))',
  },
  // ---- dropout (identity in inference) ----
  { name: 'dropout', inputShape: [6], layers: [['dropout', { rate: 0.3 }]], outputShape: [6], py: 'net = nn.Sequential(nn.Dropout(0.3))' },
  {
    name: 'spatialDropout2d',
    inputShape: [3, 4, 4],
    layers: [['spatialDropout2d', { rate: 0.5 }]],
    outputShape: [3, 4, 4],
    py: 'net = nn.Sequential(nn.Dropout2d(0.5))',
  },
  // ---- reshaping ----
  { name: 'flatten', inputShape: [2, 3, 4], layers: [['flatten']], outputShape: [24], py: 'net = nn.Sequential(nn.Flatten())' },
  {
    name: 'reshape [-1, 4]',
    inputShape: [2, 6],
    layers: [['reshape', { targetShape: [-1, 4] }]],
    outputShape: [3, 4],
    py: 'net = nn.Sequential(Lambda(lambda x: x.reshape(x.shape[0], 3, 4)))',
  },
  {
    name: 'reshape [-1] then dense',
    inputShape: [3, 4],
    layers: [['reshape', { targetShape: [-1] }], ['dense', { units: 2 }]],
    outputShape: [2],
    py: 'net = nn.Sequential(Lambda(lambda x: x.reshape(x.shape[0], 12)), nn.Linear(12, 2))',
  },
  {
    name: 'permute [3, 1, 2]',
    inputShape: [2, 3, 4],
    layers: [['permute', { dims: [3, 1, 2] }]],
    outputShape: [4, 2, 3],
    py: 'net = nn.Sequential(Lambda(lambda x: x.permute(0, 3, 1, 2)))',
  },
  {
    name: 'upSampling2d nearest',
    inputShape: [2, 3, 4],
    layers: [['upSampling2d']],
    outputShape: [2, 6, 8],
    py: 'net = nn.Sequential(Lambda(lambda x: x.repeat_interleave(2, 2).repeat_interleave(2, 3)))',
  },
  {
    name: 'upSampling2d bilinear size [2, 3]',
    inputShape: [2, 3, 4],
    layers: [['upSampling2d', { size: [2, 3], interpolation: 'bilinear' }]],
    outputShape: [2, 6, 12],
    py: "net = nn.Sequential(nn.Upsample(scale_factor=(2, 3), mode='bilinear', align_corners=False))",
  },
  { name: 'zeroPadding2d default', inputShape: [2, 3, 3], layers: [['zeroPadding2d']], outputShape: [2, 5, 5], py: 'net = nn.Sequential(nn.ZeroPad2d(1))' },
  {
    name: 'zeroPadding2d [[1, 2], [0, 3]]',
    inputShape: [2, 3, 3],
    layers: [['zeroPadding2d', { padding: [[1, 2], [0, 3]] }]],
    outputShape: [2, 6, 6],
    py: 'net = nn.Sequential(nn.ZeroPad2d((0, 3, 1, 2)))',
  },
  {
    name: 'zeroPadding2d [1, 2] (symmetric per dim)',
    inputShape: [1, 2, 2],
    layers: [['zeroPadding2d', { padding: [1, 2] }]],
    outputShape: [1, 4, 6],
    py: 'net = nn.Sequential(nn.ZeroPad2d((2, 2, 1, 1)))',
  },
  {
    name: 'shortcutPadding2d 4 → 8 channels, stride 2 (ResNet shortcut A)',
    inputShape: [4, 5, 5],
    layers: [['shortcutPadding2d', { filters: 8, strides: 2 }]],
    outputShape: [8, 3, 3],
    py: 'class Pad(nn.Module):\n    def forward(self, x):\n        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 2, 2))\nnet = nn.Sequential(Pad())',
  },
  {
    name: 'shortcutPadding2d 3 → 6 channels, stride 1 (uneven split)',
    inputShape: [3, 4, 4],
    layers: [['shortcutPadding2d', { filters: 6 }]],
    outputShape: [6, 4, 4],
    py: 'class Pad(nn.Module):\n    def forward(self, x):\n        return F.pad(x, (0, 0, 0, 0, 1, 2))\nnet = nn.Sequential(Pad())',
  },
  // ---- activations ----
  { name: 'activation sigmoid', inputShape: [5], layers: [['activation', { activation: 'sigmoid' }]], outputShape: [5], py: 'net = nn.Sequential(nn.Sigmoid())' },
  {
    name: 'activation logSoftmax on [3, 4]',
    inputShape: [3, 4],
    layers: [['activation', { activation: 'logSoftmax' }]],
    outputShape: [3, 4],
    py: 'net = nn.Sequential(nn.LogSoftmax(dim=-1))',
  },
  { name: 'activation gelu', inputShape: [5], layers: [['activation', { activation: 'gelu' }]], outputShape: [5], py: 'net = nn.Sequential(nn.GELU())' },
  { name: 'relu', inputShape: [2, 3], layers: [['relu']], outputShape: [2, 3], py: 'net = nn.Sequential(nn.ReLU())' },
  { name: 'leakyReLU default alpha 0.3 (Keras)', inputShape: [6], layers: [['leakyReLU']], outputShape: [6], py: 'net = nn.Sequential(nn.LeakyReLU(0.3))' },
  { name: 'elu alpha 0.5', inputShape: [6], layers: [['elu', { alpha: 0.5 }]], outputShape: [6], py: 'net = nn.Sequential(nn.ELU(0.5))' },
  { name: "gelu approximate 'tanh'", inputShape: [6], layers: [['gelu', { approximate: 'tanh' }]], outputShape: [6], py: "net = nn.Sequential(nn.GELU(approximate='tanh'))" },
  { name: 'softmax over the last axis', inputShape: [3, 4], layers: [['softmax']], outputShape: [3, 4], py: 'net = nn.Sequential(nn.Softmax(dim=-1))' },
  { name: 'softmax axis 1', inputShape: [3, 4], layers: [['softmax', { axis: 1 }]], outputShape: [3, 4], py: 'net = nn.Sequential(nn.Softmax(dim=1))' },
  // ---- embedding ----
  {
    name: 'embedding then flatten',
    inputShape: [5],
    layers: [['embedding', { inputDim: 10, outputDim: 3 }], ['flatten']],
    outputShape: [15],
    py: 'net = nn.Sequential(nn.Embedding(10, 3), nn.Flatten())',
    input: () => nt.randint(10, [4, 5]),
  },
];

function makeLayers(c: LayerCase): nt.layers.Layer[] {
  return c.layers.map(([factory, args], i) => {
    const full = { ...(args as object | undefined), ...(i === 0 ? { inputShape: c.inputShape } : {}) };
    return (L[factory] as (a: unknown) => nt.layers.Layer)(full);
  });
}

/** Fresh random weights (so that ones/zeros defaults hide nothing); running variances stay positive. */
function randomizeWeights(model: nt.Sequential): void {
  const names = model.weightNames();
  const weights = model.getWeights().map((w, i) => {
    if (!w.dtype.startsWith('float')) return w;
    return names[i].endsWith('running_var') ? nt.rand(w.shape).add(0.5) : nt.randn(w.shape).mul(0.5);
  });
  model.setWeights(weights);
}

/** Python code: the case's net with the model's weights, its outputs, parameter count and keys. */
function pyCode(c: LayerCase, names: string[]): string {
  const weights = names.map((_, i) => `_w${i}`).join(', ');
  return [
    PRELUDE,
    c.py,
    `net.load_state_dict(dict(zip(${JSON.stringify(names)}, [${weights}])), strict=True)`,
    'net.eval()',
    'with torch.no_grad():',
    '    _eval = net(x)',
    'if _train:',
    '    net.train()',
    '    with torch.no_grad():',
    '        _trained = [net(x)] + [b for _, b in net.named_buffers()]',
    'else:',
    '    _trained = []',
    'out = [_eval, sum(p.numel() for p in net.parameters()), sorted(net.state_dict().keys()), _trained]',
  ].join('\n');
}

interface Outcome {
  model: nt.Sequential;
  summary: string;
  x: nt.Tensor;
  /** The weights predict ran with. */
  weights: nt.Tensor[];
  predicted: nt.Tensor;
  predictedSync: nt.Tensor;
  /** Training-mode output and the buffers after it (names as in named_buffers order). */
  trained: nt.Tensor[];
  ref?: RefResult;
}

describe('layer harness', () => {
  const outcomes: (Outcome | Error)[] = [];

  beforeAll(async () => {
    const refCases = [];
    for (const [k, c] of CASES.entries()) {
      try {
        const model = nt.sequential({ layers: makeLayers(c) });
        const summary = model.summary(() => {});
        randomizeWeights(model);
        const x = c.input ? c.input() : nt.randn([3, ...c.inputShape]);
        const predicted = await model.predict(x);
        const predictedSync = model.predictSync(x);
        const names = model.weightNames();
        const inputs: Record<string, nt.Tensor> = { x, _train: nt.tensor(c.train ? 1 : 0) };
        const weights = model.getWeights();
        weights.forEach((w, i) => (inputs[`_w${i}`] = w));
        let trained: nt.Tensor[] = [];
        if (c.train) {
          model.train();
          const out = nt.noGrad(() => model.call(x));
          model.eval();
          const after = model.getWeights();
          const buffers = names.map((n, i) => [n, after[i]] as const).filter(([n]) => /running_|num_batches/.test(n));
          trained = [out, ...buffers.map(([, w]) => w)];
        }
        outcomes[k] = { model, summary, x, weights, predicted, predictedSync, trained };
        refCases.push({ k, inputs, code: pyCode(c, names) });
      } catch (e) {
        outcomes[k] = e as Error;
      }
    }
    const results = torchReference(refCases.map(({ inputs, code }) => ({ inputs, code })));
    refCases.forEach(({ k }, j) => ((outcomes[k] as Outcome).ref = results[j]));
  });

  const get = (k: number): Outcome => {
    const o = outcomes[k];
    if (o instanceof Error) throw o;
    return o;
  };
  const ref = (k: number): [RefValue, number, string[], RefValue[]] => refValue(get(k).ref as RefResult) as [RefValue, number, string[], RefValue[]];

  it('covers every single-input layer factory of nt.layers (one per Layer class; merge layers: tests/graph.test.ts)', () => {
    const classes = Object.entries(L)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof L.Layer && v !== L.MergeLayer && !(v.prototype instanceof L.MergeLayer))
      .map(([name]) => name);
    const factories = classes.map((cls) => Object.keys(L).find((k) => k !== cls && k.toLowerCase() === cls.toLowerCase()));
    expect(classes.length).toBe(25);
    expect(factories).not.toContain(undefined);
    const used = new Set<string>(CASES.flatMap((c) => c.layers.map(([f]) => f)));
    expect(factories.filter((f) => !used.has(f as string))).toEqual([]);
  });

  for (const [k, c] of CASES.entries()) {
    describe(c.name, () => {
      it('output shape: computeOutputShape, summary, outputShape and predict agree', () => {
        const { model, summary, x, predicted, predictedSync } = get(k);
        let shape = [...c.inputShape];
        const lines = summary.split('\n');
        for (const layer of model.layers) {
          shape = layer.computeOutputShape(shape);
          const row = lines.find((l) => l.startsWith(`${layer.name} (${layer.className})`));
          expect(row, `summary row of ${layer.name}`).toBeDefined();
          expect(row).toContain(`(None, ${shape.join(', ')})`);
        }
        expect(shape).toEqual(c.outputShape);
        expect(model.outputShape).toEqual(c.outputShape);
        expect(model.inputShape).toEqual(c.inputShape);
        expect([...predicted.shape]).toEqual([x.shape[0], ...c.outputShape]);
        expect(predictedSync.arraySync()).toEqual(predicted.arraySync());
      });

      it('parameter count and state_dict names equal the PyTorch module', () => {
        const { model, summary } = get(k);
        const [, torchParams, torchKeys] = ref(k);
        expect(model.countParams()).toBe(torchParams);
        expect([...model.weightNames()].sort()).toEqual(torchKeys);
        const rows = summary.split('\n').filter((l) => model.layers.some((layer) => l.startsWith(`${layer.name} (`)));
        const perLayer = rows.map((r) => Number(r.trim().split(/\s+/).at(-1)?.replace(/,/g, '')));
        expect(perLayer.reduce((a, b) => a + b, 0)).toBe(torchParams);
        expect(summary).toContain(`Total params: ${torchParams.toLocaleString('en-US')}`);
      });

      it('getConfig → layerFromConfig → getConfig round trip (also through JSON)', async () => {
        const { model, x, weights, predicted } = get(k);
        let shape = [...c.inputShape];
        for (const layer of model.layers) {
          const config = layer.getConfig();
          const rebuilt = L.layerFromConfig(layer.className, config);
          expect(rebuilt.constructor).toBe(layer.constructor);
          expect(rebuilt.getConfig()).toStrictEqual(config);
          expect(rebuilt.toSpecs(shape)).toStrictEqual(layer.toSpecs(shape));
          const json = JSON.parse(JSON.stringify(config)) as nt.layers.LayerConfig;
          expect(L.layerFromConfig(layer.className, json).getConfig()).toEqual(config);
          shape = layer.computeOutputShape(shape);
        }
        const copy = nt.Sequential.fromConfig(model.getConfig());
        expect(copy.getConfig()).toStrictEqual(model.getConfig());
        copy.build();
        expect(copy.weightNames()).toEqual(model.weightNames());
        copy.setWeights(weights);
        expect((await copy.predict(x)).arraySync()).toEqual(predicted.arraySync());
      });

      it('forward matches torch.nn.Sequential (eval mode)', () => {
        const [out] = ref(k);
        expectTensorClose(get(k).predicted, out, c.close);
      });

      if (c.train) {
        it('training-mode forward and running statistics match PyTorch', () => {
          const [, , , trained] = ref(k);
          const mine = get(k).trained;
          expect(mine.length).toBe(trained.length);
          mine.forEach((t, i) => expectTensorClose(t, trained[i], c.close));
        });
      }
    });
  }
});

describe('initializers', () => {
  const stats = (t: nt.Tensor): { mean: number; std: number; absMax: number } => ({
    mean: t.mean().item() as number,
    std: t.std().item() as number,
    absMax: t.abs().max().item() as number,
  });
  const built = (layer: nt.layers.Layer): Map<string, nt.Tensor> => {
    const model = nt.sequential({ layers: [layer] });
    model.build();
    const weights = model.getWeights();
    return new Map(model.weightNames().map((n, i) => [n, weights[i]]));
  };

  it('zeros, ones and constant are exact (dense, conv2d, conv2dTranspose, embedding)', () => {
    const dense = built(L.dense({ inputShape: [4], units: 3, kernelInitializer: 'ones', biasInitializer: { name: 'constant', value: 0.25 } }));
    expect(dense.get('0.weight')?.arraySync()).toEqual([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]);
    expect(dense.get('0.bias')?.arraySync()).toEqual([0.25, 0.25, 0.25]);
    const c = built(L.conv2d({ inputShape: [2, 5, 5], filters: 3, kernelSize: 2, kernelInitializer: { name: 'constant', value: -1.5 }, biasInitializer: 'zeros' }));
    expect(c.get('0.weight')?.eq(-1.5).all().item()).toBe(true);
    expect(c.get('0.bias')?.arraySync()).toEqual([0, 0, 0]);
    const t = built(L.conv2dTranspose({ inputShape: [2, 3, 3], filters: 3, kernelSize: 2, kernelInitializer: 'zeros', biasInitializer: 'ones' }));
    expect([...(t.get('0.weight')?.shape ?? [])]).toEqual([2, 3, 2, 2]);
    expect(t.get('0.weight')?.eq(0).all().item()).toBe(true);
    expect(t.get('0.bias')?.arraySync()).toEqual([1, 1, 1]);
    const e = built(L.embedding({ inputShape: [2], inputDim: 4, outputDim: 2, embeddingsInitializer: { name: 'constant', value: 3 } }));
    expect(e.get('0.weight')?.arraySync()).toEqual([[3, 3], [3, 3], [3, 3], [3, 3]]);
  });

  it('glorotUniform / glorotNormal statistics on a 300 → 200 dense kernel', () => {
    const limit = Math.sqrt(6 / 500);
    const u = stats(built(L.dense({ inputShape: [300], units: 200, kernelInitializer: 'glorotUniform' })).get('0.weight') as nt.Tensor);
    expect(u.absMax).toBeLessThanOrEqual(limit);
    expect(u.absMax).toBeGreaterThan(0.99 * limit);
    expect(Math.abs(u.std / (limit / Math.sqrt(3)) - 1)).toBeLessThan(0.03);
    expect(Math.abs(u.mean)).toBeLessThan(0.002);
    const n = stats(built(L.dense({ inputShape: [300], units: 200, kernelInitializer: { name: 'glorotNormal' } })).get('0.weight') as nt.Tensor);
    expect(Math.abs(n.std / Math.sqrt(2 / 500) - 1)).toBeLessThan(0.03);
    expect(Math.abs(n.mean)).toBeLessThan(0.002);
  });

  it('heUniform / heNormal statistics on a conv2d kernel (fan in = C·kH·kW)', () => {
    const fanIn = 16 * 3 * 3;
    const layer = (kernelInitializer: nt.layers.Initializer): nt.Tensor =>
      built(L.conv2d({ inputShape: [16, 5, 5], filters: 64, kernelSize: 3, kernelInitializer })).get('0.weight') as nt.Tensor;
    const u = stats(layer('heUniform'));
    const limit = Math.sqrt(6 / fanIn);
    expect(u.absMax).toBeLessThanOrEqual(limit);
    expect(Math.abs(u.std / (limit / Math.sqrt(3)) - 1)).toBeLessThan(0.05);
    const n = stats(layer('heNormal'));
    expect(Math.abs(n.std / Math.sqrt(2 / fanIn) - 1)).toBeLessThan(0.05);
  });

  it('normal { mean, std } and uniform { min, max }', () => {
    const n = stats(built(L.dense({ inputShape: [200], units: 100, kernelInitializer: { name: 'normal', mean: 2, std: 0.5 } })).get('0.weight') as nt.Tensor);
    expect(n.mean).toBeCloseTo(2, 1);
    expect(Math.abs(n.std / 0.5 - 1)).toBeLessThan(0.03);
    const w = built(L.dense({ inputShape: [200], units: 100, kernelInitializer: { name: 'uniform', min: -0.2, max: 0.1 } })).get('0.weight') as nt.Tensor;
    expect(w.min().item()).toBeGreaterThanOrEqual(-0.2);
    expect(w.max().item()).toBeLessThanOrEqual(0.1);
    expect(w.mean().item()).toBeCloseTo(-0.05, 2);
  });

  it("defaults are PyTorch's: U(±1/√fan_in) for Linear/Conv weights and biases", () => {
    const dense = built(L.dense({ inputShape: [400], units: 100 }));
    const bound = 1 / Math.sqrt(400);
    const w = stats(dense.get('0.weight') as nt.Tensor);
    expect(w.absMax).toBeLessThanOrEqual(bound);
    expect(Math.abs(w.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.03);
    expect(stats(dense.get('0.bias') as nt.Tensor).absMax).toBeLessThanOrEqual(bound);
    const c = built(L.conv2d({ inputShape: [8, 6, 6], filters: 32, kernelSize: 3 }));
    expect(stats(c.get('0.weight') as nt.Tensor).absMax).toBeLessThanOrEqual(1 / Math.sqrt(72));
    const bn = built(L.batchNormalization({ inputShape: [4, 3, 3] }));
    expect(bn.get('0.weight')?.arraySync()).toEqual([1, 1, 1, 1]);
    expect(bn.get('0.running_var')?.arraySync()).toEqual([1, 1, 1, 1]);
  });

  it('rejects an unknown initializer name', () => {
    expectThrows(() => L.dense({ units: 2, kernelInitializer: 'lecunNormal' as 'zeros' }), RangeError, /^dense: kernelInitializer must be one of glorotUniform, .*, got string 'lecunNormal'$/);
    expectThrows(() => L.conv2d({ filters: 2, kernelSize: 3, biasInitializer: { name: 'orthogonal' } as never }), RangeError, /^conv2d: biasInitializer must be one of /);
  });
});

describe('kernel regularizers', () => {
  const x = nt.randn([8, 4]);
  const y = nt.randn([8, 3]);
  const lr = 0.1;

  /** Two identical dense models, one with the regularizer; returns both step losses, and weights before/after. */
  function step(reg: nt.layers.Regularizer): { lossReg: number; lossPlain: number; w0: nt.Tensor; b0: nt.Tensor; wReg: nt.Tensor; wPlain: nt.Tensor } {
    const withReg = nt.sequential({ layers: [L.dense({ inputShape: [4], units: 3, kernelRegularizer: reg })] });
    const plain = nt.sequential({ layers: [L.dense({ inputShape: [4], units: 3 })] });
    for (const m of [withReg, plain]) m.compile({ optimizer: nt.optimizers.sgd({ lr }), loss: 'mse' });
    plain.setWeights(withReg.getWeights());
    const [w0, b0] = withReg.getWeights();
    const lossReg = withReg.trainOnBatchSync(x, y).loss;
    const lossPlain = plain.trainOnBatchSync(x, y).loss;
    return { lossReg, lossPlain, w0, b0, wReg: withReg.getWeights()[0], wPlain: plain.getWeights()[0] };
  }
  const mseOf = (w: nt.Tensor, b: nt.Tensor): number => x.matmul(w.t()).add(b).sub(y).square().mean().item() as number;

  it('l2 adds 0.01·Σw² to the loss and 2·0.01·w to the gradient', () => {
    const r = step(L.regularizers.l2());
    const mse = mseOf(r.w0, r.b0);
    const penalty = r.w0.square().sum().item() as number * 0.01;
    expect(r.lossPlain).toBeCloseTo(mse, 6);
    expect(Math.abs(r.lossReg - (mse + penalty))).toBeLessThan(1e-6 * (mse + penalty));
    expect(penalty).toBeGreaterThan(1e-3);
    const diff = r.wReg.sub(r.wPlain);
    const expected = r.w0.mul(-lr * 2 * 0.01);
    expect(diff.sub(expected).abs().max().item()).toBeLessThan(1e-6);
  });

  it('l1l2 adds l1·Σ|w| + l2·Σw²', () => {
    const r = step(L.regularizers.l1l2({ l1: 0.03, l2: 0.002 }));
    const mse = mseOf(r.w0, r.b0);
    const penalty = (r.w0.abs().sum().item() as number) * 0.03 + (r.w0.square().sum().item() as number) * 0.002;
    expect(Math.abs(r.lossReg - (mse + penalty))).toBeLessThan(1e-6 * (mse + penalty));
    expect(r.lossReg - r.lossPlain).toBeCloseTo(penalty, 5);
  });

  it('conv2d kernel regularizer is included by evaluate() too', async () => {
    const model = nt.sequential({ layers: [L.conv2d({ inputShape: [1, 4, 4], filters: 2, kernelSize: 3, kernelRegularizer: L.regularizers.l1(0.1) }), L.flatten()] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const xs = nt.randn([5, 1, 4, 4]);
    const ys = nt.randn([5, 8]);
    const [w] = model.getWeights();
    const pred = model.predictSync(xs);
    const expected = (pred.sub(ys).square().mean().item() as number) + 0.1 * (w.abs().sum().item() as number);
    const logs = await model.evaluate(xs, ys);
    expect(Math.abs(logs.loss - expected)).toBeLessThan(1e-5 * expected);
  });

  it('rejects negative penalties', () => {
    expectThrows(() => L.dense({ units: 2, kernelRegularizer: { l2: -1 } }), RangeError, 'dense: kernelRegularizer.l2 must be a finite number ≥ 0, got number -1');
  });
});

describe('dropout in training mode', () => {
  it('dropout zeroes about rate of the inputs and scales the rest by 1/(1 - rate)', () => {
    const model = nt.sequential({ layers: [L.dropout({ inputShape: [1000], rate: 0.3 })] });
    model.build();
    model.train();
    const out = nt.noGrad(() => model.call(nt.ones([20, 1000])));
    const zeros = out.eq(0).float().mean().item() as number;
    expect(Math.abs(zeros - 0.3)).toBeLessThan(0.02);
    const kept = out.maskedSelect(out.ne(0));
    expect(kept.sub(1 / 0.7).abs().max().item()).toBeLessThan(1e-6);
    model.eval();
    expect(nt.noGrad(() => model.call(nt.ones([2, 1000]))).eq(1).all().item()).toBe(true);
  });

  it('spatialDropout2d drops whole channels', () => {
    const model = nt.sequential({ layers: [L.spatialDropout2d({ inputShape: [50, 3, 3], rate: 0.5 })] });
    model.build();
    model.train();
    const out = nt.noGrad(() => model.call(nt.ones([40, 50, 3, 3]))).reshape([2000, 9]);
    const perChannelMin = out.min(1).values;
    const perChannelMax = out.max(1).values;
    expect(perChannelMin.eq(perChannelMax).all().item()).toBe(true);
    const dropped = perChannelMax.eq(0).float().mean().item() as number;
    expect(Math.abs(dropped - 0.5)).toBeLessThan(0.05);
    expect(perChannelMax.maskedSelect(perChannelMax.ne(0)).eq(2).all().item()).toBe(true);
  });
});

describe('bad calls', () => {
  it('conv2d with a 2D inputShape', () => {
    const model = nt.sequential({ layers: [L.conv2d({ name: 'c2', inputShape: [8, 8], filters: 2, kernelSize: 3 })] });
    expectThrows(() => model.build(), RangeError, "Conv2D 'c2': expects [C, H, W] samples, got [8, 8]");
    expectThrows(() => L.conv2d({ inputShape: [0, 8, 8], filters: 2, kernelSize: 3 }), RangeError, /^conv2d: inputShape must be an array of positive integers/);
  });

  it('reshape to an incompatible size', () => {
    const model = nt.sequential({ layers: [L.reshape({ name: 'r', inputShape: [2, 3], targetShape: [5] })] });
    expectThrows(() => model.summary(() => {}), RangeError, "Reshape 'r': cannot reshape [2, 3] (6 values) to [5]");
    expectThrows(() => L.reshape({ targetShape: [-1, -1] }), RangeError, /^reshape: targetShape must be positive integers with at most one -1/);
  });

  it('unknown activation', () => {
    expectThrows(() => L.dense({ units: 3, activation: 'swish' as 'relu' }), RangeError, /^dense: activation must be one of 'linear', 'relu', .*, got string 'swish'$/);
    expectThrows(() => L.activation({ activation: 'mish' as 'relu' }), RangeError, /^activation: activation must be one of .*, got string 'mish'$/);
  });

  it('dropout rate 1.5, dense units 0', () => {
    expectThrows(() => L.dropout({ rate: 1.5 }), RangeError, 'dropout: rate must be a number in [0, 1), got number 1.5');
    expectThrows(() => L.spatialDropout2d({ rate: -0.1 }), RangeError, 'spatialDropout2d: rate must be a number in [0, 1), got number -0.1');
    expectThrows(() => L.dense({ units: 0 }), RangeError, 'dense: units must be a positive integer, got number 0');
    expectThrows(() => L.dense({ units: 2.5 }), TypeError, 'dense: units must be an integer, got number 2.5');
  });

  it('wrong input shape at predict', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [4], units: 2 })] });
    await expect(model.predict(nt.zeros([3, 5]))).rejects.toThrow(RangeError);
    await expect(model.predict(nt.zeros([3, 5]))).rejects.toThrow(/^predict: expected input samples of shape \[4\] \(batch \[N, 4\]\), got \[3, 5\]$/);
    expectThrows(() => model.predictSync(nt.zeros([3, 4, 1])), RangeError, /^predict: expected input samples of shape \[4\]/);
  });

  it('convolution and pooling geometry', () => {
    expectThrows(() => L.conv2d({ filters: 5, kernelSize: 3, groups: 2 }), RangeError, 'conv2d: groups must be a positive divisor of filters (5), got number 2');
    const grouped = nt.sequential({ layers: [L.conv2d({ name: 'g', inputShape: [3, 5, 5], filters: 4, kernelSize: 3, groups: 2 })] });
    expectThrows(() => grouped.build(), RangeError, "Conv2D 'g': input channels (3) must be divisible by groups (2)");
    const small = nt.sequential({ layers: [L.conv2d({ name: 's', inputShape: [1, 2, 2], filters: 1, kernelSize: 3 })] });
    expectThrows(() => small.build(), RangeError, "Conv2D 's': input [1, 2, 2] is too small for kernel [3, 3]");
    const pool = nt.sequential({ layers: [L.maxPooling2d({ name: 'p', inputShape: [1, 1, 3], poolSize: 2 })] });
    expectThrows(() => pool.build(), RangeError, "MaxPooling2D 'p': input [1, 1, 3] is smaller than the pool [2, 2]");
    expectThrows(() => L.conv2dTranspose({ filters: 1, kernelSize: 3, padding: 'same', outputPadding: 1 }), TypeError, 'conv2dTranspose: outputPadding is only accepted with explicit numeric padding');
    expectThrows(() => L.conv2d({ filters: 1, kernelSize: [3, 3, 3] }), RangeError, /^conv2d: kernelSize must be an integer or 2 integers/);
  });

  it('permute, fromConfig and duplicate names', () => {
    expectThrows(() => L.permute({ dims: [1, 3] }), RangeError, /^permute: dims must be a permutation of 1..n/);
    expectThrows(() => L.layerFromConfig('Swish', {}), RangeError, "fromConfig: unknown layer class 'Swish'");
    const a = L.dense({ name: 'same_name', units: 2 });
    const b = L.dense({ name: 'same_name', units: 2 });
    expectThrows(() => nt.sequential({ layers: [a, b] }), RangeError, "add: a layer named 'same_name' is already in the model");
    expectThrows(() => nt.sequential({ layers: [{} as nt.layers.Layer] }), TypeError, /^add: layer must be a Layer \(nt\.layers\.\*\), got Object$/);
  });
});
