/**
 * checkpoint.ts — resumable training checkpoints: `model.saveCheckpoint(dir)` and
 * `fit({ resumeFrom: dir })`. A checkpoint directory is a saved model (model.json and
 * weights.safetensors, see save_model.ts; `nt.loadModel` reads it) plus training_state.safetensors:
 * the optimizer's serialized state (momenta, Adam moments and steps, learning rates), the CPU RNG
 * state, and in its metadata the last completed epoch and the base learning rate of the schedule.
 *
 * training_state.safetensors is removed first and written last, so a crash mid-save leaves a
 * directory that resuming refuses, never new weights next to the previous training state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, type Handle, type ModelHandle } from '../binding';
import { removeStaleTemps } from './atomic_file';
import { saveModel, WEIGHTS_FILE, type ModelJson } from './save_model';
import { loadModelWeights } from './weights';

export const TRAINING_STATE_FILE = 'training_state.safetensors';
const STATE_FORMAT = 'nodetorch-training-state';
/** Bumped when training_state.safetensors changes in a way older readers cannot load. */
const STATE_FORMAT_VERSION = 1;
const OPTIMIZER_KEY = 'optimizer';
const RNG_KEY = 'rng.cpu';

/** Where training stands: the last completed epoch (-1: none) and the lr schedules start from. */
export interface TrainingProgress {
  epoch: number;
  baseLr: number;
}

/** Writes model.json, weights.safetensors and training_state.safetensors into `dir`. */
export async function saveCheckpoint(
  dir: string,
  handle: ModelHandle,
  description: Pick<ModelJson, 'modelTopology' | 'buildInputShape' | 'trainingConfig'>,
  progress: TrainingProgress,
  optimizerKind: string,
): Promise<void> {
  // Taken before any await, so they match the weights even if other work runs meanwhile.
  const optimizer = native.modelOptimizerState(handle);
  const rng = native.rngGetCpuState();
  try {
    const stateFile = path.join(dir, TRAINING_STATE_FILE);
    await fs.promises.rm(stateFile, { force: true });
    await saveModel(dir, handle, description);
    await native.saveSafetensors(stateFile, [OPTIMIZER_KEY, RNG_KEY], [optimizer, rng], {
      format: STATE_FORMAT,
      formatVersion: String(STATE_FORMAT_VERSION),
      optimizer: optimizerKind,
      epoch: String(progress.epoch),
      baseLr: String(progress.baseLr),
    });
    await removeStaleTemps(stateFile);
  } finally {
    native.dispose(optimizer);
    native.dispose(rng);
  }
}

/**
 * Loads a checkpoint into a compiled model with the same layers and optimizer kind: weights
 * (strict), optimizer state and the CPU RNG state. Resolves to the saved progress.
 */
export async function loadCheckpoint(op: string, dir: string, handle: ModelHandle, optimizerKind: string): Promise<TrainingProgress> {
  const stateFile = path.join(dir, TRAINING_STATE_FILE);
  const bad = (what: string, cause?: unknown): Error => new Error(`${op}: ${stateFile}: ${what}`, { cause });
  try {
    await fs.promises.access(stateFile);
  } catch (err) {
    throw bad('missing: the directory is not a complete checkpoint (write one with model.saveCheckpoint or modelCheckpoint({ dir }))', err);
  }
  let loaded: Awaited<ReturnType<typeof native.loadSafetensors>>;
  try {
    loaded = await native.loadSafetensors(stateFile);
  } catch (err) {
    throw new Error(`${op}: ${(err as Error).message}`, { cause: err });
  }
  const tensors = new Map(loaded.tensors);
  try {
    const meta = new Map(loaded.metadata);
    if (meta.get('format') !== STATE_FORMAT) throw bad(`not a nodetorch training state (expected metadata format "${STATE_FORMAT}")`);
    const version = Number(meta.get('formatVersion'));
    if (!Number.isInteger(version) || version < 1 || version > STATE_FORMAT_VERSION) {
      throw bad(`format version ${String(meta.get('formatVersion'))} is not one this nodetorch reads (1 to ${STATE_FORMAT_VERSION})`);
    }
    if (meta.get('optimizer') !== optimizerKind) {
      throw bad(`holds the state of a '${String(meta.get('optimizer'))}' optimizer, but the model is compiled with '${optimizerKind}'`);
    }
    const epoch = Number(meta.get('epoch'));
    const baseLr = Number(meta.get('baseLr'));
    if (!Number.isInteger(epoch) || epoch < -1) throw bad(`metadata epoch must be an integer >= -1, got ${String(meta.get('epoch'))}`);
    if (!(baseLr >= 0)) throw bad(`metadata baseLr must be a number >= 0, got ${String(meta.get('baseLr'))}`);
    const optimizer = byteTensor(tensors, OPTIMIZER_KEY, bad);
    const rng = byteTensor(tensors, RNG_KEY, bad);

    await loadModelWeights(op, handle, path.join(dir, WEIGHTS_FILE));
    try {
      native.modelLoadOptimizerState(handle, optimizer);
    } catch (err) {
      throw bad(`the optimizer state does not load (damaged, or saved for other parameters): ${(err as Error).message}`, err);
    }
    try {
      native.rngSetCpuState(rng);
    } catch (err) {
      throw bad(`the RNG state does not load: ${(err as Error).message}`, err);
    }
    return { epoch, baseLr };
  } finally {
    for (const h of tensors.values()) native.dispose(h);
  }
}

function byteTensor(tensors: Map<string, Handle>, key: string, bad: (what: string) => Error): Handle {
  const h = tensors.get(key);
  if (h === undefined) throw bad(`has no '${key}' tensor`);
  return h;
}
