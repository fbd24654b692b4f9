/**
 * sequential.ts — the Sequential model: a stack of layers; its native graph is a chain of modules
 * named like PyTorch's nn.Sequential ("0", "1", ...). Everything else (compile, fit, save, ...)
 * comes from the Model base class.
 */
import { invalidType } from '../errors';
import type { Dataset } from '../data/dataset';
import { Embedding } from '../layers/core';
import { Layer, layerFromConfig, type LayerConfig, type Shape } from '../layers/layer';
import { MergeLayer } from '../layers/merge';
import type { Tensor } from '../tensor/tensor';
import type { InputData } from '../training/inputs';
import type { GraphPlan, NativeGraph, PlannedRow } from './graph_plan';
import { Model } from './model';
import type { PredictOptions, PredictSyncOptions } from './method_options';
import { checkOptions, defineOptions, rule } from '../options';

export interface SequentialArgs {
  /** The layers, first to last (more can be added with `add` until the model is built). */
  layers?: Layer[];
  name?: string;
}

// layers are checked one by one by add()
const SEQUENTIAL_OPTIONS = defineOptions<SequentialArgs>({ layers: rule.any(), name: rule.string() });

export interface SequentialConfig {
  className: 'Sequential';
  config: { name: string; layers: { className: string; config: LayerConfig }[] };
}

let modelCounter = 0;

export class Sequential extends Model {
  private readonly stack: Layer[] = [];

  constructor(args: SequentialArgs = {}) {
    super(checkOptions('sequential', SEQUENTIAL_OPTIONS, args).name ?? `sequential_${++modelCounter}`);
    if (args.layers !== undefined && !Array.isArray(args.layers)) throw invalidType('sequential', 'layers', 'an array of layers (nt.layers.*)', args.layers);
    args.layers?.forEach((l, i) => {
      if (!(l instanceof Layer)) throw invalidType('sequential', `layers[${i}]`, 'a Layer (nt.layers.*)', l);
    });
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer (before the model is built). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw invalidType('add', 'layer', 'a Layer (nt.layers.*)', layer);
    if (layer instanceof MergeLayer) throw new TypeError(`add: ${layer.className} '${layer.name}' combines several values; use a functional model (nt.model)`);
    if (this.built) throw new Error(`add: model '${this.name}' is already built; add layers before compile/fit/predict`);
    if (this.stack.some((l) => l.name === layer.name)) throw new RangeError(`add: a layer named '${layer.name}' is already in the model`);
    this.stack.push(layer);
  }

  get layers(): readonly Layer[] {
    return this.stack;
  }

  override async predict(x: InputData | Dataset, options: PredictOptions = {}): Promise<Tensor> {
    return (await super.predict(x, options)) as Tensor;
  }
  override predictSync(x: InputData, options: PredictSyncOptions = {}): Tensor {
    return super.predictSync(x, options) as Tensor;
  }
  override call(x: Tensor): Tensor {
    return super.call(x) as Tensor;
  }

  protected declaredInputShapes(): number[][] | undefined {
    const shape = this.stack[0]?.inputShape;
    return shape === undefined ? undefined : [[...shape]];
  }

  protected takesIndices(): boolean {
    return this.stack[0] instanceof Embedding;
  }

  protected planGraph(inputShapes: number[][] | undefined): GraphPlan {
    if (this.stack.length === 0) throw new Error(`build: model '${this.name}' has no layers`);
    const shape: Shape | undefined = inputShapes?.[0];
    if (shape === undefined) throw new Error(`build: give the first layer an inputShape, or call fit/predict with data first`);
    const graph: NativeGraph = { modules: [], nodes: [], numInputs: 1, outputs: [0] };
    const rows: PlannedRow[] = [];
    let current = [...shape];
    for (const layer of this.stack) {
      const specs = layer.toSpecs(current);
      const out = layer.computeOutputShape(current);
      const moduleNames: string[] = [];
      for (const spec of specs) {
        const index = graph.modules.length;
        moduleNames.push(String(index));
        graph.modules.push({ name: String(index), spec });
        graph.nodes.push({ module: index, inputs: [index] });
      }
      rows.push({ name: layer.name, className: layer.className, outputShape: out, moduleNames });
      current = out;
    }
    graph.outputs = [graph.nodes.length];
    return {
      graph,
      inputs: [{ name: 'input', shape: [...shape], takesIndices: this.takesIndices() }],
      outputs: [{ name: 'output', shape: current, finalKind: graph.modules.at(-1)?.spec.kind }],
      rows,
    };
  }

  /** Serializable topology: `Sequential.fromConfig(model.getConfig())` rebuilds the same layers. */
  getConfig(): SequentialConfig {
    return { className: 'Sequential', config: { name: this.name, layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })) } };
  }
  static fromConfig(config: SequentialConfig): Sequential {
    return new Sequential({ name: config.config.name, layers: config.config.layers.map((l) => layerFromConfig(l.className, l.config)) });
  }
}

/** Creates a Sequential model: `nt.sequential({ layers: [...] })`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}
