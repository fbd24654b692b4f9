/**
 * index.ts — namespaces of the training API: `nt.optimizers`, `nt.losses`, `nt.metrics`,
 * `nt.schedulers`, `nt.callbacks`.
 */
export * as optimizers from './optimizers';
export * as losses from './losses';
export * as metrics from './metrics';
export * as schedulers from './schedulers';
export * as callbacks from './callbacks';
