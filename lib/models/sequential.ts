/**
 * sequential.ts — the Sequential model: a stack of layers turned into one native module graph at
 * build time; compile/fit/evaluate/predict/trainOnBatch run natively (fit on a worker thread).
 */
import { native, type ModelHandle, type NativeLossFn } from '../binding';
import { invalidType, invalidValue } from '../errors';
import { Layer, layerFromConfig, type LayerConfig, type ModuleSpec, type Shape } from '../layers/layer';
import { Embedding } from '../layers/core';
import { tensor } from '../tensor/creation';
import { checkDevice, type Device } from '../tensor/device';
import { Tensor } from '../tensor/tensor';
import type { Logs, TrainableModel } from '../training/callbacks';
import { runFit, type FitContext, type FitOptions } from '../training/fit';
import type { History } from '../training/callbacks';
import { Converted, inputDtype, labelDtype, type InputData } from '../training/inputs';
import { fusesWith, nativeLoss, resolveLoss, type LossFunction, type LossSpec } from '../training/losses';
import { resolveMetrics, type MetricSpec } from '../training/metrics';
import { OPTIMIZERS, type OptimizerSpec } from '../training/optimizers';
import type { LrSchedulerSpec } from '../training/schedulers';
import { formatSummary } from './summary';
import { saveModel } from '../io/save_model';
import { loadCheckpoint, saveCheckpoint, type TrainingProgress } from '../io/checkpoint';
import { checkFilePath, loadModelWeights, saveModelWeights, type LoadWeightsOptions, type WeightsReport } from '../io/weights';
import { exportSequential } from '../io/jit_export';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

export interface CompileArgs {
  /** `nt.optimizers.adam({ lr })`, or a name with default options ('adam', 'sgd', ...). */
  optimizer: OptimizerSpec | string;
  /**
   * A loss name ('sparseCategoricalCrossentropy', 'mse', ...), `nt.losses.*()`, or a function
   * `(yTrue, yPred) => scalar Tensor` written with the Tensor API (called once per batch from the
   * native loop; slower than the built-in losses).
   */
  loss: LossSpec | string | LossFunction;
  /** 'accuracy', 'topK', 'mse', 'mae', 'precision', 'recall' or `nt.metrics.*()`. */
  metrics?: (string | MetricSpec)[];
  /** A native learning-rate schedule (`nt.schedulers.*`), stepped per epoch or per batch. */
  lrScheduler?: LrSchedulerSpec;
}

/** What compile() was given, in serializable form (`model.getCompileConfig()`, saved in model.json). */
export interface CompileConfig {
  optimizer: OptimizerSpec;
  /** The built-in loss; null for a custom JS loss (a function cannot be serialized). */
  loss: LossSpec | null;
  metrics: MetricSpec[];
  lrScheduler?: LrSchedulerSpec;
}

/** Where each layer landed in the native graph. */
interface LayerPlan {
  layer: Layer;
  inputShape: number[];
  outputShape: number[];
  /** Range [start, end) of native module indices. */
  start: number;
  end: number;
}

/** What compile() resolved, kept for the native trainer. */
export interface CompiledState {
  /** The built-in loss, or (for a custom loss) a stand-in used to pick metric forms. */
  loss: LossSpec;
  customLoss?: NativeLossFn;
  metrics: MetricSpec[];
  optimizer: OptimizerSpec;
  lrScheduler?: LrSchedulerSpec;
}

let modelCounter = 0;

export class Sequential implements TrainableModel {
  readonly name: string;
  /** Set by callbacks (or you) to stop fit() after the current epoch. */
  stopTraining = false;
  private readonly stack: Layer[] = [];
  private handle: ModelHandle | null = null;
  private plan: LayerPlan[] = [];
  private compiledState: CompiledState | null = null;
  private deviceName: Device = 'cpu';
  /** Kind of the last native module (a softmax/sigmoid there may be fused into the loss). */
  private finalModule: string | undefined;
  /** compile() called before the input shape was known: applied at build. */
  private pendingCompile: CompileArgs | null = null;
  /** The last epoch fit() completed and its schedule's base lr (saved in checkpoints); null before any. */
  private progress: TrainingProgress | null = null;

