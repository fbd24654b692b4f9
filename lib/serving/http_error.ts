/**
 * http_error.ts — an error with the HTTP status the server answers it with, and how every error
 * becomes a status and a metrics reason: bad input 400, unknown model 404, overload or not ready
 * 503 (with Retry-After), anything else 500. Only the message goes to the client, never a stack.
 */
import { BatcherClosedError, QueueFullError, RequestTimeoutError } from './errors';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Why a request failed, as counted in the metrics. */
export type FailureReason = 'bad_request' | 'unauthorized' | 'not_found' | 'too_large' | 'queue_full' | 'timeout' | 'not_ready' | 'internal';

const REASONS: Record<number, FailureReason> = { 401: 'unauthorized', 404: 'not_found', 413: 'too_large', 503: 'not_ready' };

/** The status, metrics reason and client message of an error thrown while serving a request. */
export function classify(err: unknown): { status: number; reason: FailureReason; message: string } {
  if (err instanceof QueueFullError) return { status: 503, reason: 'queue_full', message: 'server busy: the queue is full, retry later' };
  if (err instanceof RequestTimeoutError) return { status: 503, reason: 'timeout', message: 'server busy: the request timed out in the queue, retry later' };
  if (err instanceof BatcherClosedError) return { status: 503, reason: 'not_ready', message: 'the server is shutting down' };
  const status = (err as { statusCode?: unknown })?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, reason: REASONS[status] ?? 'bad_request', message };
  if (status === 503) return { status, reason: 'not_ready', message };
  return { status: 500, reason: 'internal', message: `internal error: ${message.split('\n')[0]}` };
}
