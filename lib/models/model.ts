/**
 * model.ts — the Model base class shared by Sequential and functional models: one native graph
 * built from the layers (see graph_plan.ts), compile/fit/evaluate/predict/trainOnBatch run
 * natively (fit on a worker thread), weights, summary, save/load and TorchScript export.
 * Subclasses only say how their layers become a graph and how they serialize.
 */
import { native, type Handle, type ModelHandle, type NativeLossFn } from '../binding';
import { invalidType, invalidValue } from '../errors';
import { tensor } from '../tensor/creation';
import { checkDevice, type Device } from '../tensor/device';
import { Tensor } from '../tensor/tensor';
import type { History, Logs, TrainableModel } from '../training/callbacks';
import { Dataset } from '../data/dataset';
import { runFit, type FitContext, type FitOptions } from '../training/fit';
import { Converted, inputDtype, labelDtype, type InputData } from '../training/inputs';
import { fusesWith, nativeLoss, resolveLoss, type LossFunction, type LossSpec } from '../training/losses';
import { resolveMetrics, type MetricSpec } from '../training/metrics';
import { OPTIMIZERS, type OptimizerSpec } from '../training/optimizers';
import type { LrSchedulerSpec } from '../training/schedulers';
import { formatSummary } from './summary';
import type { GraphPlan } from './graph_plan';
import { saveModel, type ModelJson } from '../io/save_model';
import { loadCheckpoint, saveCheckpoint, type TrainingProgress } from '../io/checkpoint';
import { checkFilePath, loadModelWeights, saveModelWeights, withSnapshot, type LoadWeightsOptions, type WeightsReport } from '../io/weights';
import { exportGraph } from '../io/jit_export';
import { checkOptions } from '../options';
import { BATCH_OPTIONS, COMPILE_OPTIONS, TRAIN_ON_BATCH_OPTIONS } from './method_options';
import { isSecondaryRank } from '../distributed/rank';
import type { LossScaleOptions, MixedPrecision } from '../amp/policy';

export interface CompileArgs {
  /** `nt.optimizers.adam({ lr })`, or a name with default options ('adam', 'sgd', ...). */
  optimizer: OptimizerSpec | string;
  /**
   * A loss name ('sparseCategoricalCrossentropy', 'mse', ...), `nt.losses.*()`, or a function
   * `(yTrue, yPred) => scalar Tensor` written with the Tensor API (called once per batch from the
   * native loop; slower than the built-in losses). Models with several outputs take one loss for
   * all or an array with one per output; the training loss is their (weighted) sum.
   */
  loss: LossSpec | string | LossFunction | (LossSpec | string)[];
  /** Weight of each output's loss (models with several outputs; default 1 each). */
  lossWeights?: number[];
  /** 'accuracy', 'topK', 'mse', 'mae', 'precision', 'recall' or `nt.metrics.*()` (computed for every output). */
  metrics?: (string | MetricSpec)[];
  /** A native learning-rate schedule (`nt.schedulers.*`), stepped per epoch or per batch. */
  lrScheduler?: LrSchedulerSpec;
  /**
   * Mixed-precision training: the forward and the loss run under autocast in 'bf16' (CPU or CUDA)
   * or 'fp16' (CUDA only), the weights stay fp32, and outputs reach the loss and metrics as fp32.
   * predict/evaluate are unaffected (wrap model.call in `nt.amp.autocast` for that).
   */
  mixedPrecision?: MixedPrecision;
  /**
   * Dynamic loss scaling (as torch.cuda.amp.GradScaler): on by default for 'fp16', off otherwise;
   * `true` or options turn it on, `false` off. Steps whose gradients hold inf/NaN are skipped and
   * the current scale is logged as `lossScale`.
   */
  lossScale?: boolean | LossScaleOptions;
}

