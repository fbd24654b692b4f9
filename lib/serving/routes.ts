/**
 * routes.ts — the Open Inference Protocol (KServe v2) REST routes on fastify: health, server and
 * model metadata, model readiness, infer; plus `classify` (an image body → top-k classes, for
 * models saved with a classifier's preprocess.json) and `sample` (a generator's images as a PNG
 * grid). Every model route also answers under `/versions/{v}`. Requests to run (infer, classify)
 * were admitted before fastify saw them (admission.ts); they leave admission for the queue.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadImage } from '../data/image_folder';
import { imageGridPng } from '../io/png';
import { NODETORCH_VERSION } from '../io/save_model';
import { manualSeed } from '../runtime';
import { randn } from '../tensor/creation';
import { tidy } from '../tensor/memory';
import type { Tensor } from '../tensor/tensor';
import { datatypeOf, decodeInputs, encodeOutput, requestedOutputs } from './codec';
import { admitted } from './admission';
import { HttpError, type FailureReason } from './http_error';
import { parseInferBody } from './infer_json';
import type { Metrics } from './metrics';
import type { ServedModel } from './served_model';

/** What the routes need from the server. */
export interface RouteContext {
  models: Map<string, ServedModel>;
  metrics: Metrics;
  /** Every model loaded and warmed up. */
  loaded(): boolean;
  /** Loaded, and not shutting down. */
  ready(): boolean;
}

type Params = { model: string; version?: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Record<string, string | undefined> }>;

const MAX_SAMPLE_IMAGES = 256;

function lookup(ctx: RouteContext, params: Params): ServedModel {
  const model = ctx.models.get(params.model);
  if (model === undefined && !ctx.loaded()) throw new HttpError(503, `model '${params.model}' is not ready (the server is still loading its models)`);
  if (model === undefined) throw new HttpError(404, `unknown model '${params.model}'; served: ${[...ctx.models.keys()].join(', ') || 'none yet'}`);
  if (params.version !== undefined && params.version !== model.version) {
    throw new HttpError(404, `model '${model.name}' has no version '${params.version}' (versions: ${model.version})`);
  }
  return model;
}

/** The model, ready to run requests (503 while loading or shutting down). */
function runnable(ctx: RouteContext, params: Params): ServedModel {
  const model = lookup(ctx, params);
  if (!ctx.ready()) throw new HttpError(503, `model '${model.name}' is not ready (the server is loading or shutting down)`);
  return model;
}

/** Runs a request's handler, counting its success (failures are counted by the error handler, see countFailure). */
async function counted<T>(ctx: RouteContext, req: Req, fn: (model: ServedModel) => Promise<T>): Promise<T> {
  const out = await fn(runnable(ctx, req.params));
  ctx.metrics.succeeded(req.params.model);
  return out;
}

/** Counts a failed inference request (infer, classify, sample) of a served model by its reason; bad bodies included. */
export function countFailure(ctx: RouteContext, req: FastifyRequest, reason: FailureReason): void {
  const model = (req.params as Partial<Params> | undefined)?.model;
  if (model !== undefined && ctx.models.has(model) && /\/(infer|classify|sample)$/.test(req.routeOptions.url ?? '')) ctx.metrics.failed(model, reason);
}

