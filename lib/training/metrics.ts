/**
 * metrics.ts — `nt.metrics.*` and the metric names accepted by compile; 'accuracy' picks the
 * sparse / categorical / binary form from the loss, as Keras does.
 */
import { invalidValue } from '../errors';
import type { LossSpec } from './losses';

/** A described metric: the native kind and the key it gets in the logs. */
export interface MetricSpec {
  name: string;
  kind: 'sparseCategoricalAccuracy' | 'categoricalAccuracy' | 'binaryAccuracy' | 'topK' | 'mse' | 'mae' | 'precision' | 'recall';
  k?: number;
  threshold?: number;
}

export const topKCategoricalAccuracy = ({ k = 5, name }: { k?: number; name?: string } = {}): MetricSpec => {
  if (!Number.isInteger(k) || k < 1) throw invalidValue('topKCategoricalAccuracy', 'k', 'a positive integer', k);
  return { kind: 'topK', k, name: name ?? `top${k}Accuracy` };
};
export const precision = ({ threshold = 0.5, name = 'precision' }: { threshold?: number; name?: string } = {}): MetricSpec => ({
  kind: 'precision',
  threshold,
  name,
});
export const recall = ({ threshold = 0.5, name = 'recall' }: { threshold?: number; name?: string } = {}): MetricSpec => ({
  kind: 'recall',
  threshold,
  name,
});

/** Resolves metric names/specs for a loss. */
export function resolveMetrics(metrics: unknown, loss: LossSpec): MetricSpec[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw invalidValue('compile', 'metrics', 'an array of metric names or objects', metrics);
  const threshold = loss.kind === 'binaryCrossentropy' && loss.fromLogits ? 0 : 0.5;
  return metrics.map((m): MetricSpec => {
    if (m !== null && typeof m === 'object' && typeof (m as MetricSpec).kind === 'string') return m as MetricSpec;
    switch (m) {
      case 'accuracy':
      case 'acc': {
        const kind =
          loss.kind === 'sparseCategoricalCrossentropy' ? 'sparseCategoricalAccuracy'
          : loss.kind === 'categoricalCrossentropy' ? 'categoricalAccuracy'
          : 'binaryAccuracy';
        return { name: 'accuracy', kind, threshold };
      }
      case 'sparseCategoricalAccuracy':
      case 'categoricalAccuracy':
        return { name: m, kind: m };
      case 'binaryAccuracy':
        return { name: m, kind: m, threshold };
      case 'topK':
      case 'topKCategoricalAccuracy':
        return topKCategoricalAccuracy();
      case 'mse':
      case 'meanSquaredError':
        return { name: 'mse', kind: 'mse' };
      case 'mae':
      case 'meanAbsoluteError':
        return { name: 'mae', kind: 'mae' };
      case 'precision':
        return precision({ threshold });
      case 'recall':
        return recall({ threshold });
      default:
        throw invalidValue('compile', 'metrics', "'accuracy', 'topK', 'mse', 'mae', 'precision', 'recall' or a metric object", m);
    }
  });
}
