/**
 * autograd.ts — grad-mode scopes (`noGrad`, `enableGrad`) and `grad()` (torch.autograd.grad).
 * Gradients themselves come from `Tensor.backward()` and `.grad`.
 */
import { checkOptions, defineOptions, rule } from '../options';
import { native } from '../binding';
import { invalidType } from '../errors';
import { Tensor } from './tensor';

function withGradMode<T>(op: string, enabled: boolean, fn: () => T): T {
  if (typeof fn !== 'function') throw invalidType(op, 'fn', 'a function', fn);
  const previous = native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) {
      throw new TypeError(`${op}: fn returned a Promise; grad mode is per thread and cannot follow async code — run the synchronous part inside ${op}`);
    }
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs `fn` with gradient tracking off (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode('noGrad', false, fn);
}

/** Runs `fn` with gradient tracking on, e.g. inside a `noGrad` block. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode('enableGrad', true, fn);
}

/** Whether operations are being recorded for autograd right now. */
export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Options of `grad`. */
export interface GradOptions {
  /** Weights for each output (vector-Jacobian product); defaults to ones for scalar outputs. */
  gradOutputs?: readonly Tensor[];
  retainGraph?: boolean;
  /** Build a graph of the gradients (for higher-order derivatives, e.g. gradient penalties). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

// gradOutputs are checked by grad() (Tensors, one per output)
const GRAD_OPTIONS = defineOptions<GradOptions>({ gradOutputs: rule.any(), retainGraph: rule.boolean(), createGraph: rule.boolean(), allowUnused: rule.boolean() });

/** Gradients of `outputs` w.r.t. `inputs` without touching `.grad` (torch.autograd.grad). */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const list = (v: Tensor | readonly Tensor[], param: string): Tensor[] => {
    const arr = Array.isArray(v) ? v : [v];
    arr.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw invalidType('grad', `${param}[${i}]`, 'a Tensor', t);
    });
    return arr as Tensor[];
  };
  const outs = list(outputs as Tensor | Tensor[], 'outputs');
  const ins = list(inputs as Tensor | Tensor[], 'inputs');
  checkOptions('grad', GRAD_OPTIONS, options);
  const gradOuts = options.gradOutputs === undefined ? null : list(options.gradOutputs as Tensor[], 'gradOutputs').map((t) => t._h);
  let result: ReturnType<typeof native.autogradGrad>;
  try {
    result = native.autogradGrad(
      outs.map((t) => t._h),
      ins.map((t) => t._h),
      gradOuts,
      Boolean(options.retainGraph),
      Boolean(options.createGraph),
      Boolean(options.allowUnused),
    );
  } catch (err) {
    throw renamed(err, 'autogradGrad', 'grad');
  }
  return result.map((h) => (h === null ? null : new Tensor(h)));
}

/** A native error prefixed with the binding's op name, re-prefixed with the public name. */
function renamed(err: unknown, nativeName: string, publicName: string): unknown {
  if (err instanceof Error && err.message.startsWith(`${nativeName}: `)) {
    const message = `${publicName}: ${err.message.slice(nativeName.length + 2)}`;
    err.stack = err.stack?.replace(err.message, message);
    err.message = message;
  }
  return err;
}
