/**
 * server.ts — `nt.serving.serve(options)`: the batcher behind the Open Inference Protocol on
 * fastify. It listens first (liveness answers at once), then loads and warms up every model
 * (readiness turns true when all are). Cross-cutting concerns live here: the API key (every route
 * but liveness, compared in constant time), the access log, the body limit, admission in front of
 * fastify (admission.ts: a full queue's 503 before the body is read), and turning every error
 * into `{"error": "..."}` with its status (no stack traces). `close()` drains: readiness
 * turns false, new requests get 503, in-flight ones finish, then the models are released.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { invalidType, invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import { checkDevice, type Device } from '../tensor/device';
import { classify } from './http_error';
import { shedder } from './admission';
import { Metrics } from './metrics';
import { countFailure, registerRoutes, type RouteContext } from './routes';
import { ServedModel, type ModelSource } from './served_model';

export interface ServeOptions {
  /** Models to serve: paths (a model/run directory or a TorchScript .pt file) or sources. */
  models: (string | ModelSource)[];
  /** Port (default 8000; 0 picks a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1; '0.0.0.0' exposes the server to the network). */
  host?: string;
  /** Where models run (default 'cpu'). */
  device?: Device;
  /** Copies of each model loaded, so that this many batches run at once (default 1). */
  instances?: number;
  /** Batcher settings, per model (see nt.serving.batcher). */
  maxBatchSize?: number;
  maxQueueDelayMs?: number;
  maxQueueSize?: number;
  timeoutMs?: number;
  /** When set, every route but /v2/health/live needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest request body in bytes (default 32 MiB: a batch of 64 CIFAR images in JSON is ~4 MiB); larger → 413. */
  bodyLimit?: number;
  /** Called with one access-log line per request (default: no log). */
  log?: (line: string) => void;
  /** close() waits at most this long for in-flight requests (default 30000 ms). */
  drainTimeoutMs?: number;
}

// model and inputs are checked where the model loads (ServedModel.load)
const MODEL_SOURCE_OPTIONS = defineOptions<ModelSource>({ name: rule.string(), path: rule.string(), model: rule.any(), inputs: rule.any(), outputs: rule.array(rule.string()) });

const SERVE_OPTIONS = defineOptions<ServeOptions>({
  // a non-empty array, checked by serve(); sources given as objects are strict too
  models: rule.array({ check: (fn, param, v) => void (typeof v === 'string' || checkOptions(fn, MODEL_SOURCE_OPTIONS, v, `${param}.`)) }),
  port: rule.int({ min: 0, max: 65535 }),
  host: rule.string(),
  device: rule.device(),
  instances: rule.int({ min: 1 }),
  maxBatchSize: rule.int({ min: 1 }),
  maxQueueDelayMs: rule.number({ min: 0 }),
  maxQueueSize: rule.int({ min: 1 }),
  timeoutMs: rule.number({ gt: true, min: 0 }),
  apiKey: rule.string(),
  bodyLimit: rule.int({ min: 1 }),
  log: rule.func(),
  drainTimeoutMs: rule.int({ min: 1 }),
});
const DEFAULT_BODY_LIMIT = 32 * 2 ** 20;

/** A running server. */
export interface Server {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  /** Resolves once every model is loaded and warmed up; rejects if one fails to load. */
  readonly loaded: Promise<void>;
  /** Whether /v2/health/ready says ready. */
  isReady(): boolean;
  /** The fastify instance (to add routes, or for `inject` in tests). */
  readonly app: FastifyInstance;
  /** Stops accepting, finishes in-flight requests, releases the models; rejects if that takes longer than drainTimeoutMs. */
  close(): Promise<void>;
}

function source(item: string | ModelSource): ModelSource {
  return typeof item === 'string' ? { path: item } : item;
}

/** Bearer-token check in constant time (hashes first, so lengths never differ). */
function keyMatches(header: string | undefined, key: string): boolean {
  const given = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(key)) && given.length > 0;
}

