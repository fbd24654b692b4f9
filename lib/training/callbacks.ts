/**
 * callbacks.ts — training callbacks (Keras semantics): the Callback interface, History, and the
 * built-ins earlyStopping, modelCheckpoint, learningRateScheduler, reduceLROnPlateau, csvLogger,
 * terminateOnNaN. They run on the main thread at epoch boundaries while the native loop waits.
 * Stateful callbacks (earlyStopping, reduceLROnPlateau, modelCheckpoint) hand their state to
 * checkpoints and take it back when fit resumes from one.
 */
import * as fs from 'node:fs';
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { Tensor } from '../tensor/tensor';

/** Per-epoch or per-batch values: loss, metrics, val_* and lr. */
export type Logs = Record<string, number>;

/** What callbacks can do with the model they are attached to. */
export interface TrainableModel {
  /** Set to true to end fit after the current epoch. */
  stopTraining: boolean;
  /** Copies of the weights (parameters and buffers), in the model's order; the caller owns them. */
  getWeights(): Tensor[];
  /** Copies `weights` (as from getWeights) into the model. */
  setWeights(weights: readonly Tensor[]): void;
  /** The optimizer's current learning rate. */
  getLearningRate(): number;
  /** Sets the optimizer's learning rate (every parameter group). */
  setLearningRate(lr: number): void;
  /** Writes a resumable checkpoint (modelCheckpoint({ dir })). */
  saveCheckpoint?(dir: string): Promise<void>;
}

/** A callback's part of a checkpoint: numbers (±Infinity and NaN allowed) and tensors. */
export interface CallbackState {
  /** Named numbers (counters, best values so far). */
  values: Record<string, number>;
  /** Tensors (e.g. the best weights so far), saved into the checkpoint's safetensors file. */
  tensors?: Tensor[];
}

/** A training callback; every hook is optional and may return a Promise. */
export interface Callback {
  /** Ask the native loop to stop as soon as a batch loss is NaN or infinite. */
  readonly terminateOnNaN?: boolean;
  /**
   * The callback writes checkpoints: fit runs its onEpochEnd after the other callbacks', so a
   * checkpoint holds their state after that epoch.
   */
  readonly writesCheckpoints?: boolean;
  /** In a data-parallel fit (nt.distributed.wrap), the callback runs on rank 0 only (it writes files). */
  readonly rankZeroOnly?: boolean;
  /**
   * The state a resumed run needs, saved in checkpoints under the callback's class name and its
   * rank among the fit's callbacks of that class. Its tensors stay the callback's.
   */
  state?(): CallbackState;
  /** Takes back a `state()` saved in the checkpoint a fit resumes from (after onTrainBegin); owns its tensors from then on. */
  loadState?(state: CallbackState): void;
  /** Called by fit before training starts, with the model being trained. */
  setModel?(model: TrainableModel): void;
  /** Before the first epoch. */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** Before each epoch (the native loop waits for it). */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After each batch, with its loss and metrics (asked for only when a callback has this hook; the loop does not wait). */
  onBatchEnd?(batch: number, logs: Logs): void;
  /** After each epoch, with its loss, metrics, val_* and lr (the native loop waits for it). */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** After the last epoch, with the last epoch's logs. */
  onTrainEnd?(logs: Logs): void | Promise<void>;
}

/** Per-epoch logs of a fit: `history.history.loss[i]` is the loss of epoch `history.epoch[i]`. */
export class History {
  /** The epochs trained, in order. */
  readonly epoch: number[] = [];
  /** Each log key's values, one per epoch in `epoch`. */
  readonly history: Record<string, number[]> = {};
  /** @param params What the run was given: epochs, batchSize, steps, samples, validation. */
  constructor(readonly params: Record<string, unknown>) {}
  /** Appends an epoch's logs. */
  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

/** Whether a monitored value improves by going down ('min') or up ('max'); 'auto': up for accuracy-like names. */
export type MonitorMode = 'auto' | 'min' | 'max';

/** Compares a monitored value against the best so far (mode 'auto': max for accuracy-like names). */
class Monitor {
  readonly sign: 1 | -1;
  best: number;
  constructor(readonly key: string, mode: MonitorMode, readonly minDelta: number) {
    const max = mode === 'max' || (mode === 'auto' && /acc|precision|recall|auc/i.test(key));
    this.sign = max ? 1 : -1;
    this.best = -Infinity * this.sign;
  }
  value(logs: Logs): number | undefined {
    return logs[this.key];
  }
  improved(v: number): boolean {
    return this.sign * (v - this.best) > this.minDelta;
  }
}

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** The log key watched (default 'val_loss'). */
  monitor?: string;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Whether the monitored value should go down or up (default 'auto'). */
  mode?: MonitorMode;
  /** Stop at once if the monitored value is not better than this. */
  baseline?: number;
  /** Put back the weights of the best epoch when training stops. */
  restoreBestWeights?: boolean;
}

