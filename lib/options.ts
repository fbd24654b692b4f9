/**
 * options.ts — strict options objects. Each options type is declared once as a schema (its keys,
 * each with a rule for its value); `checkOptions(fn, schema, options)` rejects unknown keys with a
 * TypeError naming the closest valid key (PyTorch and Keras-Python spellings map to ours first),
 * wrong types with a TypeError, and out-of-range, NaN or infinite numbers with a RangeError naming
 * the parameter and the value. `defineOptions<Args>({...})` only type-checks when the schema has
 * exactly the keys of `Args`, so the TypeScript interface and the runtime check cannot drift.
 */
import { invalidType, invalidValue } from './errors';
import { checkDevice } from './tensor/device';

/** Checks one option's value (only called when the value is not undefined). */
export interface Rule {
  readonly required?: boolean;
  check(fn: string, param: string, value: unknown): void;
}

/** A schema: one rule per key of the options type `T`, no more, no fewer. */
export type Schema<T> = { readonly [K in keyof T]-?: Rule };

/** Declares the schema of options type `T` (its keys must be exactly `keyof T`). */
export function defineOptions<T>(rules: Schema<T>): Schema<T> {
  return rules;
}

interface NumberBounds {
  /** Lowest allowed value (inclusive unless `gt`). */
  min?: number;
  /** Highest allowed value (inclusive unless `lt`). */
  max?: number;
  /** `min` itself is excluded. */
  gt?: boolean;
  /** `max` itself is excluded. */
  lt?: boolean;
  integer?: boolean;
  required?: boolean;
  /** NaN and ±Infinity are accepted too (measured values, such as the loss of a run that diverged). */
  nonFinite?: boolean;
}

function boundsText(b: NumberBounds): string {
  const what = b.integer ? 'an integer' : 'a finite number';
  if (b.min !== undefined && b.max !== undefined) return `${b.integer ? 'an integer' : 'a number'} in ${b.gt ? '(' : '['}${b.min}, ${b.max}${b.lt ? ')' : ']'}`;
  if (b.min !== undefined) return b.integer && b.min === 1 && !b.gt ? 'a positive integer' : `${what} ${b.gt ? '>' : '≥'} ${b.min}`;
  if (b.max !== undefined) return `${what} ${b.lt ? '<' : '≤'} ${b.max}`;
  return what;
}

