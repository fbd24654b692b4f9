// fuzz_child.js — the bad-call fuzzer fuzz.test.ts runs in a child process (a crash kills this
// process, not the suite): `node fuzz_child.js <seed> <calls>` makes <calls> seeded random bad calls
// over the public surface — misspelled and PyTorch/Keras-spelled option keys, wrong types, missing
// required options, out-of-range/NaN/Infinity numbers, non-object options, disposed tensors, wrong
// dtypes and shapes, corrupt files — and prints one JSON line: counts by kind, and every call that
// succeeded silently, threw a non-Error or an error whose message does not start with the
// function's public name. Loads the compiled dist/.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nt = require('../../dist');

const [seed, calls] = process.argv.slice(2).map(Number);

// mulberry32: a small seeded generator, so a seed replays the same calls
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-fuzz-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- fixtures: a small compiled model, data, a GAN pair, corrupt files -------------------------
const x = nt.randn([8, 4]);
const y = nt.randint(0, 3, [8]);
const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 3 })] });
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 4, ndf: 4, latentDim: 8 });
const images = nt.zeros([4, 1, 28, 28]);
const param = nt.randn([3], { requiresGrad: true });
const img = nt.rand([2, 3, 8, 8]);
const weight = nt.randn([4, 3, 3, 3]);
const dataset = nt.data.fromTensors(x, y);
const garbage = path.join(tmp, 'garbage.bin');
fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7919) % 256)));
const badModelDir = path.join(tmp, 'bad_model');
fs.mkdirSync(badModelDir);
fs.writeFileSync(path.join(badModelDir, 'model.json'), '{"format": "nodetorch", "modelTopology": 42');
const csvFile = path.join(tmp, 'log.csv');

// ---- the catalogue: per function, a valid call, its option keys and values each key refuses ---
const NUM = ['3', null, {}, [1], true];
const BOOL = ['yes', 1, null, {}];
const STR = [5, null, {}, true];
const layer = (name, base, bad, required = []) => ({
  fn: name,
  base,
  bad: { name: STR, inputShape: [[0], 'x', [-1, 2], [1.5]], ...bad },
  required,
  call: (o) => nt.layers[name](o),
});
const opt = (name, bad) => ({
  fn: name,
  base: {},
  bad: { lr: [-1, NaN, Infinity, ...NUM], weightDecay: [-1, NaN], clipNorm: [0, -1, Infinity], clipValue: [0, -2], ...bad },
  required: [],
  call: (o) => nt.optimizers[name](o),
});
const adamBad = { betas: [[0.9, 1], [-0.1, 0.9], [0.9], 'x', [NaN, 0.9]], eps: [-1, NaN], amsgrad: BOOL };
const layerBase = { filters: 2, kernelSize: 3 };
const convBad = {
  filters: [0, -1, 1.5, ...NUM],
  kernelSize: [0, -1, [3, 3, 3], 'x', 1.5],
  strides: [0, -2, 'x'],
  padding: ['full', -1, [1, 2, 3]],
  dilationRate: [0, -1],
  activation: ['swish', 3],
  useBias: BOOL,
  kernelInitializer: ['lecun', { name: 'normal', stddev: 1 }, { name: 'constant' }, 5],
  kernelRegularizer: [{ l2: -1 }, { l3: 1 }, 'l2', { l1: NaN }],
};
const shape = (t) => t.shape;