/** What compile() was given, in serializable form (`model.getCompileConfig()`, saved in model.json). */
export interface CompileConfig {
  optimizer: OptimizerSpec;
  /** The built-in loss (one per output for models with several); null for a custom JS loss. */
  loss: LossSpec | LossSpec[] | null;
  lossWeights?: number[];
  metrics: MetricSpec[];
  lrScheduler?: LrSchedulerSpec;
  mixedPrecision?: MixedPrecision;
  lossScale?: boolean | LossScaleOptions;
}

/** What compile() resolved, kept for the native trainer. */
export interface CompiledState {
  /** The built-in loss per output, or (for a custom loss) a stand-in used to pick metric forms. */
  losses: LossSpec[];
  lossWeights?: number[];
  customLoss?: NativeLossFn;
  metrics: MetricSpec[];
  optimizer: OptimizerSpec;
  lrScheduler?: LrSchedulerSpec;
  mixedPrecision?: MixedPrecision;
  lossScale?: boolean | LossScaleOptions;
}

/**
 * Data for a model with several inputs (or outputs): an array with one entry per input, or an
 * object keyed by input name. Models with one input take the data itself.
 */
export type ModelData = InputData | InputData[] | Record<string, InputData>;

/** The serialized topology of a model (`getConfig()`). */
export interface ModelConfig {
  className: string;
  config: { name: string; [key: string]: unknown };
}

export abstract class Model implements TrainableModel {
  readonly name: string;
  /** Set by callbacks (or you) to stop fit() after the current epoch. */
  stopTraining = false;
  private handle: ModelHandle | null = null;
  private planned: GraphPlan | null = null;
  private compiledState: CompiledState | null = null;
  private deviceName: Device = 'cpu';
  /** compile() called before the input shape was known: applied at build. */
  private pendingCompile: CompileArgs | null = null;
  /** The last epoch fit() completed and its schedule's base lr (saved in checkpoints); null before any. */
  private progress: TrainingProgress | null = null;

  constructor(name: string) {
    this.name = name;
  }

  /** The native graph for the given input sample shapes (Sequential may learn them from the first data). */
  protected abstract planGraph(inputShapes: number[][] | undefined): GraphPlan;
  /** Input sample shapes known before any data is seen, if any. */
  protected abstract declaredInputShapes(): number[][] | undefined;
  /** Serializable topology; the class's fromConfig rebuilds an equal model. */
  abstract getConfig(): ModelConfig;

  get built(): boolean {
    return this.handle !== null;
  }
  get compiled(): boolean {
    return this.compiledState !== null;
  }
  /** Sample shape of the (first) input, once known. */
  get inputShape(): number[] | undefined {
    return this.planned?.inputs[0].shape ?? this.declaredInputShapes()?.[0];
  }
  /** Sample shape of the (first) output, once built. */
  get outputShape(): number[] | undefined {
    return this.planned?.outputs[0].shape;
  }
  /** Input names and sample shapes (after build). */
  get inputs(): { name: string; shape: number[] }[] {
    return (this.planned?.inputs ?? []).map(({ name, shape }) => ({ name, shape: [...shape] }));
  }
  /** Output names and sample shapes (after build). */
  get outputs(): { name: string; shape: number[] }[] {
    return (this.planned?.outputs ?? []).map(({ name, shape }) => ({ name, shape: [...shape] }));
  }
  get device(): Device {
    return this.deviceName;
  }

  /** Builds the native graph (Sequential: for a sample shape, default the first layer's inputShape). */
  build(inputShape?: readonly number[]): void {
    if (this.handle !== null) return;
    const shapes = inputShape !== undefined ? [[...inputShape]] : this.declaredInputShapes();
    const plan = this.planGraph(shapes);
    this.handle = native.modelCreate(plan.graph);
    this.planned = plan;
    if (this.deviceName !== 'cpu') native.modelTo(this.handle, this.deviceName);
    if (this.pendingCompile !== null) this.applyCompile(this.pendingCompile);
  }

