/**
 * metrics.ts — the server's Prometheus metrics (prom-client, a registry per server): requests that
 * succeeded and failed (by reason), pending requests, time in the queue and in compute, batch
 * sizes, inference count (samples) vs execution count (forward calls), and the process's own
 * metrics (RSS, CPU, event-loop lag). `observer(model)` feeds a batcher's hooks into them.
 */
import * as client from 'prom-client';
import type { BatcherObserver, BatcherStats } from './batcher';
import type { FailureReason } from './http_error';

const SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

export class Metrics {
  readonly registry = new client.Registry();
  private readonly success: client.Counter<'model'>;
  private readonly failure: client.Counter<'model' | 'reason'>;
  private readonly queueTime: client.Histogram<'model'>;
  private readonly computeTime: client.Histogram<'model'>;
  private readonly batchSize: client.Histogram<'model'>;
  private readonly inferences: client.Counter<'model'>;
  private readonly executions: client.Counter<'model'>;

  /** `pending()` lists each model's batcher stats when /metrics is read. */
  constructor(pending: () => [string, BatcherStats][]) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.success = new client.Counter({ name: 'nodetorch_request_success_total', help: 'Inference requests answered with 200', labelNames: ['model'], registers });
    this.failure = new client.Counter({ name: 'nodetorch_request_failure_total', help: 'Inference requests that failed, by reason', labelNames: ['model', 'reason'], registers });
    new client.Gauge({
      name: 'nodetorch_pending_requests',
      help: 'Requests waiting in the batch queue',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const [model, stats] of pending()) this.set({ model }, stats.queued);
      },
    });
    this.queueTime = new client.Histogram({ name: 'nodetorch_queue_seconds', help: 'Time a request waited for its batch', labelNames: ['model'], buckets: SECONDS, registers });
    this.computeTime = new client.Histogram({ name: 'nodetorch_compute_seconds', help: 'Time of one batched forward', labelNames: ['model'], buckets: SECONDS, registers });
    this.batchSize = new client.Histogram({ name: 'nodetorch_batch_size', help: 'Samples per batched forward', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers });
    this.inferences = new client.Counter({ name: 'nodetorch_inference_count_total', help: 'Samples run (a request of n samples counts n)', labelNames: ['model'], registers });
    this.executions = new client.Counter({ name: 'nodetorch_execution_count_total', help: 'Batched forward calls made', labelNames: ['model'], registers });
  }

  /** Batcher hooks recording into this model's series. */
  observer(model: string): BatcherObserver {
    return {
      dequeued: (ms) => this.queueTime.observe({ model }, ms / 1000),
      executed: (size, _requests, ms, ok) => {
        this.computeTime.observe({ model }, ms / 1000);
        if (!ok) return;
        this.batchSize.observe({ model }, size);
        this.inferences.inc({ model }, size);
        this.executions.inc({ model });
      },
    };
  }

  succeeded(model: string): void {
    this.success.inc({ model });
  }

  failed(model: string, reason: FailureReason): void {
    this.failure.inc({ model, reason });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
