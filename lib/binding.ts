/**
 * binding.ts — the only file that loads the native addon (the one node-gyp-build finds, or the file
 * named by NODETORCH_ADDON) and the typed description of its surface. Everything else in lib/
 * imports `native` from here.
 */
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadErrorMessage } from './load_error';

/** Opaque native tensor handle (an N-API external owning one `at::Tensor`). */
export type Handle = { readonly __nodetorchHandle: unique symbol };
/** Opaque native model handle (shared ownership of a module graph and its training state). */
export type ModelHandle = { readonly __nodetorchModel: unique symbol };
/** Opaque native optimizer over tensors (nt.optim). */
export type OptimizerHandle = { readonly __nodetorchOptimizer: unique symbol };
/** Opaque native dataset and batch iterator handles (nt.data). */
export type DatasetHandle = { readonly __nodetorchDataset: unique symbol };
export type DatasetIteratorHandle = { readonly __nodetorchDatasetIterator: unique symbol };
/** Opaque native GAN trainer handle (generator, discriminator and their optimizers). */
export type GanHandle = { readonly __nodetorchGan: unique symbol };
/** Opaque native loss scaler handle (nt.amp.GradScaler). */
export type ScalerHandle = { readonly __nodetorchScaler: unique symbol };
/** Opaque native TorchScript module handle (shared ownership of a `torch::jit::Module`). */
export type JitHandle = { readonly __nodetorchJit: unique symbol };
/** A loss scaler's state as checkpoints keep it: its scale and the finite steps since it last changed. */
export type LossScaleState = { scale: number; goodSteps: number };
/** What TorchScript method calls take and return natively: tensor handles inside JS values. */
export type NativeScriptValue = Handle | number | bigint | boolean | string | null | undefined | NativeScriptValue[] | { [key: string]: NativeScriptValue };
/** A JS loss as the native trainer calls it: (predictions, targets) handles → loss handle (consumed). */
export type NativeLossFn = (pred: Handle, target: Handle) => Handle;
/** A value an elementwise op accepts as its second operand. */
export type Operand = Handle | number | boolean;

type H = Handle;
type Hn = Handle | null;
type Dims = number | readonly number[] | null;

