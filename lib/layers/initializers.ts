/**
 * initializers.ts — weight initializers and regularizers of layers (Keras names), as the specs the
 * native module graph applies, with the option rules layers declare them with. Unset initializers
 * keep libtorch's (= PyTorch's) defaults.
 */
import { invalidValue } from '../errors';
import { type Rule, type Schema, checkOptions, defineOptions, rule } from '../options';

export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'zeros' | 'ones';

/**
 * An initializer: a name, or `{ name: 'normal', mean, std }`, `{ name: 'uniform', min, max }`,
 * `{ name: 'constant', value }`, `{ name: 'heNormal' | 'heUniform', mode: 'fanIn' | 'fanOut' }`
 * (He/Kaiming with the fan PyTorch's `mode` picks; default fanIn as in Keras).
 */
export type Initializer =
  | InitializerName
  | { name: InitializerName }
  | { name: 'heNormal' | 'heUniform'; mode?: 'fanIn' | 'fanOut' }
  | { name: 'normal'; mean?: number; std?: number }
  | { name: 'uniform'; min?: number; max?: number }
  | { name: 'constant'; value: number };

const NAMES = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'zeros', 'ones', 'normal', 'uniform', 'constant'];

const name = rule.any({ required: true });
const PLAIN = defineOptions<{ name: InitializerName }>({ name });
const HE = defineOptions<{ name: 'heNormal' | 'heUniform'; mode?: 'fanIn' | 'fanOut' }>({ name, mode: rule.oneOf(['fanIn', 'fanOut']) });
/** The options of each initializer given as an object, by name. */
const INITIALIZER_OPTIONS: Record<string, Schema<object>> = {
  glorotUniform: PLAIN,
  glorotNormal: PLAIN,
  zeros: PLAIN,
  ones: PLAIN,
  heUniform: HE,
  heNormal: HE,
  normal: defineOptions<{ name: 'normal'; mean?: number; std?: number }>({ name, mean: rule.number(), std: rule.number({ min: 0 }) }),
  uniform: defineOptions<{ name: 'uniform'; min?: number; max?: number }>({ name, min: rule.number(), max: rule.number() }),
  constant: defineOptions<{ name: 'constant'; value: number }>({ name, value: rule.number({ required: true }) }),
};

/** The rule of an initializer option: a known name, or an object with that name's options. */
export const INITIALIZER_RULE: Rule = {
  check(fn, param, init) {
    const initName = typeof init === 'object' && init !== null ? (init as { name?: unknown }).name : init;
    if (typeof initName !== 'string' || !NAMES.includes(initName)) throw invalidValue(fn, param, `one of ${NAMES.join(', ')}`, initName);
    if (typeof init === 'object') checkOptions(fn, INITIALIZER_OPTIONS[initName], init, `${param}.`);
  },
};

/** The native spec of a (checked) initializer. */
export function initializerSpec(init: Initializer | undefined): Record<string, unknown> | undefined {
  if (init === undefined) return undefined;
  return typeof init === 'string' ? { name: init } : { ...init };
}

/** An L1/L2 penalty on a layer's kernel, added to the training loss. */
export interface Regularizer {
  l1?: number;
  l2?: number;
}

const REGULARIZER_OPTIONS = defineOptions<Regularizer>({ l1: rule.number({ min: 0 }), l2: rule.number({ min: 0 }) });

/** The rule of a kernelRegularizer option. */
export const REGULARIZER_RULE = rule.object(REGULARIZER_OPTIONS);

const factor = rule.number({ min: 0 });

export const regularizers = {
  l1: (l1 = 0.01): Regularizer => {
    factor.check('regularizers.l1', 'l1', l1);
    return { l1 };
  },
  l2: (l2 = 0.01): Regularizer => {
    factor.check('regularizers.l2', 'l2', l2);
    return { l2 };
  },
  l1l2: (options: Regularizer = {}): Regularizer => {
    const { l1 = 0.01, l2 = 0.01 } = checkOptions('regularizers.l1l2', REGULARIZER_OPTIONS, options);
    return { l1, l2 };
  },
};

/** The native spec of a (checked) regularizer. */
export function regularizerSpec(reg: Regularizer | undefined): Regularizer | undefined {
  if (reg === undefined) return undefined;
  return { l1: reg.l1 ?? 0, l2: reg.l2 ?? 0 };
}
