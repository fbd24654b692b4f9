/**
 * admission.ts — overload control in front of fastify. A request to run a model (POST infer or
 * classify) is admitted as soon as its headers are parsed, before its body is read: when the model
 * already has maxQueueSize requests waiting (bodies on their way, plus its batcher's queue), it
 * gets its 503 right there, from Node's http layer, without its body being parsed and without
 * fastify's per-request work. Under overload the event loop then spends itself on the requests that
 * will run, so their wait stays near the queue's length in batches and the 503s stay fast.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteContext } from './routes';

/** The run routes: /v2/models/{m}[/versions/{v}]/(infer|classify), any query. */
const RUN_ROUTE = /^\/v2\/models\/([^/?#]+)(?:\/versions\/[^/?#]+)?\/(?:infer|classify)(?:[?#]|$)/;
const BUSY = JSON.stringify({ error: 'server busy: the queue is full, retry later' });

/** Admissions of requests on their way to a batcher's queue, by request. */
const admissions = new WeakMap<IncomingMessage, () => void>();

/**
 * A request handler to put before fastify's: answers 503 (true) to a run request for a ready model
 * whose queue is full, else admits it (counted until `admitted` or its response closes) and lets
 * fastify handle it (false). `authorized` says whether the request may see more than a 401.
 */
export function shedder(ctx: RouteContext, authorized: (req: IncomingMessage) => boolean, log: ((line: string) => void) | undefined): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const start = performance.now();
    if (req.method !== 'POST' || !ctx.ready()) return false;
    const match = RUN_ROUTE.exec(req.url ?? '');
    if (match === null) return false;
    let name: string;
    try {
      name = decodeURIComponent(match[1]);
    } catch {
      return false;
    }
    const model = ctx.models.get(name);
    if (model === undefined || !authorized(req)) return false;
    const release = model.admit();
    if (release !== undefined) {
      admissions.set(req, release);
      res.once('close', release);
      return false;
    }
    ctx.metrics.failed(name, 'queue_full');
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BUSY), 'retry-after': '1' });
    res.end(BUSY);
    log?.(`${new Date().toISOString()} ${req.socket.remoteAddress} "${req.method} ${req.url}" 503 ${(performance.now() - start).toFixed(1)}ms`);
    return true;
  };
}

/** Ends a request's admission: it is about to enter the batcher's queue, which counts it from then on. */
export function admitted(req: IncomingMessage): void {
  admissions.get(req)?.();
}
