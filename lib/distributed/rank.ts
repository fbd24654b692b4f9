/**
 * rank.ts — what the training drivers need to know of a data-parallel model: whether this process
 * is a rank other than 0 (such a rank prints no progress and writes no files — checkpoints, saved
 * models, CSV logs, sample grids; rank 0 speaks for the run), and how many samples its shard holds.
 */
import { native, type ModelHandle } from '../binding';

/** True for a data-parallel model (nt.distributed.wrap) on a rank other than 0. */
export function isSecondaryRank(handle: ModelHandle): boolean {
  if (!native.distributedIsWrapped(handle)) return false;
  return (native.distributedState()?.rank ?? 0) !== 0;
}

/** Samples per rank when `n` are sharded over the ranks of a data-parallel model (padded up, as DistributedSampler); `n` otherwise. */
export function shardSize(handle: ModelHandle, n: number): number {
  if (!native.distributedIsWrapped(handle)) return n;
  return Math.ceil(n / (native.distributedState()?.worldSize ?? 1));
}
