/**
 * runtime.ts — process-wide settings and facts: `info()`, seeding, thread counts and CUDA queries.
 */
import { native, type NativeInfo } from './binding';
import { checkInt, invalidValue } from './errors';

/** What this build runs on: libtorch version, CUDA/cuDNN, BLAS, threads, build flags. */
export function info(): NativeInfo & { nodetorchVersion: string; node: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require('../package.json') as { version: string };
  return { nodetorchVersion: pkg.version, node: process.version, ...native.info() };
}

/** Seeds every libtorch generator (CPU and CUDA), like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  checkInt('manualSeed', 'seed', seed);
  if (seed < 0) throw invalidValue('manualSeed', 'seed', 'a non-negative integer', seed);
  native.manualSeed(seed);
}

/** Intra-op threads libtorch uses (like `torch.set_num_threads`). */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInt('setNumThreads', 'n', n));
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** CUDA queries (all false/0 on CPU-only builds and machines without a GPU). */
export const cuda = {
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Waits for all work queued on a CUDA device (default: the current one). */
  synchronize(device?: number): void {
    native.cudaSynchronize(device === undefined ? null : checkInt('cuda.synchronize', 'device', device));
  },
};
