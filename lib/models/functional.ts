/**
 * functional.ts — functional models (Keras `tf.model({ inputs, outputs })`): any directed acyclic
 * graph of layer calls written with `nt.input()` and `layer.apply()` — skips, merges, several
 * inputs/outputs, layers shared between branches — run as one native graph. Modules are named
 * after their layers (dots nest), so a layer named 'layer1.0.conv1' owns the state_dict keys
 * 'layer1.0.conv1.weight', as in torchvision.
 */
import { invalidType } from '../errors';
import { Embedding } from '../layers/core';
import { Layer, layerFromConfig, type LayerConfig } from '../layers/layer';
import { MergeLayer } from '../layers/merge';
import { input, SymbolicTensor, symbolicList } from '../layers/symbolic';
import type { GraphPlan, NativeGraph, PlannedRow } from './graph_plan';
import { Model } from './model';
import { checkOptions, defineOptions, rule } from '../options';

export interface FunctionalArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

// inputs and outputs are checked by the constructor (symbolic values from nt.input()/apply())
const FUNCTIONAL_OPTIONS = defineOptions<FunctionalArgs>({ inputs: rule.any({ required: true }), outputs: rule.any({ required: true }), name: rule.string() });

/** A value in a serialized graph: model input i, or the output of call j. */
export type ValueRef = { input: number } | { call: number };

export interface FunctionalConfig {
  className: 'Functional';
  config: {
    name: string;
    inputs: { name: string; shape: number[]; dtype: 'float32' | 'int64' }[];
    layers: { className: string; config: LayerConfig }[];
    /** Layer calls in execution order: the layer (by name) and the values it was called on. */
    calls: { layer: string; inputs: ValueRef[] }[];
    outputs: ValueRef[];
  };
}

let modelCounter = 0;

export class Functional extends Model {
  private readonly inputList: SymbolicTensor[];
  private readonly outputList: SymbolicTensor[];
  /** Every layer call, inputs before the calls that use them. */
  private readonly calls: SymbolicTensor[] = [];
  private readonly layerList: Layer[] = [];

  constructor(args: FunctionalArgs) {
    super(checkOptions('model', FUNCTIONAL_OPTIONS, args).name ?? `model_${++modelCounter}`);
    this.inputList = symbolicList('model', args.inputs);
    this.outputList = symbolicList('model', args.outputs);
    if (this.inputList.length === 0 || this.outputList.length === 0) throw new RangeError('model: needs at least one input and one output');
    this.inputList.forEach((x, i) => {
      if (x.source.kind !== 'input') throw new TypeError(`model: inputs[${i}] ('${x.name}') is a layer output; inputs must come from nt.input()`);
      if (this.inputList.indexOf(x) !== i) throw new RangeError(`model: input '${x.name}' is listed twice`);
    });
    const names = new Set(this.inputList.map((x) => x.name));
    if (names.size !== this.inputList.length) throw new RangeError('model: two inputs have the same name');
    this.collect(names);
  }

  /** Sample shape of the first output (known before build). */
  override get outputShape(): number[] {
    return [...this.outputList[0].shape];
  }

  /** The distinct layers, in the order they are first called. */
  get layers(): readonly Layer[] {
    return this.layerList;
  }

  /** Walks from the outputs back to the inputs, ordering the calls and checking the graph is connected. */
  private collect(inputNames: Set<string>): void {
    const state = new Map<SymbolicTensor, 'visiting' | 'done'>();
    const reached = new Set<SymbolicTensor>();
    const visit = (t: SymbolicTensor, path: string[]): void => {
      const seen = state.get(t);
      if (seen === 'done') return;
      if (seen === 'visiting') throw new RangeError(`model: the graph has a cycle through ${[...path, t.name].join(' → ')}`);
      if (t.source.kind === 'input') {
        if (!this.inputList.includes(t)) {
          throw new RangeError(`model: the graph is disconnected: '${path.at(-1) ?? t.name}' depends on the input '${t.name}', which is not in inputs`);
        }
        reached.add(t);
        state.set(t, 'done');
        return;
      }
      state.set(t, 'visiting');
      for (const x of t.source.inputs) visit(x, [...path, t.name]);
      state.set(t, 'done');
      const layer = t.source.layer;
      if (!this.layerList.includes(layer)) {
        const clash = this.layerList.find((l) => l.name === layer.name);
        if (clash !== undefined || inputNames.has(layer.name)) throw new RangeError(`model: two layers (or a layer and an input) are named '${layer.name}'`);
        this.layerList.push(layer);
      }
      this.calls.push(t);
    };
    for (const out of this.outputList) visit(out, []);
    const unused = this.inputList.filter((x) => !reached.has(x));
    if (unused.length > 0) throw new RangeError(`model: input '${unused[0].name}' is not connected to any output`);
  }

  protected declaredInputShapes(): number[][] {
    return this.inputList.map((x) => [...x.shape]);
  }

