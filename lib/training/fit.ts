/**
 * fit.ts — the JS side of fit(): validates options, prepares validation data, wires callbacks,
 * progress output and AbortSignal, then runs the native epoch loop (binding/trainer.cc) and turns
 * its events into callback calls and a History.
 */
import { native, type ModelHandle, type NativeLossFn } from '../binding';
import { invalidType } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { CallbackStates, ResumedTraining, TrainingProgress } from '../io/checkpoint';
import type { Tensor } from '../tensor/tensor';
import { type Callback, History, type Logs, type TrainableModel } from './callbacks';
import { collectCallbackStates, restoreCallbackStates } from './callback_state';
import type { Dataset } from '../data/dataset';
import type { ModelData } from '../models/model';
import type { Converted } from './inputs';
import { routeEvents } from './events';
import { ProgressLogger, REDRAW_MS } from './progress';
import { isSecondaryRank, shardSize } from '../distributed/rank';
import { LR_SCHEDULER_RULE, type LrSchedulerSpec } from './schedulers';

/** Options of `model.fit`. */
export interface FitOptions {
  /** Epochs to train (default 1; counted from initialEpoch). */
  epochs?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Fraction of the samples (the last ones, before shuffling) held out for validation. */
  validationSplit?: number;
  /** Explicit validation data [x, y] or a Dataset (takes precedence over validationSplit). */
  validationData?: [ModelData, ModelData] | Dataset;
  /** Reshuffle the training samples every epoch (default true). */
  shuffle?: boolean;
  /** Loss weight per class index, e.g. { 0: 1, 1: 5 }. */
  classWeight?: Record<number, number>;
  /** Epoch to start counting from (resuming). */
  initialEpoch?: number;
  /** Batches per epoch (default: all). */
  stepsPerEpoch?: number;
  /** Called at train, epoch and batch boundaries (see `nt.callbacks`). */
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar on a TTY (plain lines otherwise), 2 one line per epoch (default 1). */
  verbose?: 0 | 1 | 2;
  /** Stops training after the current batch when aborted; fit still resolves with the History. */
  signal?: AbortSignal;
  /** A native learning-rate schedule; overrides the one given to compile(). */
  lrScheduler?: LrSchedulerSpec;
  /**
   * A checkpoint directory (`model.saveCheckpoint`, `modelCheckpoint({ dir })`) to continue from:
   * loads its weights, optimizer state, schedule position, RNG states and the state of the
   * callbacks (earlyStopping, reduceLROnPlateau, modelCheckpoint: give the same ones again);
   * initialEpoch defaults to the epoch after the saved one. With the same data and seed, the
   * result equals an uninterrupted run.
   */
  resumeFrom?: string;
}

export const FIT_OPTIONS = defineOptions<FitOptions>({
  epochs: rule.int({ min: 1 }),
  batchSize: rule.int({ min: 1 }),
  validationSplit: rule.number({ min: 0, max: 1, gt: true, lt: true }),
  // validationData, classWeight and callbacks are checked where they are used below
  validationData: rule.any(),
  shuffle: rule.boolean(),
  classWeight: rule.any(),
  initialEpoch: rule.int({ min: 0 }),
  stepsPerEpoch: rule.int({ min: 1 }),
  callbacks: rule.any(),
  verbose: rule.int({ min: 0, max: 2 }),
  signal: rule.instance(AbortSignal),
  lrScheduler: LR_SCHEDULER_RULE,
  // checked by runFit (a non-empty path)
  resumeFrom: rule.any(),
});

/** What fit needs from the model. */
export interface FitContext {
  model: TrainableModel & { evaluate?: unknown };
  handle: ModelHandle;
  lrScheduler: LrSchedulerSpec | undefined;
  customLoss: NativeLossFn | undefined;
  classWeight(conv: Converted, cw: Record<number, number> | undefined): Tensor | undefined;
  prepare(conv: Converted, x: ModelData, y: ModelData): [Tensor[], Tensor[]];
  /** Loads a checkpoint directory into the model (see resumeFrom). */
  resume(dir: string): Promise<ResumedTraining>;
  /** Called after each completed epoch, before the callbacks (checkpoints record it). */
  recordProgress(progress: TrainingProgress): void;
}

