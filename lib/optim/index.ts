/**
 * index.ts — `nt.optim`: torch.optim-style optimizers over tensors that require grad, for training
 * with the Tensor API — e.g. fine-tuning the parameters of a TorchScript module loaded with
 * `nt.jit.load`. Options are those of `nt.optimizers.*` (libtorch names and defaults); parameter
 * groups override them per group, as in torch.optim. The optimizer itself (and its state: momenta,
 * Adam moments) lives natively.
 *
 *   const opt = nt.optim.adam(module.parameters(), { lr: 1e-3 });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 */
import { native, type OptimizerHandle } from '../binding';
import { invalidType, invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import { Tensor } from '../tensor/tensor';
import { optimizerSpec } from '../training/optimizers';
import type { AdagradOptions, AdamOptions, OptimizerSpec, RMSpropOptions, SGDOptions } from '../training/optimizers';

export type { AdagradOptions, AdamOptions, RMSpropOptions, SGDOptions } from '../training/optimizers';

/** Parameters with options of their own (torch.optim's param groups); clipping is optimizer-wide. */
export type ParamGroup<O> = Omit<O, 'clipNorm' | 'clipValue'> & {
  /** The tensors this group trains. */
  params: readonly Tensor[];
};

/** What an optimizer trains: tensors, or parameter groups. */
export type Params<O> = readonly Tensor[] | readonly ParamGroup<O>[];

/** One parameter group of a built optimizer: its tensors and its learning rate (read and write). */
export interface OptimizerParamGroup {
  /** The tensors this group trains. */
  readonly params: readonly Tensor[];
  /** The group's learning rate; setting it takes effect at the next step(). */
  lr: number;
}

/** The options each group trains with: the optimizer's, overridden by the group's own. */
function groupsOf<O extends object>(op: string, params: Params<O>, options: O, makeSpec: (o: O) => OptimizerSpec): { params: Tensor[]; spec: OptimizerSpec }[] {
  if (!Array.isArray(params)) throw invalidType(op, 'params', 'an array of Tensors (e.g. module.parameters()) or of parameter groups', params);
  if (options === null || typeof options !== 'object') throw invalidType(op, 'options', 'an object', options);
  const tensors = (list: unknown, where: string): Tensor[] => {
    if (!Array.isArray(list)) throw invalidType(op, where, 'an array of Tensors', list);
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw invalidType(op, `${where}[${i}]`, 'a Tensor', p);
    });
    return list as Tensor[];
  };
  if (params.every((p) => p instanceof Tensor)) return [{ params: tensors(params, 'params'), spec: makeSpec(options) }];
  return (params as readonly unknown[]).map((group, g) => {
    if (group === null || typeof group !== 'object' || group instanceof Tensor) throw invalidType(op, `params[${g}]`, 'a parameter group { params, ...options }', group);
    const { params: list, ...overrides } = group as ParamGroup<O>;
    for (const clip of ['clipNorm', 'clipValue']) {
      if (clip in overrides) throw invalidValue(op, `params[${g}].${clip}`, 'absent (clipping applies to the whole optimizer; pass it in options)', (overrides as Record<string, unknown>)[clip]);
    }
    return { params: tensors(list, `params[${g}].params`), spec: makeSpec({ ...options, ...overrides }) };
  });
}

/** Options of `zeroGrad`. */
export interface ZeroGradOptions {
  /** Set the gradients to null (default) instead of zeroing them. */
  setToNone?: boolean;
}

const ZERO_GRAD_OPTIONS = defineOptions<ZeroGradOptions>({ setToNone: rule.boolean() });

/** A torch.optim-style optimizer over tensors; make one with {@link sgd}, {@link adam}, ... */
export class Optimizer {
  /** 'sgd', 'adam', 'adamW', 'rmsprop' or 'adagrad'. */
  readonly kind: string;
  /** The parameter groups, in order; `paramGroups[i].lr` reads and sets group i's learning rate. */
  readonly paramGroups: readonly OptimizerParamGroup[];
  private handle: OptimizerHandle | null;

