/**
 * core.ts — core layers: Dense, Flatten, Reshape, Permute, Dropout, SpatialDropout2D, Embedding.
 */
import { invalidValue } from '../errors';
import { defineOptions, rule } from '../options';
import { ACTIVATION_RULE, type ActivationName, activationSpecs } from './activations';
import { INITIALIZER_RULE, type Initializer, REGULARIZER_RULE, type Regularizer, initializerSpec, regularizerSpec } from './initializers';
import { LAYER_OPTIONS, Layer, type LayerArgs, type LayerConfig, type ModuleSpec, type Shape, registerLayer } from './layer';

export interface DenseArgs extends LayerArgs {
  /** Output features. */
  units: number;
  /** Activation applied after the affine map (default none). */
  activation?: ActivationName;
  /** Add a bias (default true). */
  useBias?: boolean;
  /** Kernel initializer (default: PyTorch's Linear init). */
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** L1/L2 penalty on the kernel. */
  kernelRegularizer?: Regularizer;
}

const DENSE_OPTIONS = defineOptions<DenseArgs>({
  ...LAYER_OPTIONS,
  units: rule.int({ min: 1, required: true }),
  activation: ACTIVATION_RULE,
  useBias: rule.boolean(),
  kernelInitializer: INITIALIZER_RULE,
  biasInitializer: INITIALIZER_RULE,
  kernelRegularizer: REGULARIZER_RULE,
});

/** Fully connected layer over the last dim: y = x·Wᵀ + b (PyTorch Linear; weight [units, in]). */
export class Dense extends Layer {
  static readonly className = 'Dense';
  readonly className = Dense.className;
  readonly units: number;
  readonly activation: ActivationName | undefined;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer | undefined;
  readonly biasInitializer: Initializer | undefined;
  readonly kernelRegularizer: Regularizer | undefined;

  constructor(args: DenseArgs) {
    super(args, 'dense', 'dense', DENSE_OPTIONS);
    this.units = args.units;
    this.activation = args.activation;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer;
    this.biasInitializer = args.biasInitializer;
    this.kernelRegularizer = regularizerSpec(args.kernelRegularizer);
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length >= 1, `expects inputs with at least 1 dim, got [${inputShape.join(', ')}]`);
    return [...inputShape.slice(0, -1), this.units];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    return [
      {
        kind: 'linear',
        inFeatures: inputShape[inputShape.length - 1],
        outFeatures: this.units,
        bias: this.useBias,
        weightInitializer: initializerSpec(this.kernelInitializer),
        biasInitializer: initializerSpec(this.biasInitializer),
        regularizer: this.kernelRegularizer,
      },
      ...activationSpecs(this.activation),
    ];
  }
  protected config(): LayerConfig {
    return {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer,
    };
  }
}

/** Flattens each sample to one dim. */
export class Flatten extends Layer {
  static readonly className = 'Flatten';
  readonly className = Flatten.className;
  constructor(args: LayerArgs = {}) {
    super(args, 'flatten', 'flatten', LAYER_OPTIONS);
  }
  computeOutputShape(inputShape: Shape): number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'flatten', startDim: 1, endDim: -1 }];
  }
  protected config(): LayerConfig {
    return {};
  }
}

export interface ReshapeArgs extends LayerArgs {
  /** New sample shape (no batch dim); one entry may be -1. */
  targetShape: Shape;
}

// targetShape is checked by the constructor (positive integers, at most one -1)
const RESHAPE_OPTIONS = defineOptions<ReshapeArgs>({ ...LAYER_OPTIONS, targetShape: rule.any({ required: true }) });

export class Reshape extends Layer {
  static readonly className = 'Reshape';
  readonly className = Reshape.className;
  readonly targetShape: number[];
  constructor(args: ReshapeArgs) {
    super(args, 'reshape', 'reshape', RESHAPE_OPTIONS);
    const t = args.targetShape;
    if (!Array.isArray(t) || t.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw invalidValue('reshape', 'targetShape', 'positive integers with at most one -1', t);
    }
    this.targetShape = [...t];
  }
  computeOutputShape(inputShape: Shape): number[] {
    const total = inputShape.reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = this.targetShape.map((d) => (d === -1 ? total / known : d));
    const ok = out.every(Number.isInteger) && out.reduce((a, b) => a * b, 1) === total;
    this.check(ok, `cannot reshape [${inputShape.join(', ')}] (${total} values) to [${this.targetShape.join(', ')}]`);
    return out;
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    return [{ kind: 'reshape', shape: this.computeOutputShape(inputShape) }];
  }
  protected config(): LayerConfig {
    return { targetShape: [...this.targetShape] };
  }
}

