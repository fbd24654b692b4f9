/**
 * gan.test.ts — DCGAN builders (layout, parameter counts and outputs against the PyTorch DCGAN,
 * init statistics), the native GAN trainer (one iteration equals PyTorch's for each loss; epochs
 * off the event loop with logs, sample grids, checkpoints and AbortSignal; losses move on
 * generated data; epoch logs the exact means of the step logs), nt.gan.sample, the PNG writer,
 * and bad calls.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { PY_PRELUDE } from './helpers/safetensors_py';
import { expectTensorClose, LIBTORCH2, PYTHON, refValue, torchReference, type RefResult, type RefValue } from './helpers/torch';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-gan-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string): string => path.join(tmp, name);
const PY_DCGAN = `exec(open(${JSON.stringify(path.join(__dirname, 'helpers', 'dcgan_ref.py'))}).read())`;
const pyLoad = (net: string, weights: string): string => `sd, _ = read_safetensors(${JSON.stringify(weights)})\n${net}.load_state_dict(sd, strict=True)`;

/** Images of bright squares at random places on a dark background, in [-1, 1]. */
function squares(n: number, size: number): nt.Tensor {
  return nt.tidy(() => {
    const data = new Float32Array(n * size * size).fill(-1);
    for (let i = 0; i < n; i++) {
      const x0 = Math.floor(Math.random() * (size - 8));
      const y0 = Math.floor(Math.random() * (size - 8));
      for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) data[(i * size + y) * size + x] = 1;
    }
    return nt.tensor(data, { shape: [n, 1, size, size] });
  });
}

describe('DCGAN builders', () => {
  const sizes = [
    { imageSize: 28 as const, channels: 1 },
    { imageSize: 32 as const, channels: 3 },
    { imageSize: 64 as const, channels: 3 },
  ];
  const outputs: { g: nt.Tensor; d: nt.Tensor; z: nt.Tensor; x: nt.Tensor; counts: [number, number] }[] = [];
  let refs: RefResult[] = [];

  beforeAll(async () => {
    nt.manualSeed(1);
    for (const [i, s] of sizes.entries()) {
      const { generator, discriminator } = nt.builders.dcgan({ ...s, ngf: 8, ndf: 8, latentDim: 16 });
      const z = nt.randn([2, 16]);
      const x = nt.randn([2, s.channels, s.imageSize, s.imageSize]);
      outputs.push({
        g: generator.predictSync(z),
        d: discriminator.predictSync(x),
        z,
        x,
        counts: [generator.countParams(), discriminator.countParams()],
      });
      await generator.saveWeights(file(`g${i}.safetensors`));
      await discriminator.saveWeights(file(`d${i}.safetensors`));
    }
    refs = torchReference(
      sizes.map((s, i) => ({
        inputs: { z: outputs[i].z, x: outputs[i].x },
        code: [
          PY_PRELUDE,
          PY_DCGAN,
          `g = generator(${s.imageSize}, ${s.channels}, 16, 8)`,
          `d = discriminator(${s.imageSize}, ${s.channels}, 8)`,
          pyLoad('g', file(`g${i}.safetensors`)),
          pyLoad('d', file(`d${i}.safetensors`)),
          'g.eval(); d.eval()',
          `out = [g(z), d(x), param_count(g), param_count(d), param_count(generator(${s.imageSize}, ${s.channels})), param_count(discriminator(${s.imageSize}, ${s.channels}))]`,
        ].join('\n'),
      })),
    );
  }, 120_000);

  sizes.forEach((s, i) => {
    it(`${s.imageSize}×${s.imageSize}×${s.channels}: same parameter counts and outputs as the PyTorch DCGAN with the same weights`, () => {
      const [g, d, gCount, dCount, gFull, dFull] = refValue(refs[i]) as [RefValue, RefValue, number, number, number, number];
      expect(outputs[i].counts).toEqual([gCount, dCount]);
      expect(outputs[i].g.shape).toEqual([2, s.channels, s.imageSize, s.imageSize]);
      expect(outputs[i].d.shape).toEqual([2, 1]);
      expectTensorClose(outputs[i].g, g, { rtol: 1e-4, atol: 1e-5 });
      expectTensorClose(outputs[i].d, d, { rtol: 1e-4, atol: 1e-5 });
      const full = nt.builders.dcgan(s);
      expect([full.generator.countParams(), full.discriminator.countParams()]).toEqual([gFull, dFull]);
      full.generator.dispose();
      full.discriminator.dispose();
    });
  });

  it('the 64×64 generator and discriminator have the reference DCGAN parameter counts (3,576,704 and 2,765,568)', () => {
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 64, channels: 3 });
    expect(generator.countParams()).toBe(3_576_704);
    expect(discriminator.countParams()).toBe(2_765_568);
  });

  it('init: conv weights N(0, 0.02), batch-norm γ ~ N(1, 0.02), β = 0', () => {
    nt.manualSeed(2);
    const { generator } = nt.builders.dcgan({ imageSize: 64, channels: 3 });
    const names = generator.weightNames();
    const weights = generator.getWeights();
    const conv = weights[names.indexOf('1.weight')];
    expect(conv.mean().item()).toBeCloseTo(0, 3);
    expect(conv.std().item()).toBeCloseTo(0.02, 3);
    const gamma = weights[names.indexOf('2.weight')];
    expect(gamma.mean().item()).toBeCloseTo(1, 2);
    expect(gamma.std().item()).toBeGreaterThan(0.01);
    expect(gamma.std().item()).toBeLessThan(0.03);
    expect(weights[names.indexOf('2.bias')].abs().max().item()).toBe(0);
  });

  it('bad calls name the builder', () => {
    expect(() => nt.builders.dcgan({ imageSize: 48 as 64, channels: 3 })).toThrow(/builders\.dcgan.*imageSize.*28, 32 or 64/);
    expect(() => nt.builders.dcgan({ imageSize: 64, channels: 0 })).toThrow(/builders\.dcgan.*channels/);
    expect(() => nt.builders.dcgan({ imageSize: 28, channels: 1, latentDim: 2.5 })).toThrow(/builders\.dcgan.*latentDim/);
  });
});

