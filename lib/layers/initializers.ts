/**
 * initializers.ts — weight initializers and regularizers of layers (Keras names), as the specs the
 * native module graph applies. Unset initializers keep libtorch's (= PyTorch's) defaults.
 */
import { invalidValue } from '../errors';

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

export function initializerSpec(op: string, param: string, init: Initializer | undefined): Record<string, unknown> | undefined {
  if (init === undefined) return undefined;
  const spec = typeof init === 'string' ? { name: init } : { ...init };
  if (!NAMES.includes(spec.name)) throw invalidValue(op, param, `one of ${NAMES.join(', ')}`, spec.name);
  const mode = (spec as { mode?: unknown }).mode;
  if (mode !== undefined && mode !== 'fanIn' && mode !== 'fanOut') throw invalidValue(op, `${param}.mode`, "'fanIn' or 'fanOut'", mode);
  return spec;
}

/** An L1/L2 penalty on a layer's kernel, added to the training loss. */
export interface Regularizer {
  l1?: number;
  l2?: number;
}

export const regularizers = {
  l1: (l1 = 0.01): Regularizer => ({ l1 }),
  l2: (l2 = 0.01): Regularizer => ({ l2 }),
  l1l2: ({ l1 = 0.01, l2 = 0.01 }: Regularizer = {}): Regularizer => ({ l1, l2 }),
};

export function regularizerSpec(op: string, reg: Regularizer | undefined): Regularizer | undefined {
  if (reg === undefined) return undefined;
  const { l1 = 0, l2 = 0 } = reg;
  if (!(l1 >= 0) || !(l2 >= 0)) throw invalidValue(op, 'kernelRegularizer', 'non-negative l1/l2', reg);
  return { l1, l2 };
}