/** A Dataset (nt.data), recognized without importing the class (no cycle). */
function isDataset(v: unknown): v is Dataset {
  return v !== null && typeof v === 'object' && typeof (v as Dataset).nativeHandle === 'function' && typeof (v as Dataset).batches === 'function';
}

/** What fit trains on: tensors (one per model input/output), or a dataset pipeline. */
export type FitData = { x: Tensor[]; y: Tensor[] } | { dataset: Dataset };

export async function runFit(ctx: FitContext, data: FitData, options: FitOptions, conv: Converted): Promise<History> {
  checkOptions('fit', FIT_OPTIONS, options);
  // The model is reserved natively before any side effect that would disturb a running fit
  // (stopTraining, callbacks, loading a checkpoint to resume from): a second fit is refused here.
  native.modelBeginFit(ctx.handle);
  const reservation = { handedOver: false };
  try {
    return await fitReserved(ctx, data, options, conv, reservation);
  } finally {
    if (!reservation.handedOver) native.modelEndFit(ctx.handle);
  }
}

/** fit() on a reserved model; the reservation passes to the native fit once it has started. */
async function fitReserved(ctx: FitContext, data: FitData, options: FitOptions, conv: Converted, reservation: { handedOver: boolean }): Promise<History> {
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  const givenInitialEpoch = options.initialEpoch;
  if (options.resumeFrom !== undefined && (typeof options.resumeFrom !== 'string' || options.resumeFrom.length === 0)) {
    throw invalidType('fit', 'resumeFrom', 'a checkpoint directory path', options.resumeFrom);
  }
  const verbose = options.verbose ?? 1;
  const callbacks = options.callbacks ?? [];
  if (!Array.isArray(callbacks)) throw invalidType('fit', 'callbacks', 'an array', callbacks);

  let trainX = 'x' in data ? data.x : [];
  let trainY = 'y' in data ? data.y : [];
  let valX: Tensor[] | undefined;
  let valY: Tensor[] | undefined;
  let valDataset: Dataset | undefined;
  if (options.validationData !== undefined) {
    if (isDataset(options.validationData)) {
      valDataset = options.validationData;
    } else {
      if (!Array.isArray(options.validationData) || options.validationData.length !== 2) {
        throw invalidType('fit', 'validationData', '[x, y] or a Dataset', options.validationData);
      }
      [valX, valY] = ctx.prepare(conv, options.validationData[0], options.validationData[1]);
    }
  } else if (options.validationSplit !== undefined) {
    if (!('x' in data)) throw new TypeError('fit: validationSplit needs tensors; pass validationData (a Dataset) when fitting on a Dataset');
    const { x, y } = data;
    const split = options.validationSplit;
    const n = x[0].shape[0];
    const nVal = Math.floor(n * split);
    if (nVal < 1 || nVal >= n) throw new RangeError(`fit: validationSplit ${split} of ${n} samples leaves no training or no validation samples`);
    const rows = (ts: Tensor[], start: number, len: number): Tensor[] => ts.map((t) => conv.own(t.narrow(0, start, len)));
    trainX = rows(x, 0, n - nVal);
    trainY = rows(y, 0, n - nVal);
    valX = rows(x, n - nVal, nVal);
    valY = rows(y, n - nVal, nVal);
  }

  const n = shardSize(ctx.handle, 'dataset' in data ? data.dataset.length : trainX[0].shape[0]);
  let steps = Math.ceil(n / batchSize);
  if (options.stepsPerEpoch !== undefined) steps = Math.min(steps, options.stepsPerEpoch);

  // A data-parallel run speaks through rank 0: the others print nothing and write no files.
  const secondary = isSecondaryRank(ctx.handle);
  const all: Callback[] = secondary ? callbacks.filter((cb) => cb?.rankZeroOnly !== true) : [...callbacks];
  const progress = verbose === 0 || secondary ? undefined : new ProgressLogger(epochs, steps, verbose);
  if (progress) all.push(progress);
  for (const cb of all) {
    if (cb === null || typeof cb !== 'object') throw invalidType('fit', 'callbacks[]', 'a callback object', cb);
    cb.setModel?.(ctx.model);
  }
  // Per-batch logs cost a device sync each: every batch for callbacks that want them, else only
  // as often as the progress bar redraws.
  const userBatchLogs = callbacks.some((cb) => typeof cb.onBatchEnd === 'function');
  const batchLogs = userBatchLogs || Boolean(progress?.wantsBatches);
  const terminateOnNaN = callbacks.some((cb) => cb.terminateOnNaN === true);

  let schedule = options.lrScheduler ?? ctx.lrScheduler;
  if (schedule?.kind === 'oneCycle' && schedule.totalSteps === undefined) {
    schedule = { ...schedule, totalSteps: schedule.interval === 'batch' ? steps * epochs : epochs };
  }

  const resumed = options.resumeFrom === undefined ? undefined : await ctx.resume(options.resumeFrom);
  const initialEpoch = givenInitialEpoch ?? (resumed === undefined ? 0 : resumed.epoch + 1);
  const baseLr = resumed?.baseLr ?? native.modelGetLearningRate(ctx.handle);

  const history = new History({ epochs, batchSize, steps, samples: n, validation: valX !== undefined || valDataset !== undefined });
  ctx.model.stopTraining = false;
  for (const cb of all) await cb.onTrainBegin?.({});
  const callbackStates = (): CallbackStates => collectCallbackStates(all);
  if (resumed !== undefined) {
    restoreCallbackStates(all, resumed.callbackStates);
    ctx.recordProgress({ epoch: resumed.epoch, baseLr: resumed.baseLr, callbackStates });
  }
  // Checkpoint writers run last at epoch ends, so checkpoints hold the other callbacks' new state.
  const epochEndOrder = [...all.filter((cb) => !cb.writesCheckpoints), ...all.filter((cb) => cb.writesCheckpoints)];

  const stop = (): void => native.modelStopFit(ctx.handle);
  options.signal?.addEventListener('abort', stop);
  if (options.signal?.aborted) stop();
  const events = routeEvents({
    callbacks: all,
    stop,
    stopRequested: () => ctx.model.stopTraining || Boolean(options.signal?.aborted),
    epochEnd: async (epoch, logs) => {
      history.record(epoch, logs);
      ctx.recordProgress({ epoch, baseLr, callbackStates });
      for (const cb of epochEndOrder) await cb.onEpochEnd?.(epoch, logs);
    },
  });

  try {
    const running = native.modelFit(
      ctx.handle,
      {
        ...('dataset' in data ? { dataset: data.dataset.nativeHandle() } : { x: trainX.map((t) => t._h), y: trainY.map((t) => t._h) }),
        valX: valX?.map((t) => t._h),
        valY: valY?.map((t) => t._h),
        valDataset: valDataset?.nativeHandle(),
        classWeight: ctx.classWeight(conv, options.classWeight)?._h,
        epochs,
        initialEpoch,
        batchSize,
        stepsPerEpoch: options.stepsPerEpoch,
        shuffle: options.shuffle ?? true,
        batchLogs,
        batchLogsEveryMs: userBatchLogs ? 0 : REDRAW_MS,
        terminateOnNaN,
        lrSchedule: schedule,
        baseLr,
      },
      events.onEvent,
      ctx.customLoss,
    );
    reservation.handedOver = true;
    await running;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  if (events.failure() !== undefined) throw events.failure();
  const last = history.epoch.length > 0 ? Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v[v.length - 1]])) : {};
  for (const cb of all) await cb.onTrainEnd?.(last);
  return history;
}
