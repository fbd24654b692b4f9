/**
 * serving/index.ts — `nt.serving`: the dynamic batcher (for any Node server) and `serve`, the
 * Open Inference Protocol (KServe v2) server built on it.
 */
export { batcher, Batcher } from './batcher';
export type { BatcherOptions, BatcherObserver, BatcherStats, RejectReason } from './batcher';
export { BatcherClosedError, QueueFullError, RequestTimeoutError } from './errors';
export type { TensorSpec } from './runner';
export { serve } from './server';
export type { ServeOptions, Server } from './server';
export type { ModelSource } from './served_model';