const monitor = rule.string();
const mode = rule.oneOf(['auto', 'min', 'max']);
const epochs = rule.int({ min: 0 });

const EARLY_STOPPING_OPTIONS = defineOptions<EarlyStoppingOptions>({
  monitor,
  minDelta: rule.number(),
  patience: epochs,
  mode,
  baseline: rule.number(),
  restoreBestWeights: rule.boolean(),
});

/** Stops training when the monitored value has stopped improving for `patience` epochs. */
export class EarlyStopping implements Callback {
  private model?: TrainableModel;
  private readonly monitor: Monitor;
  private readonly patience: number;
  private readonly restoreBestWeights: boolean;
  private readonly baseline: number | undefined;
  private wait = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch training was stopped at (-1: not stopped). */
  stoppedEpoch = -1;

  constructor(o: EarlyStoppingOptions = {}) {
    checkOptions('earlyStopping', EARLY_STOPPING_OPTIONS, o);
    this.monitor = new Monitor(o.monitor ?? 'val_loss', o.mode ?? 'auto', Math.abs(o.minDelta ?? 0));
    this.patience = o.patience ?? 0;
    this.restoreBestWeights = Boolean(o.restoreBestWeights);
    this.baseline = o.baseline;
  }
  setModel(model: TrainableModel): void {
    this.model = model;
  }
  onTrainBegin(): void {
    this.wait = 0;
    this.monitor.best = this.baseline ?? -Infinity * this.monitor.sign;
    this.disposeBest();
  }
  onEpochEnd(epoch: number, logs: Logs): void {
    const v = this.monitor.value(logs);
    if (v === undefined || this.model === undefined) return;
    if (this.monitor.improved(v)) {
      this.monitor.best = v;
      this.wait = 0;
      if (this.restoreBestWeights) {
        this.disposeBest();
        this.bestWeights = this.model.getWeights();
      }
      return;
    }
    this.wait += 1;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights !== null) this.model.setWeights(this.bestWeights);
    }
  }
  onTrainEnd(): void {
    this.disposeBest();
  }
  state(): CallbackState {
    return { values: { best: this.monitor.best, wait: this.wait, stoppedEpoch: this.stoppedEpoch }, tensors: this.bestWeights ?? [] };
  }
  loadState(state: CallbackState): void {
    this.monitor.best = state.values.best;
    this.wait = state.values.wait;
    this.stoppedEpoch = state.values.stoppedEpoch;
    this.disposeBest();
    const weights = state.tensors ?? [];
    if (this.restoreBestWeights && weights.length > 0) this.bestWeights = weights;
    else weights.forEach((t) => t.dispose());
  }
  private disposeBest(): void {
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = null;
  }
}

/** Options of {@link modelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** The log key compared with saveBestOnly (default 'val_loss'). */
  monitor?: string;
  /** Whether the monitored value should go down or up (default 'auto'). */
  mode?: MonitorMode;
  /** Only keep a snapshot when the monitored value improves (default false: every epoch). */
  saveBestOnly?: boolean;
  /**
   * Write a resumable checkpoint into this directory (`model.saveCheckpoint`, replaced at each
   * save) instead of keeping a snapshot in memory; `fit({ resumeFrom: dir })` continues from it.
   */
  dir?: string;
  /** Called with the weights each time an in-memory snapshot is taken (e.g. to write them somewhere). */
  onSave?: (weights: readonly Tensor[], epoch: number, logs: Logs) => void | Promise<void>;
}

const MODEL_CHECKPOINT_OPTIONS = defineOptions<ModelCheckpointOptions>({
  monitor,
  mode,
  saveBestOnly: rule.boolean(),
  dir: rule.string(),
  onSave: rule.func(),
});

/**
 * Keeps a snapshot of the weights in memory (`restore()` puts it back), or writes checkpoints into
 * `dir`; then it runs after the other callbacks at each epoch end, so the checkpoint holds their state.
 */
