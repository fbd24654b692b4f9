/**
 * trainer.ts — `nt.gan`: the GAN trainer. A GanTrainer owns the generator's and the
 * discriminator's optimizers; `train` runs the alternating D/G loop natively on a worker thread
 * (binding/gan_trainer.cc), reporting batch/epoch logs to callbacks and a progress bar, writing
 * fixed-noise sample grids as PNG, and resolving to the history of D/G losses and D(x), D(G(z)).
 * `trainStep` does one iteration synchronously (custom loops, tests); `sample` generates images.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, type GanHandle } from '../binding';
import { checkInt, invalidType, invalidValue } from '../errors';
import { writeFileAtomic } from '../io/atomic_file';
import { imageGridPng } from '../io/png';
import { Dataset } from '../data/dataset';
import { isSecondaryRank, shardSize } from '../distributed/rank';
import { Model } from '../models/model';
import { manualSeed } from '../runtime';
import { randn } from '../tensor/creation';
import { Tensor } from '../tensor/tensor';
import type { Callback, Logs } from '../training/callbacks';
import { History } from '../training/callbacks';
import { adam, OPTIMIZER_RULE, OPTIMIZERS, type OptimizerSpec } from '../training/optimizers';
import { checkOptions, defineOptions, rule } from '../options';
import { routeEvents } from '../training/events';
import { ProgressLogger, REDRAW_MS } from '../training/progress';
import { LR_SCHEDULER_RULE, type LrSchedulerSpec } from '../training/schedulers';
import { LOSS_SCALE_RULE, MIXED_PRECISION_RULE, type LossScaleOptions, type MixedPrecision } from '../amp/policy';

export type GanLoss = 'bce' | 'minimax' | 'hinge';

export interface GanTrainerArgs {
  generator: Model;
  discriminator: Model;
  /**
   * 'bce' (default): BCE-with-logits, non-saturating generator loss -log D(G(z)) (the DCGAN
   * paper's); 'minimax': the original saturating log(1 - D(G(z))); 'hinge': hinge losses.
   */
  loss?: GanLoss;
  /** Generator optimizer (default Adam lr 2e-4, betas [0.5, 0.999], as DCGAN). */
  gOptimizer?: OptimizerSpec | string;
  /** Discriminator optimizer (default as gOptimizer). */
  dOptimizer?: OptimizerSpec | string;
  /** One-sided label smoothing: real targets become 1 - labelSmoothing (default 0). */
  labelSmoothing?: number;
  /** Discriminator steps per generator step, each on its own real batch (default 1). */
  dSteps?: number;
  /** Both networks' forwards and losses under autocast: 'bf16' (CPU or CUDA) or 'fp16' (CUDA); weights stay fp32. */
  mixedPrecision?: MixedPrecision;
  /**
   * Dynamic loss scaling of both losses (on by default for 'fp16'; options as compile's): a D or G
   * step whose gradients hold inf/NaN is skipped, the scale is updated once per iteration and
   * logged as `lossScale`.
   */
  lossScale?: boolean | LossScaleOptions;
}

export interface GanTrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Reshuffle the images every epoch (default true). Incomplete last batches are dropped. */
  shuffle?: boolean;
  /** Generator steps per epoch (default: all the data allows). */
  stepsPerEpoch?: number;
  initialEpoch?: number;
  /** Hooks with onEpochBegin/onBatchEnd/onEpochEnd/onTrainEnd (e.g. nt.callbacks.csvLogger). */
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar on a TTY (plain lines otherwise), 2 one line per epoch (default 1). */
  verbose?: 0 | 1 | 2;
  /** Stops after the current step when aborted; train still resolves with the history. */
  signal?: AbortSignal;
  /** Writes a PNG grid of the fixed-noise samples here every `sampleEvery` epochs (and after the last). */
  samplesDir?: string;
  sampleEvery?: number;
  /** Images in each sample grid (default 64). */
  numSamples?: number;
  /**
   * A learning-rate schedule (`nt.schedulers.*`, stepped per epoch or per generator step) applied
   * to both optimizers, each from its lr when training starts; e.g. `cosineAnnealing` to 0.
   */
  lrScheduler?: LrSchedulerSpec;
  /** Saves both models (generator/ and discriminator/ with model.save) here after every epoch. */
  checkpointDir?: string;
  /**
   * Seeds libtorch's global generator when training starts, so the noise, the shuffling and the
   * fixed samples, and with the same initial weights the whole run, repeat exactly (CPU).
   */
  seed?: number;
}

