/**
 * losses.ts — `nt.losses.*`: Keras-named losses as descriptions for the native trainer, and the
 * fusion rule: a softmax/sigmoid last layer with a probability loss trains on logits (stable).
 */
import type { NativeLossFn } from '../binding';
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import { tidy } from '../tensor/memory';
import { Tensor } from '../tensor/tensor';

export type LossName =
  | 'sparseCategoricalCrossentropy'
  | 'categoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'huber'
  | 'kld';

/** A described loss, passed to `compile({ loss })`. */
export interface LossSpec {
  kind: LossName;
  /** Predictions are logits rather than probabilities. */
  fromLogits?: boolean;
  labelSmoothing?: number;
  /** Huber threshold. */
  delta?: number;
}

const ALIASES: Record<string, LossName> = {
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  binaryCrossentropy: 'binaryCrossentropy',
  meanSquaredError: 'meanSquaredError',
  mse: 'meanSquaredError',
  meanAbsoluteError: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
  huber: 'huber',
  kld: 'kld',
  kullbackLeiblerDivergence: 'kld',
};

export interface CrossentropyOptions {
  /** Predictions are logits rather than probabilities (default false). */
  fromLogits?: boolean;
  /** Mix the targets with the uniform distribution by this amount, in [0, 1] (default 0). */
  labelSmoothing?: number;
}

const CROSSENTROPY_OPTIONS = defineOptions<CrossentropyOptions>({ fromLogits: rule.boolean(), labelSmoothing: rule.number({ min: 0, max: 1 }) });

function crossentropy(kind: LossName, o: CrossentropyOptions): LossSpec {
  const { fromLogits = false, labelSmoothing } = checkOptions(kind, CROSSENTROPY_OPTIONS, o);
  return { kind, fromLogits, labelSmoothing };
}

export const sparseCategoricalCrossentropy = (o: CrossentropyOptions = {}): LossSpec => crossentropy('sparseCategoricalCrossentropy', o);
export const categoricalCrossentropy = (o: CrossentropyOptions = {}): LossSpec => crossentropy('categoricalCrossentropy', o);
export const binaryCrossentropy = (o: CrossentropyOptions = {}): LossSpec => crossentropy('binaryCrossentropy', o);
export const meanSquaredError = (): LossSpec => ({ kind: 'meanSquaredError' });
export const meanAbsoluteError = (): LossSpec => ({ kind: 'meanAbsoluteError' });

export interface HuberOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

const HUBER_OPTIONS = defineOptions<HuberOptions>({ delta: rule.number({ min: 0, gt: true }) });

export const huber = (o: HuberOptions = {}): LossSpec => ({ kind: 'huber', delta: checkOptions('huber', HUBER_OPTIONS, o).delta ?? 1 });
export const kld = (): LossSpec => ({ kind: 'kld' });

/** A loss written with the Tensor API: `(yTrue, yPred) => scalar Tensor` (Keras argument order). */
export type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

/**
 * Wraps a JS loss for the native trainer, which calls it once per batch from its loop (the loop
 * waits for the main thread). Temporaries are freed; the returned loss is consumed natively.
 * @internal
 */
export function nativeLoss(fn: LossFunction): NativeLossFn {
  return (predHandle, targetHandle) => {
    const pred = new Tensor(predHandle);
    const target = new Tensor(targetHandle);
    try {
      const loss = tidy(() => fn(target, pred));
      if (!(loss instanceof Tensor)) throw new TypeError(`custom loss: must return a Tensor, got ${typeof loss}`);
      return loss._h;
    } finally {
      pred.dispose();
      target.dispose();
    }
  };
}

// A spec object given to compile (normally made by the factories above).
const LOSS_SPEC_OPTIONS = defineOptions<LossSpec>({ kind: rule.any(), ...CROSSENTROPY_OPTIONS, ...HUBER_OPTIONS });

/** Resolves a loss given as a name or a spec. */
export function resolveLoss(loss: unknown): LossSpec {
  if (typeof loss === 'string') {
    const kind = ALIASES[loss];
    if (kind === undefined) throw invalidValue('compile', 'loss', `one of ${Object.keys(ALIASES).join(', ')} or a loss object`, loss);
    return { kind };
  }
  if (loss !== null && typeof loss === 'object' && typeof (loss as LossSpec).kind === 'string' && ALIASES[(loss as LossSpec).kind]) {
    checkOptions('compile', LOSS_SPEC_OPTIONS, loss, 'loss.');
    return loss as LossSpec;
  }
  throw invalidValue('compile', 'loss', 'a loss name or nt.losses.*() object', loss);
}

/** Whether the model's final activation can be fused into this loss (trained on logits). */
export function fusesWith(loss: LossSpec, finalActivation: string | undefined, outputRank: number): boolean {
  if (loss.fromLogits) return false;
  if (finalActivation === 'softmax') {
    return outputRank === 1 && (loss.kind === 'sparseCategoricalCrossentropy' || loss.kind === 'categoricalCrossentropy');
  }
  return finalActivation === 'sigmoid' && loss.kind === 'binaryCrossentropy';
}
