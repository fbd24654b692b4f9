/**
 * grad_scaler.ts — `nt.amp.GradScaler`: torch.cuda.amp.GradScaler for custom loops over nt.optim
 * optimizers. The scaling rules live natively (binding/mixed_precision.cc), shared with compile()
 * and the GAN trainer:
 *
 *   const loss = nt.amp.autocast(() => lossOf(model.call(x), y), { device: 'cuda' });
 *   scaler.scale(loss).backward();
 *   scaler.step(opt);   // unscales (unless unscale() was called, e.g. to clip), skips on inf/NaN
 *   scaler.update();
 */
import { native, type ScalerHandle } from '../binding';
import { invalidType } from '../errors';
import { checkOptions } from '../options';
import { Optimizer } from '../optim';
import { Tensor } from '../tensor/tensor';
import { LOSS_SCALE_OPTIONS, type LossScaleOptions } from './policy';

export class GradScaler {
  private readonly handle: ScalerHandle;
  /** The optimizers unscaled since the last update(), each with whether its gradients were finite. */
  private readonly unscaled = new Map<Optimizer, boolean>();

  constructor(options: LossScaleOptions = {}) {
    this.handle = native.ampScalerCreate(checkOptions('amp.GradScaler', LOSS_SCALE_OPTIONS, options));
  }

  /** The current scale. */
  getScale(): number {
    return native.ampScalerGetScale(this.handle);
  }

  /** The loss times the current scale (call backward() on this). */
  scale(loss: Tensor): Tensor {
    if (!(loss instanceof Tensor)) throw invalidType('amp.GradScaler.scale', 'loss', 'a Tensor', loss);
    return loss.mul(this.getScale());
  }

  /** Divides the optimizer's gradients by the scale (once per step; before clipping them by hand). */
  unscale(optimizer: Optimizer): void {
    if (!(optimizer instanceof Optimizer)) throw invalidType('amp.GradScaler.unscale', 'optimizer', 'an nt.optim optimizer', optimizer);
    if (this.unscaled.has(optimizer)) throw new Error('amp.GradScaler.unscale: already called for this optimizer since the last update()');
    const params = optimizer.paramGroups.flatMap((g) => g.params.map((p) => p._h));
    this.unscaled.set(optimizer, native.ampScalerUnscale(this.handle, params));
  }

  /** Unscales (if not done yet) and steps the optimizer unless its gradients hold inf/NaN; returns whether it stepped. */
  step(optimizer: Optimizer): boolean {
    if (!this.unscaled.has(optimizer)) this.unscale(optimizer);
    const finite = this.unscaled.get(optimizer) as boolean;
    if (finite) optimizer.step();
    return finite;
  }

  /** Ends the step: backs the scale off if any optimizer's gradients held inf/NaN, grows it after growthInterval good steps. Returns the new scale. */
  update(): number {
    if (this.unscaled.size === 0) throw new Error('amp.GradScaler.update: no step() or unscale() since the last update()');
    const finite = [...this.unscaled.values()].every(Boolean);
    this.unscaled.clear();
    return native.ampScalerUpdate(this.handle, finite);
  }
}
