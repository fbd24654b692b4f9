/**
 * served_model.ts — one model behind the server: loaded from a directory written by `model.save`
 * or `nodetorch train` (with its preprocess.json), from a TorchScript file with a declared input
 * schema, or given already loaded; `instances` copies of it behind one batcher; warmed up (a
 * forward of 1 and of maxBatchSize samples per copy) before it reports ready. Requests larger than
 * maxBatchSize are split into batcher requests and their outputs joined again. Admission, before a
 * request's body is read, counts the requests on their way to the queue against maxQueueSize.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load as jitLoad, ScriptModule } from '../io/jit';
import { loadModel } from '../io/load_model';
import { type Preprocess, readPreprocess } from '../io/preprocess';
import { Model } from '../models/model';
import { zeros } from '../tensor/creation';
import type { Device } from '../tensor/device';
import { cat } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { Batcher, type BatcherObserver, type BatcherOptions } from './batcher';
import { dtypeOfDatatype } from './codec';
import { toRunner, type Runner, type ScriptSchema, type TensorSpec } from './runner';

/** A model to serve: a path to load, or a loaded model (or copies of one). */
export interface ModelSource {
  /** The name in URLs (default: the file's or directory's base name). */
  name?: string;
  /** A directory written by `model.save` / `nodetorch train`, or a TorchScript `.pt` file. */
  path?: string;
  /** A loaded Model or ScriptModule, or copies of one (run concurrently), instead of `path`. */
  model?: Model | ScriptModule | (Model | ScriptModule)[];
  /**
   * A TorchScript module's inputs ([{ name, shape, datatype }], sample shapes without the batch dim)
   * and output names, when no `<file>.json` next to the .pt file declares them.
   */
  inputs?: { name: string; shape: number[]; datatype: string }[];
  outputs?: string[];
}

/** How every model of a server is loaded and batched. */
export interface LoadOptions {
  device: Device;
  instances: number;
  batcher: Pick<BatcherOptions, 'maxBatchSize' | 'maxQueueDelayMs' | 'maxQueueSize' | 'timeoutMs'>;
  observer: (name: string) => BatcherObserver;
}

type Loaded = Model | ScriptModule;

function readSchema(file: string, declared: ModelSource): ScriptSchema {
  let doc: { inputs?: unknown; outputs?: unknown } = declared;
  if (declared.inputs === undefined) {
    const schemaFile = `${file}.json`;
    if (!fs.existsSync(schemaFile)) {
      throw new Error(`serve: ${file} is TorchScript, whose schema has no shapes: declare its inputs in ${schemaFile} ({"inputs": [{"name": "x", "shape": [3, 32, 32], "datatype": "FP32"}]}) or with --input-shape`);
    }
    try {
      doc = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    } catch (err) {
      throw new Error(`serve: cannot read ${schemaFile}: ${(err as Error).message}`);
    }
  }
  if (!Array.isArray(doc.inputs) || doc.inputs.length === 0) throw new Error(`serve: the schema of ${file} needs a non-empty "inputs" list`);
  const inputs = doc.inputs.map((i: { name?: unknown; shape?: unknown; datatype?: unknown }, k: number): TensorSpec => {
    const dtype = typeof i.datatype === 'string' ? dtypeOfDatatype(i.datatype) : undefined;
    if (typeof i.name !== 'string' || !Array.isArray(i.shape) || !i.shape.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) || dtype === undefined) {
      throw new Error(`serve: input ${k} of the schema of ${file} must be {"name": string, "shape": [positive ints, or -1 for a size that varies], "datatype": "FP32" | "INT64" | ...}`);
    }
    return { name: i.name, shape: i.shape as number[], dtype };
  });
  const outputs = doc.outputs;
  if (outputs !== undefined && !(Array.isArray(outputs) && outputs.every((o) => typeof o === 'string'))) {
    throw new Error(`serve: "outputs" of the schema of ${file} must be a list of names`);
  }
  return { inputs, outputs: outputs as string[] | undefined };
}

/** The model directory inside a run directory (model/ or generator/), or the directory itself. */
function modelDir(dir: string): string {
  const found = [path.join(dir, 'model'), path.join(dir, 'generator'), dir].find((c) => fs.existsSync(path.join(c, 'model.json')));
  if (found === undefined) throw new Error(`serve: no model.json in ${dir}, ${dir}/model or ${dir}/generator (a directory written by model.save or 'nodetorch train')`);
  return found;
}

/** preprocess.json of a run directory (next to model/) or of the model directory itself. */
function findPreprocess(dir: string, found: string): Preprocess | undefined {
  const where = [dir, path.dirname(found), found].find((d) => fs.existsSync(path.join(d, 'preprocess.json')));
  return where === undefined ? undefined : readPreprocess(where);
}

export class ServedModel {
  readonly version = '1';
  /** Output names, dtypes and sample shapes, as the warm-up forward returned them. */
  outputs: TensorSpec[] = [];
  /** Requests admitted whose bodies are still being read or decoded (not in the batcher's queue yet). */
  private arriving = 0;

