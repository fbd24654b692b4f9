/**
 * runner.ts — adapts what the batcher runs to one shape: a batched forward that takes one tensor
 * [N, ...] per input and resolves to one tensor [N, ...] per output. A nodetorch Model runs through
 * `model.predict` (libuv's pool, off the event loop), a TorchScript module through `forward`
 * (its own worker); the batcher only uses these public APIs.
 */
import { invalidType } from '../errors';
import { ScriptModule } from '../io/jit';
import { Model } from '../models/model';
import type { Dtype } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';

/** One input or output of a served model: its name, sample shape (no batch dim; -1 where a size varies) and dtype. */
export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: Dtype;
}

/** The inputs a TorchScript module takes (its schema does not say shapes) and its output names. */
export interface ScriptSchema {
  inputs: TensorSpec[];
  /** Names of the outputs, in order (default `output`, or `output0`, `output1`, ... for several). */
  outputs?: string[];
}

/** A batched forward with declared inputs; outputs are named once known. */
export interface Runner {
  readonly inputs: readonly TensorSpec[];
  /** Output names (a Model knows them; a TorchScript module's come from its schema, or default). */
  readonly outputNames: readonly string[] | undefined;
  run(inputs: Tensor[]): Promise<Tensor[]>;
}

function modelRunner(model: Model): Runner {
  if (!model.built && model.inputShape !== undefined) model.build();
  if (!model.built) throw new Error(`serving: model '${model.name}' is not built (give its first layer an inputShape, or load it with nt.loadModel)`);
  return {
    inputs: model.inputs.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })),
    outputNames: model.outputs.map((o) => o.name),
    async run(inputs) {
      const out = await model.predict(inputs.length === 1 ? inputs[0] : inputs, { batchSize: inputs[0].shape[0] });
      return Array.isArray(out) ? out : [out];
    },
  };
}

function scriptRunner(module: ScriptModule, schema: ScriptSchema): Runner {
  return {
    inputs: schema.inputs,
    outputNames: schema.outputs,
    async run(inputs) {
      const out = await module.forward(...inputs);
      const list = out instanceof Tensor ? [out] : Array.isArray(out) ? out : out !== null && typeof out === 'object' ? Object.values(out) : [out];
      if (!list.every((t) => t instanceof Tensor)) {
        for (const t of list) if (t instanceof Tensor) t.dispose();
        throw new TypeError('serving: the TorchScript forward must return a Tensor, or a tuple/list/dict of Tensors');
      }
      return list as Tensor[];
    },
  };
}

/** The runner of a Model, or of a ScriptModule with its declared schema. */
export function toRunner(op: string, model: Model | ScriptModule, schema?: ScriptSchema): Runner {
  if (model instanceof Model) return modelRunner(model);
  if (model instanceof ScriptModule) {
    if (schema === undefined || !Array.isArray(schema.inputs) || schema.inputs.length === 0) {
      throw invalidType(op, 'options.inputs', 'the TorchScript module\'s inputs ([{ name, shape, dtype }], shapes without the batch dim)', schema?.inputs);
    }
    return scriptRunner(model, schema);
  }
  throw invalidType(op, 'model', 'a Model or a ScriptModule (nt.jit.load)', model);
}