const TRAINER_OPTIONS = defineOptions<GanTrainerArgs>({
  // checked by the constructor (models)
  generator: rule.any({ required: true }),
  discriminator: rule.any({ required: true }),
  loss: rule.oneOf(['bce', 'minimax', 'hinge']),
  gOptimizer: OPTIMIZER_RULE,
  dOptimizer: OPTIMIZER_RULE,
  labelSmoothing: rule.number({ min: 0, max: 1, lt: true }),
  dSteps: rule.int({ min: 1 }),
  mixedPrecision: MIXED_PRECISION_RULE,
  lossScale: LOSS_SCALE_RULE,
});

const positive = rule.int({ min: 1 });
const TRAIN_OPTIONS = defineOptions<GanTrainOptions>({
  epochs: positive,
  batchSize: positive,
  shuffle: rule.boolean(),
  stepsPerEpoch: positive,
  initialEpoch: rule.int({ min: 0 }),
  // checked where they are used (objects with hooks)
  callbacks: rule.array(rule.any()),
  verbose: rule.int({ min: 0, max: 2 }),
  signal: rule.instance(AbortSignal),
  samplesDir: rule.string(),
  sampleEvery: positive,
  numSamples: positive,
  lrScheduler: LR_SCHEDULER_RULE,
  checkpointDir: rule.string(),
  seed: rule.int({ min: 0 }),
});

/** Options of `nt.gan.train`: the trainer's, the training run's, and the images. */
export type GanTrainArgs = GanTrainerArgs & GanTrainOptions & { images: Tensor | Dataset };

// images are checked by GanTrainer.train (a Tensor or a Dataset)
const GAN_TRAIN_OPTIONS = defineOptions<GanTrainArgs>({ ...TRAINER_OPTIONS, ...TRAIN_OPTIONS, images: rule.any({ required: true }) });

/** Options of `trainStep`. */
export interface TrainStepOptions {
  /** Noise [dSteps, batch, latentDim] used instead of sampling z. */
  noise?: Tensor;
}
const TRAIN_STEP_OPTIONS = defineOptions<TrainStepOptions>({ noise: rule.instance(Tensor) });

/** Options of `nt.gan.sample`. */
export interface SampleOptions {
  /** Seeds libtorch's global generator first, for the same images every time. */
  seed?: number;
}
const SAMPLE_OPTIONS = defineOptions<SampleOptions>({ seed: rule.int({ min: 0 }) });

/** Per-epoch history: dLoss, gLoss, dReal (mean D(x)), dFake (mean D(G(z)) before the D update). */
export class GanHistory extends History {
  /** The sample grid files written, in order. */
  readonly samples: string[] = [];
}

/** A (checked) optimizer option as a spec; default DCGAN's Adam. */
function optimizerSpec(given: OptimizerSpec | string | undefined): OptimizerSpec {
  if (given === undefined) return adam({ lr: 2e-4, betas: [0.5, 0.999] });
  return typeof given === 'string' ? OPTIMIZERS[given]() : given;
}

/** The noise length a generator takes (its single input's size). */
function latentDimOf(op: string, generator: Model): number {
  const shape = generator.inputShape;
  if (shape === undefined || shape.length !== 1) {
    throw new RangeError(`${op}: the generator must take noise vectors [latentDim] (give its first layer an inputShape), got ${shape === undefined ? 'no input shape' : `[${shape.join(', ')}]`}`);
  }
  return shape[0];
}

export class GanTrainer {
  readonly generator: Model;
  readonly discriminator: Model;
  readonly latentDim: number;
  readonly dSteps: number;
  private handle: GanHandle | null;
  private running = false;