  constructor(args: SequentialArgs = {}) {
    this.name = args.name ?? `sequential_${++modelCounter}`;
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer (before the model is built). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw invalidType('add', 'layer', 'a Layer (nt.layers.*)', layer);
    if (this.handle !== null) throw new Error(`add: model '${this.name}' is already built; add layers before compile/fit/predict`);
    if (this.stack.some((l) => l.name === layer.name)) throw new RangeError(`add: a layer named '${layer.name}' is already in the model`);
    this.stack.push(layer);
  }

  get layers(): readonly Layer[] {
    return this.stack;
  }
  get built(): boolean {
    return this.handle !== null;
  }
  get compiled(): boolean {
    return this.compiledState !== null;
  }
  /** Sample shape the model takes (no batch dim), once known. */
  get inputShape(): number[] | undefined {
    return this.plan[0]?.inputShape ?? (this.stack[0]?.inputShape ? [...this.stack[0].inputShape] : undefined);
  }
  /** Sample shape the model returns, once built. */
  get outputShape(): number[] | undefined {
    return this.plan.at(-1)?.outputShape;
  }
  get device(): Device {
    return this.deviceName;
  }

  /** Builds the native module graph for a sample shape (default: the first layer's inputShape). */
  build(inputShape?: Shape): void {
    if (this.handle !== null) return;
    if (this.stack.length === 0) throw new Error(`build: model '${this.name}' has no layers`);
    const shape = inputShape ?? this.stack[0].inputShape;
    if (shape === undefined) throw new Error(`build: give the first layer an inputShape, or call fit/predict with data first`);
    const specs: ModuleSpec[] = [];
    const plan: LayerPlan[] = [];
    let current = [...shape];
    for (const layer of this.stack) {
      const layerSpecs = layer.toSpecs(current);
      const out = layer.computeOutputShape(current);
      plan.push({ layer, inputShape: current, outputShape: out, start: specs.length, end: specs.length + layerSpecs.length });
      specs.push(...layerSpecs);
      current = out;
    }
    this.handle = native.modelCreate(specs);
    this.plan = plan;
    this.finalModule = specs.at(-1)?.kind;
    if (this.deviceName !== 'cpu') native.modelTo(this.handle, this.deviceName);
    if (this.pendingCompile !== null) this.applyCompile(this.pendingCompile);
  }

  /** Configures training: optimizer, loss, metrics (and an optional LR schedule). */
  compile(args: CompileArgs): void {
    if (args === null || typeof args !== 'object') throw invalidType('compile', 'args', '{ optimizer, loss, metrics? }', args);
    const optimizer = typeof args.optimizer === 'string' ? OPTIMIZERS[args.optimizer]?.() : args.optimizer;
    if (optimizer === undefined || typeof optimizer !== 'object' || typeof optimizer.kind !== 'string') {
      throw invalidValue('compile', 'optimizer', `an optimizer name (${Object.keys(OPTIMIZERS).join(', ')}) or nt.optimizers.*()`, args.optimizer);
    }
    resolveMetrics(args.metrics, lossForMetrics(args.loss));
    const resolved = { ...args, optimizer };
    if (this.handle === null && this.inputShape !== undefined) this.build();
    if (this.handle === null) this.pendingCompile = resolved;
    else this.applyCompile(resolved);
  }

  private applyCompile(args: CompileArgs): void {
    const handle = this.requireHandle('compile');
    const custom = typeof args.loss === 'function' ? nativeLoss(args.loss) : undefined;
    const loss = lossForMetrics(args.loss);
    const metrics = resolveMetrics(args.metrics, loss);
    const fused = custom === undefined && fusesWith(loss, this.finalModule, this.outputShape?.length ?? 0);
    const optimizer = args.optimizer as OptimizerSpec;
    native.modelCompile(handle, {
      optimizer,
      loss: { ...loss, fromLogits: Boolean(loss.fromLogits) || fused },
      customLoss: custom !== undefined,
      metrics,
      fusedTail: fused ? 1 : 0,
      clipNorm: optimizer.clipNorm,
      clipValue: optimizer.clipValue,
    });
    this.compiledState = { loss, customLoss: custom, metrics, optimizer, lrScheduler: args.lrScheduler };
    this.pendingCompile = null;
  }

