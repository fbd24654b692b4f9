/**
 * batcher.ts — the dynamic batcher (`nt.serving.batcher`): requests of a few samples each are
 * queued, requests whose samples have the same shapes are joined into one batch, the batch runs as
 * one native forward off the event loop, and each request gets its own rows of the output back.
 * No HTTP here: it serves any server (fastify, express, plain http) or none.
 *
 * Batches form from the head of the queue (oldest first): the head and the later requests of its
 * shapes, up to `maxBatchSize` samples. A batch starts when a model instance is free and either it
 * is full or the oldest request has waited `maxQueueDelayMs` (0: run whatever waits, never wait).
 * While a batch runs, the next one fills. With several instances (copies of the model) as many
 * batches run at once. The queue is bounded (`QueueFullError` at once beyond `maxQueueSize`) and a
 * request still queued after `timeoutMs` is rejected (`RequestTimeoutError`) and never runs.
 */
import { invalidType, invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { ScriptModule } from '../io/jit';
import type { Model } from '../models/model';
import { tidy } from '../tensor/memory';
import { cat } from '../tensor/ops';
import { Tensor } from '../tensor/tensor';
import { BatcherClosedError, QueueFullError, RequestTimeoutError } from './errors';
import { toRunner, type Runner, type ScriptSchema, type TensorSpec } from './runner';

/** Why the batcher turned a request away (for metrics). */
export type RejectReason = 'queue_full' | 'timeout' | 'closed' | 'invalid' | 'failed';

/** Hooks a server uses for metrics; each is optional and called on the JS thread. */
export interface BatcherObserver {
  /** A request left the queue for a batch after waiting `ms`. */
  dequeued?(ms: number): void;
  /** A batch of `size` samples from `requests` requests ran in `ms` (ok: false when it failed). */
  executed?(size: number, requests: number, ms: number, ok: boolean): void;
  /** A request was turned away or failed. */
  rejected?(reason: RejectReason): void;
}

export interface BatcherOptions {
  /** Most samples in one forward (default 32). */
  maxBatchSize?: number;
  /** How long the oldest request may wait for a batch to fill, in ms (default 0: never wait; Triton's default). */
  maxQueueDelayMs?: number;
  /** Most requests waiting; beyond it a request fails at once with QueueFullError (default 256). */
  maxQueueSize?: number;
  /** A request still queued after this many ms fails with RequestTimeoutError and never runs (default: no limit). */
  timeoutMs?: number;
  /** A TorchScript module's inputs (sample shapes, without the batch dim) and output names. */
  inputs?: TensorSpec[];
  outputs?: string[];
  /** Metrics hooks. */
  observer?: BatcherObserver;
}

const BATCHER_OPTIONS = defineOptions<BatcherOptions>({
  maxBatchSize: rule.int({ min: 1 }),
  maxQueueDelayMs: rule.number({ min: 0 }),
  maxQueueSize: rule.int({ min: 1 }),
  timeoutMs: rule.number({ gt: true, min: 0 }),
  inputs: rule.any(),
  outputs: rule.any(),
  observer: rule.any(),
});

/** Counts since the batcher was made. */
export interface BatcherStats {
  /** Requests waiting in the queue. */
  queued: number;
  /** Batches running now. */
  running: number;
  /** Samples run (Triton's inference count). */
  inferences: number;
  /** Forward calls made (Triton's execution count); inferences / executions is the mean batch size. */
  executions: number;
}

interface Pending {
  inputs: Tensor[];
  rows: number;
  key: string;
  enqueued: number;
  resolve: (out: Tensor | Tensor[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** A dynamic batcher over one model, or over several copies of it run concurrently (instances). */
export class Batcher {
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly timeoutMs: number;
  /** The model's inputs (sample shapes). */
  readonly inputs: readonly TensorSpec[];
  /** The model's output names, once known. */
  outputNames: readonly string[] | undefined;
  private readonly idle: Runner[];
  private readonly queue: Pending[] = [];
  private readonly observer: BatcherObserver;
  private running = 0;
  private inferences = 0;
  private executions = 0;
  private delayTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private drained: (() => void) | undefined;

  /** @internal Use `nt.serving.batcher`. */
  constructor(runners: Runner[], options: BatcherOptions) {
    checkOptions('serving.batcher', BATCHER_OPTIONS, options);
    this.maxBatchSize = options.maxBatchSize ?? 32;
    this.maxQueueDelayMs = options.maxQueueDelayMs ?? 0;
    this.maxQueueSize = options.maxQueueSize ?? 256;
    this.timeoutMs = options.timeoutMs ?? Infinity;
    this.observer = options.observer ?? {};
    this.idle = runners;
    this.inputs = runners[0].inputs;
    this.outputNames = runners[0].outputNames;
  }

  /**
   * Runs `x` (one tensor [n, ...] per input: a Tensor for one input, an array in input order for
   * several; 1 ≤ n ≤ maxBatchSize) in the next batch of its shapes; resolves to this request's n rows
   * of each output (a Tensor, or an array for several outputs), new tensors the caller disposes.
   */
  predict(x: Tensor | Tensor[]): Promise<Tensor | Tensor[]> {
    const op = 'batcher.predict';
    if (this.closed) return this.refuse('closed', new BatcherClosedError(`${op}: the batcher is closed`));
    let inputs: Tensor[];
    try {
      inputs = this.checkInputs(op, x);
    } catch (err) {
      return this.refuse('invalid', err as Error);
    }
    if (this.queue.length >= this.maxQueueSize) {
      return this.refuse('queue_full', new QueueFullError(`${op}: the queue is full (${this.maxQueueSize} requests waiting)`));
    }
    return new Promise((resolve, reject) => {
      const item: Pending = {
        inputs,
        rows: inputs[0].shape[0],
        key: inputs.map((t) => `${t.dtype}@${t.device}[${t.shape.slice(1).join(',')}]`).join('|'),
        enqueued: performance.now(),
        resolve,
        reject,
        timer: undefined,
      };
      if (this.timeoutMs !== Infinity) item.timer = setTimeout(() => this.expire(item), this.timeoutMs);
      this.queue.push(item);
      this.pump();
    });
  }

  /** Queue length, running batches, and inference/execution counts. */
  stats(): BatcherStats {
    return { queued: this.queue.length, running: this.running, inferences: this.inferences, executions: this.executions };
  }

  /** Stops taking requests; resolves once every queued and running request has finished. */
  close(): Promise<void> {
    this.closed = true;
    this.pump();
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.drained;
      this.drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  private refuse(reason: RejectReason, err: Error): Promise<never> {
    this.observer.rejected?.(reason);
    return Promise.reject(err);
  }

  private checkInputs(op: string, x: Tensor | Tensor[]): Tensor[] {
    const inputs = x instanceof Tensor ? [x] : x;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((t) => t instanceof Tensor)) {
      throw invalidType(op, 'x', 'a Tensor, or an array of Tensors (one per input)', x);
    }
    if (inputs.length !== this.inputs.length) throw new RangeError(`${op}: the model takes ${this.inputs.length} inputs, got ${inputs.length}`);
    const rows = inputs[0].shape[0];
    inputs.forEach((t, i) => {
      const spec = this.inputs[i];
      const sample = t.shape.slice(1);
      if (t.shape.length === 0 || sample.length !== spec.shape.length || sample.some((d, j) => spec.shape[j] !== -1 && d !== spec.shape[j])) {
        throw new RangeError(`${op}: input '${spec.name}' takes samples of shape [${spec.shape.join(', ')}] (so [n, ${spec.shape.join(', ')}]), got [${t.shape.join(', ')}]`);
      }
      if (t.dtype !== spec.dtype) throw new TypeError(`${op}: input '${spec.name}' takes ${spec.dtype}, got ${t.dtype}`);
      if (t.shape[0] !== rows) throw new RangeError(`${op}: the inputs have different numbers of samples (${rows} and ${t.shape[0]})`);
    });
    if (rows < 1 || rows > this.maxBatchSize) throw new RangeError(`${op}: a request holds 1 to maxBatchSize (${this.maxBatchSize}) samples, got ${rows}`);
    return inputs;
  }

  private expire(item: Pending): void {
    const at = this.queue.indexOf(item);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.observer.rejected?.('timeout');
    item.reject(new RequestTimeoutError(`batcher.predict: waited ${this.timeoutMs} ms in the queue (timeoutMs) without running`));
    this.settleIfDrained();
  }

  /** Starts batches while an instance is free and the head of the queue is due. */
  private pump(): void {
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    while (this.idle.length > 0 && this.queue.length > 0) {
      const head = this.queue[0];
      const batch: Pending[] = [];
      let rows = 0;
      for (const item of this.queue) {
        if (item.key === head.key && rows + item.rows <= this.maxBatchSize) {
          batch.push(item);
          rows += item.rows;
          if (rows === this.maxBatchSize) break;
        }
      }
      const waited = performance.now() - head.enqueued;
      if (rows < this.maxBatchSize && waited < this.maxQueueDelayMs && !this.closed) {
        this.delayTimer = setTimeout(() => this.pump(), this.maxQueueDelayMs - waited);
        return;
      }
      for (const item of batch) this.queue.splice(this.queue.indexOf(item), 1);
      void this.execute(this.idle.pop() as Runner, batch, rows);
    }
  }

  private async execute(runner: Runner, batch: Pending[], rows: number): Promise<void> {
    this.running++;
    const start = performance.now();
    for (const item of batch) {
      clearTimeout(item.timer);
      this.observer.dequeued?.(start - item.enqueued);
    }
    let joined: Tensor[] | undefined;
    let outputs: Tensor[] | undefined;
    try {
      joined = batch.length === 1 ? batch[0].inputs : batch[0].inputs.map((_, i) => cat(batch.map((item) => item.inputs[i])));
      outputs = await runner.run(joined);
      const bad = outputs.find((o) => o.shape[0] !== rows);
      if (bad !== undefined) throw new Error(`batcher: the model returned an output of shape [${bad.shape.join(', ')}] for a batch of ${rows} samples`);
      this.outputNames ??= outputs.length === 1 ? ['output'] : outputs.map((_, i) => `output${i}`);
      this.inferences += rows;
      this.executions++;
      this.observer.executed?.(rows, batch.length, performance.now() - start, true);
      this.deliver(batch, outputs);
      if (batch.length === 1) outputs = undefined;
    } catch (err) {
      this.observer.executed?.(rows, batch.length, performance.now() - start, false);
      for (const item of batch) {
        this.observer.rejected?.('failed');
        item.reject(err as Error);
      }
    } finally {
      if (batch.length > 1) for (const t of joined ?? []) t.dispose();
      for (const t of outputs ?? []) t.dispose();
      this.running--;
      this.idle.push(runner);
      this.pump();
      this.settleIfDrained();
    }
  }

  /** Gives each request its rows of the outputs (the outputs themselves when the batch is one request). */
  private deliver(batch: Pending[], outputs: Tensor[]): void {
    const shape = (parts: Tensor[]): Tensor | Tensor[] => (parts.length === 1 ? parts[0] : parts);
    if (batch.length === 1) {
      batch[0].resolve(shape(outputs));
      return;
    }
    let offset = 0;
    for (const item of batch) {
      const start = offset;
      item.resolve(shape(tidy(() => outputs.map((o) => o.narrow(0, start, item.rows).clone()))));
      offset += item.rows;
    }
  }

  private settleIfDrained(): void {
    if (this.closed && this.queue.length === 0 && this.running === 0 && this.drained !== undefined) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }
}

/**
 * A dynamic batcher over `model` (a Model, or a ScriptModule with `options.inputs`), or over an
 * array of copies of one model (instances) that run batches concurrently.
 */
export function batcher(model: Model | ScriptModule | (Model | ScriptModule)[], options: BatcherOptions = {}): Batcher {
  const op = 'serving.batcher';
  checkOptions(op, BATCHER_OPTIONS, options);
  const models = Array.isArray(model) ? model : [model];
  if (models.length === 0) throw invalidValue(op, 'model', 'a model or a non-empty array of copies', model);
  const schema: ScriptSchema | undefined = options.inputs === undefined ? undefined : { inputs: options.inputs, outputs: options.outputs };
  return new Batcher(
    models.map((m) => toRunner(op, m, schema)),
    options,
  );
}