/** The value rules options are declared with. */
export const rule = {
  /** A number; finite unless `nonFinite`, and within the bounds when given. */
  number(bounds: NumberBounds = {}): Rule {
    return {
      required: bounds.required,
      check(fn, param, v) {
        if (typeof v !== 'number') throw invalidType(fn, param, bounds.integer ? 'an integer' : 'a number', v);
        if (bounds.integer && Number.isFinite(v) && !Number.isInteger(v)) throw invalidType(fn, param, 'an integer', v);
        if (bounds.nonFinite && !Number.isFinite(v)) return;
        const ok = Number.isFinite(v)
          && (bounds.min === undefined || (bounds.gt ? v > bounds.min : v >= bounds.min))
          && (bounds.max === undefined || (bounds.lt ? v < bounds.max : v <= bounds.max));
        if (!ok) throw invalidValue(fn, param, boundsText(bounds), v);
      },
    };
  },
  /** An integer within the bounds. */
  int(bounds: Omit<NumberBounds, 'integer'> = {}): Rule {
    return rule.number({ ...bounds, integer: true });
  },
  boolean(): Rule {
    return { check: (fn, param, v) => { if (typeof v !== 'boolean') throw invalidType(fn, param, 'a boolean', v); } };
  },
  string(options: { required?: boolean } = {}): Rule {
    return { required: options.required, check: (fn, param, v) => { if (typeof v !== 'string') throw invalidType(fn, param, 'a string', v); } };
  },
  /** One of a fixed set of strings or numbers. */
  oneOf(allowed: readonly (string | number)[], options: { required?: boolean } = {}): Rule {
    return {
      required: options.required,
      check(fn, param, v) {
        if (!allowed.includes(v as string | number)) {
          throw invalidValue(fn, param, `one of ${allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ')}`, v);
        }
      },
    };
  },
  /** A device string: 'cpu', 'cuda' or 'cuda:N'. */
  device(): Rule {
    return { check: (fn, param, v) => void checkDevice(fn, v) };
  },
  func(options: { required?: boolean } = {}): Rule {
    return { required: options.required, check: (fn, param, v) => { if (typeof v !== 'function') throw invalidType(fn, param, 'a function', v); } };
  },
  /** An instance of a class (e.g. AbortSignal, Tensor). */
  instance(cls: abstract new (...args: never[]) => unknown, options: { required?: boolean } = {}): Rule {
    return { required: options.required, check: (fn, param, v) => { if (!(v instanceof cls)) throw invalidType(fn, param, `a ${cls.name}`, v); } };
  },
  /** An array of exactly `length` items, each passing `item` (errors name `param[i]`). */
  tuple(length: number, item: Rule): Rule {
    return {
      check(fn, param, v) {
        if (!Array.isArray(v) || v.length !== length) throw invalidType(fn, param, `an array of ${length}`, v);
        v.forEach((x, i) => item.check(fn, `${param}[${i}]`, x));
      },
    };
  },
  /** An array whose items each pass `item` (errors name `param[i]`). */
  array(item: Rule): Rule {
    return {
      check(fn, param, v) {
        if (!Array.isArray(v)) throw invalidType(fn, param, 'an array', v);
        v.forEach((x, i) => item.check(fn, `${param}[${i}]`, x));
      },
    };
  },
  /** A nested options object with a schema of its own (errors name `param.key`). */
  object<T>(schema: Schema<T>, options: { required?: boolean } = {}): Rule {
    return { required: options.required, check: (fn, param, v) => { checkOptions(fn, schema, v, `${param}.`); } };
  },
  /**
   * A described object `{ kind, ...options }` as a factory returns it (an optimizer, a schedule),
   * checked again by the factory of its kind so that a hand-written or edited one obeys the same
   * rules; `what` says what is expected.
   */
  spec(what: string, factories: Record<string, (options: never) => unknown>): Rule {
    return {
      check(fn, param, v) {
        const kind = v !== null && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined;
        if (typeof kind !== 'string' || !Object.hasOwn(factories, kind)) throw invalidType(fn, param, what, v);
        const options = Object.fromEntries(Object.entries(v as object).filter(([k, x]) => k !== 'kind' && x !== undefined));
        try {
          factories[kind](options as never);
        } catch (e) {
          const Cls = e instanceof RangeError ? RangeError : TypeError;
          throw new Cls(`${fn}: ${param} ${(e as Error).message}`);
        }
      },
    };
  },
  /**
   * Any value: the function taking the option validates it itself (structured values such as
   * shapes, initializers or datasets, whose checks live with the code that reads them).
   */
  any(options: { required?: boolean } = {}): Rule {
    return { required: options.required, check: () => undefined };
  },
};

/**
 * PyTorch and Keras-Python spellings (and near-synonyms) users type, each with the keys of ours it
 * may mean; the first of them that the schema has is suggested.
 */
