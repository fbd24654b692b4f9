/**
 * layer.ts — the Layer base class (Keras-style): a named description with a config, lazy shape
 * inference, and the native module specs it expands into when a model is compiled. Layers hold no
 * tensors; weights live in the model's native module graph.
 */
import { invalidValue } from '../errors';
import { type Schema, checkOptions, defineOptions, rule } from '../options';
import { SymbolicTensor, symbolicList } from './symbolic';

/** Shape of one sample (no batch dim), e.g. [1, 28, 28] for NCHW images. */
export type Shape = readonly number[];

/** One native module of the graph (binding/module_graph.cc reads these). */
export interface ModuleSpec {
  kind: string;
  [option: string]: unknown;
}

/** Arguments every layer takes. */
export interface LayerArgs {
  /** Unique name (default: derived from the class, e.g. 'conv2d_1'). */
  name?: string;
  /** Shape of one input sample without the batch dim; only needed on the first layer. */
  inputShape?: Shape;
}

/** The options every layer takes; each layer's schema spreads these into its own. */
export const LAYER_OPTIONS = defineOptions<LayerArgs>({
  name: rule.string(),
  // checked by the Layer constructor (an array of positive integers)
  inputShape: rule.any(),
});

/** A layer's serializable description, as `getConfig()` returns it. */
export type LayerConfig = Record<string, unknown>;

const counters = new Map<string, number>();

function autoName(prefix: string): string {
  const n = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, n);
  return `${prefix}_${n}`;
}

export abstract class Layer {
  /** Registry name used by `fromConfig` (e.g. 'Conv2D'). */
  abstract readonly className: string;
  readonly name: string;
  readonly inputShape: Shape | undefined;

  /**
   * `fn` is the layer's public factory name (for messages), `schema` the options it takes: the
   * options are checked here, before any subclass reads them, so `fromConfig` checks them too.
   */
  constructor(args: LayerArgs, prefix: string, fn: string, schema: Schema<LayerArgs>) {
    const options = checkOptions(fn, schema, args);
    this.name = options.name ?? autoName(prefix);
    if (options.inputShape !== undefined) {
      const s = options.inputShape;
      if (!Array.isArray(s) || s.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw invalidValue(fn, 'inputShape', 'an array of positive integers (no batch dim)', s);
      }
    }
    this.inputShape = options.inputShape ? [...options.inputShape] : undefined;
  }

  /** Output shape of one sample for a given input sample shape (throws on incompatible input). */
  abstract computeOutputShape(inputShape: Shape): number[];

  /** The native modules this layer becomes for a given input shape, in order. */
  abstract toSpecs(inputShape: Shape): ModuleSpec[];

  /** Layer-specific options (without name/inputShape), for getConfig(). */
  protected abstract config(): LayerConfig;

  /**
   * Calls the layer on symbolic values to build a functional model (Keras `layer.apply`):
   * `const y = nt.layers.dense({ units: 10 }).apply(x)`. Applying the same layer again shares its
   * weights; every call must then see the same input shape.
   */
  apply(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const list = symbolicList(`${this.className}.apply`, inputs);
    const shape = this.callOutputShape(list.map((x) => x.shape));
    return new SymbolicTensor(shape, { kind: 'call', layer: this, inputs: list });
  }

  /** Output shape of a call on values of these shapes; single-input layers take exactly one. */
  callOutputShape(inputShapes: readonly Shape[]): number[] {
    this.check(inputShapes.length === 1, `takes one input, got ${inputShapes.length} (use a merge layer such as nt.layers.add() to combine values)`);
    const [shape] = inputShapes;
    if (this.appliedShape !== undefined) {
      this.check(
        shape.length === this.appliedShape.length && shape.every((d, i) => d === this.appliedShape?.[i]),
        `is shared between calls with different input shapes [${this.appliedShape.join(', ')}] and [${shape.join(', ')}]`,
      );
    }
    const out = this.computeOutputShape(shape);
    this.appliedShape = [...shape];
    return out;
  }

  private appliedShape: number[] | undefined;

  /** Serializable description; `fromConfig(layer.getConfig())` rebuilds an equal layer. */
  getConfig(): LayerConfig {
    const base: LayerConfig = { name: this.name };
    if (this.inputShape !== undefined) base.inputShape = [...this.inputShape];
    return { ...base, ...this.config() };
  }

  /** Throws a RangeError naming this layer when `ok` is false. */
  protected check(ok: boolean, message: string): void {
    if (!ok) throw new RangeError(`${this.className} '${this.name}': ${message}`);
  }
}

type LayerClass = { new (args: never): Layer; readonly className: string };
const registry = new Map<string, LayerClass>();

/** Registers a layer class for `fromConfig` (done by each layer file). */
export function registerLayer(cls: LayerClass): void {
  registry.set(cls.className, cls);
}

/** Rebuilds a layer from `{ className, config }` (what models serialize). */
export function layerFromConfig(className: string, config: LayerConfig): Layer {
  const cls = registry.get(className);
  if (cls === undefined) throw new RangeError(`fromConfig: unknown layer class '${className}'`);
  return new cls(config as never);
}
