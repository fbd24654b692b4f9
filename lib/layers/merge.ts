/**
 * merge.ts — layers that combine several values of a functional model (Keras merge layers): Add,
 * Subtract, Multiply, Average, Maximum, Minimum (same-shape, elementwise) and Concatenate (along an
 * axis). They own no weights and become merge nodes of the native graph, not modules.
 */
import { defineOptions, rule } from '../options';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

/** What the native graph runs for a merge layer. */
export interface MergeOp {
  merge: 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum' | 'concatenate';
  /** Concatenate: the dim including the batch dim (PyTorch `torch.cat(dim)`). */
  axis?: number;
}

export abstract class MergeLayer extends Layer {
  abstract mergeOp(): MergeOp;

  computeOutputShape(): number[] {
    this.check(false, 'combines several values: call it with .apply([a, b, ...]) in a functional model (nt.model)');
    return [];
  }
  toSpecs(): ModuleSpec[] {
    return [];
  }
  override callOutputShape(inputShapes: readonly Shape[]): number[] {
    const { merge } = this.mergeOp();
    if (merge === 'subtract') this.check(inputShapes.length === 2, `takes exactly two inputs, got ${inputShapes.length}`);
    else this.check(inputShapes.length >= 2, `takes two or more inputs, got ${inputShapes.length}`);
    return this.mergedShape(inputShapes);
  }
  protected mergedShape(shapes: readonly Shape[]): number[] {
    const first = shapes[0];
    for (const s of shapes.slice(1)) {
      this.check(
        s.length === first.length && s.every((d, i) => d === first[i]),
        `inputs must have the same shape, got ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')}`,
      );
    }
    return [...first];
  }
  protected override config(): LayerConfig {
    return {};
  }
}

function elementwise(className: string, prefix: string, merge: MergeOp['merge']): { new (args?: LayerArgs): MergeLayer; className: string } {
  const cls = class extends MergeLayer {
    static readonly className = className;
    readonly className = className;
    constructor(args: LayerArgs = {}) {
      super(args, prefix, prefix, LAYER_OPTIONS);
    }
    mergeOp(): MergeOp {
      return { merge };
    }
  };
  Object.defineProperty(cls, 'name', { value: className });
  return cls;
}

/** Elementwise sum of its inputs (residual connections). */
export const Add = elementwise('Add', 'add', 'add');
/** First input minus the second. */
export const Subtract = elementwise('Subtract', 'subtract', 'subtract');
/** Elementwise product. */
export const Multiply = elementwise('Multiply', 'multiply', 'multiply');
/** Elementwise mean. */
export const Average = elementwise('Average', 'average', 'average');
/** Elementwise maximum. */
export const Maximum = elementwise('Maximum', 'maximum', 'maximum');
/** Elementwise minimum. */
export const Minimum = elementwise('Minimum', 'minimum', 'minimum');

export interface ConcatenateArgs extends LayerArgs {
  /** The dim to join along, counting the batch dim as 0 (default 1: channels for NCHW). Negative counts from the end. */
  axis?: number;
}

const CONCATENATE_OPTIONS = defineOptions<ConcatenateArgs>({ ...LAYER_OPTIONS, axis: rule.int() });

/** Joins its inputs along an axis (all other dims must match). */
export class Concatenate extends MergeLayer {
  static readonly className = 'Concatenate';
  readonly className = Concatenate.className;
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    super(args, 'concatenate', 'concatenate', CONCATENATE_OPTIONS);
    this.axis = args.axis ?? 1;
  }
  mergeOp(): MergeOp {
    return { merge: 'concatenate', axis: this.axis };
  }
  protected override mergedShape(shapes: readonly Shape[]): number[] {
    const rank = shapes[0].length + 1;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    this.check(axis >= 1 && axis < rank, `axis ${this.axis} is out of range for inputs of shape [${shapes[0].join(', ')}] (the batch dim 0 cannot be joined)`);
    const out = [...shapes[0]];
    out[axis - 1] = 0;
    for (const s of shapes) {
      this.check(
        s.length === rank - 1 && s.every((d, i) => i === axis - 1 || d === shapes[0][i]),
        `inputs must match except along axis ${this.axis}, got ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')}`,
      );
      out[axis - 1] += s[axis - 1];
    }
    return out;
  }
  protected override config(): LayerConfig {
    return { axis: this.axis };
  }
}

for (const cls of [Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate]) registerLayer(cls);