  constructor(args: GanTrainerArgs) {
    const op = 'gan.train';
    checkOptions(op, TRAINER_OPTIONS, args);
    if (!(args.generator instanceof Model)) throw invalidType(op, 'generator', 'a model (e.g. nt.builders.dcgan().generator)', args.generator);
    if (!(args.discriminator instanceof Model)) throw invalidType(op, 'discriminator', 'a model', args.discriminator);
    this.generator = args.generator;
    this.discriminator = args.discriminator;
    this.latentDim = latentDimOf(op, this.generator);
    const gHandle = this.generator.nativeHandle(op);
    const dHandle = this.discriminator.nativeHandle(op);
    const imageShape = this.generator.outputShape;
    const dInput = this.discriminator.inputShape;
    if (imageShape !== undefined && dInput !== undefined && imageShape.join() !== dInput.join()) {
      throw new RangeError(`${op}: the generator makes [${imageShape.join(', ')}] images but the discriminator takes [${dInput.join(', ')}]`);
    }
    this.dSteps = args.dSteps ?? 1;
    this.handle = native.ganCreate(gHandle, dHandle, {
      loss: args.loss ?? 'bce',
      labelSmoothing: args.labelSmoothing ?? 0,
      dSteps: this.dSteps,
      latentDim: this.latentDim,
      gOptimizer: optimizerSpec(args.gOptimizer),
      dOptimizer: optimizerSpec(args.dOptimizer),
      mixedPrecision: args.mixedPrecision,
      lossScale: args.lossScale,
    });
  }

  /**
   * One iteration on the calling thread: `dSteps` discriminator steps (one real batch each, an
   * array when dSteps > 1) and a generator step; `noise` [dSteps, batch, latentDim] replaces the
   * sampled z. Returns { dLoss, gLoss, dReal, dFake }.
   */
  trainStep(real: Tensor | Tensor[], options: TrainStepOptions = {}): Logs {
    checkOptions('gan.trainStep', TRAIN_STEP_OPTIONS, options);
    const batches = Array.isArray(real) ? real : [real];
    batches.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw invalidType('gan.trainStep', `real[${i}]`, 'a Tensor [N, C, H, W]', t);
    });
    return native.ganTrainStep(this.requireHandle(), batches.map((t) => t._h), options.noise?._h ?? null);
  }

  /** Trains on images [N, C, H, W] scaled to [-1, 1] (a Tensor, or a Dataset whose transforms produce them), off the event loop. */
  async train(images: Tensor | Dataset, options: GanTrainOptions = {}): Promise<GanHistory> {
    // Refused before any callback runs, so a concurrent call cannot disturb the running one.
    if (this.running) throw new Error('gan.train: the GAN trainer is already training; wait for it to finish');
    this.running = true;
    try {
      return await this.run(images, options);
    } finally {
      this.running = false;
    }
  }

  private async run(images: Tensor | Dataset, options: GanTrainOptions): Promise<GanHistory> {
    const op = 'gan.train';
    if (!(images instanceof Tensor) && !(images instanceof Dataset)) throw invalidType(op, 'images', 'a Tensor [N, C, H, W] scaled to [-1, 1] or a Dataset', images);
    checkOptions(op, TRAIN_OPTIONS, options);
    const want = this.discriminator.inputShape;
    if (images instanceof Tensor && want !== undefined && images.shape.slice(1).join() !== want.join()) {
      throw new RangeError(`${op}: the discriminator takes images [N, ${want.join(', ')}], got [${images.shape.join(', ')}]`);
    }
    // Data-parallel networks (nt.distributed.wrap): each rank trains on its shard; rank 0 alone prints and writes.
    const gHandle = this.generator.nativeHandle(op);
    const secondary = isSecondaryRank(gHandle);
    const count = shardSize(gHandle, images instanceof Tensor ? images.shape[0] : images.length);
    const epochs = options.epochs ?? 1;
    const batchSize = options.batchSize ?? 64;
    const sampleEvery = options.sampleEvery ?? 1;
    const numSamples = options.numSamples ?? 64;
    const verbose = options.verbose ?? 1;
    if (options.seed !== undefined) manualSeed(options.seed);
    let steps = Math.floor(count / batchSize / this.dSteps);
    if (steps < 1) throw new RangeError(`${op}: ${count} images make no full batch of ${batchSize} (× ${this.dSteps} discriminator steps)`);
    if (options.stepsPerEpoch !== undefined) steps = Math.min(steps, options.stepsPerEpoch);
    let schedule = options.lrScheduler;
    if (schedule?.kind === 'oneCycle' && schedule.totalSteps === undefined) {
      schedule = { ...schedule, totalSteps: schedule.interval === 'batch' ? steps * epochs : epochs };
    }
    const callbacks = (options.callbacks ?? []).filter((cb) => !secondary || cb?.rankZeroOnly !== true);
    const batchLogs = callbacks.some((cb) => typeof cb.onBatchEnd === 'function');
    const progress = verbose === 0 || secondary ? undefined : new ProgressLogger(epochs, steps, verbose);
    if (progress !== undefined) callbacks.push(progress);
    const history = new GanHistory({ epochs, batchSize, steps, samples: count });
    const fixedNoise = options.samplesDir === undefined || secondary ? undefined : randn([numSamples, this.latentDim]);
    const handle = this.requireHandle();
    const stop = (): void => native.ganStop(handle);
    options.signal?.addEventListener('abort', stop);
    if (options.signal?.aborted) stop();
    const epochEnd = async (epoch: number, logs: Logs): Promise<void> => {
      history.record(epoch, logs);
      if (fixedNoise !== undefined && options.samplesDir !== undefined && ((epoch + 1) % sampleEvery === 0 || epoch + 1 === epochs)) {
        history.samples.push(await this.writeSamples(fixedNoise, options.samplesDir, epoch));
      }
      if (options.checkpointDir !== undefined) {
        await this.generator.save(path.join(options.checkpointDir, 'generator'));
        await this.discriminator.save(path.join(options.checkpointDir, 'discriminator'));
      }
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
    };
    const events = routeEvents({ callbacks, epochEnd, stop, stopRequested: () => Boolean(options.signal?.aborted) });

    try {
      for (const cb of callbacks) await cb.onTrainBegin?.({});
      await native.ganTrain(
        handle,
        {
          ...(images instanceof Tensor ? { x: images._h } : { dataset: images.nativeHandle() }),
          batchSize,
          shuffle: options.shuffle ?? true,
          epochs,
          initialEpoch: options.initialEpoch ?? 0,
          stepsPerEpoch: steps,
          batchLogs: batchLogs || Boolean(progress?.wantsBatches),
          batchLogsEveryMs: batchLogs ? 0 : REDRAW_MS, // a progress bar alone needs no per-step reads
          ...(schedule === undefined ? {} : { lrSchedule: schedule }),
        },
        events.onEvent,
      );
    } finally {
      options.signal?.removeEventListener('abort', stop);
      fixedNoise?.dispose();
    }
    if (events.failure() !== undefined) throw events.failure();
    const last = history.epoch.length > 0 ? Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v[v.length - 1]])) : {};
    for (const cb of callbacks) await cb.onTrainEnd?.(last);
    return history;
  }

  /** Frees the optimizers (the models stay usable). */
  dispose(): void {
    if (this.handle !== null) native.ganDispose(this.handle);
    this.handle = null;
  }

  private requireHandle(): GanHandle {
    if (this.handle === null) throw new Error('gan: the GAN trainer was disposed');
    return this.handle;
  }

  private async writeSamples(noise: Tensor, dir: string, epoch: number): Promise<string> {
    const images = (await this.generator.predict(noise)) as Tensor;
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      const file = path.join(dir, `samples_epoch_${String(epoch + 1).padStart(3, '0')}.png`);
      await writeFileAtomic('gan.train', file, imageGridPng(images));
      return file;
    } finally {
      images.dispose();
    }
  }
}

