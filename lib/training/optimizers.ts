/**
 * optimizers.ts — `nt.optimizers.*`: optimizer descriptions with libtorch's option names and
 * defaults; the native optimizer is built (and validated by libtorch) at compile().
 */
import { type Schema, checkOptions, defineOptions, rule } from '../options';

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

const COMMON = {
  lr: rule.number({ min: 0 }),
  weightDecay: rule.number({ min: 0 }),
  clipNorm: rule.number({ min: 0, gt: true }),
  clipValue: rule.number({ min: 0, gt: true }),
};
const eps = rule.number({ min: 0 });
const momentum = rule.number({ min: 0 });

/** Each optimizer's options, with torch.optim's hyper-parameter rules. */
const SCHEMAS = {
  sgd: defineOptions<SGDOptions>({ ...COMMON, momentum, dampening: rule.number(), nesterov: rule.boolean() }),
  adam: defineOptions<AdamOptions>({ ...COMMON, betas: rule.tuple(2, rule.number({ min: 0, max: 1, lt: true })), eps, amsgrad: rule.boolean() }),
  rmsprop: defineOptions<RMSpropOptions>({ ...COMMON, alpha: rule.number({ min: 0, max: 1 }), eps, momentum, centered: rule.boolean() }),
  adagrad: defineOptions<AdagradOptions>({ ...COMMON, lrDecay: rule.number({ min: 0 }), initialAccumulatorValue: rule.number({ min: 0 }), eps }),
};

type Kind = OptimizerSpec['kind'];
const DEFAULT_LR: Record<Kind, number> = { sgd: 0.01, adam: 1e-3, adamW: 1e-3, rmsprop: 0.01, adagrad: 0.01 };
const SCHEMA_OF: Record<Kind, Schema<object>> = { sgd: SCHEMAS.sgd, adam: SCHEMAS.adam, adamW: SCHEMAS.adam, rmsprop: SCHEMAS.rmsprop, adagrad: SCHEMAS.adagrad };

/**
 * The checked description of a `kind` optimizer with these options; `fn` names the public function
 * in errors (`adam`, `optim.adam`, ...).
 */
export function optimizerSpec(fn: string, kind: Kind, options: unknown): OptimizerSpec {
  const o = checkOptions<object>(fn, SCHEMA_OF[kind], options) as SGDOptions & AdamOptions & RMSpropOptions & AdagradOptions;
  if (o.nesterov && !((o.momentum ?? 0) > 0 && (o.dampening ?? 0) === 0)) {
    throw new RangeError(`${fn}: nesterov requires momentum > 0 and dampening 0, got momentum ${o.momentum ?? 0} and dampening ${o.dampening ?? 0}`);
  }
  return { ...o, kind, lr: o.lr ?? DEFAULT_LR[kind] };
}

/** SGD with optional momentum, dampening, Nesterov and weight decay. */
export const sgd = (options: SGDOptions = {}): OptimizerSpec => optimizerSpec('sgd', 'sgd', options);
/** Adam, with amsgrad. */
export const adam = (options: AdamOptions = {}): OptimizerSpec => optimizerSpec('adam', 'adam', options);
/** AdamW (decoupled weight decay). */
export const adamW = (options: AdamOptions = {}): OptimizerSpec => optimizerSpec('adamW', 'adamW', options);
/** RMSprop, centered or not, with momentum. */
export const rmsprop = (options: RMSpropOptions = {}): OptimizerSpec => optimizerSpec('rmsprop', 'rmsprop', options);
/** Adagrad. */
export const adagrad = (options: AdagradOptions = {}): OptimizerSpec => optimizerSpec('adagrad', 'adagrad', options);

/** Optimizer names accepted as strings in compile (with default options). */
export const OPTIMIZERS: Record<string, () => OptimizerSpec> = { sgd, adam, adamW, adamw: adamW, rmsprop, adagrad };