const catalogue = [
  layer('dense', { units: 3 }, { units: [0, -1, 2.5, NaN, Infinity, ...NUM], activation: convBad.activation, useBias: BOOL, kernelInitializer: convBad.kernelInitializer, biasInitializer: ['orthogonal'], kernelRegularizer: convBad.kernelRegularizer }, ['units']),
  layer('conv2d', layerBase, { ...convBad, groups: [0, 3, 1.5], biasInitializer: ['x'] }, ['filters', 'kernelSize']),
  layer('conv1d', layerBase, { ...convBad, kernelSize: [0, [3, 3]], groups: [0], biasInitializer: [5] }, ['filters', 'kernelSize']),
  layer('conv2dTranspose', layerBase, { ...convBad, outputPadding: [-1, 'x'], biasInitializer: [{}] }, ['filters', 'kernelSize']),
  layer('maxPooling2d', {}, { poolSize: [0, -1, 'x', [2, 2, 2]], strides: [0], padding: ['full', -1] }),
  layer('averagePooling2d', {}, { poolSize: [0], strides: [-1], padding: [-2] }),
  layer('batchNormalization', {}, { momentum: [-0.1, 1.5, NaN], epsilon: [0, -1, Infinity], affine: BOOL, gammaInitializer: ['x'], betaInitializer: [{ name: 'uniform', low: 0 }] }),
  layer('layerNormalization', {}, { normalizedDims: [0, 1.5, -1], epsilon: [0, NaN], affine: BOOL }),
  layer('dropout', { rate: 0.5 }, { rate: [1, -0.1, NaN, Infinity, ...NUM] }, ['rate']),
  layer('spatialDropout2d', { rate: 0.5 }, { rate: [1, 2, -1] }, ['rate']),
  layer('embedding', { inputDim: 5, outputDim: 2 }, { inputDim: [0, 1.5], outputDim: [-1, NaN] }, ['inputDim', 'outputDim']),
  layer('reshape', { targetShape: [2, 2] }, { targetShape: [[-1, -1], [0], 'x', [1.5]] }, ['targetShape']),
  layer('permute', { dims: [2, 1] }, { dims: [[1, 3], [0, 1], 'x'] }, ['dims']),
  layer('activation', { activation: 'relu' }, { activation: ['mish', 3] }, ['activation']),
  layer('leakyReLU', {}, { alpha: ['x', NaN, Infinity] }),
  layer('elu', {}, { alpha: [NaN, 'x'] }),
  layer('gelu', {}, { approximate: ['fast', 1] }),
  layer('softmax', {}, { axis: [1.5, 'x'] }),
  layer('zeroPadding2d', {}, { padding: [-1, 'x', [1, 2, 3], 1.5] }),
  layer('upSampling2d', {}, { size: [0, -1, 'x'], interpolation: ['area', 1] }),
  layer('concatenate', {}, { axis: [1.5, 'x'] }),
  layer('shortcutPadding2d', { filters: 4 }, { filters: [0, 1.5], strides: [0, -1] }, ['filters']),
  { fn: 'input', base: { shape: [3] }, bad: { shape: [[0], [], 'x', [1.5]], name: [5, ''], dtype: ['int32', 5] }, required: ['shape'], call: (o) => nt.input(o) },
  { fn: 'sequential', base: {}, bad: { layers: ['x', [5], {}], name: STR }, required: [], call: (o) => nt.sequential(o) },
  { fn: 'regularizers.l1l2', base: {}, bad: { l1: [-1, NaN, 'x'], l2: [-0.5, Infinity] }, required: [], call: (o) => nt.layers.regularizers.l1l2(o) },

  opt('sgd', { momentum: [-0.1, NaN], dampening: [NaN, 'x'], nesterov: BOOL }),
  opt('adam', adamBad),
  opt('adamW', adamBad),
  opt('rmsprop', { alpha: [1.5, -0.1, NaN], eps: [-1], momentum: [-1], centered: BOOL }),
  opt('adagrad', { lrDecay: [-1, NaN], initialAccumulatorValue: [-1], eps: [-1] }),
  { fn: 'optim.adam', base: {}, bad: { lr: [-1, NaN], betas: [[1, 0.9]], eps: [-1] }, required: [], call: (o) => nt.optim.adam([param], o) },
  { fn: 'optim.sgd', base: {}, bad: { lr: [Infinity], momentum: [-1], nesterov: ['x'] }, required: [], call: (o) => nt.optim.sgd([param], o) },

  { fn: 'stepLR', base: { stepSize: 2 }, bad: { stepSize: [0, 1.5, -1, ...NUM], gamma: [-1, NaN], interval: ['step', 1] }, required: ['stepSize'], call: (o) => nt.schedulers.stepLR(o) },
  { fn: 'multiStepLR', base: { milestones: [1, 2] }, bad: { milestones: [[2, 1], [-1], 'x', [1.5]], gamma: [NaN] }, required: ['milestones'], call: (o) => nt.schedulers.multiStepLR(o) },
  { fn: 'exponentialLR', base: { gamma: 0.9 }, bad: { gamma: [-0.1, NaN, Infinity] }, required: ['gamma'], call: (o) => nt.schedulers.exponentialLR(o) },
  { fn: 'cosineAnnealing', base: { tMax: 10 }, bad: { tMax: [0, 1.5], etaMin: [-1, NaN], warmupSteps: [-1, 0.5] }, required: ['tMax'], call: (o) => nt.schedulers.cosineAnnealing(o) },
  { fn: 'oneCycle', base: { maxLr: 0.1 }, bad: { maxLr: [-1, NaN], totalSteps: [0], pctStart: [0, 1, 1.5], divFactor: [0, -1], finalDivFactor: [0] }, required: ['maxLr'], call: (o) => nt.schedulers.oneCycle(o) },

  { fn: 'earlyStopping', base: {}, bad: { patience: [-1, 1.5], mode: ['up', 1], minDelta: [NaN, 'x'], monitor: STR, baseline: ['x'], restoreBestWeights: BOOL }, required: [], call: (o) => nt.callbacks.earlyStopping(o) },
  { fn: 'reduceLROnPlateau', base: {}, bad: { factor: [1, 0, 1.5, NaN], cooldown: [-1], minLr: [-1], patience: [-2], minDelta: [-1] }, required: [], call: (o) => nt.callbacks.reduceLROnPlateau(o) },
  { fn: 'modelCheckpoint', base: {}, bad: { mode: ['x'], dir: [5, ''], saveBestOnly: BOOL, onSave: ['x'] }, required: [], call: (o) => nt.callbacks.modelCheckpoint(o) },
  { fn: 'csvLogger', base: { filename: csvFile }, bad: { filename: STR, separator: [1], append: BOOL }, required: ['filename'], call: (o) => nt.callbacks.csvLogger(o) },

  { fn: 'categoricalCrossentropy', base: {}, bad: { labelSmoothing: [1.5, -0.1, NaN], fromLogits: BOOL }, required: [], call: (o) => nt.losses.categoricalCrossentropy(o) },
  { fn: 'huber', base: {}, bad: { delta: [0, -1, NaN] }, required: [], call: (o) => nt.losses.huber(o) },
  { fn: 'topKCategoricalAccuracy', base: {}, bad: { k: [0, 1.5], name: STR }, required: [], call: (o) => nt.metrics.topKCategoricalAccuracy(o) },
  { fn: 'precision', base: {}, bad: { threshold: [NaN, 'x'], name: [5] }, required: [], call: (o) => nt.metrics.precision(o) },

  { fn: 'toFloat', base: {}, bad: { scale: [NaN, 'x', Infinity] }, required: [], call: (o) => nt.data.transforms.toFloat(o) },
  { fn: 'normalize', base: { mean: 0.5, std: 0.25 }, bad: { mean: ['x', NaN], std: [0, -1, [1, 2]] }, required: ['mean', 'std'], call: (o) => nt.data.transforms.normalize(o) },
  { fn: 'randomCrop', base: { size: 4 }, bad: { size: [0, -1, [1, 2, 3]], padding: [-1, 1.5] }, required: ['size'], call: (o) => nt.data.transforms.randomCrop(o) },
  { fn: 'randomHorizontalFlip', base: {}, bad: { p: [1.5, -0.1, NaN] }, required: [], call: (o) => nt.data.transforms.randomHorizontalFlip(o) },
  { fn: 'randomAffine', base: {}, bad: { degrees: [-1, NaN], translate: [[2, 0], [0]], scale: [[0, 1], 'x'] }, required: [], call: (o) => nt.data.transforms.randomAffine(o) },
  { fn: 'fromTensors', base: {}, bad: { seed: [-1, 1.5], transforms: ['x', [{ kind: 'blur' }], [{ kind: 'toFloat', scale: NaN }]], classNames: ['x', [1]] }, required: [], call: (o) => nt.data.fromTensors(x, y, o) },
  { fn: 'dataset.batches', base: {}, bad: { batchSize: [0, 1.5], prefetch: [-1], epoch: [-1], shuffle: BOOL, dropLast: BOOL, device: ['gpu'] }, required: [], call: (o) => dataset.batches(o) },
  { fn: 'data.fashionMnist', base: {}, bad: { split: ['val', 1], dir: [5], seed: [-1] }, otherKeys: ['transforms'], required: [], call: (o) => nt.data.fashionMnist(o) },
  { fn: 'data.csv', base: { file: path.join(tmp, 'missing.csv') }, bad: { file: STR, labelColumn: [-1, 1.5, null], header: BOOL }, otherKeys: ['regression', 'transforms', 'seed'], required: ['file'], call: (o) => nt.data.csv(o) },

  { fn: 'compile', base: { optimizer: 'adam', loss: 'mse' }, bad: { optimizer: ['lbfgs', { kind: 'adam', lr: -1 }, { kind: 'x' }, 5], loss: ['hinge', 5], metrics: [['f1'], 'x'], lrScheduler: [{ kind: 'stepLR', stepSize: 0 }, 'x'], lossWeights: [[-1], 'x'] }, required: ['optimizer', 'loss'], call: (o) => nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 3 })] }).compile(o) },
  { fn: 'fit', base: { epochs: 1, verbose: 0 }, bad: { epochs: [0, 1.5, NaN, -1], batchSize: [0, Infinity], validationSplit: [1, 0, 1.5], stepsPerEpoch: [0], verbose: [3, -1], initialEpoch: [-1], shuffle: BOOL, signal: ['x'], lrScheduler: [{ kind: 'oneCycle', maxLr: -1 }], resumeFrom: [42, ''] }, otherKeys: ['validationData', 'classWeight', 'callbacks'], required: [], call: (o) => model.fit(x, y, o) },
  { fn: 'evaluate', base: {}, bad: { batchSize: [0, -1, NaN, 'x'] }, required: [], call: (o) => model.evaluate(x, y, o) },
  { fn: 'predict', base: {}, bad: { batchSize: [0, 1.5] }, required: [], call: (o) => model.predict(x, o) },
  { fn: 'trainOnBatch', base: {}, bad: { classWeight: [{ 0: -1 }, { a: 1 }] }, required: [], call: (o) => model.trainOnBatch(x, y, o) },

  { fn: 'loadModel', base: {}, bad: { device: ['gpu', 5], compile: BOOL, customLoss: ['x'] }, required: [], call: (o) => nt.loadModel(badModelDir, o) },
  { fn: 'loadWeights', base: {}, bad: { strict: BOOL }, required: [], call: (o) => model.loadWeights(garbage, o) },
  { fn: 'loadSafetensorsSync', base: {}, bad: { device: ['tpu', 3] }, required: [], call: (o) => nt.io.loadSafetensorsSync(garbage, o) },
  { fn: 'jit.load', base: {}, bad: { device: ['x'] }, required: [], call: (o) => nt.jit.load(garbage, o) },
  { fn: 'encodePng', base: { data: new Uint8Array(4), width: 2, height: 2, channels: 1 }, bad: { data: ['x', [1, 2, 3, 4]], width: [0, 1.5, NaN], height: [-1], channels: [2, '1'] }, required: ['data', 'width', 'height', 'channels'], call: (o) => nt.io.encodePng(o) },
  { fn: 'data.loadImage', base: { size: [4, 4] }, bad: { size: [[0, 4], 'x', [4]], channels: [2, '3'] }, required: ['size'], call: (o) => nt.data.loadImage(garbage, o) },
  { fn: 'optim.sgd.zeroGrad', base: {}, bad: { setToNone: BOOL }, required: [], call: (o) => nt.optim.sgd([param], { lr: 0.1 }).zeroGrad(o) },
  { fn: 'imageGridPng', base: {}, bad: { nrow: [0, 1.5], padding: [-1], range: [[1], 'x'], padValue: [300, -1] }, required: [], call: (o) => nt.io.imageGridPng(img, o) },

  { fn: 'serving.batcher', base: {}, bad: { maxBatchSize: [0, 1.5, 'x'], maxQueueDelayMs: [-1, NaN], maxQueueSize: [0], timeoutMs: [0, -1, Infinity] }, otherKeys: ['inputs', 'outputs', 'observer'], required: [], call: (o) => nt.serving.batcher(model, o) },
  { fn: 'serving.serve', base: { models: ['nowhere'], port: 0 }, bad: { port: [-1, 70000, 1.5], host: [5], device: ['gpu'], instances: [0], maxBatchSize: [0], timeoutMs: [0], bodyLimit: [0], log: ['x'], models: [[{ pth: 'x' }], [{ path: 5 }]], apiKey: [5] }, otherKeys: ['maxQueueDelayMs', 'maxQueueSize', 'drainTimeoutMs'], required: [], call: (o) => nt.serving.serve(o) },
  { fn: 'gan.train', base: { generator, discriminator, images, epochs: 1, verbose: 0, batchSize: 2 }, bad: { labelSmoothing: [1, -0.1], dSteps: [0], loss: ['wgan'], epochs: [0], batchSize: [0], gOptimizer: ['lbfgs', { kind: 'adam', betas: [1, 1] }], sampleEvery: [0], seed: [-1], lrScheduler: ['x'] }, otherKeys: ['shuffle', 'stepsPerEpoch', 'initialEpoch', 'callbacks', 'signal', 'samplesDir', 'numSamples', 'checkpointDir', 'dOptimizer'], required: ['generator', 'discriminator', 'images'], call: (o) => nt.gan.train(o) },
  { fn: 'gan.sample', base: {}, bad: { seed: [-1, 'x'] }, required: [], call: (o) => nt.gan.sample(generator, 2, o) },
  { fn: 'builders.cnn', base: {}, bad: { numClasses: [1, 1.5], inputShape: ['x', [1, 2]], name: [5] }, required: [], call: (o) => nt.builders.cnn(o) },
  { fn: 'builders.dcgan', base: { imageSize: 28, channels: 1 }, bad: { imageSize: [30, 'x'], channels: [0, 1.5], latentDim: [0], ngf: [-1] }, required: ['imageSize', 'channels'], call: (o) => nt.builders.dcgan(o) },
  { fn: 'builders.resnet', base: { depth: 20 }, bad: { depth: [21, 'x'], shortcut: ['C'], numClasses: [0], zeroInitResidual: BOOL }, required: ['depth'], call: (o) => nt.builders.resnet(o) },
  { fn: 'report.renderReport', base: { title: 't', config: {}, sections: [] }, bad: { title: STR, sections: ['x', [{}], [{ title: 's', charts: 'x' }], [{ title: 's', images: [{ title: 'i', png: 'x' }] }]] }, required: ['title', 'config', 'sections'], call: (o) => nt.report.renderReport(o) },

  { fn: 'zeros', base: {}, bad: { dtype: ['float8', 5], device: ['gpu', 1], requiresGrad: BOOL }, required: [], call: (o) => nt.zeros([2], o) },
  { fn: 'tensor', base: {}, bad: { dtype: ['x'], device: ['tpu'], shape: [[3]] }, required: [], call: (o) => nt.tensor([1, 2], o) },
  { fn: 'sum', base: {}, bad: { keepdim: BOOL }, required: [], call: (o) => x.sum(0, o) },
  { fn: 'std', base: {}, bad: { correction: [-1, 1.5], unbiased: BOOL, keepdim: ['x'] }, required: [], call: (o) => x.std(0, o) },
  { fn: 'sort', base: {}, bad: { descending: BOOL }, required: [], call: (o) => x.sort(0, o) },
  { fn: 'topk', base: {}, bad: { largest: BOOL, sorted: BOOL }, required: [], call: (o) => x.topk(1, 0, o) },
  { fn: 'grad', base: {}, bad: { retainGraph: BOOL, allowUnused: BOOL }, required: [], call: (o) => nt.grad(param.mul(2).sum(), param, o) },
  { fn: 'conv2d', base: {}, bad: { groups: [0, 1.5], stride: ['x', [1, 2, 3]], padding: ['full'], dilation: ['x'] }, required: [], call: (o) => nt.nn.functional.conv2d(img, weight, null, o) },
  { fn: 'maxPool2d', base: {}, bad: { ceilMode: BOOL, stride: ['x'], padding: ['x'], dilation: [[1, 2, 3]] }, required: [], call: (o) => nt.nn.functional.maxPool2d(img, 2, o) },
  { fn: 'batchNorm', base: { training: true }, bad: { momentum: [2, NaN], eps: [-1], training: BOOL, weight: [5], bias: ['x'] }, required: [], call: (o) => nt.nn.functional.batchNorm(img, null, null, o) },
  { fn: 'crossEntropy', base: {}, bad: { labelSmoothing: [2, -1], reduction: ['avg'], ignoreIndex: [1.5], weight: ['x'] }, required: [], call: (o) => nt.nn.functional.crossEntropy(x.narrow(1, 0, 3), y, o) },
  { fn: 'interpolate', base: { scaleFactor: 2 }, bad: { mode: ['area'], alignCorners: BOOL, scaleFactor: [0, -1] }, otherKeys: ['size'], required: [], call: (o) => nt.nn.functional.interpolate(img, o) },
  { fn: 'huberLoss', base: {}, bad: { delta: [0, NaN], reduction: ['x'] }, required: [], call: (o) => nt.nn.functional.huberLoss(x, x, o) },
  { fn: 'klDiv', base: {}, bad: { reduction: ['avg'], logTarget: BOOL }, required: [], call: (o) => nt.nn.functional.klDiv(x, x, o) },
];

