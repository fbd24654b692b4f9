/**
 * mixed_precision.test.ts — mixed precision (issue 13): nt.amp.autocast against torch.autocast
 * (per-op dtypes and values, and the reference CNN's bf16 forward with identical weights), bf16
 * training of the reference CNN on Fashion-MNIST against fp32, the loss scaler's skip/back-off and
 * growth paths with injected inf/NaN gradients (compile, nt.amp.GradScaler), the GAN trainer with
 * mixedPrecision, checkpoints keeping the scaler's state, and bad options. fp16 needs CUDA
 * (tested where present).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectTensorClose, LIBTORCH2, refValue, torchReference, type RefTensor } from './helpers/torch';

const FASHION = '/usr/share/datasets/fashion-mnist';
const hasCuda = nt.cuda.isAvailable();

/** The largest absolute difference between two tensors (as fp32). */
function maxDiff(a: nt.Tensor, b: nt.Tensor): number {
  return nt.tidy(() => a.float().sub(b.float()).abs().max().item() as number);
}

/** The reference CNN (nt.builders.cnn) in PyTorch: the same module names, so the same state dict. */
const PY_CNN = `
import torch.nn as nn
net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(32), nn.MaxPool2d(2),
                    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10), nn.Softmax(dim=1))
`;

describe('nt.amp.autocast against torch.autocast (CPU, bf16)', () => {
  it('runs each op in the precision of autocast’s lists, with the same values', () => {
    nt.manualSeed(1);
    const a = nt.randn([8, 16]);
    const b = nt.randn([16, 4]);
    const img = nt.randn([2, 3, 8, 8]);
    const k = nt.randn([5, 3, 3, 3]);
    const t = nt.randint(0, 4, [8]);
    const cases: { name: string; run: () => nt.Tensor; py: string }[] = [
      { name: 'matmul', run: () => a.matmul(b), py: 'a @ b' },
      { name: 'conv2d', run: () => nt.nn.functional.conv2d(img, k, null, { padding: 1 }), py: 'F.conv2d(img, k, padding=1)' },
      { name: 'relu of a matmul', run: () => a.matmul(b).relu(), py: '(a @ b).relu()' },
      { name: 'add of fp32 and a matmul', run: () => a.matmul(b).add(b.sum(0)), py: '(a @ b) + b.sum(0)' },
      { name: 'logSoftmax of a matmul', run: () => a.matmul(b).logSoftmax(1), py: '(a @ b).log_softmax(1)' },
      { name: 'crossEntropy of a matmul', run: () => nt.nn.functional.crossEntropy(a.matmul(b), t), py: 'F.cross_entropy(a @ b, t)' },
      { name: 'mseLoss of a matmul', run: () => nt.nn.functional.mseLoss(a.matmul(b), b.sum(0).expand([8, 4])), py: 'F.mse_loss(a @ b, b.sum(0).expand(8, 4))' },
    ];
    const got = cases.map((c) => nt.amp.autocast(c.run));
    const refs = torchReference(
      cases.map((c) => ({ inputs: { a, b, img, k, t }, code: `with torch.autocast('cpu', dtype=torch.bfloat16):\n    out = ${c.py}` })),
    );
    cases.forEach((c, i) => {
      const ref = refValue(refs[i]) as RefTensor;
      expect(`${c.name}: ${got[i].dtype}`).toBe(`${c.name}: ${ref.dtype}`);
      // (libtorch 2.x's bf16 matmul rounds a few bf16 ulps away from the 1.13 reference)
      const tol = LIBTORCH2 ? 5e-2 : 1e-2;
      expect(() => expectTensorClose(got[i], ref, { rtol: tol, atol: tol }), c.name).not.toThrow();
    });
    expect(got[0].dtype).toBe('bfloat16');
    // outside the region, and after a region whose function threw, ops are fp32 again
    expect(a.matmul(b).dtype).toBe('float32');
    expect(() => nt.amp.autocast(() => { throw new Error('inside'); })).toThrow('inside');
    expect(a.matmul(b).dtype).toBe('float32');
    // nested regions restore the outer one
    const inner = nt.amp.autocast(() => [nt.amp.autocast(() => a.matmul(b)), a.matmul(b)]);
    expect(inner.map((x) => x.dtype)).toEqual(['bfloat16', 'bfloat16']);
  });

  it('the reference CNN’s bf16 forward matches PyTorch’s with identical weights', () => {
    nt.manualSeed(2);
    const model = nt.builders.cnn();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = nt.rand([16, 1, 28, 28]);
    // a few steps so that the weights and batch-norm statistics are not the initial ones
    for (let s = 0; s < 3; s++) model.trainOnBatchSync(x, nt.randint(0, 10, [16]));
    model.eval();
    const full = model.call(x) as nt.Tensor;
    const mixed = nt.amp.autocast(() => model.call(x) as nt.Tensor);
    const names = model.weightNames();
    const weights = Object.fromEntries(model.getWeights().map((w, i) => [`w${i}`, w]));
    const stateDict = `{${names.map((n, i) => `${JSON.stringify(n)}: w${i}`).join(', ')}}`;
    const [ref, refFull] = torchReference(
      [true, false].map((amp) => ({
        inputs: { x, ...weights },
        code: `${PY_CNN}\nnet.load_state_dict(${stateDict})\nnet.eval()\nwith torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=${amp ? 'True' : 'False'}):\n    out = net(x)`,
      })),
    ).map(refValue);
    expectTensorClose(full, refFull, { rtol: 1e-4, atol: 1e-5 });
    expect(mixed.dtype).toBe((ref as RefTensor).dtype);
    // bf16 differs from fp32 by far more than nodetorch's bf16 differs from PyTorch's
    const refMixed = nt.tensor(Float32Array.from((ref as RefTensor).data as number[]), { shape: (ref as RefTensor).shape });
    const vsTorch = maxDiff(mixed, refMixed);
    const vsFull = maxDiff(mixed, full);
    console.log(`reference CNN bf16 forward: max |nodetorch - PyTorch| ${vsTorch.toExponential(2)}, max |bf16 - fp32| ${vsFull.toExponential(2)}`);
    expect(vsFull).toBeGreaterThan(1e-4);
    expect(vsTorch).toBeLessThanOrEqual(LIBTORCH2 ? 2e-2 : 1e-6);
  });

  it('refuses fp16 on the CPU, bad dtypes and Promise-returning functions', () => {
    const a = nt.ones([2, 2]);
    expect(() => nt.amp.autocast(() => a.matmul(a), { dtype: 'fp16' })).toThrow(/amp\.autocast: mixedPrecision 'fp16' needs a CUDA device, not cpu; on the CPU use 'bf16'/);
    expect(() => nt.amp.autocast(() => a, { dtype: 'fp8' as 'bf16' })).toThrow(/amp\.autocast: dtype must be one of 'bf16', 'fp16'/);
    expect(() => nt.amp.autocast(() => a, { dtyp: 'bf16' } as nt.amp.AutocastOptions)).toThrow(/unknown option 'dtyp' \(did you mean 'dtype'\?\)/);
    expect(() => nt.amp.autocast(async () => a)).toThrow(/fn returned a Promise/);
  });
});