export class ModelCheckpoint implements Callback {
  private model?: TrainableModel;
  private readonly monitor: Monitor;
  private readonly saveBestOnly: boolean;
  private readonly onSave: ModelCheckpointOptions['onSave'];
  private readonly dir: string | undefined;
  readonly writesCheckpoints: boolean;
  readonly rankZeroOnly: boolean;
  /** The in-memory snapshot (null: none taken, or checkpoints go to `dir`). */
  weights: Tensor[] | null = null;
  /** The epoch of the last snapshot or checkpoint (-1: none). */
  savedEpoch = -1;

  constructor(o: ModelCheckpointOptions = {}) {
    checkOptions('modelCheckpoint', MODEL_CHECKPOINT_OPTIONS, o);
    this.monitor = new Monitor(o.monitor ?? 'val_loss', o.mode ?? 'auto', 0);
    this.saveBestOnly = Boolean(o.saveBestOnly);
    this.onSave = o.onSave;
    if (o.dir === '') throw invalidValue('modelCheckpoint', 'dir', 'a directory path', o.dir);
    if (o.dir !== undefined && o.onSave !== undefined) throw new Error('modelCheckpoint: onSave applies to in-memory snapshots; give either dir or onSave');
    this.dir = o.dir;
    this.writesCheckpoints = o.dir !== undefined;
    this.rankZeroOnly = this.writesCheckpoints;
  }
  setModel(model: TrainableModel): void {
    this.model = model;
  }
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.model === undefined) return;
    if (this.saveBestOnly) {
      const v = this.monitor.value(logs);
      if (v === undefined || !this.monitor.improved(v)) return;
      this.monitor.best = v;
    }
    if (this.dir !== undefined) {
      if (this.model.saveCheckpoint === undefined) throw new Error('modelCheckpoint: this model cannot write checkpoints');
      await this.model.saveCheckpoint(this.dir);
      this.savedEpoch = epoch;
      return;
    }
    this.weights?.forEach((t) => t.dispose());
    this.weights = this.model.getWeights();
    this.savedEpoch = epoch;
    await this.onSave?.(this.weights, epoch, logs);
  }
  state(): CallbackState {
    return { values: { best: this.monitor.best, savedEpoch: this.savedEpoch }, tensors: this.weights ?? [] };
  }
  loadState(state: CallbackState): void {
    this.monitor.best = state.values.best;
    this.savedEpoch = state.values.savedEpoch;
    this.weights?.forEach((t) => t.dispose());
    const weights = state.tensors ?? [];
    this.weights = weights.length > 0 ? weights : null;
  }
  /** Loads the snapshot back into the model. */
  restore(): void {
    if (this.model === undefined || this.weights === null) throw new Error('modelCheckpoint: no snapshot has been taken');
    this.model.setWeights(this.weights);
  }
}

/** Sets the learning rate at the start of each epoch from `schedule(epoch, currentLr)`. */
export class LearningRateScheduler implements Callback {
  private model?: TrainableModel;
  constructor(private readonly schedule: (epoch: number, lr: number) => number) {
    if (typeof schedule !== 'function') throw invalidValue('learningRateScheduler', 'schedule', 'a function (epoch, lr) => lr', schedule);
  }
  setModel(model: TrainableModel): void {
    this.model = model;
  }
  onEpochBegin(epoch: number): void {
    if (this.model === undefined) return;
    const lr = this.schedule(epoch, this.model.getLearningRate());
    if (typeof lr !== 'number' || !(lr >= 0)) throw invalidValue('learningRateScheduler', 'schedule(epoch, lr)', 'a non-negative number', lr);
    this.model.setLearningRate(lr);
  }
}

/** Options of {@link reduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** The log key watched (default 'val_loss'). */
  monitor?: string;
  /** What the lr is multiplied by, in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before lowering the lr (default 10). */
  patience?: number;
  /** Whether the monitored value should go down or up (default 'auto'). */
  mode?: MonitorMode;
  /** The least change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after lowering the lr before counting again (default 0). */
  cooldown?: number;
  /** The lr never goes below this (default 0). */
  minLr?: number;
}

const REDUCE_LR_OPTIONS = defineOptions<ReduceLROnPlateauOptions>({
  monitor,
  factor: rule.number({ min: 0, max: 1, gt: true, lt: true }),
  patience: epochs,
  mode,
  minDelta: rule.number({ min: 0 }),
  cooldown: epochs,
  minLr: rule.number({ min: 0 }),
});

