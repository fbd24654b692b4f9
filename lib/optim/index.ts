/**
 * index.ts — `nt.optim`: torch.optim-style optimizers over tensors that require grad, for training
 * with the Tensor API — e.g. fine-tuning the parameters of a TorchScript module loaded with
 * `nt.jit.load`. Options are those of `nt.optimizers.*` (libtorch names and defaults); the
 * optimizer itself (and its state: momenta, Adam moments) lives natively.
 *
 *   const opt = nt.optim.adam(module.parameters(), { lr: 1e-3 });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 */
import { native, type OptimizerHandle } from '../binding';
import { invalidType } from '../errors';
import { Tensor } from '../tensor/tensor';
import { adagrad as adagradSpec, adam as adamSpec, adamW as adamWSpec, rmsprop as rmspropSpec, sgd as sgdSpec } from '../training/optimizers';
import type { AdagradOptions, AdamOptions, OptimizerSpec, RMSpropOptions, SGDOptions } from '../training/optimizers';

export class Optimizer {
  readonly kind: string;
  private handle: OptimizerHandle | null;

  constructor(params: readonly Tensor[], spec: OptimizerSpec) {
    if (!Array.isArray(params)) throw invalidType(`optim.${spec.kind}`, 'params', 'an array of Tensors (e.g. module.parameters())', params);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw invalidType(`optim.${spec.kind}`, `params[${i}]`, 'a Tensor', p);
    });
    this.kind = spec.kind;
    this.handle = native.optimCreate(
      params.map((p) => p._h),
      spec,
    );
  }

  /** Applies the gradients accumulated by backward() (after clipNorm/clipValue, if set). */
  step(): void {
    native.optimStep(this.live());
  }

  /** Clears the gradients: sets them to null (default, as PyTorch 2) or to zeros. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    native.optimZeroGrad(this.live(), options.setToNone ?? true);
  }

  get lr(): number {
    return native.optimGetLr(this.live());
  }
  set lr(value: number) {
    native.optimSetLr(this.live(), value);
  }

  /** Frees the optimizer state now (the parameters are untouched). */
  dispose(): void {
    if (this.handle !== null) native.optimDispose(this.handle);
    this.handle = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  private live(): OptimizerHandle {
    if (this.handle === null) throw new Error(`optim.${this.kind}: the optimizer was disposed`);
    return this.handle;
  }
}

export const sgd = (params: readonly Tensor[], options: SGDOptions = {}): Optimizer => new Optimizer(params, sgdSpec(options));
export const adam = (params: readonly Tensor[], options: AdamOptions = {}): Optimizer => new Optimizer(params, adamSpec(options));
export const adamW = (params: readonly Tensor[], options: AdamOptions = {}): Optimizer => new Optimizer(params, adamWSpec(options));
export const rmsprop = (params: readonly Tensor[], options: RMSpropOptions = {}): Optimizer => new Optimizer(params, rmspropSpec(options));
export const adagrad = (params: readonly Tensor[], options: AdagradOptions = {}): Optimizer => new Optimizer(params, adagradSpec(options));