  protected takesIndices(i: number): boolean {
    const x = this.inputList[i];
    return x.dtype === 'int64' || this.calls.some((c) => c.source.kind === 'call' && c.source.layer instanceof Embedding && c.source.inputs.includes(x));
  }

  protected planGraph(): GraphPlan {
    const graph: NativeGraph = { modules: [], nodes: [], numInputs: this.inputList.length, outputs: [] };
    const value = new Map<SymbolicTensor, number>(this.inputList.map((x, i) => [x, i]));
    const modulesOf = new Map<Layer, number[]>();
    const rows: PlannedRow[] = this.inputList.map((x) => ({ name: x.name, className: 'InputLayer', outputShape: [...x.shape], moduleNames: [] }));
    const finalKind = new Map<SymbolicTensor, string | undefined>();
    for (const call of this.calls) {
      if (call.source.kind !== 'call') continue;
      const { layer, inputs } = call.source;
      const inputValues = inputs.map((x) => value.get(x) as number);
      let moduleNames: string[] = [];
      if (layer instanceof MergeLayer) {
        graph.nodes.push({ ...layer.mergeOp(), name: layer.name, inputs: inputValues });
      } else {
        let modules = modulesOf.get(layer);
        if (modules === undefined) {
          modules = layer.toSpecs(inputs[0].shape).map((spec, j) => {
            graph.modules.push({ name: j === 0 ? layer.name : `${layer.name}_${j}`, spec });
            return graph.modules.length - 1;
          });
          modulesOf.set(layer, modules);
          moduleNames = modules.map((m) => graph.modules[m].name);
        }
        let current = inputValues[0];
        for (const m of modules) {
          graph.nodes.push({ module: m, inputs: [current] });
          current = graph.numInputs + graph.nodes.length - 1;
        }
        finalKind.set(call, modules.length > 0 ? graph.modules[modules[modules.length - 1]].spec.kind : finalKind.get(inputs[0]));
        value.set(call, current);
        rows.push({ name: layer.name, className: layer.className, outputShape: [...call.shape], moduleNames, connectedTo: inputs.map((x) => x.name) });
        continue;
      }
      value.set(call, graph.numInputs + graph.nodes.length - 1);
      rows.push({ name: layer.name, className: layer.className, outputShape: [...call.shape], moduleNames, connectedTo: inputs.map((x) => x.name) });
    }
    graph.outputs = this.outputList.map((o) => value.get(o) as number);
    return {
      graph,
      inputs: this.inputList.map((x, i) => ({ name: x.name, shape: [...x.shape], takesIndices: this.takesIndices(i) })),
      outputs: this.outputList.map((o) => ({ name: o.name, shape: [...o.shape], finalKind: finalKind.get(o) })),
      rows,
    };
  }

  /** Serializable topology: `Functional.fromConfig(model.getConfig())` rebuilds the same graph. */
  getConfig(): FunctionalConfig {
    const ref = (t: SymbolicTensor): ValueRef => (t.source.kind === 'input' ? { input: this.inputList.indexOf(t) } : { call: this.calls.indexOf(t) });
    return {
      className: 'Functional',
      config: {
        name: this.name,
        inputs: this.inputList.map((x) => ({ name: x.name, shape: [...x.shape], dtype: x.dtype })),
        layers: this.layerList.map((l) => ({ className: l.className, config: l.getConfig() })),
        calls: this.calls.map((c) => ({ layer: c.name, inputs: c.source.kind === 'call' ? c.source.inputs.map(ref) : [] })),
        outputs: this.outputList.map(ref),
      },
    };
  }

  static fromConfig(config: FunctionalConfig): Functional {
    const c = config.config;
    const inputs = c.inputs.map((x) => input({ shape: x.shape, name: x.name, dtype: x.dtype }));
    const layers = new Map(c.layers.map((l) => [String(l.config.name), layerFromConfig(l.className, l.config)]));
    const values: SymbolicTensor[] = [];
    const resolve = (r: ValueRef, where: string): SymbolicTensor => {
      const t = 'input' in r ? inputs[r.input] : values[r.call];
      if (t === undefined) {
        throw new RangeError(`fromConfig: ${where} refers to ${'input' in r ? `input ${r.input}` : `call ${r.call}`}, which does not come before it (a cycle or a missing value)`);
      }
      return t;
    };
    c.calls.forEach((call, j) => {
      const layer = layers.get(call.layer);
      if (layer === undefined) throw new RangeError(`fromConfig: call ${j} uses the unknown layer '${call.layer}'`);
      values.push(layer.apply(call.inputs.map((r) => resolve(r, `call ${j} (${call.layer})`))));
    });
    return new Functional({ name: c.name, inputs, outputs: c.outputs.map((r, k) => resolve(r, `output ${k}`)) });
  }
}

/** Creates a functional model from its inputs and outputs: `nt.model({ inputs, outputs })`. */
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