  /** Configures training: optimizer, loss, metrics (and an optional LR schedule). */
  compile(args: CompileArgs): void {
    checkOptions('compile', COMPILE_OPTIONS, args);
    const optimizer = typeof args.optimizer === 'string' ? OPTIMIZERS[args.optimizer]?.() : args.optimizer;
    if (optimizer === undefined || typeof optimizer !== 'object' || typeof optimizer.kind !== 'string') {
      throw invalidValue('compile', 'optimizer', `an optimizer name (${Object.keys(OPTIMIZERS).join(', ')}) or nt.optimizers.*()`, args.optimizer);
    }
    for (const loss of lossList(args.loss)) resolveMetrics(args.metrics, lossForMetrics(loss));
    if (args.lossWeights !== undefined && (!Array.isArray(args.lossWeights) || args.lossWeights.some((w) => typeof w !== 'number' || !(w >= 0)))) {
      throw invalidValue('compile', 'lossWeights', 'an array of non-negative numbers (one per output)', args.lossWeights);
    }
    const resolved = { ...args, optimizer };
    if (this.handle === null && this.declaredInputShapes() !== undefined) this.build();
    if (this.handle === null) this.pendingCompile = resolved;
    else this.applyCompile(resolved);
  }

  private applyCompile(args: CompileArgs): void {
    const handle = this.requireHandle('compile');
    const outputs = (this.planned as GraphPlan).outputs;
    const custom = typeof args.loss === 'function' ? nativeLoss(args.loss) : undefined;
    if (custom !== undefined && outputs.length !== 1) throw new Error(`compile: a custom JS loss needs a model with one output, '${this.name}' has ${outputs.length}`);
    const given = lossList(args.loss);
    if (given.length !== 1 && given.length !== outputs.length) {
      throw new RangeError(`compile: give one loss, or one per output (${outputs.length}), got ${given.length}`);
    }
    if (args.lossWeights !== undefined && args.lossWeights.length !== outputs.length) {
      throw new RangeError(`compile: lossWeights needs one weight per output (${outputs.length}), got ${args.lossWeights.length}`);
    }
    const losses = outputs.map((_, k) => lossForMetrics(given.length === 1 ? given[0] : given[k]));
    const metrics = resolveMetrics(args.metrics, losses[0]);
    const fuse = outputs.map((o, k) => custom === undefined && fusesWith(losses[k], o.finalKind, o.shape.length));
    const optimizer = args.optimizer as OptimizerSpec;
    native.modelCompile(handle, {
      optimizer,
      loss: losses.map((loss, k) => ({ ...loss, fromLogits: Boolean(loss.fromLogits) || fuse[k] })),
      lossWeights: args.lossWeights,
      customLoss: custom !== undefined,
      metrics,
      fuse,
      outputNames: outputs.map((o) => o.name),
      clipNorm: optimizer.clipNorm,
      clipValue: optimizer.clipValue,
      mixedPrecision: args.mixedPrecision,
      lossScale: args.lossScale,
    });
    this.compiledState = {
      losses,
      lossWeights: args.lossWeights,
      customLoss: custom,
      metrics,
      optimizer,
      lrScheduler: args.lrScheduler,
      mixedPrecision: args.mixedPrecision,
      lossScale: args.lossScale,
    };
    this.pendingCompile = null;
  }

  /** Moves the model's weights (and where it computes) to a device (refused while async work on the model is in flight). */
  to(device: Device): this {
    const checked = checkDevice('to', device);
    if (this.handle !== null) native.modelTo(this.handle, checked);
    this.deviceName = checked;
    return this;
  }

