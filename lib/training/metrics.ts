/**
 * metrics.ts — `nt.metrics.*` and the metric names accepted by compile; 'accuracy' picks the
 * sparse / categorical / binary form from the loss, as Keras does.
 */
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { LossSpec } from './losses';

/** A described metric: the native kind and the key it gets in the logs. */
export interface MetricSpec {
  name: string;
  kind: 'sparseCategoricalAccuracy' | 'categoricalAccuracy' | 'binaryAccuracy' | 'topK' | 'mse' | 'mae' | 'precision' | 'recall';
  k?: number;
  threshold?: number;
}

export interface TopKOptions {
  /** A sample counts as right when its class is among the k highest scores (default 5). */
  k?: number;
  /** Key in the logs (default `top${k}Accuracy`). */
  name?: string;
}
export interface ThresholdOptions {
  /** Scores above it count as positive (default 0.5). */
  threshold?: number;
  /** Key in the logs. */
  name?: string;
}

const TOP_K_OPTIONS = defineOptions<TopKOptions>({ k: rule.int({ min: 1 }), name: rule.string() });
const THRESHOLD_OPTIONS = defineOptions<ThresholdOptions>({ threshold: rule.number(), name: rule.string() });

export const topKCategoricalAccuracy = (o: TopKOptions = {}): MetricSpec => {
  const { k = 5, name } = checkOptions('topKCategoricalAccuracy', TOP_K_OPTIONS, o);
  return { kind: 'topK', k, name: name ?? `top${k}Accuracy` };
};
export const precision = (o: ThresholdOptions = {}): MetricSpec => {
  const { threshold = 0.5, name = 'precision' } = checkOptions('precision', THRESHOLD_OPTIONS, o);
  return { kind: 'precision', threshold, name };
};
export const recall = (o: ThresholdOptions = {}): MetricSpec => {
  const { threshold = 0.5, name = 'recall' } = checkOptions('recall', THRESHOLD_OPTIONS, o);
  return { kind: 'recall', threshold, name };
};

const KINDS: readonly MetricSpec['kind'][] = ['sparseCategoricalAccuracy', 'categoricalAccuracy', 'binaryAccuracy', 'topK', 'mse', 'mae', 'precision', 'recall'];
// A spec object given to compile (normally made by the factories above).
const METRIC_SPEC_OPTIONS = defineOptions<MetricSpec>({ name: rule.string({ required: true }), kind: rule.oneOf(KINDS, { required: true }), k: rule.int({ min: 1 }), threshold: rule.number() });

/** Resolves metric names/specs for a loss. */
export function resolveMetrics(metrics: unknown, loss: LossSpec): MetricSpec[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw invalidValue('compile', 'metrics', 'an array of metric names or objects', metrics);
  const threshold = loss.kind === 'binaryCrossentropy' && loss.fromLogits ? 0 : 0.5;
  return metrics.map((m): MetricSpec => {
    if (m !== null && typeof m === 'object') return checkOptions('compile', METRIC_SPEC_OPTIONS, m, 'metrics[].');
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
