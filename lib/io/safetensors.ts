/**
 * safetensors.ts — `nt.io.saveSafetensors` / `nt.io.loadSafetensors`: named tensors in the
 * safetensors format (what PyTorch and Hugging Face exchange weights in). The native side
 * (binding/safetensors.cc) writes atomically and validates every file it reads; the Promise forms
 * do the file I/O and tensor copies off the event loop.
 */
import { checkOptions, defineOptions, rule } from '../options';
import { native, type Handle } from '../binding';
import { invalidType } from '../errors';
import type { Device } from '../tensor/device';
import { Tensor } from '../tensor/tensor';
import { removeStaleTemps } from './atomic_file';

/** Tensors by name: a plain object or a Map (Map keeps any insertion order). */
export type NamedTensors = Record<string, Tensor> | Map<string, Tensor>;

/** The file's "__metadata__": free-form string pairs. */
export type SafetensorsMetadata = Record<string, string>;

/** What a safetensors file holds: named tensors and string metadata. */
export interface SafetensorsContent {
  /** The tensors by name, in the file's header order (JS objects list integer-like keys first). */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` strings ({} when absent). */
  metadata: SafetensorsMetadata;
}

/** Options of loadSafetensors / loadSafetensorsSync. */
export interface LoadSafetensorsOptions {
  /** Where the loaded tensors go (default 'cpu'). */
  device?: Device;
}

type SaveArgs = [string, string[], Handle[], SafetensorsMetadata | null];

function saveArgs(op: string, file: unknown, tensors: unknown, metadata: unknown): SaveArgs {
  checkPath(op, file);
  const entries =
    tensors instanceof Map ? [...(tensors as Map<unknown, unknown>).entries()]
    : tensors !== null && typeof tensors === 'object' && !Array.isArray(tensors) ? Object.entries(tensors)
    : undefined;
  if (entries === undefined) throw invalidType(op, 'tensors', 'an object or Map of name → Tensor', tensors);
  for (const [name, t] of entries) {
    if (typeof name !== 'string') throw invalidType(op, 'tensors', 'keyed by strings', name);
    if (!(t instanceof Tensor)) throw invalidType(op, `tensors['${name}']`, 'a Tensor', t);
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw invalidType(op, 'metadata', 'an object of strings', metadata);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw invalidType(op, `metadata['${k}']`, 'a string', v);
    }
  }
  return [
    file as string,
    entries.map(([name]) => name as string),
    entries.map(([, t]) => (t as Tensor)._h),
    (metadata as SafetensorsMetadata | undefined) ?? null,
  ];
}

function checkPath(op: string, file: unknown): void {
  if (typeof file !== 'string' || file.length === 0) throw invalidType(op, 'path', 'a non-empty string', file);
}

const LOAD_OPTIONS = defineOptions<LoadSafetensorsOptions>({ device: rule.device() });

function targetDevice(op: string, options: LoadSafetensorsOptions): Device {
  return checkOptions(op, LOAD_OPTIONS, options).device ?? 'cpu';
}

function content(raw: { tensors: [string, Handle][]; metadata: [string, string][] }, device: Device): SafetensorsContent {
  const tensors = raw.tensors.map(([name, h]): [string, Tensor] => {
    const t = new Tensor(h);
    if (device === 'cpu') return [name, t];
    try {
      return [name, t.to(device)];
    } finally {
      t.dispose();
    }
  });
  return { tensors: Object.fromEntries(tensors), metadata: Object.fromEntries(raw.metadata) };
}

/**
 * Writes tensors (any device) and optional string metadata to a safetensors file, atomically: the
 * file at `path` is the old one or the new one, never a partial write, even if the process dies.
 * Then removes temp files that killed writers left next to `path`.
 */
export async function saveSafetensors(path: string, tensors: NamedTensors, metadata?: SafetensorsMetadata): Promise<void> {
  await native.saveSafetensors(...saveArgs('saveSafetensors', path, tensors, metadata));
  await removeStaleTemps(path);
}

/** saveSafetensors() on the calling thread (for scripts); stale temp files of killed writers are left to the async form. */
export function saveSafetensorsSync(path: string, tensors: NamedTensors, metadata?: SafetensorsMetadata): void {
  native.saveSafetensorsSync(...saveArgs('saveSafetensorsSync', path, tensors, metadata));
}

/** Reads a safetensors file; a damaged file gives an error naming the file and what is wrong. */
export async function loadSafetensors(path: string, options: LoadSafetensorsOptions = {}): Promise<SafetensorsContent> {
  checkPath('loadSafetensors', path);
  const device = targetDevice('loadSafetensors', options);
  return content(await native.loadSafetensors(path), device);
}

/** loadSafetensors() on the calling thread (for scripts). */
export function loadSafetensorsSync(path: string, options: LoadSafetensorsOptions = {}): SafetensorsContent {
  checkPath('loadSafetensorsSync', path);
  const device = targetDevice('loadSafetensorsSync', options);
  return content(native.loadSafetensorsSync(path), device);
}
