/**
 * save_model.ts — `model.save(dir)`: the model.json schema (topology, build shape, compile
 * configuration, versions) and the write of a model directory: weights.safetensors, then
 * model.json, each replaced atomically.
 *
 * model.json is renamed last, so it is the commit point: a crash mid-save leaves the previous
 * save (or nothing) in place, or — between the two renames — the new weights next to the previous
 * model.json. For the same topology that pair loads; for a different one, loadModel's strict
 * weight check reports the mismatched keys instead of loading wrong weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Snapshot } from './weights';
import type { CompileConfig, ModelConfig } from '../models/model';
import { writeFileAtomic, removeStaleTemps } from './atomic_file';
import { saveModelWeights } from './weights';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.safetensors';
export const MODEL_FORMAT = 'nodetorch-model';
/** Bumped when model.json changes in a way older readers cannot load. */
export const MODEL_FORMAT_VERSION = 1;

/** The content of model.json. */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** The nodetorch version that wrote the file. */
  nodetorchVersion: string;
  /** `model.getConfig()`: `Sequential.fromConfig` / `Functional.fromConfig` rebuild the model from it. */
  modelTopology: ModelConfig;
  /** The sample shape (no batch dim) the model was built for. */
  buildInputShape: number[];
  /** `model.getCompileConfig()`, or null when the model was not compiled. */
  trainingConfig: CompileConfig | null;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const NODETORCH_VERSION = (require('../../package.json') as { version: string }).version;

/** Writes `dir`/weights.safetensors (the snapshot's entries) then `dir`/model.json (creating `dir` if needed). */
export async function saveModel(
  dir: string,
  weights: Snapshot['entries'],
  description: Pick<ModelJson, 'modelTopology' | 'buildInputShape' | 'trainingConfig'>,
): Promise<void> {
  const doc: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    nodetorchVersion: NODETORCH_VERSION,
    modelTopology: description.modelTopology,
    buildInputShape: description.buildInputShape,
    trainingConfig: description.trainingConfig,
  };
  const text = JSON.stringify(doc, null, 2) + '\n';
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new Error(`save: cannot create the directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  await saveModelWeights(weights, path.join(dir, WEIGHTS_FILE));
  const modelFile = path.join(dir, MODEL_FILE);
  await writeFileAtomic('save', modelFile, text);
  await removeStaleTemps(modelFile);
}
