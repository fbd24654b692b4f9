/**
 * autocast.ts — `nt.amp.autocast(fn, { device, dtype })`: runs `fn` with torch.autocast's per-op
 * precision (matmuls and convolutions in bf16/fp16, precision-sensitive ops in fp32) for the
 * Tensor API and model.call() — the same native autocast that compile({ mixedPrecision }) uses.
 */
import { native } from '../binding';
import { checkOptions, defineOptions, rule } from '../options';
import type { Device } from '../tensor/device';
import { MIXED_PRECISION_RULE, type MixedPrecision } from './policy';

/** Options of {@link autocast}. */
export interface AutocastOptions {
  /** The device whose ops are autocast (default 'cpu'); a region covers one device type. */
  device?: Device;
  /** Default 'bf16' on the CPU (its only autocast precision), 'fp16' on CUDA (as PyTorch). */
  dtype?: MixedPrecision;
}

const AUTOCAST_OPTIONS = defineOptions<AutocastOptions>({ device: rule.device(), dtype: MIXED_PRECISION_RULE });

/**
 * Calls `fn` inside an autocast region and returns its result. The region covers synchronous
 * code only: work that `fn` starts asynchronously runs on other threads, outside it, so a `fn`
 * returning a Promise is refused. Do backward() and optimizer steps outside the region.
 */
export function autocast<T>(fn: () => T, options: AutocastOptions = {}): T {
  const { device = 'cpu', dtype } = checkOptions('amp.autocast', AUTOCAST_OPTIONS, options);
  if (typeof fn !== 'function') throw new TypeError('amp.autocast: fn must be a function');
  const result = native.ampAutocast(device, dtype ?? (device === 'cpu' ? 'bf16' : 'fp16'), fn) as T;
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    throw new TypeError('amp.autocast: fn returned a Promise, but autocast covers synchronous code only (async work runs outside the region)');
  }
  return result;
}