/** Multiplies the learning rate by `factor` when the monitored value stops improving. */
export class ReduceLROnPlateau implements Callback {
  private model?: TrainableModel;
  private readonly monitor: Monitor;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(o: ReduceLROnPlateauOptions = {}) {
    checkOptions('reduceLROnPlateau', REDUCE_LR_OPTIONS, o);
    this.factor = o.factor ?? 0.1;
    this.monitor = new Monitor(o.monitor ?? 'val_loss', o.mode ?? 'auto', o.minDelta ?? 1e-4);
    this.patience = o.patience ?? 10;
    this.cooldown = o.cooldown ?? 0;
    this.minLr = o.minLr ?? 0;
  }
  setModel(model: TrainableModel): void {
    this.model = model;
  }
  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownLeft = 0;
    this.monitor.best = -Infinity * this.monitor.sign;
  }
  onEpochEnd(_epoch: number, logs: Logs): void {
    const v = this.monitor.value(logs);
    if (v === undefined || this.model === undefined) return;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.wait = 0;
    }
    if (this.monitor.improved(v)) {
      this.monitor.best = v;
      this.wait = 0;
    } else if (this.cooldownLeft === 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const lr = this.model.getLearningRate();
        const next = Math.max(lr * this.factor, this.minLr);
        if (next < lr) this.model.setLearningRate(next);
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
  state(): CallbackState {
    return { values: { best: this.monitor.best, wait: this.wait, cooldownLeft: this.cooldownLeft } };
  }
  loadState(state: CallbackState): void {
    this.monitor.best = state.values.best;
    this.wait = state.values.wait;
    this.cooldownLeft = state.values.cooldownLeft;
    state.tensors?.forEach((t) => t.dispose());
  }
}

/** Options of {@link csvLogger}. */
export interface CsvLoggerOptions {
  /** The CSV file written. */
  filename: string;
  /** Between columns (default ','). */
  separator?: string;
  /** Append to an existing file instead of replacing it (default false). */
  append?: boolean;
}

const CSV_LOGGER_OPTIONS = defineOptions<CsvLoggerOptions>({ filename: rule.string({ required: true }), separator: rule.string(), append: rule.boolean() });

/** Writes one CSV row per epoch (epoch, then the log keys in order). */
export class CsvLogger implements Callback {
  readonly rankZeroOnly = true;
  private keys: string[] | null = null;
  constructor(private readonly o: CsvLoggerOptions) {
    checkOptions('csvLogger', CSV_LOGGER_OPTIONS, o);
  }
  onTrainBegin(): void {
    this.keys = null;
    if (!this.o.append) fs.writeFileSync(this.o.filename, '');
  }
  onEpochEnd(epoch: number, logs: Logs): void {
    const sep = this.o.separator ?? ',';
    if (this.keys === null) {
      this.keys = Object.keys(logs);
      const exists = this.o.append && fs.existsSync(this.o.filename) && fs.statSync(this.o.filename).size > 0;
      if (!exists) fs.appendFileSync(this.o.filename, ['epoch', ...this.keys].join(sep) + '\n');
    }
    fs.appendFileSync(this.o.filename, [epoch, ...this.keys.map((k) => logs[k])].join(sep) + '\n');
  }
}

/** Stops training as soon as a batch loss is NaN or infinite (checked natively after each batch). */
export class TerminateOnNaN implements Callback {
  readonly terminateOnNaN = true;
}

/** Stops training when the monitored value stops improving (see {@link EarlyStopping}). */
export const earlyStopping = (o?: EarlyStoppingOptions): EarlyStopping => new EarlyStopping(o);
/** Keeps weight snapshots in memory, or writes resumable checkpoints into `dir` (see {@link ModelCheckpoint}). */
export const modelCheckpoint = (o?: ModelCheckpointOptions): ModelCheckpoint => new ModelCheckpoint(o);
/** Sets the lr at each epoch start from `schedule(epoch, currentLr)`. */
export const learningRateScheduler = (schedule: (epoch: number, lr: number) => number): LearningRateScheduler =>
  new LearningRateScheduler(schedule);
/** Lowers the lr when the monitored value stops improving (see {@link ReduceLROnPlateau}). */
export const reduceLROnPlateau = (o?: ReduceLROnPlateauOptions): ReduceLROnPlateau => new ReduceLROnPlateau(o);
/** Writes one CSV row per epoch. */
export const csvLogger = (o: CsvLoggerOptions): CsvLogger => new CsvLogger(o);
/** Stops training at the first NaN or infinite batch loss. */
export const terminateOnNaN = (): TerminateOnNaN => new TerminateOnNaN();
