/**
 * wrap.ts — `nt.distributed.wrap(model)`: the one switch that makes a compiled model train
 * data-parallel, as PyTorch's DistributedDataParallel: parameters and buffers come from rank 0,
 * gradients are averaged by c10d's Reducer during backward, buffers follow rank 0 each step, and
 * fit() shards its data per rank (DistributedSampler), averages its logs over the ranks and
 * stops on every rank together. Only rank 0 prints progress and writes files.
 */
import { native } from '../binding';
import { invalidType } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { Model } from '../models/model';

/** Options of `wrap` (PyTorch DistributedDataParallel's, same defaults). */
export interface WrapOptions {
  /**
   * Parameters some steps do not use (branches taken conditionally) are found by walking the
   * graph from the loss each step; without it, such a model fails its step (default false).
   */
  findUnusedParameters?: boolean;
  /** Copy buffers (BatchNorm running statistics) from rank 0 before each training step (default true). */
  broadcastBuffers?: boolean;
  /**
   * Make the model's BatchNorm layers SyncBatchNorm (PyTorch's `convert_sync_batchnorm`): in
   * training they normalize with the mean and variance of the global batch (every rank's samples),
   * one all-reduce per layer forward and one backward; evaluation is unchanged (default false).
   */
  syncBatchNorm?: boolean;
  /** Gradient bucket size in MiB (default 25; the first bucket is 1 MiB). */
  bucketCapMb?: number;
  /** Seed of the per-epoch shuffle all ranks share (default: drawn by rank 0). */
  seed?: number;
}

const WRAP_OPTIONS = defineOptions<WrapOptions>({
  findUnusedParameters: rule.boolean(),
  broadcastBuffers: rule.boolean(),
  syncBatchNorm: rule.boolean(),
  bucketCapMb: rule.number({ min: 0, gt: true }),
  seed: rule.int({ min: 0 }),
});

/**
 * Makes `model` (its input shape known) train data-parallel over the initialized group: its
 * `fit` and `trainOnBatch`, or, with both networks wrapped, `nt.gan.train`. Every rank must call
 * it with the same architecture. Resolves to the model once the weights of rank 0 are everywhere.
 * Refuses when no group is initialized.
 */
export async function wrap<M extends Model>(model: M, options: WrapOptions = {}): Promise<M> {
  if (native.distributedState() === null) throw new Error('distributed.wrap: no process group: call nt.distributed.init() first');
  if (model === null || typeof model !== 'object' || typeof (model as Model).nativeHandle !== 'function') {
    throw invalidType('distributed.wrap', 'model', 'a model', model);
  }
  checkOptions('distributed.wrap', WRAP_OPTIONS, options);
  await native.distributedWrap(model.nativeHandle('distributed.wrap'), {
    findUnusedParameters: options.findUnusedParameters ?? false,
    broadcastBuffers: options.broadcastBuffers ?? true,
    syncBatchNorm: options.syncBatchNorm ?? false,
    bucketCapMb: options.bucketCapMb ?? 25,
    seed: options.seed,
  });
  return model;
}
