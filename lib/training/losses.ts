/**
 * losses.ts — `nt.losses.*`: Keras-named losses as descriptions for the native trainer, and the
 * fusion rule: a softmax/sigmoid last layer with a probability loss trains on logits (stable).
 */
import type { NativeLossFn } from '../binding';
import { checkNumber, invalidValue } from '../errors';
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

function smoothing(op: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  checkNumber(op, 'labelSmoothing', v);
  if (!(v >= 0 && v <= 1)) throw invalidValue(op, 'labelSmoothing', 'a number in [0, 1]', v);
  return v;
}

export interface CrossentropyOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

export const sparseCategoricalCrossentropy = (o: CrossentropyOptions = {}): LossSpec => ({
  kind: 'sparseCategoricalCrossentropy',
  fromLogits: Boolean(o.fromLogits),
  labelSmoothing: smoothing('sparseCategoricalCrossentropy', o.labelSmoothing),
});
export const categoricalCrossentropy = (o: CrossentropyOptions = {}): LossSpec => ({
  kind: 'categoricalCrossentropy',
  fromLogits: Boolean(o.fromLogits),
  labelSmoothing: smoothing('categoricalCrossentropy', o.labelSmoothing),
});
export const binaryCrossentropy = (o: CrossentropyOptions = {}): LossSpec => ({
  kind: 'binaryCrossentropy',
  fromLogits: Boolean(o.fromLogits),
  labelSmoothing: smoothing('binaryCrossentropy', o.labelSmoothing),
});
export const meanSquaredError = (): LossSpec => ({ kind: 'meanSquaredError' });
export const meanAbsoluteError = (): LossSpec => ({ kind: 'meanAbsoluteError' });
export const huber = (o: { delta?: number } = {}): LossSpec => {
  const delta = checkNumber('huber', 'delta', o.delta ?? 1);
  if (!(delta > 0)) throw invalidValue('huber', 'delta', 'positive', delta);
  return { kind: 'huber', delta };
};
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

/** Resolves a loss given as a name or a spec. */
export function resolveLoss(loss: unknown): LossSpec {
  if (typeof loss === 'string') {
    const kind = ALIASES[loss];
    if (kind === undefined) throw invalidValue('compile', 'loss', `one of ${Object.keys(ALIASES).join(', ')} or a loss object`, loss);
    return { kind };
  }
  if (loss !== null && typeof loss === 'object' && typeof (loss as LossSpec).kind === 'string' && ALIASES[(loss as LossSpec).kind]) {
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