describe('compile({ mixedPrecision })', () => {
  it('bf16 training of the reference CNN on Fashion-MNIST reaches fp32’s accuracy within 1 point', async () => {
    const TRAIN = 6000;
    const TEST = 5000;
    const images = nt.data.readIdx(`${FASHION}/train-images-idx3-ubyte.gz`);
    const labels = nt.data.readIdx(`${FASHION}/train-labels-idx1-ubyte.gz`);
    const testImages = nt.data.readIdx(`${FASHION}/t10k-images-idx3-ubyte.gz`);
    const testLabels = nt.data.readIdx(`${FASHION}/t10k-labels-idx1-ubyte.gz`);
    const x = images.narrow(0, 0, TRAIN).float().div(255).unsqueeze(1);
    const y = labels.narrow(0, 0, TRAIN);
    const tx = testImages.narrow(0, 0, TEST).float().div(255).unsqueeze(1);
    const ty = testLabels.narrow(0, 0, TEST);
    nt.manualSeed(0);
    const init = nt.builders.cnn().getWeights();
    const accuracy: Record<string, number> = {};
    for (const precision of [undefined, 'bf16'] as const) {
      const model = nt.builders.cnn();
      model.setWeights(init);
      model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], mixedPrecision: precision });
      nt.manualSeed(1);
      const history = await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
      expect(history.history.loss.every(Number.isFinite)).toBe(true);
      accuracy[precision ?? 'fp32'] = (await model.evaluate(tx, ty, { batchSize: 500 })).accuracy;
      // master weights stay fp32
      expect(new Set(model.getWeights().map((w) => w.dtype))).toEqual(new Set(['float32', 'int64']));
      model.dispose();
    }
    console.log(`Fashion-MNIST reference CNN, 1 epoch of ${TRAIN} images: test accuracy fp32 ${accuracy.fp32.toFixed(4)}, bf16 ${accuracy.bf16.toFixed(4)}`);
    expect(accuracy.fp32).toBeGreaterThan(0.75);
    expect(accuracy.bf16).toBeGreaterThanOrEqual(accuracy.fp32 - 0.01);
  }, 180_000);

  it('refuses fp16 on the CPU when training, and bad options at compile', async () => {
    const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 2 })] });
    const x = nt.randn([4, 4]);
    const y = nt.randn([4, 2]);
    model.compile({ optimizer: 'sgd', loss: 'mse', mixedPrecision: 'fp16' });
    expect(() => model.trainOnBatchSync(x, y)).toThrow(/trainOnBatch\w*: mixedPrecision 'fp16' needs a CUDA device, not cpu/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', mixedPrecision: 'fp8' as 'bf16' })).toThrow(/compile: mixedPrecision must be one of 'bf16', 'fp16', got string 'fp8'/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', lossScale: { initScale: 0 } })).toThrow(RangeError);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', lossScale: { backoffFactor: 1 } })).toThrow(/lossScale\.backoffFactor/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', lossScale: { growth_interval: 5 } as nt.amp.LossScaleOptions })).toThrow(/unknown option 'lossScale\.growth_interval'/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'mse', lossScale: 2 as unknown as boolean })).toThrow(/lossScale must be a boolean or/);
    model.compile({ optimizer: 'sgd', loss: 'mse', mixedPrecision: 'bf16', lossScale: true });
    expect(model.getCompileConfig()).toMatchObject({ mixedPrecision: 'bf16', lossScale: true });
    expect(Number.isFinite(model.trainOnBatchSync(x, y).loss)).toBe(true);
    model.compile({ optimizer: 'sgd', loss: 'mse', mixedPrecision: 'fp16' });
    await expect(model.fit(x, y, { verbose: 0 })).rejects.toThrow(/fit: mixedPrecision 'fp16' needs a CUDA device, not cpu/);
  });
});