/** An integer query parameter in [min, max]. */
function queryInt(req: Req, key: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = req.query[key];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw) || v < min || v > max) throw new HttpError(400, `query parameter ${key} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

async function infer(model: ServedModel, req: Req): Promise<object> {
  const body = req.body;
  const xs = decodeInputs(body, model.inputs, model.device);
  const request = body as Record<string, unknown>;
  let outs: Tensor[] = [];
  try {
    if (request.id !== undefined && typeof request.id !== 'string') throw new HttpError(400, '"id" must be a string');
    if (request.parameters !== undefined && (request.parameters === null || typeof request.parameters !== 'object' || Array.isArray(request.parameters))) {
      throw new HttpError(400, '"parameters" must be an object');
    }
    const names = model.outputs.map((o) => o.name);
    const wanted = requestedOutputs(request, names);
    admitted(req.raw);
    outs = await model.run(xs);
    return {
      model_name: model.name,
      model_version: model.version,
      ...(request.id !== undefined ? { id: request.id } : {}),
      outputs: wanted.map((n) => encodeOutput(n, outs[names.indexOf(n)])),
    };
  } finally {
    for (const t of [...xs, ...outs]) t.dispose();
  }
}

async function classifyImage(model: ServedModel, req: Req, top: number): Promise<object> {
  const body = req.body;
  const pre = model.preprocess;
  if (pre === undefined || pre.kind !== 'classifier') throw new HttpError(400, `model '${model.name}' has no classifier preprocess.json, so it cannot classify images`);
  if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'send the image bytes as the body (Content-Type image/png, image/jpeg, image/webp or application/octet-stream)');
  let raw: Tensor;
  try {
    raw = await loadImage(body, { size: [pre.shape[1], pre.shape[2]], channels: pre.shape[0] as 1 | 3 });
  } catch (err) {
    throw new HttpError(400, `cannot decode the image: ${(err as Error).message.replace(/^data\.loadImage: cannot decode the image: /, '')}`);
  }
  const x = tidy(() => raw.div(255).sub(pre.mean).div(pre.std).to(model.device));
  raw.dispose();
  let probs: Tensor[] = [];
  try {
    admitted(req.raw);
    probs = await model.run([x]);
    const k = Math.min(top, probs[0].shape[1]);
    const { values, indices } = probs[0].squeeze(0).topk(k);
    const p = values.dataSync() as Float32Array;
    const idx = indices.dataSync() as BigInt64Array;
    values.dispose();
    indices.dispose();
    return {
      model_name: model.name,
      model_version: model.version,
      predictions: Array.from(idx, (c, i) => ({ label: pre.classNames[Number(c)] ?? String(c), index: Number(c), probability: p[i] })),
    };
  } finally {
    for (const t of [x, ...probs]) t.dispose();
  }
}

async function sampleGrid(model: ServedModel, n: number, seed: number | undefined): Promise<Buffer> {
  const latent = model.inputs.length === 1 && model.inputs[0].shape.length === 1 ? model.inputs[0].shape[0] : undefined;
  const out = model.outputs[0]?.shape;
  if (latent === undefined || out === undefined || out.length !== 3 || model.outputs.length !== 1) {
    throw new HttpError(400, `model '${model.name}' is not an image generator (noise [latent] → image [C, H, W]), so it cannot sample`);
  }
  if (seed !== undefined) manualSeed(seed);
  const noise = randn([n, latent], { device: model.device });
  let images: Tensor[] = [];
  try {
    images = await model.run([noise]);
    return imageGridPng(images[0]);
  } finally {
    for (const t of [noise, ...images]) t.dispose();
  }
}

/** Registers a GET or POST route at `/v2/models/:model<suffix>` and `/v2/models/:model/versions/:version<suffix>`. */
function modelRoute(app: FastifyInstance, method: 'GET' | 'POST', suffix: string, handler: (req: Req, reply: FastifyReply) => Promise<unknown>): void {
  for (const url of [`/v2/models/:model${suffix}`, `/v2/models/:model/versions/:version${suffix}`]) app.route({ method, url, handler });
}

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const ready = ctx.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/v2', async () => ({ name: 'nodetorch', version: NODETORCH_VERSION, extensions: ['classify', 'sample'] }));
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await ctx.metrics.text()));

  modelRoute(app, 'GET', '', async (req) => {
    const m = lookup(ctx, req.params);
    const meta = (t: { name: string; shape: number[]; dtype: Parameters<typeof datatypeOf>[0] }): object => ({ name: t.name, datatype: datatypeOf(t.dtype), shape: [-1, ...t.shape] });
    return { name: m.name, versions: [m.version], platform: m.platform, inputs: m.inputs.map(meta), outputs: m.outputs.map(meta) };
  });
  modelRoute(app, 'GET', '/ready', async (req, reply) => {
    const m = lookup(ctx, req.params);
    const ready = ctx.ready();
    return reply.code(ready ? 200 : 503).send({ name: m.name, ready });
  });
  // infer bodies go through the fast parser (infer_json.ts), with fastify's JSON parser behind it
  void app.register(async (scope) => {
    const fallback = scope.getDefaultJsonParser(scope.initialConfig.onProtoPoisoning ?? 'error', scope.initialConfig.onConstructorPoisoning ?? 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      const fast = parseInferBody(body as Buffer);
      if (fast === undefined) fallback(req, (body as Buffer).toString('utf8'), done);
      else done(null, fast);
    });
    modelRoute(scope, 'POST', '/infer', (req) => counted(ctx, req, (m) => infer(m, req)));
  });
  modelRoute(app, 'POST', '/classify', (req) => {
    const top = queryInt(req, 'top', 5, 1, 1000) as number;
    return counted(ctx, req, (m) => classifyImage(m, req, top));
  });
  modelRoute(app, 'GET', '/sample', async (req, reply) => {
    const n = queryInt(req, 'n', 16, 1, MAX_SAMPLE_IMAGES) as number;
    const seed = queryInt(req, 'seed', undefined, 0, 2 ** 31 - 1);
    const png = await counted(ctx, req, (m) => sampleGrid(m, n, seed));
    return reply.type('image/png').send(png);
  });
}