describe('GAN trainer', () => {
  const cases = [
    { name: 'bce (non-saturating)', loss: 'bce' as const, labelSmoothing: 0, py: "loss='bce'" },
    { name: 'bce with one-sided label smoothing 0.1', loss: 'bce' as const, labelSmoothing: 0.1, py: "loss='bce', real_label=0.9" },
    { name: 'minimax', loss: 'minimax' as const, labelSmoothing: 0, py: "loss='minimax'" },
    { name: 'hinge', loss: 'hinge' as const, labelSmoothing: 0, py: "loss='hinge'" },
  ];
  const results: { logs: nt.Logs; g: nt.Tensor[]; d: nt.Tensor[]; gNames: string[]; dNames: string[]; real: nt.Tensor; noise: nt.Tensor }[] = [];
  let refs: RefResult[] = [];

  beforeAll(async () => {
    for (const [i, c] of cases.entries()) {
      nt.manualSeed(10 + i);
      const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 12 });
      await generator.saveWeights(file(`step_g${i}.safetensors`));
      await discriminator.saveWeights(file(`step_d${i}.safetensors`));
      const trainer = new nt.gan.GanTrainer({ generator, discriminator, loss: c.loss, labelSmoothing: c.labelSmoothing });
      const real = squares(6, 28);
      const noise = nt.randn([1, 6, 12]);
      const logs = trainer.trainStep(real, { noise });
      results.push({ logs, g: generator.getWeights(), d: discriminator.getWeights(), gNames: generator.weightNames(), dNames: discriminator.weightNames(), real, noise });
      trainer.dispose();
    }
    refs = torchReference(
      cases.map((c, i) => ({
        inputs: { real: results[i].real, noise: results[i].noise.select(0, 0) },
        code: [
          PY_PRELUDE,
          PY_DCGAN,
          'g = generator(28, 1, 12, 8)',
          'd = discriminator(28, 1, 8)',
          pyLoad('g', file(`step_g${i}.safetensors`)),
          pyLoad('d', file(`step_d${i}.safetensors`)),
          `stats = gan_step(g, d, real, noise, ${c.py})`,
          `gs, ds = g.state_dict(), d.state_dict()`,
          `out = [stats, [gs[k] for k in ${JSON.stringify(results[i].gNames)}], [ds[k] for k in ${JSON.stringify(results[i].dNames)}]]`,
        ].join('\n'),
      })),
    );
  }, 120_000);

  cases.forEach((c, i) => {
    it(`one iteration (${c.name}) equals the PyTorch DCGAN step: losses, D(x), D(G(z)) and every weight of G and D`, () => {
      const [stats, g, d] = refValue(refs[i]) as [RefValue[], RefValue[], RefValue[]];
      const { logs } = results[i];
      const mine = nt.tensor([logs.dLoss, logs.gLoss, logs.dReal, logs.dFake]);
      expectTensorClose(mine, { tensor: true, shape: [4], dtype: 'float32', data: stats.map((s) => (s as { data: number[] }).data[0]) }, { rtol: 1e-4, atol: 1e-6 });
      // libtorch 2.x rounds differently from Python 1.13's kernels, and Adam's first step
      // (lr·m/(√v + ε), lr 2e-4) turns last-bit differences of a gradient near ε into ~1% of lr.
      const weights = LIBTORCH2 ? { rtol: 1e-4, atol: 1e-5 } : { rtol: 1e-4, atol: 1e-6 };
      results[i].g.forEach((w, k) => expectTensorClose(w, g[k], weights));
      results[i].d.forEach((w, k) => expectTensorClose(w, d[k], weights));
    });
  });

  it('train(): epochs off the event loop; losses move, logs reach callbacks, grids and checkpoints are written', async () => {
    nt.manualSeed(4);
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 16 });
    const images = squares(256, 28);
    const batches: nt.Logs[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const history = await nt.gan.train({
      generator,
      discriminator,
      images,
      epochs: 3,
      batchSize: 32,
      verbose: 0,
      samplesDir: file('samples'),
      numSamples: 16,
      sampleEvery: 2,
      checkpointDir: file('gan_ckpt'),
      callbacks: [{ onBatchEnd: (_b, logs) => void batches.push(logs) }, nt.callbacks.csvLogger({ filename: file('gan.csv') })],
    });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(history.history).sort()).toEqual(['dFake', 'dLoss', 'dReal', 'gLoss']);
    expect(batches.length).toBe(3 * 8);
    const d = history.history.dLoss;
    expect(new Set(d).size).toBe(3);
    expect(d.every(Number.isFinite)).toBe(true);
    expect(history.history.dReal.at(-1)).toBeGreaterThan(history.history.dFake.at(-1) as number);
    const csv = fs.readFileSync(file('gan.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,dLoss,gLoss,dReal,dFake');
    expect(csv.slice(1).map((line) => Number(line.split(',')[1]))).toEqual(d);
    expect(history.samples.map((s) => path.basename(s))).toEqual(['samples_epoch_002.png', 'samples_epoch_003.png']);
    const png = fs.readFileSync(history.samples[0]);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([4 * 30 + 2, 4 * 30 + 2]);
    const reloaded = await nt.loadModel(file('gan_ckpt/generator'));
    const z = nt.randn([3, 16]);
    expect((reloaded.predictSync(z) as nt.Tensor).sub(generator.predictSync(z)).abs().max().item()).toBe(0);

    const samples = await nt.gan.sample(generator, 5, { seed: 3 });
    const again = await nt.gan.sample(generator, 5, { seed: 3 });
    expect(samples.shape).toEqual([5, 1, 28, 28]);
    expect(samples.eq(again).all().item()).toBe(true);
    expect(samples.abs().max().item()).toBeLessThanOrEqual(1);
  });

  it('train({ seed }) repeats a run exactly from the same initial weights', async () => {
    const runs: { history: Record<string, number[]>; weights: nt.Tensor[] }[] = [];
    nt.manualSeed(5);
    const initial = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
    const images = squares(64, 28);
    for (let r = 0; r < 2; r++) {
      const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
      generator.setWeights(initial.generator.getWeights());
      discriminator.setWeights(initial.discriminator.getWeights());
      nt.manualSeed(100 + r); // differs between runs: the seed option must override it
      const history = await nt.gan.train({ generator, discriminator, images, epochs: 2, batchSize: 16, verbose: 0, seed: 42 });
      runs.push({ history: history.history, weights: generator.getWeights() });
    }
    expect(runs[1].history).toEqual(runs[0].history);
    runs[0].weights.forEach((w, k) => expect(runs[1].weights[k].eq(w).all().item()).toBe(true));
  });

  it('epoch logs are the exact means of the step logs; reading the step logs (a device sync each) changes nothing', async () => {
    nt.manualSeed(7);
    const arch = { imageSize: 28 as const, channels: 1, ngf: 8, ndf: 8, latentDim: 8 };
    const initial = nt.builders.dcgan(arch);
    const images = squares(96, 28);
    const run = async (withStepLogs: boolean): Promise<{ history: Record<string, number[]>; steps: nt.Logs[] }> => {
      const { generator, discriminator } = nt.builders.dcgan(arch);
      generator.setWeights(initial.generator.getWeights());
      discriminator.setWeights(initial.discriminator.getWeights());
      const steps: nt.Logs[] = [];
      const callbacks = withStepLogs ? [{ onBatchEnd: (_b: number, logs: nt.Logs) => void steps.push(logs) }] : [];
      const history = await nt.gan.train({ generator, discriminator, images, epochs: 2, batchSize: 16, verbose: 0, seed: 9, callbacks });
      return { history: history.history, steps };
    };
    const logged = await run(true);
    expect(logged.steps.length).toBe(2 * 6);
    for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake']) {
      for (let e = 0; e < 2; e++) {
        let sum = 0;
        for (const step of logged.steps.slice(e * 6, e * 6 + 6)) sum += step[key];
        expect(logged.history[key][e], `${key}, epoch ${e}`).toBe(sum / 6);
      }
    }
    expect((await run(false)).history).toEqual(logged.history);
  });

  it('lrScheduler steps both optimizers per epoch or per generator step', async () => {
    nt.manualSeed(6);
    const initial = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
    const images = squares(64, 28); // 4 steps per epoch at batch 16
    const paramsAfter = async (options: nt.gan.GanTrainOptions): Promise<nt.Tensor[]> => {
      const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
      generator.setWeights(initial.generator.getWeights());
      discriminator.setWeights(initial.discriminator.getWeights());
      await nt.gan.train({ generator, discriminator, images, batchSize: 16, verbose: 0, seed: 9, ...options });
      const params = (m: nt.Model): nt.Tensor[] => m.getWeights().filter((_, k) => !/running_|num_batches/.test(m.weightNames()[k]));
      return [...params(generator), ...params(discriminator)];
    };
    const same = (a: nt.Tensor[], b: nt.Tensor[]): boolean => a.every((w, k) => w.eq(b[k]).all().item() === true);
    const twoSteps = await paramsAfter({ epochs: 1, stepsPerEpoch: 2 });
    const zeroAfterTwoSteps = await paramsAfter({ epochs: 1, lrScheduler: nt.schedulers.stepLR({ stepSize: 2, gamma: 0, interval: 'batch' }) });
    const oneEpoch = await paramsAfter({ epochs: 1 });
    const zeroAfterOneEpoch = await paramsAfter({ epochs: 3, lrScheduler: nt.schedulers.stepLR({ stepSize: 1, gamma: 0 }) });
    expect(same(twoSteps, oneEpoch)).toBe(false);
    expect(same(zeroAfterTwoSteps, twoSteps)).toBe(true);
    expect(same(zeroAfterOneEpoch, oneEpoch)).toBe(true);
  });

  it('an AbortSignal stops after the current step; a second train while one runs is refused', async () => {
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
    const trainer = new nt.gan.GanTrainer({ generator, discriminator, dSteps: 2 });
    const images = squares(128, 28);
    const controller = new AbortController();
    let steps = 0;
    const running = trainer.train(images, {
      epochs: 50,
      batchSize: 16,
      verbose: 0,
      signal: controller.signal,
      callbacks: [{ onBatchEnd: () => (++steps === 3 ? controller.abort() : undefined) }],
    });
    await expect(trainer.train(images, { verbose: 0 })).rejects.toThrow(/gan\.train: the GAN trainer is already training/);
    await expect(discriminator.fit(images, nt.zeros([128, 1]), { verbose: 0 })).rejects.toThrow(/fit|compiled/);
    const history = await running;
    expect(history.epoch.length).toBeLessThan(50);
    expect(steps).toBeLessThan(3 + 8);
    expect(() => trainer.trainStep(images.narrow(0, 0, 16))).toThrow(/needs 2 real batch\(es\)/);
    expect(trainer.trainStep([images.narrow(0, 0, 16), images.narrow(0, 16, 16)]).dLoss).toBeGreaterThan(0);
    trainer.dispose();
    expect(() => trainer.trainStep(images)).toThrow(/disposed/);
  });

  it('bad calls give clear errors', async () => {
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
    const other = nt.builders.dcgan({ imageSize: 32, channels: 3, ngf: 8, ndf: 8, latentDim: 8 });
    expect(() => new nt.gan.GanTrainer({ generator: {} as nt.Model, discriminator })).toThrow(/gan\.train: generator must be a model/);
    expect(() => new nt.gan.GanTrainer({ generator, discriminator: other.discriminator })).toThrow(/makes \[1, 28, 28\] images but the discriminator takes \[3, 32, 32\]/);
    expect(() => new nt.gan.GanTrainer({ generator, discriminator, loss: 'wasserstein' as 'bce' })).toThrow(/^gan\.train: loss must be one of 'bce', 'minimax', 'hinge'/);
    expect(() => new nt.gan.GanTrainer({ generator, discriminator, labelSmoothing: 1 })).toThrow(/labelSmoothing/);
    expect(() => new nt.gan.GanTrainer({ generator, discriminator, gOptimizer: 'lbfgs' })).toThrow(/gOptimizer/);
    expect(() => new nt.gan.GanTrainer({ generator: discriminator, discriminator })).toThrow(/noise vectors/);
    const trainer = new nt.gan.GanTrainer({ generator, discriminator });
    await expect(trainer.train(nt.zeros([8, 3, 28, 28]))).rejects.toThrow(/takes images \[N, 1, 28, 28\], got \[8, 3, 28, 28\]/);
    await expect(trainer.train(nt.zeros([8, 1, 28, 28]), { batchSize: 16 })).rejects.toThrow(/8 images make no full batch of 16/);
    expect(() => trainer.trainStep(nt.zeros([4, 1, 28, 28]), { noise: nt.zeros([1, 4, 9]) })).toThrow(/^gan\.trainStep: layer '0' \(reshape\): shape '\[4, 8, 1, 1\]' is invalid for input of size 36/);
    trainer.dispose();
  });
});