/** A misspelling of `key` that is not a key of `keys`: PyTorch/Keras spellings, typos, case. */
function misspell(key, keys) {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const variants = [
    snake,
    key.slice(0, -1),
    `${key}s`,
    key.length > 3 ? key.slice(0, 2) + key[3] + key[2] + key.slice(4) : `${key}x`,
    key.toLowerCase(),
    `${key}_`,
    'learning_rate',
    'dilation',
    'stride',
    'kernel_size',
    'beta_1',
    'weight_decay',
    'use_bias',
    'in_channels',
    'epoch',
    'metric',
  ];
  const ok = variants.filter((v) => !keys.includes(v));
  return pick(ok);
}

// ---- bad calls outside options: disposed tensors, dtypes, shapes, corrupt files ---------------
function disposed() {
  const t = nt.randn([2, 3]);
  t.dispose();
  return t;
}
const direct = [
  { fn: 'add', call: () => nt.add(disposed(), x) },
  { fn: 'sum', call: () => disposed().sum() },
  { fn: 'matmul', call: () => nt.matmul(nt.randn([2, 3]), nt.randn([4, 5])) },
  { fn: 'conv2d', call: () => nt.nn.functional.conv2d(nt.rand([1, 2, 8, 8]), weight) },
  { fn: 'crossEntropy', call: () => nt.nn.functional.crossEntropy(nt.randn([4, 3]), nt.randn([5])) },
  { fn: 'predict', call: () => model.predict(nt.randn([2, 5])) },
  { fn: 'predict', call: () => model.predict(disposed()) },
  { fn: 'fit', call: () => model.fit(x, nt.randint(0, 3, [7]), { verbose: 0 }) },
  { fn: 'cat', call: () => nt.cat([nt.randn([2]), nt.zeros([1, 2], { dtype: 'int64' })]) },
  { fn: 'reshape', call: () => x.reshape([5, 7]) },
  { fn: 'loadSafetensorsSync', call: () => nt.io.loadSafetensorsSync(garbage) },
  { fn: 'loadSafetensors', call: () => nt.io.loadSafetensors(garbage) },
  { fn: 'jit.load', call: () => nt.jit.load(garbage) },
  { fn: 'loadModel', call: () => nt.loadModel(badModelDir) },
  { fn: 'loadModel', call: () => nt.loadModel(path.join(tmp, 'nowhere')) },
  { fn: 'loadWeights', call: () => model.loadWeights(garbage) },
  { fn: 'readIdx', call: () => nt.data.readIdx(garbage) },
  { fn: 'setWeights', call: () => model.setWeights([x]) },
];