/** Trains a GAN: `await nt.gan.train({ generator, discriminator, images, epochs, ... })`. */
export async function train(args: GanTrainArgs): Promise<GanHistory> {
  checkOptions('gan.train', GAN_TRAIN_OPTIONS, args);
  const pick = (keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(args).filter(([k]) => keys.includes(k)));
  const trainer = new GanTrainer(pick(Object.keys(TRAINER_OPTIONS)) as unknown as GanTrainerArgs);
  try {
    return await trainer.train(args.images, pick(Object.keys(TRAIN_OPTIONS)));
  } finally {
    trainer.dispose();
  }
}

/** `n` images from a generator (inference mode), from N(0, 1) noise (seeded when `seed` is given). */
export async function sample(generator: Model, n: number, options: SampleOptions = {}): Promise<Tensor> {
  checkOptions('gan.sample', SAMPLE_OPTIONS, options);
  if (!(generator instanceof Model)) throw invalidType('gan.sample', 'generator', 'a model', generator);
  const count = checkInt('gan.sample', 'n', n);
  if (count < 1) throw invalidValue('gan.sample', 'n', 'a positive integer', n);
  if (options.seed !== undefined) manualSeed(options.seed);
  const noise = randn([count, latentDimOf('gan.sample', generator)]);
  try {
    return (await generator.predict(noise)) as Tensor;
  } finally {
    noise.dispose();
  }
}