describe('PNG writer', () => {
  it('encodePng round-trips through an independent decoder (Python zlib) for gray, RGB and RGBA', () => {
    for (const channels of [1, 3, 4] as const) {
      const width = 5;
      const height = 3;
      const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) % 256);
      const target = file(`raw${channels}.png`);
      fs.writeFileSync(target, nt.io.encodePng({ data, width, height, channels }));
      const script = [
        'import struct, sys, zlib',
        'raw = open(sys.argv[1], "rb").read()',
        'assert raw[:8] == b"\\x89PNG\\r\\n\\x1a\\n"',
        'pos, idat, ihdr = 8, b"", None',
        'while pos < len(raw):',
        '    n, kind = struct.unpack(">I4s", raw[pos:pos + 8]); body = raw[pos + 8:pos + 8 + n]',
        '    assert struct.unpack(">I", raw[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)',
        '    ihdr = body if kind == b"IHDR" else ihdr; idat += body if kind == b"IDAT" else b""; pos += 12 + n',
        'w, h, depth, color = struct.unpack(">IIBB", ihdr[:10])',
        'rows = zlib.decompress(idat); stride = len(rows) // h',
        'print(w, h, depth, color, list(b for r in range(h) for b in rows[r * stride + 1:(r + 1) * stride]))',
      ].join('\n');
      const out = execFileSync(PYTHON, ['-c', script, target], { encoding: 'utf8' }).trim();
      expect(out).toBe(`${width} ${height} 8 ${channels === 1 ? 0 : channels === 3 ? 2 : 6} [${Array.from(data).join(', ')}]`);
    }
  });

  it('imageGridPng tiles [N, C, H, W] images with padding and maps the range to 0..255; bad input is refused', () => {
    const images = nt.tensor(Float32Array.from([-1, 1, 0, 0.5]), { shape: [4, 1, 1, 1] });
    const png = nt.io.imageGridPng(images, { nrow: 2, padding: 1, padValue: 7 });
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([5, 5]);
    expect(() => nt.io.imageGridPng(nt.zeros([2, 2, 4, 4]))).toThrow(/imageGridPng: expected images \[N, 1 \| 3, H, W\]/);
    expect(() => nt.io.encodePng({ data: new Uint8Array(3), width: 2, height: 2, channels: 1 })).toThrow(/need 4 bytes, got 3/);
  });
});

