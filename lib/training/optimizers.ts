/**
 * optimizers.ts — `nt.optimizers.*`: optimizer descriptions with libtorch's option names and
 * defaults; the native optimizer is built (and validated by libtorch) at compile().
 */
import { checkNumber, invalidValue } from '../errors';

interface Common {
  /** Learning rate. */
  lr?: number;
  /** L2 penalty added to the gradients (AdamW: decoupled weight decay). */
  weightDecay?: number;
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** Clamp every gradient element to [-clipValue, clipValue] before each step. */
  clipValue?: number;
}

export interface SGDOptions extends Common {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}
export interface AdamOptions extends Common {
  betas?: [number, number];
  eps?: number;
  amsgrad?: boolean;
}
export interface RMSpropOptions extends Common {
  alpha?: number;
  eps?: number;
  momentum?: number;
  centered?: boolean;
}
export interface AdagradOptions extends Common {
  lrDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

/** A described optimizer, passed to `compile({ optimizer })`. */
export interface OptimizerSpec {
  kind: 'sgd' | 'adam' | 'adamW' | 'rmsprop' | 'adagrad';
  lr: number;
  clipNorm?: number;
  clipValue?: number;
  [option: string]: unknown;
}

function spec(kind: OptimizerSpec['kind'], defaultLr: number, options: Common & Record<string, unknown>): OptimizerSpec {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidValue(kind, 'options', 'an object', options);
  const lr = checkNumber(kind, 'lr', options.lr ?? defaultLr);
  for (const clip of ['clipNorm', 'clipValue'] as const) {
    const v = options[clip];
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw invalidValue(kind, clip, 'a positive number', v);
  }
  return { ...options, kind, lr };
}

export const sgd = (options: SGDOptions = {}): OptimizerSpec => spec('sgd', 0.01, { ...options });
export const adam = (options: AdamOptions = {}): OptimizerSpec => spec('adam', 1e-3, { ...options });
export const adamW = (options: AdamOptions = {}): OptimizerSpec => spec('adamW', 1e-3, { ...options });
export const rmsprop = (options: RMSpropOptions = {}): OptimizerSpec => spec('rmsprop', 0.01, { ...options });
export const adagrad = (options: AdagradOptions = {}): OptimizerSpec => spec('adagrad', 0.01, { ...options });

/** Optimizer names accepted as strings in compile (with default options). */
export const OPTIMIZERS: Record<string, () => OptimizerSpec> = { sgd, adam, adamW, adamw: adamW, rmsprop, adagrad };
