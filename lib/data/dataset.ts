/**
 * dataset.ts — `Dataset`: samples held natively (images compactly, e.g. uint8) with batch
 * transforms, shuffled by the dataset's own seeded generator (a new order every epoch, the same
 * order for the same seed and epoch) and batched ahead on a background native thread.
 * `model.fit(ds, { epochs })`, `evaluate(ds)` and `predict(ds)` consume it natively;
 * `for await (const { x, y } of ds.batches({ batchSize }))` iterates it from JS. Samples that are
 * not held in memory (image folders) are fetched per batch from a JS `SampleStream`.
 */
import { native, type DatasetHandle, type Handle } from '../binding';
import { checkInt, invalidType } from '../errors';
import { randint } from '../tensor/creation';
import { tidy } from '../tensor/memory';
import { Tensor } from '../tensor/tensor';
import { checkOptions, defineOptions, rule } from '../options';
import { TRANSFORMS_RULE, type TransformSpec } from './transforms';

export interface DatasetArgs {
  /** Samples [N, ...]: one tensor, or one per model input. */
  x: Tensor | Tensor[];
  /** Labels [N, ...]: one tensor, one per model output, or none. */
  y?: Tensor | Tensor[];
  /** Batch transforms applied (in order) to the first input, e.g. [toFloat({ scale: 1/255 }), normalize(...)]. */
  transforms?: TransformSpec[];
  /** Seed of the shuffling and random transforms (default: drawn from the global generator, so nt.manualSeed fixes it). */
  seed?: number;
  /** Class names by label index, where known. */
  classNames?: string[];
}

/** The options every dataset source takes (`nt.data.fashionMnist({ transforms, seed })`, ...). */
export const SOURCE_OPTIONS = defineOptions<Omit<DatasetArgs, 'x' | 'y' | 'classNames'>>({ transforms: TRANSFORMS_RULE, seed: rule.int({ min: 0 }) });

const DATASET_OPTIONS = defineOptions<DatasetArgs>({
  // x and y are checked by the constructor (Tensors, samples first)
  x: rule.any({ required: true }),
  y: rule.any(),
  ...SOURCE_OPTIONS,
  classNames: rule.array(rule.string()),
});

/** @internal Inputs fetched on demand (by the prefetch thread, through a thread-safe function) instead of held in memory. */
export interface SampleStream {
  /** Number of samples. */
  count: number;
  /** The [H, W, C] layout of each sample's uint8 bytes. */
  hwc: [number, number, number];
  /** Answers `done(null, bytes)` with the samples at `indices`, concatenated in order, or `done(error)`. */
  fetch(indices: Int32Array, done: (err: Error | null, bytes?: Uint8Array) => void): void;
}

/** @internal A dataset whose (single) input comes from a SampleStream. */
export type StreamDatasetArgs = Omit<DatasetArgs, 'x'> & { stream: SampleStream };

/** @internal A native dataset handle with what the JS side knows about it. */
type NativeDatasetArgs = { handle: DatasetHandle; length: number; seed: number; classNames?: string[] };

export interface BatchOptions {
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** Shuffle the samples (default true), differently every epoch. */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Batches prepared ahead on the background thread (default 2). */
  prefetch?: number;
  /** The epoch whose order to use (default 0). */
  epoch?: number;
  /** Where the background thread puts the batches: 'cpu' (default), 'cuda', 'cuda:N'. */
  device?: string;
}

const BATCH_OPTIONS = defineOptions<BatchOptions>({
  batchSize: rule.int({ min: 1 }),
  shuffle: rule.boolean(),
  dropLast: rule.boolean(),
  prefetch: rule.int({ min: 0 }),
  epoch: rule.int({ min: 0 }),
  device: rule.device(),
});

export class Dataset {
  readonly length: number;
  readonly classNames: string[] | undefined;
  readonly seed: number;
  private readonly handle: DatasetHandle;