const hasCuda = nt.cuda.isAvailable();
describe(`GAN trainer on CUDA${hasCuda ? '' : ' (skipped: CUDA is absent on this machine)'}`, () => {
  it.skipIf(!hasCuda)('one iteration on cuda equals the same iteration on cpu; train and sample run there', async () => {
    nt.manualSeed(7);
    const cpu = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 12 });
    const gpu = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 12 });
    gpu.generator.setWeights(cpu.generator.getWeights());
    gpu.discriminator.setWeights(cpu.discriminator.getWeights());
    gpu.generator.to('cuda');
    gpu.discriminator.to('cuda');
    const real = squares(6, 28);
    const noise = nt.randn([1, 6, 12]);
    const onCpu = new nt.gan.GanTrainer(cpu).trainStep(real, { noise });
    const gpuTrainer = new nt.gan.GanTrainer(gpu);
    const onGpu = gpuTrainer.trainStep(real, { noise });
    for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake']) expect(onGpu[key]).toBeCloseTo(onCpu[key], 4);
    const gpuWeights = gpu.generator.getWeights();
    cpu.generator.getWeights().forEach((w, k) => expect(gpuWeights[k].cpu().sub(w).abs().max().item()).toBeLessThan(1e-4));
    const history = await gpuTrainer.train(squares(64, 28), { epochs: 1, batchSize: 16, verbose: 0 });
    expect(history.history.dLoss.every(Number.isFinite)).toBe(true);
    const samples = await nt.gan.sample(gpu.generator, 4, { seed: 1 });
    expect(samples.shape).toEqual([4, 1, 28, 28]);
    expect(nt.io.imageGridPng(samples).subarray(1, 4).toString()).toBe('PNG');
    gpuTrainer.dispose();
  });
});
