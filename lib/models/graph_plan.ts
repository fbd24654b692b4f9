/**
 * graph_plan.ts — what a model's layers become when it is built: the native graph description
 * (named modules + calls, read by binding/module_graph.cc) and what the TS side keeps about it
 * (input/output shapes and names, summary rows, the module specs for TorchScript export).
 */
import type { ModuleSpec } from '../layers/layer';
import type { MergeOp } from '../layers/merge';

/** One call of the native graph; values are numbered inputs first, then one per node. */
export type NativeNode = { module: number; inputs: number[] } | (MergeOp & { name: string; inputs: number[] });

export interface NativeGraph {
  /** Modules under their state_dict names (dots nest, as in PyTorch). */
  modules: { name: string; spec: ModuleSpec }[];
  nodes: NativeNode[];
  numInputs: number;
  /** Value index of each output. */
  outputs: number[];
}

export interface PlannedInput {
  name: string;
  shape: number[];
  /** Feeds class indices (int64) to an Embedding. */
  takesIndices: boolean;
}

export interface PlannedOutput {
  name: string;
  shape: number[];
  /** Kind of the module that produces it (a softmax/sigmoid there can be fused into the loss). */
  finalKind: string | undefined;
}

/** One row of the summary: a layer call. */
export interface PlannedRow {
  name: string;
  className: string;
  outputShape: number[];
  /** Names of the native modules the layer owns (empty for repeated calls of a shared layer). */
  moduleNames: string[];
  /** Names of the values it was called on (functional models). */
  connectedTo?: string[];
}

export interface GraphPlan {
  graph: NativeGraph;
  inputs: PlannedInput[];
  outputs: PlannedOutput[];
  rows: PlannedRow[];
}