  private constructor(
    readonly name: string,
    readonly platform: string,
    readonly device: Device,
    readonly batcher: Batcher,
    private readonly copies: Loaded[],
    readonly preprocess: Preprocess | undefined,
    private readonly owned: boolean,
  ) {}

  /** Loads (or takes) a model, builds its batcher over `instances` copies and warms every copy up. */
  static async load(source: ModelSource, options: LoadOptions): Promise<ServedModel> {
    let copies: Loaded[];
    let schema: ScriptSchema | undefined;
    let preprocess: Preprocess | undefined;
    let name = source.name;
    const src = source.path;
    if (source.model !== undefined) {
      copies = Array.isArray(source.model) ? source.model : [source.model];
      if (name === undefined) throw new Error('serve: a model given loaded needs a name');
    } else if (typeof src === 'string' && fs.existsSync(src) && fs.statSync(src).isFile()) {
      schema = readSchema(src, source);
      copies = await Promise.all(Array.from({ length: options.instances }, () => jitLoad(src, { device: options.device })));
      for (const m of copies) (m as ScriptModule).eval();
      name ??= path.basename(src).replace(/\.[^.]*$/, '');
    } else if (typeof src === 'string' && fs.existsSync(src)) {
      const found = modelDir(src);
      preprocess = findPreprocess(src, found);
      copies = await Promise.all(Array.from({ length: options.instances }, () => loadModel(found, { device: options.device, compile: false })));
      name ??= path.basename(path.resolve(src));
    } else {
      throw new Error(`serve: ${src === undefined ? 'a model needs a path or a model' : `no such file or directory: ${src}`}`);
    }
    if (source.model !== undefined && copies[0] instanceof ScriptModule && source.inputs !== undefined) schema = readSchema('the given module', source);
    const runners = copies.map((m) => toRunner('serve', m, schema));
    const device = copies[0] instanceof Model ? copies[0].device : options.device;
    const batcher = new Batcher(runners, { ...options.batcher, observer: options.observer(name) });
    const served = new ServedModel(name, copies[0] instanceof Model ? 'nodetorch' : 'pytorch_torchscript', device, batcher, copies, preprocess, source.model === undefined);
    try {
      await served.warmUp(runners);
    } catch (err) {
      await served.close();
      throw err;
    }
    return served;
  }

  get inputs(): readonly TensorSpec[] {
    return this.batcher.inputs;
  }

  /**
   * Admits a request before its body is read, unless maxQueueSize requests already wait (arriving
   * or queued): a server calls this first so that overload gets its 503 without parsing a body.
   * Returns the admission's release (call it once the request is in the queue, or done; only the
   * first call counts), or undefined when the request must be turned away.
   */
  admit(): (() => void) | undefined {
    if (this.arriving + this.batcher.stats().queued >= this.batcher.maxQueueSize) return undefined;
    this.arriving++;
    let held = true;
    return () => {
      if (held) this.arriving--;
      held = false;
    };
  }

  /** Runs n samples (any n ≥ 1): split into requests of at most maxBatchSize, outputs joined. */
  async run(xs: Tensor[]): Promise<Tensor[]> {
    const rows = xs[0].shape[0];
    const step = this.batcher.maxBatchSize;
    if (rows <= step) return asList(await this.batcher.predict(xs));
    const parts: Tensor[][] = [];
    for (let start = 0; start < rows; start += step) parts.push(xs.map((x) => x.narrow(0, start, Math.min(step, rows - start))));
    const settled = await Promise.allSettled(parts.map((p) => this.batcher.predict(p)));
    for (const p of parts.flat()) p.dispose();
    const outs = settled.map((s) => (s.status === 'fulfilled' ? asList(s.value) : undefined));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    try {
      if (failed !== undefined) throw failed.reason;
      const lists = outs as Tensor[][];
      return lists[0].map((_, i) => cat(lists.map((l) => l[i])));
    } finally {
      for (const t of outs.flat()) t?.dispose();
    }
  }

  /** Stops taking requests and waits for those queued and running; disposes the models it loaded. */
  async close(): Promise<void> {
    await this.batcher.close();
    if (this.owned) for (const m of this.copies) m.dispose();
  }

  private async warmUp(runners: Runner[]): Promise<void> {
    for (const runner of runners) {
      for (const n of new Set([1, this.batcher.maxBatchSize])) {
        const xs = this.inputs.map((spec) => zeros([n, ...spec.shape.map((d) => (d === -1 ? 1 : d))], { dtype: spec.dtype, device: this.device }));
        try {
          const outs = await runner.run(xs);
          const names = this.batcher.outputNames ?? (outs.length === 1 ? ['output'] : outs.map((_, i) => `output${i}`));
          this.batcher.outputNames ??= names;
          this.outputs = outs.map((o, i) => ({ name: names[i] ?? `output${i}`, shape: o.shape.slice(1), dtype: o.dtype }));
          for (const o of outs) o.dispose();
        } catch (err) {
          throw new Error(`serve: model '${this.name}' failed its warm-up forward on zeros [${n}, ...]: ${(err as Error).message}`, { cause: err });
        } finally {
          for (const x of xs) x.dispose();
        }
      }
    }
  }
}

function asList(out: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(out) ? out : [out];
}
