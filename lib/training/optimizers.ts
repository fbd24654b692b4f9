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

/** Options of SGD (torch.optim.SGD; default lr 0.01). */
export interface SGDOptions extends Common {
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}
/** Options of Adam and AdamW (torch.optim.Adam/AdamW; default lr 1e-3, AdamW weightDecay 1e-2). */
export interface AdamOptions extends Common {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** The AMSGrad variant (default false). */
  amsgrad?: boolean;
}
/** Options of RMSprop (torch.optim.RMSprop; default lr 0.01). */
export interface RMSpropOptions extends Common {
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Normalize by the centered second moment, i.e. the gradient's variance estimate (default false). */
  centered?: boolean;
}
/** Options of Adagrad (torch.optim.Adagrad; default lr 0.01). */
export interface AdagradOptions extends Common {
  /** Learning-rate decay per step (default 0). */
  lrDecay?: number;
  /** Starting value of the squared-gradient sums (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator for stability (default 1e-10). */
  eps?: number;
}

/** A described optimizer, passed to `compile({ optimizer })`. */
export interface OptimizerSpec {
  /** Which optimizer. */
  kind: 'sgd' | 'adam' | 'adamW' | 'rmsprop' | 'adagrad';
  /** Learning rate. */
  lr: number;
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** Clamp every gradient element to [-clipValue, clipValue] before each step. */
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

/** SGD with optional momentum, dampening, Nesterov and weight decay. */
export const sgd = (options: SGDOptions = {}): OptimizerSpec => spec('sgd', 0.01, { ...options });
/** Adam, with amsgrad. */
export const adam = (options: AdamOptions = {}): OptimizerSpec => spec('adam', 1e-3, { ...options });
/** AdamW (decoupled weight decay). */
export const adamW = (options: AdamOptions = {}): OptimizerSpec => spec('adamW', 1e-3, { ...options });
/** RMSprop, centered or not, with momentum. */
export const rmsprop = (options: RMSpropOptions = {}): OptimizerSpec => spec('rmsprop', 0.01, { ...options });
/** Adagrad. */
export const adagrad = (options: AdagradOptions = {}): OptimizerSpec => spec('adagrad', 0.01, { ...options });

/** Optimizer names accepted as strings in compile (with default options). */
export const OPTIMIZERS: Record<string, () => OptimizerSpec> = { sgd, adam, adamW, adamw: adamW, rmsprop, adagrad };