/** The native surface, as registered by binding/addon.cc. */
export interface NativeBinding {
  // tensor_wrap.cc
  dispose(h: H): void;
  disposeAll(...hs: H[]): void;
  recycle(h: H): void;
  recycleAll(...hs: H[]): void;
  disposedHandle(): H;
  isDisposed(h: H): boolean;
  shape(h: H): number[];
  strides(h: H): number[];
  dtype(h: H): number;
  device(h: H): string;
  requiresGrad(h: H): boolean;
  setRequiresGrad(h: H, value: boolean): void;
  isContiguous(h: H): boolean;
  isLeaf(h: H): boolean;
  memory(): { numTensors: number; numBytes: number; cpuCachedBytes: number };
  setErrorClasses(classes: { OutOfMemoryError?: new (message: string) => Error }): void;
  // tensor_creation.cc
  fromTypedArray(data: ArrayBufferView, shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  zeros(shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  ones(shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  empty(shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  rand(shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  randn(shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  full(shape: readonly number[], value: number | boolean, dtype: number, device: string, requiresGrad: boolean): H;
  randint(low: number, high: number, shape: readonly number[], dtype: number, device: string, requiresGrad: boolean): H;
  arange(start: number, end: number, step: number, dtype: number, device: string, requiresGrad: boolean): H;
  linspace(start: number, end: number, steps: number, dtype: number, device: string, requiresGrad: boolean): H;
  randperm(n: number, dtype: number, device: string, requiresGrad: boolean): H;
  eye(n: number, m: number, dtype: number, device: string, requiresGrad: boolean): H;
  to(h: H, dtype: number | null, device: string | null, copy: boolean): H;
  // tensor_data.cc
  dataSync(h: H): TypedArrayOut;
  data(h: H): Promise<TypedArrayOut>;
  item(h: H): number | boolean;
  // tensor_math.cc
  add(a: H, b: Operand): H;
  sub(a: H, b: Operand): H;
  mul(a: H, b: Operand): H;
  div(a: H, b: Operand): H;
  pow(a: H, b: Operand): H;
  remainder(a: H, b: Operand): H;
  eq(a: H, b: Operand): H;
  ne(a: H, b: Operand): H;
  lt(a: H, b: Operand): H;
  le(a: H, b: Operand): H;
  gt(a: H, b: Operand): H;
  ge(a: H, b: Operand): H;
  add_(a: H, b: Operand): void;
  sub_(a: H, b: Operand): void;
  mul_(a: H, b: Operand): void;
  div_(a: H, b: Operand): void;
  zero_(a: H): void;
  fill_(a: H, value: number | boolean): void;
  copy_(a: H, src: H): void;
  rpow(a: H, base: number): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  logicalAnd(a: H, b: H): H;
  logicalOr(a: H, b: H): H;
  neg(a: H): H;
  abs(a: H): H;
  exp(a: H): H;
  log(a: H): H;
  sqrt(a: H): H;
  rsqrt(a: H): H;
  floor(a: H): H;
  ceil(a: H): H;
  round(a: H): H;
  sign(a: H): H;
  sin(a: H): H;
  cos(a: H): H;
  reciprocal(a: H): H;
  square(a: H): H;
  logicalNot(a: H): H;
  relu(a: H): H;
  sigmoid(a: H): H;
  tanh(a: H): H;
  clone(a: H): H;
  detach(a: H): H;
  contiguous(a: H): H;
  isnan(a: H): H;
  isfinite(a: H): H;
  clamp(a: H, min: number | null, max: number | null): H;
  where(cond: H, a: Operand, b: Operand): H;
  sum(a: H, dims: Dims, keepdim: boolean): H;
  mean(a: H, dims: Dims, keepdim: boolean): H;
  prod(a: H, dim: number | null, keepdim: boolean): H;
  all(a: H, dim: number | null, keepdim: boolean): H;
  any(a: H, dim: number | null, keepdim: boolean): H;
  std(a: H, dims: Dims, correction: number, keepdim: boolean): H;
  var(a: H, dims: Dims, correction: number, keepdim: boolean): H;
  max(a: H, dim: number | null, keepdim: boolean): H | [H, H];
  min(a: H, dim: number | null, keepdim: boolean): H | [H, H];
  argmax(a: H, dim: number | null, keepdim: boolean): H;
  argmin(a: H, dim: number | null, keepdim: boolean): H;
  sort(a: H, dim: number, descending: boolean): [H, H];
  topk(a: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  cumsum(a: H, dim: number): H;
  logsumexp(a: H, dims: readonly number[], keepdim: boolean): H;
  matmul(a: H, b: H): H;
  bmm(a: H, b: H): H;
  linear(x: H, w: H, b: Hn): H;
  leakyRelu(a: H, slope: number): H;
  elu(a: H, alpha: number): H;
  gelu(a: H, approximate: string): H;
  softmax(a: H, dim: number): H;
  logSoftmax(a: H, dim: number): H;
  // tensor_shape.cc
  reshape(a: H, shape: readonly number[]): H;
  view(a: H, shape: readonly number[]): H;
  permute(a: H, dims: readonly number[]): H;
  transpose(a: H, d0: number, d1: number): H;
  squeeze(a: H, dim: number | null): H;
  unsqueeze(a: H, dim: number): H;
  flatten(a: H, start: number, end: number): H;
  expand(a: H, shape: readonly number[]): H;
  repeat(a: H, reps: readonly number[]): H;
  cat(hs: readonly H[], dim: number): H;
  stack(hs: readonly H[], dim: number): H;
  split(a: H, sizes: number | readonly number[], dim: number): H[];
  chunk(a: H, chunks: number, dim: number): H[];
  unbind(a: H, dim: number): H[];
  narrow(a: H, dim: number, start: number, length: number): H;
  slice(a: H, dim: number, start: number | null, end: number | null, step: number): H;
  select(a: H, dim: number, index: number): H;
  indexSelect(a: H, dim: number, index: H): H;
  gather(a: H, dim: number, index: H): H;
  scatter(a: H, dim: number, index: H, src: Operand): H;
  scatterAdd(a: H, dim: number, index: H, src: H): H;
  maskedFill(a: H, mask: H, value: number | boolean): H;
  maskedSelect(a: H, mask: H): H;
  pad(a: H, pads: readonly number[], mode: string, value: number | null): H;
  flip(a: H, dims: readonly number[]): H;
  tril(a: H, diagonal: number): H;
  triu(a: H, diagonal: number): H;
  // nn_functional.cc
  conv1d(x: H, w: H, b: Hn, stride: number | number[], padding: number | number[] | string, dilation: number | number[], groups: number): H;
  conv2d(x: H, w: H, b: Hn, stride: number | number[], padding: number | number[] | string, dilation: number | number[], groups: number): H;
  convTranspose2d(x: H, w: H, b: Hn, stride: number | number[], padding: number | number[], outputPadding: number | number[], groups: number, dilation: number | number[]): H;
  maxPool2d(x: H, kernel: number | number[], stride: number | number[], padding: number | number[], dilation: number | number[], ceilMode: boolean, returnIndices: boolean): H | [H, H];
  avgPool2d(x: H, kernel: number | number[], stride: number | number[], padding: number | number[], ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null): H;
  adaptiveAvgPool2d(x: H, size: number[]): H;
  adaptiveMaxPool2d(x: H, size: number[]): H;
  batchNorm(x: H, runningMean: Hn, runningVar: Hn, weight: Hn, bias: Hn, training: boolean, momentum: number, eps: number): H;
  layerNorm(x: H, normalizedShape: readonly number[], weight: Hn, bias: Hn, eps: number): H;
  dropout(x: H, p: number, training: boolean): H;
  dropout2d(x: H, p: number, training: boolean): H;
  interpolate(x: H, size: number[] | null, scaleFactors: number[] | null, mode: string, alignCorners: boolean): H;
  crossEntropy(x: H, target: H, weight: Hn, reduction: string, ignoreIndex: number, labelSmoothing: number): H;
  nllLoss(x: H, target: H, weight: Hn, reduction: string, ignoreIndex: number): H;
  binaryCrossEntropy(x: H, target: H, weight: Hn, reduction: string): H;
  binaryCrossEntropyWithLogits(x: H, target: H, weight: Hn, posWeight: Hn, reduction: string): H;
  mseLoss(x: H, target: H, reduction: string): H;
  l1Loss(x: H, target: H, reduction: string): H;
  smoothL1Loss(x: H, target: H, reduction: string, beta: number): H;
  huberLoss(x: H, target: H, reduction: string, delta: number): H;
  klDiv(x: H, target: H, reduction: string, logTarget: boolean): H;
  // autograd.cc
  backward(h: H, gradient: Hn, retainGraph: boolean, createGraph: boolean): void;
  grad(h: H): Hn;
  setGrad(h: H, grad: Hn): void;
  gradFn(h: H): string | null;
  retainGrad(h: H): void;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  autogradGrad(outputs: readonly H[], inputs: readonly H[], gradOutputs: readonly H[] | null, retainGraph: boolean, createGraph: boolean, allowUnused: boolean): Hn[];
  // model_wrap.cc, trainer.cc
  modelCreate(graph: object): ModelHandle;
  /** Aliases (copy false) or one consistent copy (copy true); throws naming `op` when the model is busy. */
  modelStateDict(m: ModelHandle, op: string, copy: boolean): [string, H, boolean][];
  modelLoadState(m: ModelHandle, names: readonly string[], values: readonly H[], op: string): void;
  modelLoadStateAsync(m: ModelHandle, names: readonly string[], values: readonly H[]): Promise<void>;
  /** Copies of the weights (and the optimizer state), taken together once the model is free. */
  modelSnapshot(m: ModelHandle, withOptimizer: boolean): Promise<{ entries: [string, H, boolean][]; optimizer: Hn; lossScale: LossScaleState | null }>;
  modelTo(m: ModelHandle, device: string): void;
  modelSetTraining(m: ModelHandle, training: boolean): void;
  modelPredictSync(m: ModelHandle, x: readonly H[], channelsLast: boolean): H | H[];
  modelCall(m: ModelHandle, x: readonly H[]): H | H[];
  modelCompile(m: ModelHandle, options: object): void;
  modelGetLearningRate(m: ModelHandle): number;
  modelSetLearningRate(m: ModelHandle, lr: number): void;
  modelStopFit(m: ModelHandle): void;
  modelBeginFit(m: ModelHandle): void;
  modelEndFit(m: ModelHandle): void;
  modelDispose(m: ModelHandle): void;
  modelPredict(m: ModelHandle, x: readonly H[] | DatasetHandle, batchSize: number, channelsLast: boolean): Promise<H | H[]>;
  modelEvaluate(m: ModelHandle, x: readonly H[] | DatasetHandle, y: readonly H[], batchSize: number, customLoss?: NativeLossFn): Promise<Record<string, number>>;
  modelTrainOnBatch(m: ModelHandle, x: readonly H[], y: readonly H[], classWeight: Hn, customLoss?: NativeLossFn): Promise<Record<string, number>>;
  modelTrainOnBatchSync(m: ModelHandle, x: readonly H[], y: readonly H[], classWeight: Hn, customLoss?: NativeLossFn): Record<string, number>;
  modelFit(
    m: ModelHandle,
    options: object,
    onEvent: (type: 'epochBegin' | 'batchEnd' | 'epochEnd', index: number, logs: Record<string, number>, done?: (stop: boolean) => void) => void,
    customLoss?: NativeLossFn,
  ): Promise<{ epochsRun: number; stoppedOnNaN: boolean }>;
  // tensor_optimizer.cc
  optimCreate(groups: readonly { params: readonly H[]; spec: object }[], options: object): OptimizerHandle;
  optimStep(opt: OptimizerHandle): void;
  optimZeroGrad(opt: OptimizerHandle, setToNone: boolean): void;
  optimGetLr(opt: OptimizerHandle, group: number): number;
  optimSetLr(opt: OptimizerHandle, lr: number, group: number | null): void;
  optimStateDict(opt: OptimizerHandle): H;
  optimLoadStateDict(opt: OptimizerHandle, state: H): void;
  optimDispose(opt: OptimizerHandle): void;
  // dataset.cc
  datasetCreate(options: object): DatasetHandle;
  datasetMap(ds: DatasetHandle, transforms: readonly object[]): DatasetHandle;
  datasetIterate(ds: DatasetHandle, options: object): DatasetIteratorHandle;
  datasetNext(it: DatasetIteratorHandle): Promise<[H[], H[]] | null>;
  datasetClose(it: DatasetIteratorHandle): void;
  // mixed_precision.cc
  ampAutocast(device: string, dtype: string, fn: () => unknown): unknown;
  ampScalerCreate(options: object): ScalerHandle;
  ampScalerGetScale(scaler: ScalerHandle): number;
  ampScalerUnscale(scaler: ScalerHandle, params: readonly H[]): boolean;
  ampScalerUpdate(scaler: ScalerHandle, finite: boolean): number;
  // gan_trainer.cc
  ganCreate(g: ModelHandle, d: ModelHandle, options: object): GanHandle;
  ganTrainStep(gan: GanHandle, real: readonly H[], noise: Hn): Record<string, number>;
  ganTrain(
    gan: GanHandle,
    options: object,
    onEvent: (type: 'epochBegin' | 'batchEnd' | 'epochEnd', index: number, logs: Record<string, number>, done?: (stop: boolean) => void) => void,
  ): Promise<{ epochsRun: number }>;
  ganStop(gan: GanHandle): void;
  ganDispose(gan: GanHandle): void;
  // runtime.cc
  info(): NativeInfo;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(device: number | null): void;
  // safetensors.cc
  saveSafetensors(path: string, names: readonly string[], tensors: readonly H[], metadata: Record<string, string> | null): Promise<void>;
  saveSafetensorsSync(path: string, names: readonly string[], tensors: readonly H[], metadata: Record<string, string> | null): void;
  loadSafetensors(path: string): Promise<{ tensors: [string, H][]; metadata: [string, string][] }>;
  loadSafetensorsSync(path: string): { tensors: [string, H][]; metadata: [string, string][] };
  // training_state.cc
  modelLoadOptimizerState(m: ModelHandle, bytes: H, lossScale: LossScaleState | null): Promise<void>;
  rngGetCpuState(): H;
  rngSetCpuState(state: H): void;
  rngGetCudaStates(): H[];
  rngSetCudaStates(states: readonly H[]): void;
  // warnings.cc
  setWarningHandler(fn: (message: string) => void): void;
  // distributed_group.cc, distributed_reducer.cc
  distributedInit(options: {
    rank: number;
    worldSize: number;
    masterAddr: string;
    masterPort: number;
    backend: string;
    timeoutMs: number;
    agentStore?: boolean;
    storePrefix?: string;
  }): Promise<void>;
  distributedDestroy(): void;
  distributedState(): { rank: number; worldSize: number; backend: string } | null;
  distributedHasNccl(): boolean;
  distributedAllReduce(t: H, op: string): Promise<void>;
  distributedBroadcast(t: H, src: number): Promise<void>;
  distributedAllGather(t: H): Promise<H[]>;
  distributedReduceScatter(t: H, op: string): Promise<H>;
  distributedBarrier(): Promise<void>;
  distributedWrap(m: ModelHandle, options: { findUnusedParameters: boolean; broadcastBuffers: boolean; syncBatchNorm: boolean; bucketCapMb: number; seed?: number }): Promise<void>;
  distributedIsWrapped(m: ModelHandle): boolean;
  // jit_wrap.cc, jit_export.cc
  jitLoad(path: string, device: string | null): Promise<JitHandle>;
  jitRunMethod(m: JitHandle, name: string, args: readonly NativeScriptValue[]): Promise<NativeScriptValue>;
  jitRunMethodSync(m: JitHandle, name: string, args: readonly NativeScriptValue[]): NativeScriptValue;
  jitNamedParameters(m: JitHandle): [string, H][];
  jitNamedBuffers(m: JitHandle): [string, H][];
  jitMethodNames(m: JitHandle): string[];
  jitSchema(m: JitHandle, name: string): string;
  jitSetTraining(m: JitHandle, training: boolean): void;
  jitIsTraining(m: JitHandle): boolean;
  jitTo(m: JitHandle, device: string): void;
  jitSave(m: JitHandle, path: string): Promise<void>;
  jitDispose(m: JitHandle): void;
  jitExportModel(m: ModelHandle, modules: readonly { className: string; source: string }[], forward: string, path: string): Promise<void>;
  // frozen_forward.cc
  modelOptimizeForInference(m: ModelHandle, modules: readonly { className: string; source: string }[], forward: string): Promise<void>;
  modelIsOptimized(m: ModelHandle): boolean;
}

/** TypedArrays the addon returns when reading tensor data. */
export type TypedArrayOut =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | BigInt64Array;

/** What `info()` reports about the libtorch this addon runs on. */
export interface NativeInfo {
  /** The version of the libtorch loaded (what it reports about itself). */
  libtorchVersion: string;
  /** The file of the loaded libtorch library that holds its kernels (libtorch_cpu.so), real path. */
  libtorchPath: string;
  cudaAvailable: boolean;
  cudaBuilt: boolean;
  cudaDeviceCount: number;
  cudnnAvailable: boolean;
  cudaVersion?: string;
  cudnnVersion?: number;
  mkldnn: boolean;
  openmp: boolean;
  /** The BLAS library mapped into the process, or the one linked into libtorch itself (`mkl (linked into …)`). */
  blas: string;
  /** The malloc policy the addon applied at load (see binding/malloc_policy.cc). */
  malloc: string;
  /** The allocator libtorch uses for CPU tensor data (see binding/cpu_block_cache.cc). */
  cpuAllocator: string;
  numThreads: number;
  /** OpenBLAS's own thread count (capped by setNumThreads too), or null when the BLAS is not OpenBLAS. */
  blasThreads: number | null;
  numInteropThreads: number;
  parallelInfo: string;
  buildConfig: string;
  /** How the addon was built: `libtorchVersion` of the headers compiled against, `torchDir` their CMake config. */
  build: { type: string; compiler: string; libtorchVersion: string; torchDir: string; napiVersion: number };
}

/** node-gyp-build: loads, or only locates, the addon binary of a package folder. */
interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
}

/** The package's root folder (where build/ and prebuilds/ are). */
export const packageRoot = path.join(__dirname, '..');

/** The addon file: NODETORCH_ADDON when set (another build, e.g. against another libtorch), else node-gyp-build's pick. */
export function addonFile(): string {
  const chosen = process.env.NODETORCH_ADDON;
  if (chosen) return path.resolve(chosen);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node-gyp-build') as NodeGypBuild).resolve(packageRoot);
}

/**
 * Loads the addon with every symbol bound at once (RTLD_NOW), so that a libtorch other than the one
 * it was built against fails here, with an explanation, not at some later call. Cached like require().
 */
function load(): NativeBinding {
  let file: string | undefined;
  try {
    file = addonFile();
    let mod = require.cache[file];
    if (!mod) {
      const fresh = new Module(file);
      fresh.filename = file;
      process.dlopen(fresh, file, os.constants.dlopen.RTLD_NOW);
      fresh.loaded = true;
      require.cache[file] = mod = fresh;
    }
    // Copied into a plain object: the addon's exports object has too many properties for V8's
    // fast mode, and a dictionary lookup on every `native.op(...)` call costs more than the copy.
    return { ...(mod.exports as NativeBinding) };
  } catch (err) {
    throw new Error(loadErrorMessage(err instanceof Error ? err.message : String(err), file));
  }
}

let loaded: NativeBinding | undefined;

/** Loads the addon now (once); throws the explanatory load error when it cannot. */
export function loadNative(): NativeBinding {
  if (!loaded) {
    loaded = load();
    native = loaded;
  }
  return loaded;
}

/**
 * The addon, loaded on first use: until then a stand-in whose first property read loads it and
 * puts the plain binding object in its place, so later `native.op(...)` calls cost what they did
 * before. Importing lib/ modules therefore never loads the addon (the CLI's --help, rebuild and
 * doctor start without it); lib/index.ts touches it at once, so `require('nodetorch')` does.
 */
export let native: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_target, key) => loadNative()[key as keyof NativeBinding],
});
