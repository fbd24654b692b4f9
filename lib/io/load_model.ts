/**
 * load_model.ts — `nt.loadModel(dir)`: reads and validates model.json, rebuilds the Sequential or
 * functional model from its topology, builds it for the saved input shape, loads weights.safetensors (strict) and
 * compiles it again if it was saved compiled.
 *
 * A model compiled with a custom JS loss is saved without the loss (a function cannot be
 * serialized): loading it compiled needs `{ customLoss }`; `{ compile: false }` loads it
 * uncompiled. Without either, loadModel refuses with an error saying so.
 */
import { checkOptions, defineOptions, rule } from '../options';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidType } from '../errors';
import { Functional, type FunctionalConfig } from '../models/functional';
import type { Model } from '../models/model';
import { Sequential, type SequentialConfig } from '../models/sequential';
import type { Device } from '../tensor/device';
import type { LossFunction } from '../training/losses';
import { MODEL_FILE, MODEL_FORMAT, MODEL_FORMAT_VERSION, NODETORCH_VERSION, WEIGHTS_FILE, type ModelJson } from './save_model';

export interface LoadModelOptions {
  /** Where the model runs (default 'cpu'). */
  device?: Device;
  /** Compile the model again when it was saved compiled (default true). */
  compile?: boolean;
  /** The loss of a model that was compiled with a custom JS loss (model.json cannot hold functions). */
  customLoss?: LossFunction;
}

const LOAD_MODEL_OPTIONS = defineOptions<LoadModelOptions>({ device: rule.device(), compile: rule.boolean(), customLoss: rule.func() });

/** Loads a model saved with `model.save(dir)`. */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Model> {
  if (typeof dir !== 'string' || dir.length === 0) throw invalidType('loadModel', 'dir', 'a non-empty string', dir);
  checkOptions('loadModel', LOAD_MODEL_OPTIONS, options);
  const device = options.device;
  const compile = options.compile ?? true;

  const file = path.join(dir, MODEL_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`loadModel: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const doc = parseModelJson(file, text);
  const training = compile ? doc.trainingConfig : null;
  if (training !== null && training.loss === null && options.customLoss === undefined) {
    throw new Error(
      `loadModel: ${file} describes a model compiled with a custom JS loss, which cannot be saved; ` +
        'pass { customLoss: (yTrue, yPred) => ... } to compile it again, or { compile: false } to load it uncompiled',
    );
  }

  let model: Model;
  try {
    const topology = doc.modelTopology;
    model =
      topology.className === 'Sequential' ? Sequential.fromConfig(topology as SequentialConfig) : Functional.fromConfig(topology as unknown as FunctionalConfig);
    if (device !== undefined) model.to(device);
    model.build(topology.className === 'Sequential' ? doc.buildInputShape : undefined);
  } catch (err) {
    throw inFile(file, err);
  }
  try {
    await model.loadWeights(path.join(dir, WEIGHTS_FILE));
  } catch (err) {
    model.dispose();
    throw err;
  }
  if (training === null) return model;
  try {
    model.compile({
      optimizer: training.optimizer,
      loss: training.loss ?? (options.customLoss as LossFunction),
      lossWeights: training.lossWeights,
      metrics: training.metrics,
      lrScheduler: training.lrScheduler,
      mixedPrecision: training.mixedPrecision,
      lossScale: training.lossScale,
    });
  } catch (err) {
    model.dispose();
    throw inFile(file, err);
  }
  return model;
}

/** The error of a bad model.json, naming the file (same class as `err`). */
function inFile(file: string, err: unknown): Error {
  const message = `loadModel: ${file}: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof TypeError) return new TypeError(message, { cause: err });
  if (err instanceof RangeError) return new RangeError(message, { cause: err });
  return new Error(message, { cause: err });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses model.json and checks its structure (layer configs are checked by fromConfig). */
function parseModelJson(file: string, text: string): ModelJson {
  const bad = (what: string): Error => new Error(`loadModel: ${file}: ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(`not valid JSON (${(err as Error).message}); the file is damaged or not a nodetorch model.json`);
  }
  if (!isObject(doc) || doc.format !== MODEL_FORMAT) throw bad(`not a nodetorch model.json (expected "format": "${MODEL_FORMAT}")`);
  if (!Number.isInteger(doc.formatVersion) || (doc.formatVersion as number) < 1) throw bad(`"formatVersion" must be a positive integer`);
  if ((doc.formatVersion as number) > MODEL_FORMAT_VERSION) {
    throw bad(
      `written by nodetorch ${String(doc.nodetorchVersion)} in format version ${String(doc.formatVersion)}; ` +
        `this nodetorch (${NODETORCH_VERSION}) reads format versions up to ${MODEL_FORMAT_VERSION}`,
    );
  }
  const topology = doc.modelTopology;
  if (!isObject(topology) || !isObject(topology.config) || !Array.isArray(topology.config.layers)) {
    throw bad('"modelTopology" must be { className, config: { name, layers: [...] } }');
  }
  if (topology.className !== 'Sequential' && topology.className !== 'Functional') {
    throw bad(`unsupported model class '${String(topology.className)}' (this version loads Sequential and Functional models)`);
  }
  if (topology.className === 'Functional' && !(Array.isArray(topology.config.inputs) && Array.isArray(topology.config.calls) && Array.isArray(topology.config.outputs))) {
    throw bad('a Functional "modelTopology" needs config.inputs, config.calls and config.outputs arrays');
  }
  const shape = doc.buildInputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw bad('"buildInputShape" must be an array of positive integers');
  }
  const training = doc.trainingConfig;
  if (training !== null && !(isObject(training) && isObject(training.optimizer) && (training.loss === null || isObject(training.loss) || Array.isArray(training.loss)) && Array.isArray(training.metrics))) {
    throw bad('"trainingConfig" must be null or { optimizer, loss, metrics, lrScheduler? }');
  }
  return doc as unknown as ModelJson;
}