export interface PermuteArgs extends LayerArgs {
  /** Permutation of the sample dims, 1-based as in Keras (the batch dim stays first). */
  dims: readonly number[];
}

// dims is checked by the constructor (a permutation of 1..n)
const PERMUTE_OPTIONS = defineOptions<PermuteArgs>({ ...LAYER_OPTIONS, dims: rule.any({ required: true }) });

export class Permute extends Layer {
  static readonly className = 'Permute';
  readonly className = Permute.className;
  readonly dims: number[];
  constructor(args: PermuteArgs) {
    super(args, 'permute', 'permute', PERMUTE_OPTIONS);
    const d = args.dims;
    const sorted = Array.isArray(d) ? [...d].sort((a, b) => a - b) : [];
    if (!Array.isArray(d) || sorted.some((v, i) => v !== i + 1)) throw invalidValue('permute', 'dims', 'a permutation of 1..n', d);
    this.dims = [...d];
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === this.dims.length, `dims [${this.dims.join(', ')}] do not match input [${inputShape.join(', ')}]`);
    return this.dims.map((d) => inputShape[d - 1]);
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    return [{ kind: 'permute', dims: [0, ...this.dims] }];
  }
  protected config(): LayerConfig {
    return { dims: [...this.dims] };
  }
}

export interface DropoutArgs extends LayerArgs {
  /** Fraction of inputs to drop while training, in [0, 1). */
  rate: number;
}

const DROPOUT_OPTIONS = defineOptions<DropoutArgs>({ ...LAYER_OPTIONS, rate: rule.number({ min: 0, max: 1, lt: true, required: true }) });

/** Zeroes inputs with probability `rate` during training (scaled by 1/(1-rate)); identity in inference. */
export class Dropout extends Layer {
  static readonly className = 'Dropout';
  readonly className = Dropout.className;
  readonly rate: number;
  constructor(args: DropoutArgs) {
    super(args, 'dropout', 'dropout', DROPOUT_OPTIONS);
    this.rate = args.rate;
  }
  computeOutputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
  toSpecs(): ModuleSpec[] {
    return [{ kind: 'dropout', p: this.rate }];
  }
  protected config(): LayerConfig {
    return { rate: this.rate };
  }
}

/** Drops whole channels of [C, H, W] samples during training. */
export class SpatialDropout2D extends Layer {
  static readonly className = 'SpatialDropout2D';
  readonly className = SpatialDropout2D.className;
  readonly rate: number;
  constructor(args: DropoutArgs) {
    super(args, 'spatial_dropout2d', 'spatialDropout2d', DROPOUT_OPTIONS);
    this.rate = args.rate;
  }
  computeOutputShape(inputShape: Shape): number[] {
    this.check(inputShape.length === 3, `expects [C, H, W] samples, got [${inputShape.join(', ')}]`);
    return [...inputShape];
  }
  toSpecs(inputShape: Shape): ModuleSpec[] {
    this.computeOutputShape(inputShape);
    return [{ kind: 'dropout2d', p: this.rate }];
  }
  protected config(): LayerConfig {
    return { rate: this.rate };
  }
}

export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size (indices are in [0, inputDim)). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  embeddingsInitializer?: Initializer;
}

const EMBEDDING_OPTIONS = defineOptions<EmbeddingArgs>({
  ...LAYER_OPTIONS,
  inputDim: rule.int({ min: 1, required: true }),
  outputDim: rule.int({ min: 1, required: true }),
  embeddingsInitializer: INITIALIZER_RULE,
});

/** Maps int64 indices to learned vectors: [..] → [.., outputDim]. */
export class Embedding extends Layer {
  static readonly className = 'Embedding';
  readonly className = Embedding.className;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer | undefined;
  constructor(args: EmbeddingArgs) {
    super(args, 'embedding', 'embedding', EMBEDDING_OPTIONS);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.embeddingsInitializer = args.embeddingsInitializer;
  }
  computeOutputShape(inputShape: Shape): number[] {
    return [...inputShape, this.outputDim];
  }
  toSpecs(): ModuleSpec[] {
    return [
      {
        kind: 'embedding',
        numEmbeddings: this.inputDim,
        embeddingDim: this.outputDim,
        weightInitializer: initializerSpec(this.embeddingsInitializer),
      },
    ];
  }
  protected config(): LayerConfig {
    return { inputDim: this.inputDim, outputDim: this.outputDim, embeddingsInitializer: this.embeddingsInitializer };
  }
}

for (const cls of [Dense, Flatten, Reshape, Permute, Dropout, SpatialDropout2D, Embedding]) registerLayer(cls);
