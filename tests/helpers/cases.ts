/**
 * cases.ts — test helper: declares op cases that run in nodetorch and in PyTorch-Python and
 * compares the outputs and, for inputs with requiresGrad, the gradients.
 *
 * Inside a `describe`, `compareWithTorch(cases)` registers one `beforeAll` (nodetorch forward
 * and backward for every case, then all references in one Python process) and one `it` per case.
 * Backward runs on the concatenation of the flattened outputs that require grad, with a random
 * upstream gradient that Python receives as `_g` (names starting with `_` are the helper's).
 */
import { beforeAll, expect, it } from 'vitest';
import * as nt from '../../lib';
import { expectTensorClose, refValue, torchReference, type CloseOptions, type RefResult, type RefValue } from './torch';

export type Inputs = Record<string, nt.Tensor>;

export interface OpCase {
  name: string;
  /** Leaf inputs, by the name the Python code uses. */
  inputs: Inputs;
  /** The nodetorch computation: one tensor or a list of them. */
  js: (inputs: Inputs) => nt.Tensor | readonly nt.Tensor[];
  /** Python expression (torch, F and the inputs in scope) giving the same tensor or list. */
  py: string;
  /** Python statements run before `py`. */
  pySetup?: string;
  close?: CloseOptions;
}

interface Outcome {
  outputs: nt.Tensor[];
  grads: (nt.Tensor | null)[];
  ref: RefResult | null;
}

function pyCode(c: OpCase, gradNames: string[]): string {
  const lines = ['import warnings; warnings.simplefilter("ignore")', c.pySetup ?? '', `_y = ${c.py}`, '_ys = list(_y) if isinstance(_y, (list, tuple)) else [_y]'];
  if (gradNames.length > 0) lines.push('torch.cat([p.reshape(-1) for p in _ys if p.requires_grad]).backward(_g)');
  lines.push(`out = [_ys, [${gradNames.map((n) => `${n}.grad`).join(', ')}]]`);
  return lines.join('\n');
}

function runJs(c: OpCase, gradNames: string[]): { outputs: nt.Tensor[]; grads: (nt.Tensor | null)[]; g: nt.Tensor | null } {
  const result = c.js(c.inputs);
  const outputs = result instanceof nt.Tensor ? [result] : [...result];
  if (gradNames.length === 0) return { outputs, grads: [], g: null };
  const joined = nt.cat(outputs.filter((o) => o.requiresGrad).map((o) => o.flatten()));
  const g = nt.randn(joined.shape, { dtype: joined.dtype });
  joined.backward(g);
  return { outputs, grads: gradNames.map((n) => c.inputs[n].grad), g };
}

/** Registers the reference run and one test per case (call inside a describe). */
export function compareWithTorch(cases: readonly OpCase[]): void {
  const outcomes: (Outcome | Error)[] = [];
  beforeAll(() => {
    const refCases = cases.map((c, k) => {
      const gradNames = Object.keys(c.inputs).filter((n) => c.inputs[n].requiresGrad);
      const inputs = { ...c.inputs };
      try {
        const { outputs, grads, g } = runJs(c, gradNames);
        outcomes[k] = { outputs, grads, ref: null };
        if (g !== null) inputs._g = g;
      } catch (e) {
        outcomes[k] = e as Error;
      }
      return { inputs, code: pyCode(c, gradNames) };
    });
    torchReference(refCases).forEach((r, k) => {
      const o = outcomes[k];
      if (!(o instanceof Error)) o.ref = r;
    });
  });
  for (const [k, c] of cases.entries()) {
    it(c.name, () => {
      const o = outcomes[k];
      if (o instanceof Error) throw o;
      const [refOutputs, refGrads] = refValue(o.ref as RefResult) as [RefValue[], (RefValue | null)[]];
      expect(o.outputs.length, 'number of outputs').toBe(refOutputs.length);
      o.outputs.forEach((t, j) => expectTensorClose(t, refOutputs[j], c.close));
      o.grads.forEach((grad, j) => {
        if (refGrads[j] === null) expect(grad, 'gradient').toBeNull();
        else {
          expect(grad, 'gradient').not.toBeNull();
          expectTensorClose(grad as nt.Tensor, refGrads[j] as RefValue, c.close);
        }
      });
    });
  }
}

/** Asserts that `fn` throws exactly `cls` (by name) with a message matching `message`. */
export function expectThrows(fn: () => unknown, cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, message: RegExp | string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(Error);
  expect((err as Error).name).toBe(cls.name);
  if (typeof message === 'string') expect((err as Error).message).toBe(message);
  else expect((err as Error).message).toMatch(message);
}
