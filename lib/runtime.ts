/**
 * runtime.ts — process-wide settings and facts: `info()`, seeding, thread counts and CUDA queries.
 */
import { native, type NativeInfo } from './binding';
import { checkInt, invalidValue } from './errors';

/** What this build runs on: libtorch version, CUDA/cuDNN, BLAS, threads, build flags. */
export function info(): NativeInfo & {
  /** This package's version. */
  nodetorchVersion: string;
  /** The Node.js version (`process.version`). */
  node: string;
} {
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

/** Above this, OpenMP aborts the process trying to allocate its thread pool. */
const MAX_THREADS = 1024;

/**
 * Intra-op threads libtorch uses (like `torch.set_num_threads`), from 1 to 1024. Also caps
 * OpenBLAS's own thread pool when OpenBLAS is the BLAS in use (`info().blasThreads`).
 */
export function setNumThreads(n: number): void {
  checkInt('setNumThreads', 'n', n);
  if (n < 1 || n > MAX_THREADS) throw invalidValue('setNumThreads', 'n', `an integer from 1 to ${MAX_THREADS}`, n);
  native.setNumThreads(n);
}

/** Intra-op threads libtorch uses (like `torch.get_num_threads`). */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/** CUDA queries (all false/0 on CPU-only builds and machines without a GPU). */
export const cuda = {
  /** Whether this libtorch build has CUDA and a GPU is visible. */
  isAvailable(): boolean {
    return native.cudaIsAvailable();
  },
  /** Number of visible CUDA devices. */
  deviceCount(): number {
    return native.cudaDeviceCount();
  },
  /** Waits for all work queued on a CUDA device (default: the current one). */
  synchronize(device?: number): void {
    native.cudaSynchronize(device === undefined ? null : checkInt('cuda.synchronize', 'device', device));
  },
};