const ALIASES: Record<string, readonly string[]> = {
  stride: ['strides'],
  dilation: ['dilationRate'],
  dilation_rate: ['dilationRate'],
  kernel_size: ['kernelSize', 'poolSize'],
  kernel: ['kernelSize', 'poolSize'],
  pool_size: ['poolSize'],
  in_channels: ['inputShape', 'channels'],
  in_features: ['inputShape'],
  input_shape: ['inputShape'],
  input_dim: ['inputDim', 'inputShape'],
  out_channels: ['filters', 'channels'],
  out_features: ['units'],
  num_features: ['inputShape'],
  bias: ['useBias'],
  use_bias: ['useBias'],
  output_padding: ['outputPadding'],
  p: ['rate'],
  learning_rate: ['lr', 'maxLr'],
  learningRate: ['lr', 'maxLr'],
  max_lr: ['maxLr'],
  beta_1: ['betas'],
  beta_2: ['betas'],
  beta1: ['betas'],
  beta2: ['betas'],
  epsilon: ['eps'],
  eps: ['epsilon'],
  weight_decay: ['weightDecay'],
  decay: ['weightDecay', 'lrDecay'],
  lr_decay: ['lrDecay'],
  clipnorm: ['clipNorm'],
  clipvalue: ['clipValue'],
  rho: ['alpha'],
  step_size: ['stepSize'],
  T_max: ['tMax'],
  eta_min: ['etaMin'],
  batch_size: ['batchSize'],
  epoch: ['epochs'],
  nb_epoch: ['epochs'],
  steps_per_epoch: ['stepsPerEpoch'],
  validation_data: ['validationData'],
  validation_split: ['validationSplit'],
  class_weight: ['classWeight'],
  initial_epoch: ['initialEpoch'],
  lr_scheduler: ['lrScheduler'],
  scheduler: ['lrScheduler'],
  metric: ['metrics'],
  loss_fn: ['loss'],
  criterion: ['loss'],
  optim: ['optimizer'],
  requires_grad: ['requiresGrad'],
  keepDim: ['keepdim'],
  keep_dim: ['keepdim'],
  keepdims: ['keepdim'],
  dim: ['axis', 'dims'],
  axis: ['dim'],
  num_workers: ['prefetch'],
  drop_last: ['dropRemainder'],
  min_delta: ['minDelta'],
  restore_best_weights: ['restoreBestWeights'],
};

/** Lower case without separators: `use_bias`, `useBias` and `USE-BIAS` compare equal. */
function normalized(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, '');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The valid key a misspelled one most likely meant, or undefined when none is close. */
export function closestKey(key: string, valid: readonly string[]): string | undefined {
  const alias = (ALIASES[key] ?? ALIASES[key.toLowerCase()])?.find((k) => valid.includes(k));
  if (alias !== undefined) return alias;
  const n = normalized(key);
  const same = valid.find((k) => normalized(k) === n);
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of valid) {
    const d = editDistance(n, normalized(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(n.length / 3))) return best;
  return valid.find((k) => n.length >= 3 && (normalized(k).startsWith(n) || n.startsWith(normalized(k))));
}

/** The TypeError for an option `fn` does not take. */
export function unknownOption(fn: string, key: string, valid: readonly string[], prefix = ''): TypeError {
  const guess = closestKey(key, valid);
  const hint = guess !== undefined ? `did you mean '${prefix}${guess}'?` : `valid options: ${valid.map((k) => `${prefix}${k}`).join(', ') || 'none'}`;
  return new TypeError(`${fn}: unknown option '${prefix}${key}' (${hint})`);
}

/**
 * Checks an options object against its schema and returns it (typed): every own key must be one
 * of the schema's, required keys must be present, and each value that is not undefined must pass
 * its rule. `undefined` options stand for `{}`. `prefix` names a nested object in messages.
 */
export function checkOptions<T>(fn: string, schema: Schema<T>, options: unknown, prefix = ''): T {
  const what = prefix === '' ? 'options' : prefix.slice(0, -1);
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidType(fn, what, 'an object', options);
  const rules = schema as Record<string, Rule>;
  const given = options as Record<string, unknown>;
  // for...in, not Object.keys: this runs on every op call, and the two arrays cost more than the checks.
  for (const key in given) {
    if (!Object.hasOwn(rules, key) && Object.hasOwn(given, key)) throw unknownOption(fn, key, Object.keys(rules), prefix);
  }
  for (const key in rules) {
    const value = given[key];
    if (value === undefined) {
      if (rules[key].required) throw new TypeError(`${fn}: missing required option '${prefix}${key}'`);
    } else {
      rules[key].check(fn, `${prefix}${key}`, value);
    }
  }
  return options as T;
}
