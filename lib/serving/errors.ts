/**
 * errors.ts — the error classes of the dynamic batcher, so that servers can tell overload
 * (QueueFullError → 503), a request that waited too long (RequestTimeoutError) and a batcher
 * that is shutting down (BatcherClosedError) from failures of the model itself.
 */

/** The batcher's queue already holds `maxQueueSize` requests; the request was not queued. */
export class QueueFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueFullError';
  }
}

/** The request waited in the queue longer than `timeoutMs`; it was removed and never run. */
export class RequestTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestTimeoutError';
  }
}

/** The batcher was closed before the request was queued. */
export class BatcherClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatcherClosedError';
  }
}
