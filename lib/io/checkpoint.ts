/**
 * checkpoint.ts — resumable training checkpoints: `model.saveCheckpoint(dir)` and
 * `fit({ resumeFrom: dir })`. A checkpoint directory is a saved model (model.json and
 * weights.safetensors, see save_model.ts; `nt.loadModel` reads it) plus training_state.safetensors:
 * the optimizer's serialized state (momenta, Adam moments and steps, learning rates), the CPU RNG
 * state, each CUDA device's RNG state (where CUDA is available), the tensors of the callbacks'
 * states, and in its metadata the last completed epoch, the base learning rate of the schedule,
 * the callbacks' other state values (JSON) and, for a model trained with a loss scaler
 * (mixedPrecision 'fp16' or lossScale), the scaler's scale and good-step count (JSON).
 *
 * training_state.safetensors is removed first and written last, so a crash mid-save leaves a
 * directory that resuming refuses, never new weights next to the previous training state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, type Handle, type LossScaleState, type ModelHandle } from '../binding';
import { Tensor } from '../tensor/tensor';
import type { CallbackState } from '../training/callbacks';
import { removeStaleTemps } from './atomic_file';
import { saveModel, WEIGHTS_FILE, type ModelJson } from './save_model';
import { loadModelWeights, withSnapshot } from './weights';

export const TRAINING_STATE_FILE = 'training_state.safetensors';
const STATE_FORMAT = 'nodetorch-training-state';
/** Bumped when training_state.safetensors changes in a way older readers cannot load. */
const STATE_FORMAT_VERSION = 1;
const OPTIMIZER_KEY = 'optimizer';
const RNG_KEY = 'rng.cpu';
const CUDA_RNG_PREFIX = 'rng.cuda.';
const CALLBACK_TENSOR_PREFIX = 'callback.';

/** Callback states by key (see fit's stateful callbacks): what a checkpoint keeps of them. */
export type CallbackStates = Record<string, CallbackState>;

/** Where training stands: the last completed epoch (-1: none) and the lr schedules start from. */
export interface TrainingProgress {
  epoch: number;
  baseLr: number;
  /** Reads the running fit's callback states; called when a checkpoint is written. */
  callbackStates?: () => CallbackStates;
}

/** What a checkpoint gives back: the progress and the saved callback states (tensors now owned by the caller). */
export interface ResumedTraining {
  epoch: number;
  baseLr: number;
  callbackStates: CallbackStates;
}

/** The callback states as metadata (values as strings, so ±Infinity and NaN survive) and named tensors. */
function encodeCallbackStates(states: CallbackStates): { json: string; names: string[]; tensors: Handle[] } {
  const names: string[] = [];
  const tensors: Handle[] = [];
  const meta: Record<string, { values: Record<string, string>; tensors: number }> = {};
  for (const [key, state] of Object.entries(states)) {
    const own = state.tensors ?? [];
    own.forEach((t, i) => {
      names.push(`${CALLBACK_TENSOR_PREFIX}${key}.${i}`);
      tensors.push(native.detach(t._h));
    });
    meta[key] = { values: Object.fromEntries(Object.entries(state.values).map(([k, v]) => [k, String(v)])), tensors: own.length };
  }
  return { json: JSON.stringify(meta), names, tensors };
}

type SavedCallbackStates = Record<string, { values: Record<string, string>; tensors: number }>;

/** Reads the callbacks metadata, checking that the tensors it names are there. */
function readCallbackStates(json: string | undefined, tensors: Map<string, Handle>, bad: (what: string) => Error): SavedCallbackStates {
  if (json === undefined) return {};
  let saved: SavedCallbackStates;
  try {
    saved = JSON.parse(json) as SavedCallbackStates;
  } catch (err) {
    throw bad(`metadata callbacks is not valid JSON: ${(err as Error).message}`);
  }
  for (const [key, state] of Object.entries(saved)) {
    if (state === null || typeof state !== 'object' || state.values === null || typeof state.values !== 'object' || !Number.isInteger(state.tensors)) {
      throw bad(`metadata callbacks: the state of '${key}' is malformed`);
    }
    for (let i = 0; i < state.tensors; i++) requiredTensor(tensors, `${CALLBACK_TENSOR_PREFIX}${key}.${i}`, bad);
  }
  return saved;
}

/** The callback states with their own tensors (aliases of the loaded ones, owned by the caller). */
function callbackStatesOf(saved: SavedCallbackStates, tensors: Map<string, Handle>): CallbackStates {
  const out: CallbackStates = {};
  for (const [key, state] of Object.entries(saved)) {
    out[key] = {
      values: Object.fromEntries(Object.entries(state.values).map(([k, v]) => [k, Number(v)])),
      tensors: Array.from({ length: state.tensors }, (_, i) => new Tensor(native.detach(tensors.get(`${CALLBACK_TENSOR_PREFIX}${key}.${i}`) as Handle))),
    };
  }
  return out;
}

