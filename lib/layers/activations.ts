/**
 * activations.ts — activation layers (Activation, ReLU, LeakyReLU, ELU, GELU, Softmax) and the
 * activation names layers accept in their `activation` option.
 */
import { checkOneOf } from '../errors';
import { Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'gelu' | 'elu' | 'leakyRelu';

const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'gelu', 'elu', 'leakyRelu'];

/** The native modules of a named activation (none for 'linear'); softmax runs over the last dim. */
export function activationSpecs(op: string, activation: ActivationName | undefined): ModuleSpec[] {
  if (activation === undefined || activation === 'linear') return [];
  checkOneOf(op, 'activation', activation, ACTIVATIONS);
  if (activation === 'softmax' || activation === 'logSoftmax') return [{ kind: activation, dim: -1 }];
  return [{ kind: activation }];
}

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

export class Activation extends Layer {
  static readonly className = 'Activation';
  readonly className = Activation.className;
  readonly activation: ActivationName;
  constructor(args: ActivationArgs) {
    super(args, 'activation');
    this.activation = checkOneOf('activation', 'activation', args.activation, ACTIVATIONS);
  }
  computeOutputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
  toSpecs(): ModuleSpec[] {
    return activationSpecs('activation', this.activation);
  }
  protected config(): LayerConfig {
    return { activation: this.activation };
  }
}

/** Shared base of the parameter-free elementwise activation layers. */
abstract class ElementwiseActivation extends Layer {
  computeOutputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
}

export class ReLU extends ElementwiseActivation {
  static readonly className = 'ReLU';
  readonly className = ReLU.className;
  constructor(args: LayerArgs = {}) {
    super(args, 're_lu');
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'relu' }];
  }
  protected config(): LayerConfig {
    return {};
  }
}

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for negative inputs (Keras default 0.3; PyTorch's LeakyReLU uses 0.01). */
  alpha?: number;
}

export class LeakyReLU extends ElementwiseActivation {
  static readonly className = 'LeakyReLU';
  readonly className = LeakyReLU.className;
  readonly alpha: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args, 'leaky_re_lu');
    this.alpha = args.alpha ?? 0.3;
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'leakyRelu', negativeSlope: this.alpha }];
  }
  protected config(): LayerConfig {
    return { alpha: this.alpha };
  }
}

export interface ELUArgs extends LayerArgs {
  alpha?: number;
}

export class ELU extends ElementwiseActivation {
  static readonly className = 'ELU';
  readonly className = ELU.className;
  readonly alpha: number;
  constructor(args: ELUArgs = {}) {
    super(args, 'elu');
    this.alpha = args.alpha ?? 1.0;
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'elu', alpha: this.alpha }];
  }
  protected config(): LayerConfig {
    return { alpha: this.alpha };
  }
}

export interface GELUArgs extends LayerArgs {
  approximate?: 'none' | 'tanh';
}

export class GELU extends ElementwiseActivation {
  static readonly className = 'GELU';
  readonly className = GELU.className;
  readonly approximate: 'none' | 'tanh';
  constructor(args: GELUArgs = {}) {
    super(args, 'gelu');
    this.approximate = checkOneOf('gelu', 'approximate', args.approximate ?? 'none', ['none', 'tanh']);
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'gelu', approximate: this.approximate }];
  }
  protected config(): LayerConfig {
    return { approximate: this.approximate };
  }
}

export interface SoftmaxArgs extends LayerArgs {
  /** Axis of the batch tensor to normalize over (default -1, the last). */
  axis?: number;
}

export class Softmax extends ElementwiseActivation {
  static readonly className = 'Softmax';
  readonly className = Softmax.className;
  readonly axis: number;
  constructor(args: SoftmaxArgs = {}) {
    super(args, 'softmax');
    this.axis = args.axis ?? -1;
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'softmax', dim: this.axis }];
  }
  protected config(): LayerConfig {
    return { axis: this.axis };
  }
}

for (const cls of [Activation, ReLU, LeakyReLU, ELU, GELU, Softmax]) registerLayer(cls);
