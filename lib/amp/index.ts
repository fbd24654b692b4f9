/**
 * index.ts — `nt.amp`: automatic mixed precision for custom loops (autocast regions and a
 * gradient scaler); compile({ mixedPrecision }) and the GAN trainer use the same native pieces.
 */
export { autocast } from './autocast';
export type { AutocastOptions } from './autocast';
export { GradScaler } from './grad_scaler';
export type { LossScaleOptions, MixedPrecision } from './policy';