  /** @internal Use the factories (`nt.optim.adam(params, options)`, ...). */
  constructor(kind: string, groups: { params: Tensor[]; spec: OptimizerSpec }[], clip: Pick<OptimizerSpec, 'clipNorm' | 'clipValue'>) {
    this.kind = kind;
    this.handle = native.optimCreate(
      groups.map((g) => ({ params: g.params.map((p) => p._h), spec: g.spec })),
      { clipNorm: clip.clipNorm, clipValue: clip.clipValue },
    );
    this.paramGroups = groups.map((g, i) => {
      const live = (): OptimizerHandle => this.live();
      return {
        params: Object.freeze([...g.params]),
        get lr(): number {
          return native.optimGetLr(live(), i);
        },
        set lr(value: number) {
          native.optimSetLr(live(), value, i);
        },
      };
    });
  }

  /** Applies the gradients accumulated by backward() (after clipNorm/clipValue, if set). */
  step(): void {
    native.optimStep(this.live());
  }

  /** Clears the gradients: sets them to null (default, as PyTorch 2) or to zeros. */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const { setToNone = true } = checkOptions(`optim.${this.kind}.zeroGrad`, ZERO_GRAD_OPTIONS, options);
    native.optimZeroGrad(this.live(), setToNone);
  }

  /** The first group's learning rate; setting it sets every group's (see {@link paramGroups} for one group). */
  get lr(): number {
    return native.optimGetLr(this.live(), 0);
  }
  /** Sets every group's learning rate. */
  set lr(value: number) {
    native.optimSetLr(this.live(), value, null);
  }

  /**
   * The optimizer's state (momenta, Adam moments and step counts) and every group's learning
   * rate, serialized by libtorch into a 1-d uint8 tensor (save it with `nt.io.saveSafetensors`).
   */
  stateDict(): Tensor {
    return new Tensor(native.optimStateDict(this.live()));
  }

  /** Loads a `stateDict()` of an optimizer of the same kind over parameters of the same shapes and groups. */
  loadStateDict(state: Tensor): void {
    if (!(state instanceof Tensor)) throw invalidType(`optim.${this.kind}.loadStateDict`, 'state', 'a Tensor from stateDict()', state);
    native.optimLoadStateDict(this.live(), state._h);
  }

  /** Frees the optimizer state now (the parameters are untouched). */
  dispose(): void {
    if (this.handle !== null) native.optimDispose(this.handle);
    this.handle = null;
  }
  /** Same as dispose(), for `using opt = nt.optim.adam(...)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private live(): OptimizerHandle {
    if (this.handle === null) throw new Error(`optim.${this.kind}: the optimizer was disposed`);
    return this.handle;
  }
}

function make<O extends { clipNorm?: number; clipValue?: number }>(kind: OptimizerSpec['kind'], params: Params<O>, options: O): Optimizer {
  const op = `optim.${kind}`;
  const groups = groupsOf(op, params, options, (o) => optimizerSpec(op, kind, o));
  return new Optimizer(kind, groups, groups[0].spec);
}

/** SGD with optional momentum, dampening, Nesterov and weight decay (torch.optim.SGD). */
export const sgd = (params: Params<SGDOptions>, options: SGDOptions = {}): Optimizer => make('sgd', params, options);
/** Adam (torch.optim.Adam), with amsgrad. */
export const adam = (params: Params<AdamOptions>, options: AdamOptions = {}): Optimizer => make('adam', params, options);
/** AdamW with decoupled weight decay (torch.optim.AdamW). */
export const adamW = (params: Params<AdamOptions>, options: AdamOptions = {}): Optimizer => make('adamW', params, options);
/** RMSprop (torch.optim.RMSprop), centered or not, with momentum. */
export const rmsprop = (params: Params<RMSpropOptions>, options: RMSpropOptions = {}): Optimizer => make('rmsprop', params, options);
/** Adagrad (torch.optim.Adagrad). */
export const adagrad = (params: Params<AdagradOptions>, options: AdagradOptions = {}): Optimizer => make('adagrad', params, options);
