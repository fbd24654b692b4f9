/**
 * schedulers.ts — `nt.schedulers.*`: learning-rate schedules (torch.optim.lr_scheduler formulas)
 * evaluated natively each epoch or each batch. ReduceLROnPlateau is a callback (it needs the
 * epoch's metrics): `nt.callbacks.reduceLROnPlateau`.
 */
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';

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

export interface StepLROptions {
  /** Steps between two decays. */
  stepSize: number;
  /** Decay factor (default 0.1). */
  gamma?: number;
  interval?: Interval;
}
export interface MultiStepLROptions {
  /** Steps at which the lr decays, increasing. */
  milestones: number[];
  /** Decay factor (default 0.1). */
  gamma?: number;
  interval?: Interval;
}
export interface ExponentialLROptions {
  /** Decay factor per step. */
  gamma: number;
  interval?: Interval;
}
export interface CosineAnnealingOptions {
  /** Steps of the cosine decay (after the warmup). */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
  /** Steps of linear warmup from 0 to the lr (default 0). */
  warmupSteps?: number;
  interval?: Interval;
}
export interface OneCycleOptions {
  /** The peak lr. */
  maxLr: number;
  /** Steps of the whole cycle (default: the fit's batches, or epochs). */
  totalSteps?: number;
  /** Fraction of the cycle spent warming up, in (0, 1) (default 0.3). */
  pctStart?: number;
  /** The initial lr is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final lr is the initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  interval?: Interval;
}

const interval = rule.oneOf(['epoch', 'batch']);
const gamma = rule.number({ min: 0 });
const positiveSteps = rule.int({ min: 1, required: true });

/** Each schedule's options, with torch.optim.lr_scheduler's ranges. */
const SCHEMAS = {
  stepLR: defineOptions<StepLROptions>({ stepSize: positiveSteps, gamma, interval }),
  multiStepLR: defineOptions<MultiStepLROptions>({ milestones: rule.any({ required: true }), gamma, interval }),
  exponentialLR: defineOptions<ExponentialLROptions>({ gamma: { ...gamma, required: true }, interval }),
  cosineAnnealing: defineOptions<CosineAnnealingOptions>({ tMax: positiveSteps, etaMin: rule.number({ min: 0 }), warmupSteps: rule.int({ min: 0 }), interval }),
  oneCycle: defineOptions<OneCycleOptions>({
    maxLr: rule.number({ min: 0, required: true }),
    totalSteps: rule.int({ min: 1 }),
    pctStart: rule.number({ min: 0, max: 1, gt: true, lt: true }),
    divFactor: rule.number({ min: 0, gt: true }),
    finalDivFactor: rule.number({ min: 0, gt: true }),
    interval,
  }),
};

/** lr × gamma every `stepSize` steps. */
export const stepLR = (o: StepLROptions): LrSchedulerSpec => {
  const { stepSize, gamma = 0.1, interval = 'epoch' } = checkOptions('stepLR', SCHEMAS.stepLR, o);
  return { kind: 'stepLR', stepSize, gamma, interval };
};

/** lr × gamma at each milestone step. */
export const multiStepLR = (o: MultiStepLROptions): LrSchedulerSpec => {
  const { milestones, gamma = 0.1, interval = 'epoch' } = checkOptions('multiStepLR', SCHEMAS.multiStepLR, o);
  if (!Array.isArray(milestones) || milestones.some((m, i) => !Number.isInteger(m) || m < 0 || (i > 0 && m <= milestones[i - 1]))) {
    throw invalidValue('multiStepLR', 'milestones', 'an increasing array of non-negative integers', milestones);
  }
  return { kind: 'multiStepLR', milestones: [...milestones], gamma, interval };
};

/** lr × gamma^step. */
export const exponentialLR = (o: ExponentialLROptions): LrSchedulerSpec => {
  const { gamma, interval = 'epoch' } = checkOptions('exponentialLR', SCHEMAS.exponentialLR, o);
  return { kind: 'exponentialLR', gamma, interval };
};

/** Cosine decay from lr to etaMin over tMax steps, after an optional linear warmup. */
export const cosineAnnealing = (o: CosineAnnealingOptions): LrSchedulerSpec => {
  const { tMax, etaMin = 0, warmupSteps = 0, interval = 'epoch' } = checkOptions('cosineAnnealing', SCHEMAS.cosineAnnealing, o);
  return { kind: 'cosineAnnealing', tMax, etaMin, warmupSteps, interval };
};

/**
 * The one-cycle policy (per batch by default): warm up from maxLr/divFactor to maxLr over
 * pctStart of the run, then anneal to maxLr/(divFactor·finalDivFactor). `totalSteps` defaults to
 * the number of batches (or epochs) of the fit.
 */
export const oneCycle = (o: OneCycleOptions): LrSchedulerSpec => {
  const { maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4, interval = 'batch' } = checkOptions('oneCycle', SCHEMAS.oneCycle, o);
  return { kind: 'oneCycle', maxLr, totalSteps, pctStart, divFactor, finalDivFactor, interval };
};

/** @internal The rule of an `lrScheduler` option (compile, fit). */
export const LR_SCHEDULER_RULE = rule.spec('a schedule from nt.schedulers.*()', { stepLR, multiStepLR, exponentialLR, cosineAnnealing, oneCycle });
