/**
 * normalization.ts — BatchNormalization (1D/2D by input rank) and LayerNormalization, with
 * PyTorch's numerics and defaults (momentum 0.1 as the weight of the new batch statistic, eps 1e-5).
 */
import { defineOptions, rule } from '../options';
import { INITIALIZER_RULE, type Initializer, initializerSpec } from './initializers';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

export interface BatchNormalizationArgs extends LayerArgs {
  /**
   * Weight of the current batch in the running statistics (PyTorch's convention, default 0.1).
   * Keras' momentum m corresponds to 1 - m here.
   */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn a scale (γ) and an offset (β); both or neither (default true). */
  affine?: boolean;
  /** Initializer of γ (default ones; e.g. 'zeros' for the last BN of a residual block, { name: 'normal', mean: 1, std: 0.02 } for DCGAN). */
  gammaInitializer?: Initializer;
  /** Initializer of β (default zeros). */
  betaInitializer?: Initializer;
}

const BATCH_NORMALIZATION_OPTIONS = defineOptions<BatchNormalizationArgs>({
  ...LAYER_OPTIONS,
  momentum: rule.number({ min: 0, max: 1 }),
  epsilon: rule.number({ min: 0, gt: true }),
  affine: rule.boolean(),
  gammaInitializer: INITIALIZER_RULE,
  betaInitializer: INITIALIZER_RULE,
});

/** Normalizes each channel over the batch: [C] / [C, L] samples use BatchNorm1d, [C, H, W] BatchNorm2d. */
export class BatchNormalization extends Layer {
  static readonly className = 'BatchNormalization';
  readonly className = BatchNormalization.className;
  readonly momentum: number;
  readonly epsilon: number;
  readonly affine: boolean;
  readonly gammaInitializer: Initializer | undefined;
  readonly betaInitializer: Initializer | undefined;
  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization', 'batchNormalization', BATCH_NORMALIZATION_OPTIONS);
    this.momentum = args.momentum ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-5;
    this.affine = args.affine ?? true;
    this.gammaInitializer = args.gammaInitializer;
    this.betaInitializer = args.betaInitializer;
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length >= 1 && inputShape.length <= 3, `expects [C], [C, L] or [C, H, W] samples, got [${inputShape.join(', ')}]`);
    return [...inputShape];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    const kind = inputShape.length === 3 ? 'batchNorm2d' : 'batchNorm1d';
    return [
      {
        kind,
        numFeatures: inputShape[0],
        eps: this.epsilon,
        momentum: this.momentum,
        affine: this.affine,
        weightInitializer: initializerSpec(this.gammaInitializer),
        biasInitializer: initializerSpec(this.betaInitializer),
      },
    ];
  }
  protected config(): LayerConfig {
    const config: LayerConfig = { momentum: this.momentum, epsilon: this.epsilon, affine: this.affine };
    if (this.gammaInitializer !== undefined) config.gammaInitializer = this.gammaInitializer;
    if (this.betaInitializer !== undefined) config.betaInitializer = this.betaInitializer;
    return config;
  }
}

export interface LayerNormalizationArgs extends LayerArgs {
  /** How many trailing dims to normalize over (default 1, the last). */
  normalizedDims?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Learn an elementwise scale and offset (default true). */
  affine?: boolean;
}

const LAYER_NORMALIZATION_OPTIONS = defineOptions<LayerNormalizationArgs>({
  ...LAYER_OPTIONS,
  normalizedDims: rule.int({ min: 1 }),
  epsilon: rule.number({ min: 0, gt: true }),
  affine: rule.boolean(),
});

/** Normalizes each sample over its trailing dims (PyTorch LayerNorm). */
export class LayerNormalization extends Layer {
  static readonly className = 'LayerNormalization';
  readonly className = LayerNormalization.className;
  readonly normalizedDims: number;
  readonly epsilon: number;
  readonly affine: boolean;
  constructor(args: LayerNormalizationArgs = {}) {
    super(args, 'layer_normalization', 'layerNormalization', LAYER_NORMALIZATION_OPTIONS);
    this.normalizedDims = args.normalizedDims ?? 1;
    this.epsilon = args.epsilon ?? 1e-5;
    this.affine = args.affine ?? true;
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length >= this.normalizedDims, `cannot normalize ${this.normalizedDims} dims of [${inputShape.join(', ')}]`);
    return [...inputShape];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    return [{ kind: 'layerNorm', normalizedShape: inputShape.slice(-this.normalizedDims), eps: this.epsilon, affine: this.affine }];
  }
  protected config(): LayerConfig {
    return { normalizedDims: this.normalizedDims, epsilon: this.epsilon, affine: this.affine };
  }
}

for (const cls of [BatchNormalization, LayerNormalization]) registerLayer(cls);