  constructor(args: DatasetArgs);
  /** @internal A dataset whose input is fetched on demand (image folders). */
  constructor(args: StreamDatasetArgs);
  /** @internal A dataset around an existing native one. */
  constructor(args: NativeDatasetArgs);
  constructor(args: DatasetArgs | StreamDatasetArgs | NativeDatasetArgs) {
    if (args !== null && typeof args === 'object' && 'handle' in args) {
      this.handle = args.handle;
      this.length = args.length;
      this.seed = args.seed;
      this.classNames = args.classNames;
      return;
    }
    if (!(args !== null && typeof args === 'object' && 'stream' in args)) checkOptions('dataset', DATASET_OPTIONS, args);
    const stream = 'stream' in args ? args.stream : undefined;
    const xs = 'x' in args ? (Array.isArray(args.x) ? args.x : [args.x]) : [];
    const ys = args.y === undefined ? [] : Array.isArray(args.y) ? args.y : [args.y];
    [...xs, ...ys].forEach((t) => {
      if (!(t instanceof Tensor)) throw invalidType('dataset', 'x/y', 'Tensors with the samples first', t);
    });
    this.seed = args.seed ?? tidy(() => randint(0, 2 ** 31, [1]).item() as number);
    this.handle = native.datasetCreate({ x: xs.map((t) => t._h), y: ys.map((t) => t._h), stream, transforms: args.transforms ?? [], seed: this.seed });
    this.length = stream ? stream.count : xs[0].shape[0];
    this.classNames = args.classNames;
  }

  /** A dataset of the same samples (shared, not copied) with more transforms, applied after the existing ones. */
  map(...transforms: TransformSpec[]): Dataset {
    return new Dataset({ handle: native.datasetMap(this.handle, transforms), length: this.length, seed: this.seed, classNames: this.classNames });
  }

  /** Batches per epoch at a batch size. */
  numBatches(batchSize: number, dropLast = false): number {
    const b = checkInt('dataset.numBatches', 'batchSize', batchSize);
    if (b < 1) throw new RangeError(`dataset.numBatches: batchSize must be a positive integer, got ${b}`);
    return dropLast ? Math.floor(this.length / b) : Math.ceil(this.length / b);
  }

  /** Iterates one epoch of batches; each `{ x, y }` holds Tensors you own (dispose them or use tidy). */
  batches(options: BatchOptions = {}): AsyncGenerator<{ x: Tensor; y: Tensor | undefined; inputs: Tensor[]; labels: Tensor[] }> {
    checkOptions('dataset.batches', BATCH_OPTIONS, options);
    return this.iterate(options);
  }

  private async *iterate(options: BatchOptions): AsyncGenerator<{ x: Tensor; y: Tensor | undefined; inputs: Tensor[]; labels: Tensor[] }> {
    const it = native.datasetIterate(this.handle, { batchSize: 32, ...options, epoch: options.epoch ?? 0 });
    try {
      for (;;) {
        const next = await native.datasetNext(it);
        if (next === null) return;
        const inputs = next[0].map((h: Handle) => new Tensor(h));
        const labels = next[1].map((h: Handle) => new Tensor(h));
        yield { x: inputs[0], y: labels[0], inputs, labels };
      }
    } finally {
      native.datasetClose(it);
    }
  }

  /** @internal The native dataset, for fit/evaluate/predict. */
  nativeHandle(): DatasetHandle {
    return this.handle;
  }
}

const FROM_TENSORS_OPTIONS = defineOptions<Omit<DatasetArgs, 'x' | 'y'>>({ ...SOURCE_OPTIONS, classNames: DATASET_OPTIONS.classNames });

/** A dataset of in-memory tensors: `nt.data.fromTensors(x, y, { transforms })`. */
export function fromTensors(x: Tensor | Tensor[], y?: Tensor | Tensor[], options: Omit<DatasetArgs, 'x' | 'y'> = {}): Dataset {
  checkOptions('fromTensors', FROM_TENSORS_OPTIONS, options);
  return new Dataset({ ...options, x, y });
}
