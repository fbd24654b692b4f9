/**
 * rank.ts — whether a model trains data-parallel and this process is not rank 0: such a rank
 * prints no progress and writes no files (checkpoints, saved models, CSV logs); rank 0 speaks
 * for the run.
 */
import { native, type ModelHandle } from '../binding';

/** True for a data-parallel model (nt.distributed.wrap) on a rank other than 0. */
export function isSecondaryRank(handle: ModelHandle): boolean {
  if (!native.distributedIsWrapped(handle)) return false;
  return (native.distributedState()?.rank ?? 0) !== 0;
}
