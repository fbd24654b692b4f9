/**
 * index.ts — `nt.gan`: the native GAN trainer, `train` and `sample`.
 */
export { GanTrainer, GanHistory, train, sample } from './trainer';
export type { GanLoss, GanTrainerArgs, GanTrainOptions, GanTrainArgs, TrainStepOptions, SampleOptions } from './trainer';
