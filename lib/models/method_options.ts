/**
 * method_options.ts — the options schemas of the Model methods (compile, evaluate, predict,
 * trainOnBatch); fit's are declared with FitOptions in training/fit.ts.
 */
import { defineOptions, rule } from '../options';
import { OPTIMIZER_RULE } from '../training/optimizers';
import { LR_SCHEDULER_RULE } from '../training/schedulers';
import { LOSS_SCALE_RULE, MIXED_PRECISION_RULE } from '../amp/policy';
import type { CompileArgs } from './model';

export const COMPILE_OPTIONS = defineOptions<CompileArgs>({
  optimizer: { ...OPTIMIZER_RULE, required: true },
  // loss, lossWeights and metrics are checked by compile (they depend on the model's outputs)
  loss: rule.any({ required: true }),
  lossWeights: rule.any(),
  metrics: rule.any(),
  lrScheduler: LR_SCHEDULER_RULE,
  mixedPrecision: MIXED_PRECISION_RULE,
  lossScale: LOSS_SCALE_RULE,
});

/** Options of predict and evaluate. */
export interface BatchOptions {
  /** Samples per native forward (default 32). */
  batchSize?: number;
}

export const BATCH_OPTIONS = defineOptions<BatchOptions>({ batchSize: rule.int({ min: 1 }) });

/** Options of trainOnBatch. */
export interface TrainOnBatchOptions {
  /** Loss weight per class index, e.g. { 0: 1, 1: 5 }. */
  classWeight?: Record<number, number>;
}

// classWeight is checked where it becomes a tensor (Model.classWeightTensor)
export const TRAIN_ON_BATCH_OPTIONS = defineOptions<TrainOnBatchOptions>({ classWeight: rule.any() });