  /** Moves the model's weights (and where it computes) to a device. */
  to(device: Device): this {
    this.deviceName = checkDevice('to', device);
    if (this.handle !== null) native.modelTo(this.handle, device);
    return this;
  }

  /**
   * Trains for `epochs` on (x, y) off the event loop; resolves to the History. Options as Keras:
   * batchSize, epochs, validationSplit / validationData, shuffle, classWeight, initialEpoch,
   * stepsPerEpoch, callbacks, verbose, and `signal` (AbortSignal) to stop after the current batch.
   */
  async fit(x: InputData, y: InputData, options: FitOptions = {}): Promise<History> {
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('fit', conv, x, y);
      return await runFit(this.fitContext(), xt, yt, options, conv);
    } finally {
      conv.dispose();
    }
  }

  /** Loss and metrics on (x, y), batched, off the event loop. */
  async evaluate(x: InputData, y: InputData, options: { batchSize?: number } = {}): Promise<Logs> {
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('evaluate', conv, x, y);
      return await native.modelEvaluate(this.requireCompiled('evaluate'), xt._h, yt._h, options.batchSize ?? 32, this.compiledState?.customLoss);
    } finally {
      conv.dispose();
    }
  }

  /** Model outputs for x (inference mode, no grad), batched, off the event loop. */
  async predict(x: InputData, options: { batchSize?: number } = {}): Promise<Tensor> {
    const conv = new Converted();
    try {
      const xt = this.prepareX('predict', conv, x);
      return new Tensor(await native.modelPredict(this.requireHandle('predict'), xt._h, options.batchSize ?? 32));
    } finally {
      conv.dispose();
    }
  }

  /** predict() on the calling thread, in one batch (for scripts). */
  predictSync(x: InputData): Tensor {
    const conv = new Converted();
    try {
      const xt = this.prepareX('predict', conv, x);
      return new Tensor(native.modelPredictSync(this.requireHandle('predict'), xt._h));
    } finally {
      conv.dispose();
    }
  }

  /** One optimizer step on a batch; resolves to its loss and metrics. */
  async trainOnBatch(x: InputData, y: InputData, options: { classWeight?: Record<number, number> } = {}): Promise<Logs> {
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('trainOnBatch', conv, x, y);
      const cw = this.classWeightTensor(conv, options.classWeight);
      return await native.modelTrainOnBatch(this.requireCompiled('trainOnBatch'), xt._h, yt._h, cw?._h ?? null, this.compiledState?.customLoss);
    } finally {
      conv.dispose();
    }
  }

  /** trainOnBatch() on the calling thread. */
  trainOnBatchSync(x: InputData, y: InputData, options: { classWeight?: Record<number, number> } = {}): Logs {
    const conv = new Converted();
    try {
      const [xt, yt] = this.prepare('trainOnBatch', conv, x, y);
      const cw = this.classWeightTensor(conv, options.classWeight);
      return native.modelTrainOnBatchSync(this.requireCompiled('trainOnBatch'), xt._h, yt._h, cw?._h ?? null, this.compiledState?.customLoss);
    } finally {
      conv.dispose();
    }
  }

  /** Forward with autograd in the current mode (see train()/eval()), like calling a PyTorch module. */
  call(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw invalidType('call', 'x', 'a Tensor', x);
    this.ensureBuilt('call', x);
    return new Tensor(native.modelCall(this.requireHandle('call'), x._h));
  }
  /** Training mode for call(): dropout active, batch norm uses batch statistics. */
  train(training = true): this {
    native.modelSetTraining(this.requireHandle('train'), training);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** PyTorch state_dict names of the weights, in getWeights() order (parameters, then buffers). */
  weightNames(): string[] {
    return this.stateEntries().map(([name, h]) => {
      native.dispose(h);
      return name;
    });
  }
  /** Copies of every weight (parameters, then buffers such as batch-norm running statistics). */
  getWeights(): Tensor[] {
    return this.stateEntries().map(([, h]) => {
      const alias = new Tensor(h);
      try {
        return alias.clone();
      } finally {
        alias.dispose();
      }
    });
  }
  /** Sets every weight, in getWeights() order; shapes must match. */
  setWeights(weights: readonly Tensor[]): void {
    const names = this.weightNames();
    if (!Array.isArray(weights) || weights.length !== names.length) {
      throw invalidValue('setWeights', 'weights', `an array of ${names.length} tensors (see weightNames())`, weights);
    }
    weights.forEach((w, i) => {
      if (!(w instanceof Tensor)) throw invalidType('setWeights', `weights[${i}]`, 'a Tensor', w);
    });
    native.modelLoadState(this.requireHandle('setWeights'), names, weights.map((w) => w._h));
  }
  getLearningRate(): number {
    return native.modelGetLearningRate(this.requireCompiled('getLearningRate'));
  }
  setLearningRate(lr: number): void {
    native.modelSetLearningRate(this.requireCompiled('setLearningRate'), lr);
  }

  /** Number of trainable parameters (after build). */
  countParams(): number {
    return this.paramCounts().reduce((a, b) => a + b, 0);
  }

  /** Keras-style table of layers, output shapes and parameter counts; printed and returned. */
  summary(print: (line: string) => void = console.log): string {
    if (this.handle === null && this.inputShape !== undefined) this.build();
    const counts = this.paramCounts();
    const text = formatSummary(
      this.name,
      this.plan.map((p, i) => ({ name: p.layer.name, className: p.layer.className, outputShape: p.outputShape, params: counts[i] })),
    );
    print(text);
    return text;
  }

  /** Serializable topology: `Sequential.fromConfig(model.getConfig())` rebuilds the same layers. */
  getConfig(): { className: 'Sequential'; config: { name: string; layers: { className: string; config: LayerConfig }[] } } {
    return { className: 'Sequential', config: { name: this.name, layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })) } };
  }
  static fromConfig(config: ReturnType<Sequential['getConfig']>): Sequential {
    return new Sequential({ name: config.config.name, layers: config.config.layers.map((l) => layerFromConfig(l.className, l.config)) });
  }

  /**
   * Writes the model as a TorchScript module (atomically) that Python's `torch.jit.load` runs
   * without nodetorch: submodules "0", "1", ... carry the weights under their state_dict names.
   * Saved in eval mode; compiling and writing run off the event loop.
   */
  async exportTorchScript(path: string): Promise<void> {
    const handle = this.builtHandle('exportTorchScript');
    await exportSequential(handle, this.plan.flatMap((p) => p.layer.toSpecs(p.inputShape)), path);
  }

  /** What compile() was given, in serializable form; null before compile. */
  getCompileConfig(): CompileConfig | null {
    const s = this.compiledState;
    if (s === null) return null;
    const config: CompileConfig = { optimizer: s.optimizer, loss: s.customLoss === undefined ? s.loss : null, metrics: s.metrics };
    if (s.lrScheduler !== undefined) config.lrScheduler = s.lrScheduler;
    return structuredClone(config);
  }

  /**
   * Saves the model into `dir`: model.json (topology, compile configuration, versions) and
   * weights.safetensors (PyTorch state_dict names), each replaced atomically, off the event loop.
   * `nt.loadModel(dir)` rebuilds it.
   */
  async save(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidType('save', 'dir', 'a non-empty string', dir);
    const handle = this.builtHandle('save');
    await saveModel(dir, handle, this.saveDescription());
  }

  /**
   * Saves a resumable checkpoint into `dir`: the model as save() writes it, plus
   * training_state.safetensors (optimizer state, the schedule's base lr, the last completed epoch
   * and the CPU RNG state). `fit(x, y, { resumeFrom: dir })` continues from it.
   */
  async saveCheckpoint(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir.length === 0) throw invalidType('saveCheckpoint', 'dir', 'a non-empty string', dir);
    const handle = this.requireCompiled('saveCheckpoint');
    const progress = this.progress ?? { epoch: -1, baseLr: this.getLearningRate() };
    await saveCheckpoint(dir, handle, this.saveDescription(), progress, this.optimizerKind());
  }

  /** Writes every weight (parameters and buffers) to a safetensors file under its state_dict name, atomically. */
  async saveWeights(path: string): Promise<void> {
    await saveModelWeights(this.builtHandle('saveWeights'), checkFilePath('saveWeights', path));
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

  private saveDescription(): Parameters<typeof saveModel>[2] {
    return { modelTopology: this.getConfig(), buildInputShape: [...this.plan[0].inputShape], trainingConfig: this.getCompileConfig() };
  }

  private optimizerKind(): string {
    return (this.compiledState as CompiledState).optimizer.kind;
  }

  private stateEntries(): [string, import('../binding').Handle, boolean][] {
    return native.modelStateDict(this.requireHandle('getWeights'));
  }

  private paramCounts(): number[] {
    const perModule = new Map<number, number>();
    for (const [name, h, isParameter] of this.stateEntries()) {
      const t = new Tensor(h);
      if (isParameter) {
        const index = Number(name.slice(0, name.indexOf('.')));
        perModule.set(index, (perModule.get(index) ?? 0) + t.numel);
      }
      t.dispose();
    }
    return this.plan.map((p) => {
      let n = 0;
      for (let i = p.start; i < p.end; i++) n += perModule.get(i) ?? 0;
      return n;
    });
  }

  private requireHandle(op: string): ModelHandle {
    if (this.handle === null) throw new Error(`${op}: model '${this.name}' is not built yet (give the first layer an inputShape or call fit/predict first)`);
    return this.handle;
  }

  /** The native model, built first when the input shape is known. */
  private builtHandle(op: string): ModelHandle {
    if (this.handle === null && this.inputShape !== undefined) this.build();
    return this.requireHandle(op);
  }

  private requireCompiled(op: string): ModelHandle {
    if (this.compiledState === null) throw new Error(`${op}: model '${this.name}' must be compiled first (call compile())`);
    return this.requireHandle(op);
  }

  private ensureBuilt(op: string, x: Tensor): void {
    const sample = x.shape.slice(1);
    if (this.handle === null) this.build(this.inputShape ?? sample);
    const want = this.plan[0].inputShape;
    if (sample.length !== want.length || sample.some((d, i) => d !== want[i])) {
      throw new RangeError(`${op}: expected input samples of shape [${want.join(', ')}] (batch [N, ${want.join(', ')}]), got [${x.shape.join(', ')}]`);
    }
  }

  private prepareX(op: string, conv: Converted, x: InputData): Tensor {
    const takesIndices = this.stack[0] instanceof Embedding;
    const xt = conv.tensor(op, 'x', x, inputDtype(takesIndices));
    this.ensureBuilt(op, xt);
    return xt;
  }

  private prepare(op: string, conv: Converted, x: InputData, y: InputData): [Tensor, Tensor] {
    if (this.compiledState === null && this.pendingCompile === null) throw new Error(`${op}: model '${this.name}' must be compiled first (call compile())`);
    const xt = this.prepareX(op, conv, x);
    const state = this.compiledState;
    const yt = conv.tensor(op, 'y', y, state?.customLoss ? undefined : labelDtype(state?.loss.kind === 'sparseCategoricalCrossentropy'));
    if (yt.shape[0] !== xt.shape[0]) throw new RangeError(`${op}: x has ${xt.shape[0]} samples but y has ${yt.shape[0]}`);
    return [xt, yt];
  }

  private classWeightTensor(conv: Converted, classWeight: Record<number, number> | undefined): Tensor | undefined {
    if (classWeight === undefined) return undefined;
    const entries = Object.entries(classWeight).map(([k, v]) => [Number(k), v] as const);
    if (entries.some(([k, v]) => !Number.isInteger(k) || k < 0 || typeof v !== 'number' || !(v >= 0))) {
      throw invalidValue('fit', 'classWeight', '{ classIndex: non-negative weight }', classWeight);
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
      classWeight: (conv: Converted, cw: Record<number, number> | undefined) => this.classWeightTensor(conv, cw),
      prepare: (conv: Converted, x: InputData, y: InputData) => this.prepare('fit', conv, x, y),
      resume: (dir: string) => loadCheckpoint('fit', dir, this.requireCompiled('fit'), this.optimizerKind()),
      recordProgress: (progress: TrainingProgress) => {
        this.progress = progress;
      },
    };
  }
}

/** The loss spec that decides metric forms; a custom loss counts as a sparse classifier loss ('accuracy' → class accuracy). */
function lossForMetrics(loss: CompileArgs['loss']): LossSpec {
  return typeof loss === 'function' ? { kind: 'sparseCategoricalCrossentropy', fromLogits: true } : resolveLoss(loss);
}

/** Creates a Sequential model: `nt.sequential({ layers: [...] })`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