// ---- the run --------------------------------------------------------------------------------
const counts = {};
const failures = [];
const TIMEOUT_MS = 20_000;

function withTimeout(promise) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('fuzz: call timed out')), TIMEOUT_MS)))]).finally(() => clearTimeout(timer));
}

/** One bad call of `kind` on catalogue entry `e`: returns the options (or a description). */
function badOptions(e, kind) {
  const keys = Object.keys(e.bad);
  const key = pick(keys);
  const valid = [...keys, ...Object.keys(e.base), ...(e.otherKeys ?? [])];
  switch (kind) {
    case 'unknown key':
      return { ...e.base, [misspell(key, valid)]: pick([1, 'x', true]) };
    case 'bad value':
      return { ...e.base, [key]: pick(e.bad[key]) };
    case 'missing required': {
      const o = { ...e.base };
      delete o[pick(e.required)];
      return o;
    }
    default:
      return pick([null, 42, 'options', [e.base]]);
  }
}

async function main() {
  for (let i = 0; i < calls; i++) {
    let fn;
    let run;
    let kind;
    let what;
    if (random() < 0.1) {
      const d = pick(direct);
      ({ fn } = d);
      kind = 'bad argument';
      run = d.call;
      what = d.call.toString();
    } else {
      const e = pick(catalogue);
      fn = e.fn;
      const kinds = ['unknown key', 'unknown key', 'bad value', 'bad value', 'bad value', 'not an object'];
      if (e.required.length > 0) kinds.push('missing required');
      kind = pick(kinds);
      const o = badOptions(e, kind);
      run = () => e.call(o);
      what = `${fn}(${JSON.stringify(o, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v instanceof nt.Tensor ? `Tensor[${shape(v)}]` : v instanceof nt.Model ? 'Model' : v))})`;
    }
    counts[kind] = (counts[kind] ?? 0) + 1;
    let outcome;
    try {
      const r = run();
      // a generator (dataset.batches) or a promise: the failure may come on first use
      if (r && typeof r.next === 'function') await withTimeout(r.next());
      else await withTimeout(Promise.resolve(r));
      outcome = { ok: true };
    } catch (err) {
      outcome = { err };
    }
    if (outcome.ok) failures.push({ i, kind, what, problem: 'succeeded silently' });
    else if (!(outcome.err instanceof Error)) failures.push({ i, kind, what, problem: `threw a non-Error: ${String(outcome.err)}` });
    else if (!outcome.err.message.startsWith(fn)) failures.push({ i, kind, what, problem: `message does not start with '${fn}': ${outcome.err.message}` });
  }
  const tensors = nt.memory().numTensors;
  process.stdout.write(`${JSON.stringify({ seed, calls, counts, failures, tensors })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
