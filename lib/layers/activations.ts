/**
 * activations.ts — activation layers (Activation, ReLU, LeakyReLU, ELU, GELU, Softmax) and the
 * activation names layers accept in their `activation` option.
 */
import { defineOptions, rule } from '../options';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'gelu' | 'elu' | 'leakyRelu';

const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'gelu', 'elu', 'leakyRelu'];

/** The rule of an `activation` option. */
export const ACTIVATION_RULE = rule.oneOf(ACTIVATIONS);

/** The native modules of a (checked) named activation (none for 'linear'); softmax runs over the last dim. */
export function activationSpecs(activation: ActivationName | undefined): ModuleSpec[] {
  if (activation === undefined || activation === 'linear') return [];
  if (activation === 'softmax' || activation === 'logSoftmax') return [{ kind: activation, dim: -1 }];
  return [{ kind: activation }];
}

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

const ACTIVATION_OPTIONS = defineOptions<ActivationArgs>({ ...LAYER_OPTIONS, activation: rule.oneOf(ACTIVATIONS, { required: true }) });

export class Activation extends Layer {
  static readonly className = 'Activation';
  readonly className = Activation.className;
  readonly activation: ActivationName;
  constructor(args: ActivationArgs) {
    super(args, 'activation', 'activation', ACTIVATION_OPTIONS);
    this.activation = args.activation;
  }
  computeOutputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
  toSpecs(): ModuleSpec[] {
    return activationSpecs(this.activation);
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
    super(args, 're_lu', 'relu', LAYER_OPTIONS);
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

const LEAKY_RELU_OPTIONS = defineOptions<LeakyReLUArgs>({ ...LAYER_OPTIONS, alpha: rule.number() });

export class LeakyReLU extends ElementwiseActivation {
  static readonly className = 'LeakyReLU';
  readonly className = LeakyReLU.className;
  readonly alpha: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args, 'leaky_re_lu', 'leakyReLU', LEAKY_RELU_OPTIONS);
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
  /** Value the negative inputs saturate to is -alpha (default 1). */
  alpha?: number;
}

const ELU_OPTIONS = defineOptions<ELUArgs>({ ...LAYER_OPTIONS, alpha: rule.number() });

export class ELU extends ElementwiseActivation {
  static readonly className = 'ELU';
  readonly className = ELU.className;
  readonly alpha: number;
  constructor(args: ELUArgs = {}) {
    super(args, 'elu', 'elu', ELU_OPTIONS);
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

const GELU_OPTIONS = defineOptions<GELUArgs>({ ...LAYER_OPTIONS, approximate: rule.oneOf(['none', 'tanh']) });

export class GELU extends ElementwiseActivation {
  static readonly className = 'GELU';
  readonly className = GELU.className;
  readonly approximate: 'none' | 'tanh';
  constructor(args: GELUArgs = {}) {
    super(args, 'gelu', 'gelu', GELU_OPTIONS);
    this.approximate = args.approximate ?? 'none';
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

const SOFTMAX_OPTIONS = defineOptions<SoftmaxArgs>({ ...LAYER_OPTIONS, axis: rule.int() });

export class Softmax extends ElementwiseActivation {
  static readonly className = 'Softmax';
  readonly className = Softmax.className;
  readonly axis: number;
  constructor(args: SoftmaxArgs = {}) {
    super(args, 'softmax', 'softmax', SOFTMAX_OPTIONS);
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