  /**
   * Trains for `epochs` on (x, y) off the event loop; resolves to the History. Options as Keras:
   * batchSize, epochs, validationSplit / validationData, shuffle, classWeight, initialEpoch,
   * stepsPerEpoch, callbacks, verbose, and `signal` (AbortSignal) to stop after the current batch.
   */
  async fit(x: ModelData, y: ModelData, options?: FitOptions): Promise<History>;
  /** Trains on a Dataset (nt.data): its batches are prepared natively on a background thread. */
  async fit(dataset: Dataset, options?: FitOptions): Promise<History>;
  async fit(x: ModelData | Dataset, y?: ModelData | FitOptions, options: FitOptions = {}): Promise<History> {
    const conv = new Converted();
    try {
      if (x instanceof Dataset) {
        this.requireDatasetReady('fit');
        return await runFit(this.fitContext(), { dataset: x }, (y as FitOptions | undefined) ?? {}, conv);
      }
      const [xt, yt] = this.prepare('fit', conv, x, y as ModelData);
      return await runFit(this.fitContext(), { x: xt, y: yt }, options, conv);
    } finally {
      conv.dispose();
    }
  }

  /** Loss and metrics on (x, y), batched, off the event loop. */
  async evaluate(x: ModelData, y: ModelData, options?: { batchSize?: number }): Promise<Logs>;
  async evaluate(dataset: Dataset, options?: { batchSize?: number }): Promise<Logs>;
  async evaluate(x: ModelData | Dataset, y?: ModelData | { batchSize?: number }, options: { batchSize?: number } = {}): Promise<Logs> {
    checkOptions('evaluate', BATCH_OPTIONS, x instanceof Dataset ? y : options);
    if (x instanceof Dataset) {
      this.requireDatasetReady('evaluate');
      const batchSize = (y as { batchSize?: number } | undefined)?.batchSize ?? 32;
      return native.modelEvaluate(this.requireCompiled('evaluate'), x.nativeHandle(), [], batchSize, this.compiledState?.customLoss);
    }
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('evaluate', conv, x, y as ModelData);
      return await native.modelEvaluate(this.requireCompiled('evaluate'), handles(xt), handles(yt), options.batchSize ?? 32, this.compiledState?.customLoss);
    } finally {
      conv.dispose();
    }
  }

  /** Model outputs for x (inference mode, no grad), batched, off the event loop; an array for several outputs. */
  async predict(x: ModelData | Dataset, options: { batchSize?: number } = {}): Promise<Tensor | Tensor[]> {
    checkOptions('predict', BATCH_OPTIONS, options);
    if (x instanceof Dataset) {
      this.requireDatasetReady('predict');
      return wrapOutputs(await native.modelPredict(this.requireHandle('predict'), x.nativeHandle(), options.batchSize ?? 32));
    }
    const conv = new Converted();
    try {
      const xt = this.prepareX('predict', conv, x);
      return wrapOutputs(await native.modelPredict(this.requireHandle('predict'), handles(xt), options.batchSize ?? 32));
    } finally {
      conv.dispose();
    }
  }

  /** predict() on the calling thread, in one batch (for scripts); throws at once while a training step holds the model. */
  predictSync(x: ModelData): Tensor | Tensor[] {
    const conv = new Converted();
    try {
      const xt = this.prepareX('predict', conv, x);
      return wrapOutputs(native.modelPredictSync(this.requireHandle('predict'), handles(xt)));
    } finally {
      conv.dispose();
    }
  }

  /** One optimizer step on a batch; resolves to its loss and metrics. */
  async trainOnBatch(x: ModelData, y: ModelData, options: { classWeight?: Record<number, number> } = {}): Promise<Logs> {
    checkOptions('trainOnBatch', TRAIN_ON_BATCH_OPTIONS, options);
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('trainOnBatch', conv, x, y);
      const cw = this.classWeightTensor('trainOnBatch', conv, options.classWeight);
      return await native.modelTrainOnBatch(this.requireCompiled('trainOnBatch'), handles(xt), handles(yt), cw?._h ?? null, this.compiledState?.customLoss);
    } finally {
      conv.dispose();
    }
  }

  /** trainOnBatch() on the calling thread. */
  trainOnBatchSync(x: ModelData, y: ModelData, options: { classWeight?: Record<number, number> } = {}): Logs {
    checkOptions('trainOnBatch', TRAIN_ON_BATCH_OPTIONS, options);
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('trainOnBatch', conv, x, y);
      const cw = this.classWeightTensor('trainOnBatch', conv, options.classWeight);
      return native.modelTrainOnBatchSync(this.requireCompiled('trainOnBatch'), handles(xt), handles(yt), cw?._h ?? null, this.compiledState?.customLoss);
    } finally {
      conv.dispose();
    }
  }

  /** Forward with autograd in the current mode (see train()/eval()), like calling a PyTorch module. */
  call(x: Tensor | Tensor[]): Tensor | Tensor[] {
    const xs = Array.isArray(x) ? x : [x];
    xs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw invalidType('call', Array.isArray(x) ? `x[${i}]` : 'x', 'a Tensor', t);
    });
    this.ensureBuilt('call', xs);
    return wrapOutputs(native.modelCall(this.requireHandle('call'), handles(xs)));
  }
  /** Training mode for call(): dropout active, batch norm uses batch statistics. */
  train(training = true): this {
    native.modelSetTraining(this.builtHandle('train'), training);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** PyTorch state_dict names of the weights, in getWeights() order (parameters, then buffers). */
  weightNames(): string[] {
    return this.stateEntries('weightNames').map(([name, h]) => {
      native.dispose(h);
      return name;
    });
  }
  /**
   * Copies of every weight (parameters, then buffers such as batch-norm running statistics),
   * taken together. Throws at once, without waiting, while a training step or a weight load holds
   * the model (docs/concurrency.md): call it from fit's epoch callbacks, or after awaiting.
   */
  getWeights(): Tensor[] {
    return native.modelStateDict(this.builtHandle('getWeights'), 'getWeights', true).map(([, h]) => new Tensor(h));
  }
  /** Sets every weight, in getWeights() order; shapes must match. Throws at once while the model is busy (see getWeights). */
  setWeights(weights: readonly Tensor[]): void {
    const names = this.stateEntries('setWeights').map(([name, h]) => {
      native.dispose(h);
      return name;
    });
    if (!Array.isArray(weights) || weights.length !== names.length) {
      throw invalidValue('setWeights', 'weights', `an array of ${names.length} tensors (see weightNames())`, weights);
    }
    weights.forEach((w, i) => {
      if (!(w instanceof Tensor)) throw invalidType('setWeights', `weights[${i}]`, 'a Tensor', w);
    });
    native.modelLoadState(this.requireHandle('setWeights'), names, weights.map((w) => w._h), 'setWeights');
  }
  getLearningRate(): number {
    return native.modelGetLearningRate(this.requireCompiled('getLearningRate'));
  }
  setLearningRate(lr: number): void {
    native.modelSetLearningRate(this.requireCompiled('setLearningRate'), lr);
  }

  /** Number of trainable parameters (after build). */
  countParams(): number {
    return this.paramCounts('countParams').reduce((a, b) => a + b, 0);
  }

  /** Keras-style table of layers, output shapes, parameter counts (and connections); printed and returned. */
  summary(print: (line: string) => void = console.log): string {
    this.builtHandle('summary');
    const counts = this.paramCounts('summary');
    const rows = (this.planned as GraphPlan).rows;
    const text = formatSummary(
      this.name,
      rows.map((r, i) => ({ name: r.name, className: r.className, outputShape: r.outputShape, params: counts[i], connectedTo: r.connectedTo })),
    );
    print(text);
    return text;
  }

  /**
   * Writes the model as a TorchScript module (atomically) that Python's `torch.jit.load` runs
   * without nodetorch: submodules carry the weights under the model's state_dict names. Saved in
   * eval mode; compiling and writing run off the event loop.
   */
  async exportTorchScript(path: string): Promise<void> {
    const handle = this.builtHandle('exportTorchScript');
    await exportGraph(handle, (this.planned as GraphPlan).graph, path);
  }

  /** What compile() was given, in serializable form; null before compile. */
  getCompileConfig(): CompileConfig | null {
    const s = this.compiledState;
    if (s === null) return null;
    const loss = s.customLoss !== undefined ? null : s.losses.length === 1 ? s.losses[0] : s.losses;
    const config: CompileConfig = { optimizer: s.optimizer, loss, metrics: s.metrics };
    if (s.lossWeights !== undefined) config.lossWeights = s.lossWeights;
    if (s.lrScheduler !== undefined) config.lrScheduler = s.lrScheduler;
    if (s.mixedPrecision !== undefined) config.mixedPrecision = s.mixedPrecision;
    if (s.lossScale !== undefined) config.lossScale = s.lossScale;
    return structuredClone(config);
  }

  /**
   * Saves the model into `dir`: model.json (topology, compile configuration, versions) and
   * weights.safetensors (PyTorch state_dict names), each replaced atomically, off the event loop.
   * `nt.loadModel(dir)` rebuilds it. A data-parallel model (nt.distributed.wrap) writes on rank 0 only.
   */
  async save(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidType('save', 'dir', 'a non-empty string', dir);
    const handle = this.builtHandle('save');
    if (isSecondaryRank(handle)) return;
    const description = this.saveDescription();
    await withSnapshot(handle, false, (snapshot) => saveModel(dir, snapshot.entries, description));
  }

  /**
   * Saves a resumable checkpoint into `dir`: the model as save() writes it, plus
   * training_state.safetensors (optimizer state, the schedule's base lr, the last completed epoch
   * and the CPU RNG state). `fit(x, y, { resumeFrom: dir })` continues from it (on every rank of a
   * data-parallel model; only rank 0 writes).
   */
  async saveCheckpoint(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidType('saveCheckpoint', 'dir', 'a non-empty string', dir);
    const handle = this.requireCompiled('saveCheckpoint');
    if (isSecondaryRank(handle)) return;
    const progress = this.progress ?? { epoch: -1, baseLr: this.getLearningRate() };
    await saveCheckpoint(dir, handle, this.saveDescription(), progress, this.optimizerKind());
  }

  /** Writes every weight (parameters and buffers) to a safetensors file under its state_dict name, atomically. */
  async saveWeights(path: string): Promise<void> {
    const handle = this.builtHandle('saveWeights');
    const file = checkFilePath('saveWeights', path);
    await withSnapshot(handle, false, (snapshot) => saveModelWeights(snapshot.entries, file));
  }

  /**
   * Loads weights from a safetensors file (from saveWeights, or a PyTorch state_dict). Strict by
   * default: throws listing missing, unexpected and mis-shaped keys; `{ strict: false }` loads the
   * keys that match and resolves to the report.
   */
  async loadWeights(path: string, options: LoadWeightsOptions = {}): Promise<WeightsReport> {
    return loadModelWeights('loadWeights', this.builtHandle('loadWeights'), checkFilePath('loadWeights', path), options);
  }

  /** @internal The native model (built first when the input shape is known), for native trainers such as the GAN trainer. */
  nativeHandle(op: string): ModelHandle {
    return this.builtHandle(op);
  }

  /** Frees the native model now (later calls throw). */
  dispose(): void {
    if (this.handle !== null) native.modelDispose(this.handle);
  }

  // ---- internals ----------------------------------------------------------------------------

  private saveDescription(): Pick<ModelJson, 'modelTopology' | 'buildInputShape' | 'trainingConfig'> {
    return { modelTopology: this.getConfig(), buildInputShape: [...(this.planned as GraphPlan).inputs[0].shape], trainingConfig: this.getCompileConfig() };
  }

  private optimizerKind(): string {
    return (this.compiledState as CompiledState).optimizer.kind;
  }

  /** Aliases of the weights, for their names and shapes (which never change: no lock needed). */
  private stateEntries(op: string): [string, Handle, boolean][] {
    return native.modelStateDict(this.builtHandle(op), op, false);
  }

  /** Trainable parameters per summary row (a shared layer's weights count at its first call). */
  private paramCounts(op: string): number[] {
    const perModule = new Map<string, number>();
    for (const [name, h, isParameter] of this.stateEntries(op)) {
      const t = new Tensor(h);
      if (isParameter) {
        const moduleName = name.slice(0, name.lastIndexOf('.'));
        perModule.set(moduleName, (perModule.get(moduleName) ?? 0) + t.numel);
      }
      t.dispose();
    }
    return (this.planned as GraphPlan).rows.map((r) => r.moduleNames.reduce((n, m) => n + (perModule.get(m) ?? 0), 0));
  }

  private requireHandle(op: string): ModelHandle {
    if (this.handle === null) throw new Error(`${op}: model '${this.name}' is not built yet (give the first layer an inputShape or call fit/predict first)`);
    return this.handle;
  }

  /** The native model, built first when the input shape is known. */
  private builtHandle(op: string): ModelHandle {
    if (this.handle === null && this.declaredInputShapes() !== undefined) this.build();
    return this.requireHandle(op);
  }

  private requireCompiled(op: string): ModelHandle {
    if (this.compiledState === null) throw new Error(`${op}: model '${this.name}' must be compiled first (call compile())`);
    return this.requireHandle(op);
  }

  /** Datasets are consumed natively: the model must know its input shapes (and, to train, be compiled). */
  private requireDatasetReady(op: string): void {
    if (this.handle === null && this.declaredInputShapes() === undefined) {
      throw new Error(`${op}: model '${this.name}' does not know its input shape yet; give the first layer an inputShape to use a Dataset`);
    }
    this.builtHandle(op);
    if (op !== 'predict') this.requireCompiled(op);
  }

  private ensureBuilt(op: string, xs: readonly Tensor[]): void {
    if (this.handle === null) this.build(this.declaredInputShapes()?.[0] ?? xs[0].shape.slice(1));
    const inputs = (this.planned as GraphPlan).inputs;
    if (xs.length !== inputs.length) throw new RangeError(`${op}: model '${this.name}' takes ${inputs.length} inputs, got ${xs.length}`);
    xs.forEach((x, i) => {
      const sample = x.shape.slice(1);
      const want = inputs[i].shape;
      if (sample.length !== want.length || sample.some((d, j) => d !== want[j])) {
        const which = inputs.length > 1 ? ` '${inputs[i].name}'` : '';
        throw new RangeError(`${op}: expected input${which} samples of shape [${want.join(', ')}] (batch [N, ${want.join(', ')}]), got [${x.shape.join(', ')}]`);
      }
    });
  }

  /** The entries of multi-input/output data, in `names` order. */
  private splitData(op: string, param: string, data: ModelData, names: readonly string[]): InputData[] {
    if (names.length === 1) return [data as InputData];
    if (Array.isArray(data) && data.length === names.length) return data as InputData[];
    if (data !== null && typeof data === 'object' && !Array.isArray(data) && !(data instanceof Tensor) && !ArrayBuffer.isView(data) && !('data' in data)) {
      const byName = data as Record<string, InputData>;
      return names.map((n) => {
        if (!(n in byName)) throw new RangeError(`${op}: ${param} has no entry for '${n}'`);
        return byName[n];
      });
    }
    throw invalidType(op, param, `an array of ${names.length} (one per ${param === 'x' ? 'input' : 'output'}: ${names.join(', ')}) or an object keyed by those names`, data);
  }

  private prepareX(op: string, conv: Converted, x: ModelData): Tensor[] {
    if (this.handle === null && this.declaredInputShapes() !== undefined) this.build();
    const names = this.planned?.inputs.map((i) => i.name) ?? ['input'];
    const parts = this.splitData(op, 'x', x, names);
    const xs = parts.map((p, i) => conv.tensor(op, parts.length > 1 ? `x[${i}]` : 'x', p, inputDtype(this.takesIndices(i))));
    const other = xs.find((t) => t.shape[0] !== xs[0].shape[0]);
    if (other !== undefined) throw new RangeError(`${op}: the inputs have different numbers of samples (${xs[0].shape[0]} and ${other.shape[0]})`);
    this.ensureBuilt(op, xs);
    return xs;
  }

  /** Whether input i feeds class indices (known before build for Sequential models from their first layer). */
  protected abstract takesIndices(input: number): boolean;

  private prepare(op: string, conv: Converted, x: ModelData, y: ModelData): [Tensor[], Tensor[]] {
    if (this.compiledState === null && this.pendingCompile === null) throw new Error(`${op}: model '${this.name}' must be compiled first (call compile())`);
    const xs = this.prepareX(op, conv, x);
    const state = this.compiledState;
    const outputs = (this.planned as GraphPlan).outputs;
    const parts = this.splitData(op, 'y', y, outputs.map((o) => o.name));
    const ys = parts.map((p, k) =>
      conv.tensor(op, parts.length > 1 ? `y[${k}]` : 'y', p, state?.customLoss ? undefined : labelDtype(state?.losses[k].kind === 'sparseCategoricalCrossentropy')),
    );
    for (const t of [...xs, ...ys]) {
      if (t.shape[0] !== xs[0].shape[0]) throw new RangeError(`${op}: x has ${xs[0].shape[0]} samples but ${ys.includes(t) ? 'y' : 'another input'} has ${t.shape[0]}`);
    }
    return [xs, ys];
  }

  private classWeightTensor(op: string, conv: Converted, classWeight: Record<number, number> | undefined): Tensor | undefined {
    if (classWeight === undefined) return undefined;
    const entries = Object.entries(classWeight).map(([k, v]) => [Number(k), v] as const);
    if (entries.some(([k, v]) => !Number.isInteger(k) || k < 0 || typeof v !== 'number' || !(v >= 0))) {
      throw invalidValue(op, 'classWeight', '{ classIndex: non-negative weight }', classWeight);
    }
    const classes = Math.max(this.outputShape?.[0] ?? 0, ...entries.map(([k]) => k + 1));
    const weights = new Float32Array(classes).fill(1);
    for (const [k, v] of entries) weights[k] = v;
    return conv.own(tensor(weights));
  }

  private fitContext(): FitContext {
    return {
      model: this,
      handle: this.requireCompiled('fit'),
      lrScheduler: this.compiledState?.lrScheduler,
      customLoss: this.compiledState?.customLoss,
      classWeight: (conv: Converted, cw: Record<number, number> | undefined) => this.classWeightTensor('fit', conv, cw),
      prepare: (conv: Converted, x: ModelData, y: ModelData) => this.prepare('fit', conv, x, y),
      resume: (dir: string) => loadCheckpoint('fit', dir, this.requireCompiled('fit'), this.optimizerKind()),
      recordProgress: (progress: TrainingProgress) => {
        this.progress = progress;
      },
    };
  }
}

function lossList(loss: CompileArgs['loss']): (LossSpec | string | LossFunction)[] {
  return Array.isArray(loss) ? loss : [loss];
}

/** The loss spec that decides metric forms; a custom loss counts as a sparse classifier loss ('accuracy' → class accuracy). */
function lossForMetrics(loss: LossSpec | string | LossFunction): LossSpec {
  return typeof loss === 'function' ? { kind: 'sparseCategoricalCrossentropy', fromLogits: true } : resolveLoss(loss);
}

function handles(ts: readonly Tensor[]): Handle[] {
  return ts.map((t) => t._h);
}

function wrapOutputs(out: Handle | Handle[]): Tensor | Tensor[] {
  return Array.isArray(out) ? out.map((h) => new Tensor(h)) : new Tensor(out);
}
