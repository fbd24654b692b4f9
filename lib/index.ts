/**
 * index.ts — the public API of nodetorch: tensors, ops, autograd, nn.functional, memory
 * management and runtime settings.
 */
import { native } from './binding';
import { OutOfMemoryError } from './errors';

native.setErrorClasses({ OutOfMemoryError });
// libtorch's warnings (TORCH_WARN) become process warnings instead of lines on stderr.
native.setWarningHandler((message) => process.emitWarning(message, 'TorchWarning'));

export { OutOfMemoryError } from './errors';
export { Tensor } from './tensor/tensor';
export type { NestedArray, ReduceOptions, VarianceOptions, BackwardOptions, ToOptions, SortOptions, TopkOptions, ValuesIndices } from './tensor/tensor';
export type { Dtype, TypedArray } from './tensor/dtype';
export { DTYPES } from './tensor/dtype';
export type { Device } from './tensor/device';
export * from './tensor/creation';
export * from './tensor/ops';
export { variance as var } from './tensor/ops';
export { noGrad, enableGrad, isGradEnabled, grad } from './tensor/autograd';
export type { GradOptions } from './tensor/autograd';
export { tidy, keep, memory } from './tensor/memory';
export type { Scoped } from './tensor/memory';
export { info, manualSeed, setNumThreads, getNumThreads, cuda } from './runtime';
export type { NativeInfo, TypedArrayOut } from './binding';

export * as layers from './layers';
export * as builders from './builders';
export * as amp from './amp';
export * as gan from './gan';
export * as optim from './optim';
export * as report from './report';

/** Serving: the dynamic batcher and the Open Inference Protocol server (`nt.serving.serve`). */
export * as serving from './serving';
export { Model } from './models/model';
export type { CompileArgs, CompileConfig, ModelConfig, ModelData } from './models/model';
export type { InputData } from './training/inputs';
export { Sequential, sequential } from './models/sequential';
export type { SequentialConfig } from './models/sequential';
export { Functional, model } from './models/functional';
export type { FunctionalArgs, FunctionalConfig, ValueRef } from './models/functional';
export { input, SymbolicTensor } from './layers/symbolic';
export type { InputArgs } from './layers/symbolic';
export * as jit from './io/jit';
export type { SequentialArgs } from './models/sequential';
export * as io from './io';
export { loadModel } from './io/load_model';
export type { LoadModelOptions } from './io/load_model';
export type { LoadWeightsOptions, WeightsReport } from './io/weights';
export { optimizers, losses, metrics, schedulers, callbacks } from './training';
export { History } from './training/callbacks';
export type { Callback, Logs } from './training/callbacks';
export type { FitOptions } from './training/fit';

/** Datasets, transforms and batch pipelines (`nt.data.fashionMnist()`, `nt.data.transforms.*`, ...). */
export * as data from './data';

/** Training on several processes or machines: process groups, collectives, data-parallel models. */
export * as distributed from './distributed';

/** Neural-network building blocks; `nn.functional` holds the stateless ops (alias `nn.F`). */
export * as nn from './nn';
