/**
 * schedulers.ts — `nt.schedulers.*`: learning-rate schedules (torch.optim.lr_scheduler formulas)
 * evaluated natively each epoch or each batch. ReduceLROnPlateau is a callback (it needs the
 * epoch's metrics): `nt.callbacks.reduceLROnPlateau`.
 */
import { checkInt, checkNumber, invalidValue } from '../errors';

/** Whether a schedule steps once per epoch or once per batch. */
export type Interval = 'epoch' | 'batch';

/** A described schedule, passed to `compile({ lrScheduler })` or `fit({ lrScheduler })`. */
export interface LrSchedulerSpec {
  /** The schedule's formula (as torch.optim.lr_scheduler's class of that name). */
  kind: 'stepLR' | 'multiStepLR' | 'exponentialLR' | 'cosineAnnealing' | 'oneCycle';
  /** Step the schedule every epoch (default) or every batch. */
  interval: Interval;
  [option: string]: unknown;
}

function interval(op: string, v: Interval | undefined, fallback: Interval): Interval {
  const i = v ?? fallback;
  if (i !== 'epoch' && i !== 'batch') throw invalidValue(op, 'interval', "'epoch' or 'batch'", v);
  return i;
}

/** lr × gamma every `stepSize` steps. */
export const stepLR = (o: { stepSize: number; gamma?: number; interval?: Interval }): LrSchedulerSpec => ({
  kind: 'stepLR',
  stepSize: checkInt('stepLR', 'stepSize', o?.stepSize),
  gamma: checkNumber('stepLR', 'gamma', o.gamma ?? 0.1),
  interval: interval('stepLR', o.interval, 'epoch'),
});

/** lr × gamma at each milestone step. */
export const multiStepLR = (o: { milestones: number[]; gamma?: number; interval?: Interval }): LrSchedulerSpec => {
  if (!Array.isArray(o?.milestones) || o.milestones.some((m) => !Number.isInteger(m))) {
    throw invalidValue('multiStepLR', 'milestones', 'an array of integers', o?.milestones);
  }
  return { kind: 'multiStepLR', milestones: [...o.milestones], gamma: checkNumber('multiStepLR', 'gamma', o.gamma ?? 0.1), interval: interval('multiStepLR', o.interval, 'epoch') };
};

/** lr × gamma^step. */
export const exponentialLR = (o: { gamma: number; interval?: Interval }): LrSchedulerSpec => ({
  kind: 'exponentialLR',
  gamma: checkNumber('exponentialLR', 'gamma', o?.gamma),
  interval: interval('exponentialLR', o.interval, 'epoch'),
});

/** Cosine decay from lr to etaMin over tMax steps, after an optional linear warmup. */
export const cosineAnnealing = (o: { tMax: number; etaMin?: number; warmupSteps?: number; interval?: Interval }): LrSchedulerSpec => ({
  kind: 'cosineAnnealing',
  tMax: checkInt('cosineAnnealing', 'tMax', o?.tMax),
  etaMin: checkNumber('cosineAnnealing', 'etaMin', o.etaMin ?? 0),
  warmupSteps: checkInt('cosineAnnealing', 'warmupSteps', o.warmupSteps ?? 0),
  interval: interval('cosineAnnealing', o.interval, 'epoch'),
});

/**
 * The one-cycle policy (per batch by default): warm up from maxLr/divFactor to maxLr over
 * pctStart of the run, then anneal to maxLr/(divFactor·finalDivFactor). `totalSteps` defaults to
 * the number of batches (or epochs) of the fit.
 */
export const oneCycle = (o: {
  maxLr: number;
  totalSteps?: number;
  pctStart?: number;
  divFactor?: number;
  finalDivFactor?: number;
  interval?: Interval;
}): LrSchedulerSpec => ({
  kind: 'oneCycle',
  maxLr: checkNumber('oneCycle', 'maxLr', o?.maxLr),
  totalSteps: o.totalSteps === undefined ? undefined : checkInt('oneCycle', 'totalSteps', o.totalSteps),
  pctStart: checkNumber('oneCycle', 'pctStart', o.pctStart ?? 0.3),
  divFactor: checkNumber('oneCycle', 'divFactor', o.divFactor ?? 25),
  finalDivFactor: checkNumber('oneCycle', 'finalDivFactor', o.finalDivFactor ?? 1e4),
  interval: interval('oneCycle', o.interval, 'batch'),
});
