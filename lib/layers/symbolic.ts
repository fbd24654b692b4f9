/**
 * symbolic.ts — the placeholders functional models are written with: `nt.input({ shape })` and
 * what `layer.apply(...)` returns. A SymbolicTensor holds no data, only the sample shape and the
 * call (layer + inputs) that produces it; `nt.model({ inputs, outputs })` walks these back to
 * build one native graph.
 */
import { invalidType, invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { Layer } from './layer';

/** Where a symbolic value comes from: a model input, or a layer called on other values. */
export type SymbolicSource = { kind: 'input'; name: string } | { kind: 'call'; layer: Layer; inputs: readonly SymbolicTensor[] };

export class SymbolicTensor {
  constructor(
    /** Shape of one sample (no batch dim). */
    readonly shape: readonly number[],
    readonly source: SymbolicSource,
    /** 'float32', or 'int64' for inputs of class indices (Embedding). */
    readonly dtype: 'float32' | 'int64' = 'float32',
  ) {}

  /** The input name, or the name of the layer that produced this value. */
  get name(): string {
    return this.source.kind === 'input' ? this.source.name : this.source.layer.name;
  }
}

export interface InputArgs {
  /** Shape of one sample without the batch dim, e.g. [3, 32, 32]. */
  shape: readonly number[];
  name?: string;
  /** 'float32' (default) or 'int64' (class indices for an Embedding). */
  dtype?: 'float32' | 'int64';
}

const INPUT_OPTIONS = defineOptions<InputArgs>({
  // checked by input() (an array of positive integers)
  shape: rule.any({ required: true }),
  name: rule.string(),
  dtype: rule.oneOf(['float32', 'int64']),
});

let inputCounter = 0;

/** A model input for functional models: `const x = nt.input({ shape: [3, 32, 32] })`. */
export function input(args: InputArgs): SymbolicTensor {
  checkOptions('input', INPUT_OPTIONS, args);
  const { shape } = args;
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw invalidValue('input', 'shape', 'an array of positive integers (no batch dim)', shape);
  }
  if (args.name === '') throw invalidValue('input', 'name', 'a non-empty string', args.name);
  const dtype = args.dtype ?? 'float32';
  return new SymbolicTensor([...shape], { kind: 'input', name: args.name ?? `input_${++inputCounter}` }, dtype);
}

/** The arguments of `layer.apply(...)` as a list of SymbolicTensors. */
export function symbolicList(op: string, inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor[] {
  const list = Array.isArray(inputs) ? [...inputs] : [inputs];
  for (const x of list) {
    if (!(x instanceof SymbolicTensor)) throw invalidType(op, 'inputs', 'nt.input() or the output of another layer.apply()', x);
  }
  return list as SymbolicTensor[];
}
