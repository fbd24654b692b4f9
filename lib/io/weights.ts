/**
 * weights.ts — a model's weights ⇄ a safetensors file, under PyTorch state_dict names (so
 * `torch.nn.Sequential.load_state_dict` takes the file as it is): `model.saveWeights(path)` and
 * `model.loadWeights(path, { strict })`, which reports missing, unexpected and mis-shaped keys
 * (strict: throws with that report; lenient: loads what matches and returns it).
 */
import { native, type Handle, type ModelHandle } from '../binding';
import { invalidType } from '../errors';
import { removeStaleTemps } from './atomic_file';

/** Options of `model.loadWeights`. */
export interface LoadWeightsOptions {
  /** Every model key must be in the file with the same shape, and nothing else (default true). */
  strict?: boolean;
}

/** How a weights file matched the model (PyTorch's load_state_dict result, plus shapes). */
export interface WeightsReport {
  /** Keys copied into the model. */
  loadedKeys: string[];
  /** Model keys the file lacks (left as they were). */
  missingKeys: string[];
  /** File keys the model lacks (ignored). */
  unexpectedKeys: string[];
  /** Keys in both whose shapes differ (left as they were). */
  mismatchedShapes: {
    /** The weight's name. */
    key: string;
    /** Its shape in the model. */
    modelShape: number[];
    /** Its shape in the file. */
    fileShape: number[];
  }[];
}

/** What every weights file written by nodetorch carries in its metadata ('pt': PyTorch layout). */
const WEIGHTS_METADATA = { format: 'pt' };

export function checkFilePath(op: string, file: unknown): string {
  if (typeof file !== 'string' || file.length === 0) throw invalidType(op, 'path', 'a non-empty string', file);
  return file;
}

/** A consistent copy of a model's weights (and optimizer state), see `native.modelSnapshot`. */
export type Snapshot = Awaited<ReturnType<typeof native.modelSnapshot>>;

/**
 * Runs `use` on a snapshot of the model taken when it is free (between two training steps; async,
 * so it waits its turn instead of failing), then frees the copies.
 */
export async function withSnapshot<T>(handle: ModelHandle, withOptimizer: boolean, use: (snapshot: Snapshot) => Promise<T>): Promise<T> {
  const snapshot = await native.modelSnapshot(handle, withOptimizer);
  try {
    return await use(snapshot);
  } finally {
    for (const [, h] of snapshot.entries) native.dispose(h);
    if (snapshot.optimizer !== null) native.dispose(snapshot.optimizer);
  }
}

/** Writes the entries of a snapshot (every parameter and buffer) to `file` (atomically, off the event loop). */
export async function saveModelWeights(entries: Snapshot['entries'], file: string): Promise<void> {
  await native.saveSafetensors(
    file,
    entries.map(([name]) => name),
    entries.map(([, h]) => h),
    WEIGHTS_METADATA,
  );
  await removeStaleTemps(file);
}

/** Reads `file` (off the event loop) and copies the matching weights into the model. */
export async function loadModelWeights(op: string, handle: ModelHandle, file: string, options: LoadWeightsOptions = {}): Promise<WeightsReport> {
  if (options === null || typeof options !== 'object') throw invalidType(op, 'options', '{ strict?: boolean }', options);
  const strict = options.strict ?? true;
  if (typeof strict !== 'boolean') throw invalidType(op, 'strict', 'a boolean', strict);
  const loaded = await native.loadSafetensors(file);
  const current = native.modelStateDict(handle, op, false);
  try {
    const report = compare(current, loaded.tensors);
    if (strict && (report.missingKeys.length > 0 || report.unexpectedKeys.length > 0 || report.mismatchedShapes.length > 0)) {
      throw new Error(mismatchMessage(op, file, report));
    }
    const byName = new Map(loaded.tensors);
    await native.modelLoadStateAsync(
      handle,
      report.loadedKeys,
      report.loadedKeys.map((k) => byName.get(k) as Handle),
    );
    return report;
  } finally {
    for (const [, h] of current) native.dispose(h);
    for (const [, h] of loaded.tensors) native.dispose(h);
  }
}

function compare(model: [string, Handle, boolean][], file: [string, Handle][]): WeightsReport {
  const fileShapes = new Map(file.map(([name, h]) => [name, native.shape(h)]));
  const report: WeightsReport = { loadedKeys: [], missingKeys: [], unexpectedKeys: [], mismatchedShapes: [] };
  for (const [key, h] of model) {
    const fileShape = fileShapes.get(key);
    if (fileShape === undefined) {
      report.missingKeys.push(key);
      continue;
    }
    const modelShape = native.shape(h);
    if (modelShape.length === fileShape.length && modelShape.every((d, i) => d === fileShape[i])) report.loadedKeys.push(key);
    else report.mismatchedShapes.push({ key, modelShape, fileShape });
  }
  const modelKeys = new Set(model.map(([key]) => key));
  report.unexpectedKeys = file.map(([key]) => key).filter((key) => !modelKeys.has(key));
  return report;
}

function mismatchMessage(op: string, file: string, report: WeightsReport): string {
  const lines = [`${op}: ${file} does not match the model's weights (strict):`];
  if (report.missingKeys.length > 0) lines.push(`  missing keys (in the model, not in the file): ${report.missingKeys.join(', ')}`);
  if (report.unexpectedKeys.length > 0) lines.push(`  unexpected keys (in the file, not in the model): ${report.unexpectedKeys.join(', ')}`);
  for (const m of report.mismatchedShapes) lines.push(`  shape mismatch for ${m.key}: model [${m.modelShape.join(', ')}], file [${m.fileShape.join(', ')}]`);
  lines.push('Pass { strict: false } to load the keys that match and get this report back.');
  return lines.join('\n');
}
