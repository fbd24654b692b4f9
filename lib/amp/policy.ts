/**
 * policy.ts — the mixed-precision options shared by compile(), the GAN trainer and nt.amp:
 * `mixedPrecision` ('bf16' | 'fp16') and `lossScale` (GradScaler's options, or a boolean), with
 * their strict-option rules.
 */
import { invalidType } from '../errors';
import { checkOptions, defineOptions, rule, type Rule } from '../options';

/**
 * The lower precision autocast computes in: 'bf16' (CPU and CUDA) or 'fp16' (CUDA only; refused
 * on the CPU, whose autocast supports bf16 only). Weights stay fp32.
 */
export type MixedPrecision = 'bf16' | 'fp16';

/** Dynamic loss scaling (torch.cuda.amp.GradScaler's options and defaults). */
export interface LossScaleOptions {
  /** The scale to start from (default 65536 = 2^16). */
  initScale?: number;
  /** Multiplies the scale after `growthInterval` steps in a row with finite gradients (default 2). */
  growthFactor?: number;
  /** Multiplies the scale when a step's gradients hold inf/NaN (the step is skipped; default 0.5). */
  backoffFactor?: number;
  /** Finite steps in a row before the scale grows (default 2000). */
  growthInterval?: number;
}

export const LOSS_SCALE_OPTIONS = defineOptions<LossScaleOptions>({
  initScale: rule.number({ min: 0, gt: true }),
  growthFactor: rule.number({ min: 1, gt: true }),
  backoffFactor: rule.number({ min: 0, max: 1, gt: true, lt: true }),
  growthInterval: rule.int({ min: 1 }),
});

export const MIXED_PRECISION_RULE: Rule = rule.oneOf(['bf16', 'fp16']);

/** `lossScale`: a boolean (on with the defaults / off) or the scaler's options. */
export const LOSS_SCALE_RULE: Rule = {
  check(fn, param, v) {
    if (typeof v === 'boolean') return;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidType(fn, param, 'a boolean or { initScale, growthFactor, backoffFactor, growthInterval }', v);
    checkOptions(fn, LOSS_SCALE_OPTIONS, v, `${param}.`);
  },
};