describe('the loss scaler (injected inf/NaN gradients)', () => {
  /**
   * A linear model with a custom MSE loss multiplied by `inject.value` (1 normally), or by
   * Infinity in its call number `inject.at`.
   */
  function setup(lossScale: boolean | nt.amp.LossScaleOptions, clipNorm?: number) {
    const inject = { value: 1, calls: 0, at: -1 };
    const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 3 })] });
    model.compile({
      optimizer: nt.optimizers.sgd({ lr: 0.1, clipNorm }),
      loss: (yTrue: nt.Tensor, yPred: nt.Tensor) => yPred.sub(yTrue).square().mean().mul(inject.calls++ === inject.at ? Infinity : inject.value),
      lossScale,
    });
    return { model, inject };
  }

  it('skips steps whose gradients hold inf/NaN and backs off; grows after growthInterval good steps', () => {
    nt.manualSeed(3);
    const x = nt.randn([8, 4]);
    const y = nt.randn([8, 3]);
    const { model, inject } = setup({ initScale: 1024, growthInterval: 2 });
    const scales: number[] = [];
    const step = (value: number): boolean => {
      inject.value = value;
      const before = model.getWeights();
      const logs = model.trainOnBatchSync(x, y);
      scales.push(logs.lossScale);
      return model.getWeights().some((w, i) => maxDiff(w, before[i]) > 0);
    };
    expect(step(1)).toBe(true); // good 1
    expect(step(Infinity)).toBe(false); // inf: skipped, 1024 → 512
    expect(step(1)).toBe(true); // good 1
    expect(step(1)).toBe(true); // good 2: 512 → 1024
    expect(step(NaN)).toBe(false); // NaN: skipped, 1024 → 512
    expect(scales).toEqual([1024, 512, 512, 1024, 512]);
  });

  it('unscales before clipping: a scaled step equals the unscaled step, with and without clipNorm', () => {
    nt.manualSeed(4);
    const x = nt.randn([8, 4]);
    const y = nt.randn([8, 3]).mul(10);
    for (const clipNorm of [undefined, 0.05]) {
      const plain = setup(false, clipNorm).model;
      const scaled = setup({ initScale: 2 ** 20 }, clipNorm).model;
      scaled.setWeights(plain.getWeights());
      plain.trainOnBatchSync(x, y);
      expect(scaled.trainOnBatchSync(x, y).lossScale).toBe(2 ** 20);
      const want = plain.getWeights();
      scaled.getWeights().forEach((w, i) => expect(maxDiff(w, want[i])).toBeLessThan(1e-6));
    }
  });

  it('fit logs the scale per batch and per epoch', async () => {
    nt.manualSeed(5);
    const { model, inject } = setup({ initScale: 256, backoffFactor: 0.25 });
    const batches: nt.Logs[] = [];
    inject.at = 1;
    const history = await model.fit(nt.randn([32, 4]), nt.randn([32, 3]), {
      epochs: 2,
      batchSize: 8,
      shuffle: false,
      verbose: 0,
      callbacks: [{ onBatchEnd: (_i: number, logs: nt.Logs) => void batches.push(logs) }],
    });
    expect(batches.map((l) => l.lossScale)).toEqual([256, 64, 64, 64, 64, 64, 64, 64]);
    expect(history.history.lossScale).toEqual([64, 64]);
  });

  it('a checkpoint keeps the scale and its count of good steps; fit({ resumeFrom }) restores both', async () => {
    nt.manualSeed(6);
    const x = nt.randn([8, 4]);
    const y = nt.randn([8, 3]);
    const options = { initScale: 8, growthInterval: 2 };
    const first = setup(options).model;
    const scales = Array.from({ length: 5 }, () => first.trainOnBatchSync(x, y).lossScale);
    expect(scales).toEqual([8, 16, 16, 32, 32]); // and one good step towards the next growth
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-amp-ckpt-'));
    try {
      await first.saveCheckpoint(dir);
      const fitOnce = async (model: nt.Model, resumeFrom?: string): Promise<number[]> =>
        (await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, resumeFrom })).history.lossScale;
      // Restored: 32 with one good step, so the next good step grows it; a fresh model starts at 8.
      expect(await fitOnce(setup(options).model, dir)).toEqual([64]);
      expect(await fitOnce(setup(options).model)).toEqual([8]);
      // A model compiled without a scaler ignores the saved state.
      const plain = setup(false).model;
      expect((await plain.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, resumeFrom: dir })).history.lossScale).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nt.amp.GradScaler in a custom loop over nt.optim', () => {
    const w = nt.tensor([1, 2, 3], { requiresGrad: true });
    const opt = nt.optim.sgd([w], { lr: 0.5 });
    const scaler = new nt.amp.GradScaler({ initScale: 8, growthInterval: 2 });
    const iteration = (factor: number): boolean => {
      opt.zeroGrad();
      const loss = nt.tidy(() => w.square().sum().mul(factor));
      scaler.scale(loss).backward();
      const stepped = scaler.step(opt);
      scaler.update();
      return stepped;
    };
    expect(iteration(1)).toBe(true);
    expect(w.arraySync()).toEqual([0, 0, 0]); // w - 0.5 * 2w: the gradient was unscaled
    expect(scaler.getScale()).toBe(8);
    expect(iteration(Infinity)).toBe(false);
    expect(w.arraySync()).toEqual([0, 0, 0]);
    expect(scaler.getScale()).toBe(4);
    expect(iteration(1)).toBe(true);
    expect(iteration(1)).toBe(true);
    expect(scaler.getScale()).toBe(8);
    // unscale once per optimizer per step; update needs a step
    opt.zeroGrad();
    scaler.scale(w.sum()).backward();
    scaler.unscale(opt);
    expect(() => scaler.unscale(opt)).toThrow(/already called for this optimizer/);
    expect(scaler.step(opt)).toBe(true);
    scaler.update();
    expect(() => scaler.update()).toThrow(/no step\(\) or unscale\(\)/);
    expect(() => new nt.amp.GradScaler({ growthFactor: 1 })).toThrow(/amp\.GradScaler: growthFactor must be a finite number > 1/);
  });
});