/** Device i's CUDA RNG state tensors, in order (none when the checkpoint was written without CUDA). */
function cudaRngStates(tensors: Map<string, Handle>): Handle[] {
  const out: Handle[] = [];
  for (let d = 0; tensors.has(`${CUDA_RNG_PREFIX}${d}`); d++) out.push(tensors.get(`${CUDA_RNG_PREFIX}${d}`) as Handle);
  return out;
}

/** Writes model.json, weights.safetensors and training_state.safetensors into `dir`. */
export async function saveCheckpoint(
  dir: string,
  handle: ModelHandle,
  description: Pick<ModelJson, 'modelTopology' | 'buildInputShape' | 'trainingConfig'>,
  progress: TrainingProgress,
  optimizerKind: string,
): Promise<void> {
  const rng = native.rngGetCpuState();
  const cudaRng = native.rngGetCudaStates();
  const callbacks = encodeCallbackStates(progress.callbackStates?.() ?? {});
  try {
    // The weights and the optimizer state are copied together, between two training steps.
    await withSnapshot(handle, true, async (snapshot) => {
      const stateFile = path.join(dir, TRAINING_STATE_FILE);
      await fs.promises.rm(stateFile, { force: true });
      await saveModel(dir, snapshot.entries, description);
      await native.saveSafetensors(
        stateFile,
        [OPTIMIZER_KEY, RNG_KEY, ...cudaRng.map((_, d) => `${CUDA_RNG_PREFIX}${d}`), ...callbacks.names],
        [snapshot.optimizer as Handle, rng, ...cudaRng, ...callbacks.tensors],
        {
          format: STATE_FORMAT,
          formatVersion: String(STATE_FORMAT_VERSION),
          optimizer: optimizerKind,
          epoch: String(progress.epoch),
          baseLr: String(progress.baseLr),
          callbacks: callbacks.json,
          ...(snapshot.lossScale === null ? {} : { lossScale: JSON.stringify(snapshot.lossScale) }),
        },
      );
      await removeStaleTemps(stateFile);
    });
  } finally {
    native.disposeAll(rng, ...cudaRng, ...callbacks.tensors);
  }
}

/**
 * Loads a checkpoint into a compiled model with the same layers and optimizer kind: weights
 * (strict), optimizer state and learning rate, the CPU RNG state and the CUDA RNG states of the devices this machine
 * has (a checkpoint written without CUDA leaves them as they are). Resolves to the saved progress
 * and callback states.
 */
export async function loadCheckpoint(op: string, dir: string, handle: ModelHandle, optimizerKind: string): Promise<ResumedTraining> {
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
    const optimizer = requiredTensor(tensors, OPTIMIZER_KEY, bad);
    const rng = requiredTensor(tensors, RNG_KEY, bad);
    const cudaRng = cudaRngStates(tensors).slice(0, native.cudaDeviceCount());
    const savedCallbacks = readCallbackStates(meta.get('callbacks'), tensors, bad);
    const lossScale = readLossScale(meta.get('lossScale'), bad);

    await loadModelWeights(op, handle, path.join(dir, WEIGHTS_FILE));
    try {
      await native.modelLoadOptimizerState(handle, optimizer, lossScale);
    } catch (err) {
      throw bad(`the optimizer state does not load (damaged, or saved for other parameters): ${(err as Error).message}`, err);
    }
    try {
      native.rngSetCpuState(rng);
      native.rngSetCudaStates(cudaRng);
    } catch (err) {
      throw bad(`the RNG state does not load: ${(err as Error).message}`, err);
    }
    return { epoch, baseLr, callbackStates: callbackStatesOf(savedCallbacks, tensors) };
  } finally {
    for (const h of tensors.values()) native.dispose(h);
  }
}

/** The saved loss scaler state (null when the model trained without one). */
function readLossScale(json: string | undefined, bad: (what: string) => Error): LossScaleState | null {
  if (json === undefined) return null;
  let state: unknown;
  try {
    state = JSON.parse(json);
  } catch (err) {
    throw bad(`metadata lossScale is not valid JSON: ${(err as Error).message}`);
  }
  const { scale, goodSteps } = (state ?? {}) as Partial<LossScaleState>;
  if (typeof scale !== 'number' || !(scale > 0 && Number.isFinite(scale)) || !Number.isInteger(goodSteps) || (goodSteps as number) < 0) {
    throw bad(`metadata lossScale must be { scale: a finite number > 0, goodSteps: an integer >= 0 }, got ${json}`);
  }
  return { scale, goodSteps: goodSteps as number };
}

function requiredTensor(tensors: Map<string, Handle>, key: string, bad: (what: string) => Error): Handle {
  const h = tensors.get(key);
  if (h === undefined) throw bad(`has no '${key}' tensor`);
  return h;
}