/** Serves `options.models` over the Open Inference Protocol; resolves once listening (models load after). */
export async function serve(options: ServeOptions): Promise<Server> {
  const op = 'serving.serve';
  checkOptions(op, SERVE_OPTIONS, options);
  if (!Array.isArray(options.models) || options.models.length === 0) throw invalidType(op, 'options.models', 'a non-empty array of paths or model sources', options.models);
  const port = options.port ?? 8000;
  const host = options.host ?? '127.0.0.1';
  const device = options.device === undefined ? 'cpu' : checkDevice(op, options.device);
  const instances = options.instances ?? 1;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30000;
  if (options.apiKey === '') throw invalidValue(op, 'options.apiKey', 'a non-empty string', options.apiKey);
  const batcher = { maxBatchSize: options.maxBatchSize, maxQueueDelayMs: options.maxQueueDelayMs, maxQueueSize: options.maxQueueSize, timeoutMs: options.timeoutMs };

  const models = new Map<string, ServedModel>();
  const metrics = new Metrics(() => [...models.values()].map((m) => [m.name, m.batcher.stats()]));
  let loadedAll = false;
  let closing = false;
  const ctx: RouteContext = { models, metrics, loaded: () => loadedAll, ready: () => loadedAll && !closing };
  const apiKey = options.apiKey;
  const log = options.log;
  // Overload is turned away before fastify sees the request (admission.ts).
  const shed = shedder(ctx, (req) => apiKey === undefined || keyMatches(req.headers.authorization, apiKey), log);
  // Bodies are only read field by field, never merged into objects, so a "__proto__" key is inert:
  // skipping fastify's scan for it saves about a fifth of its JSON parse (infer bodies fall back to it).
  const app = Fastify({
    bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    serverFactory: (handler) =>
      createServer((req, res) => {
        if (!shed(req, res)) handler(req, res);
      }),
  });
  app.addContentTypeParser(['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  if (apiKey !== undefined) {
    app.addHook('onRequest', async (req, reply) => {
      if (req.url.split('?')[0] === '/v2/health/live') return;
      if (!keyMatches(req.headers.authorization, apiKey)) {
        countFailure(ctx, req, 'unauthorized');
        return reply.code(401).header('WWW-Authenticate', 'Bearer').send({ error: 'missing or wrong API key (send Authorization: Bearer <key>)' });
      }
    });
  }
  // While draining, each answer closes its connection, so keep-alive clients let go and close() ends.
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('Connection', 'close');
  });
  if (log !== undefined) {
    app.addHook('onResponse', async (req, reply) => {
      log(`${new Date().toISOString()} ${req.ip} "${req.method} ${req.url}" ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms`);
    });
  }
  app.setErrorHandler((err, req, reply) => {
    const c = classify(err);
    countFailure(ctx, req, c.reason);
    if (c.status === 500) process.emitWarning(`serve: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 'ServeWarning');
    if (c.status === 503) reply.header('Retry-After', '1');
    return reply.code(c.status).send({ error: c.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
  registerRoutes(app, ctx);

  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;

  const loaded = (async () => {
    for (const item of options.models) {
      const m = await ServedModel.load(source(item), { device, instances, batcher, observer: (name) => metrics.observer(name) });
      if (models.has(m.name)) {
        await m.close();
        throw new Error(`serve: two models are named '${m.name}' (name them: name=path)`);
      }
      models.set(m.name, m);
    }
    loadedAll = true;
  })();
  loaded.catch(() => undefined);

  const close = async (): Promise<void> => {
    closing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        app.server.closeAllConnections();
        reject(new Error(`serve: in-flight requests did not finish within ${drainTimeoutMs} ms`));
      }, drainTimeoutMs);
    });
    try {
      await Promise.race([app.close(), deadline]);
      await loaded.catch(() => undefined);
      await Promise.race([Promise.all([...models.values()].map((m) => m.close())), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    loaded,
    isReady: () => loadedAll && !closing,
    app,
    close,
  };
}