describe('GAN trainer with mixedPrecision', () => {
  /** Images of bright squares on a dark background, in [-1, 1]. */
  function squares(n: number): nt.Tensor {
    return nt.tidy(() => nt.rand([n, 1, 28, 28]).lt(0.1).float().mul(2).sub(1));
  }

  it('bf16 trainStep and train run, stay finite and log the loss scale', async () => {
    nt.manualSeed(6);
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 16 });
    const trainer = new nt.gan.GanTrainer({ generator, discriminator, mixedPrecision: 'bf16', lossScale: { initScale: 1024, growthInterval: 3 } });
    const logs = [0, 1, 2].map(() => trainer.trainStep(squares(16)));
    for (const l of logs) for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake']) expect(Number.isFinite(l[key])).toBe(true);
    expect(logs.map((l) => l.lossScale)).toEqual([1024, 1024, 2048]);
    const history = await trainer.train(squares(128), { epochs: 2, batchSize: 32, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['dFake', 'dLoss', 'dReal', 'gLoss', 'lossScale']);
    for (const values of Object.values(history.history)) expect(values.every(Number.isFinite)).toBe(true);
    expect(new Set(generator.getWeights().map((w) => w.dtype))).toEqual(new Set(['float32', 'int64']));
    trainer.dispose();
  });

  it('refuses fp16 on the CPU and bad options', () => {
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 16 });
    const trainer = new nt.gan.GanTrainer({ generator, discriminator, mixedPrecision: 'fp16' });
    expect(() => trainer.trainStep(squares(4))).toThrow(/gan\.trainStep: mixedPrecision 'fp16' needs a CUDA device, not cpu/);
    trainer.dispose();
    expect(() => new nt.gan.GanTrainer({ generator, discriminator, mixedPrecision: 'half' as 'fp16' })).toThrow(/gan\.train: mixedPrecision must be one of/);
  });
});

describe(`mixed precision on CUDA${hasCuda ? '' : ' (skipped: CUDA is absent on this machine)'}`, () => {
  it.skipIf(!hasCuda)('fp16 training with the default loss scaler and fp16 autocast', async () => {
    nt.manualSeed(7);
    const a = nt.randn([8, 16]).to('cuda');
    expect(nt.amp.autocast(() => a.matmul(a.t()), { device: 'cuda' }).dtype).toBe('float16');
    const model = nt.builders.cnn().to('cuda');
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', mixedPrecision: 'fp16' });
    const history = await model.fit(nt.rand([64, 1, 28, 28]), nt.randint(0, 10, [64]), { epochs: 2, batchSize: 16, verbose: 0 });
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(history.history.lossScale.every((s) => s > 0 && s <= 65536)).toBe(true);
    expect(new Set(model.getWeights().map((w) => w.dtype))).toEqual(new Set(['float32', 'int64']));
  });
});
