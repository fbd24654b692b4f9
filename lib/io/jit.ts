/**
 * jit.ts — TorchScript modules in Node (`nt.jit.load`): run the methods of a module saved by
 * PyTorch's `torch.jit.save` off the event loop, read and fine-tune its parameters with the Tensor
 * API, switch train/eval, move it between devices and save it back.
 *
 * Values cross the boundary as follows. Arguments are converted to the types the method's schema
 * declares (`m.schema('forward')`): a JS number becomes an `int` or a `float` as the schema says
 * (an `int` argument refuses 2.5), arrays become `List[T]` or `Tuple[...]`, plain objects
 * `Dict[str, T]` (or `Dict[int, T]` from integer-like keys), null/undefined `None`. Where the
 * schema leaves the type open (`Any`, a Scalar), JS integers become `int` and other numbers
 * `float`. Results: tensors → Tensor, int/float → number (an int beyond ±2^53 → bigint), bool →
 * boolean, str → string, None → null, lists and tuples → arrays, dicts → plain objects.
 *
 * Async calls (`forward`, `runMethod`) run on a worker thread without autograd, for inference;
 * the `…Sync` twins run on the calling thread and record autograd unless inside `nt.noGrad`, so a
 * loss computed from their outputs can `backward()` into the module's parameters (fine-tuning).
 *
 * Thread safety (docs/concurrency.md): async calls into one module queue and run one after
 * another (each one still uses libtorch's intra-op threads); save() reads it alongside. The JS
 * thread never waits: a `…Sync` call, train()/eval() or to() while an async call runs throws an
 * Error saying the module is busy. Different modules run in parallel.
 */
import { types } from 'node:util';
import { native, type Handle, type JitHandle, type NativeScriptValue } from '../binding';
import { describe, invalidType } from '../errors';
import { checkDevice, type Device } from '../tensor/device';
import { Tensor } from '../tensor/tensor';
import { removeStaleTemps } from './atomic_file';
import { settle } from './call_site';

/** What a TorchScript method takes and returns (see the conversion rules above). */
export type ScriptValue = Tensor | number | bigint | boolean | string | null | undefined | ScriptValue[] | { [key: string]: ScriptValue };

/** Options of `jit.load`. */
export interface JitLoadOptions {
  /** Where to put parameters and buffers (PyTorch's `map_location`); default: where they were saved. */
  device?: Device;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function toNative(op: string, value: unknown, where: string): NativeScriptValue {
  if (value instanceof Tensor) return value._h;
  if (value === null || value === undefined || ['number', 'bigint', 'boolean', 'string'].includes(typeof value)) {
    return value as NativeScriptValue;
  }
  if (Array.isArray(value)) return value.map((v, i) => toNative(op, v, `${where}[${i}]`));
  if (typeof value === 'object' && isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toNative(op, v, `${where}.${k}`)]));
  }
  throw new TypeError(`${op}: ${where} must be a Tensor, number, bigint, boolean, string, null, array or plain object, got ${describe(value)}`);
}

function fromNative(value: NativeScriptValue): ScriptValue {
  if (types.isExternal(value)) return new Tensor(value as Handle);
  if (Array.isArray(value)) return value.map(fromNative);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromNative(v)]));
  }
  return value;
}

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidType(op, 'path', 'a non-empty string', path);
  return path;
}

/** Loads a TorchScript module saved by `torch.jit.save` (file reading and deserialization run off the event loop). */
export async function load(path: string, options: JitLoadOptions = {}): Promise<ScriptModule> {
  const site = new Error();
  checkPath('jit.load', path);
  if (options === null || typeof options !== 'object') throw invalidType('jit.load', 'options', 'an object', options);
  const device = options.device === undefined ? null : checkDevice('jit.load', options.device);
  return new ScriptModule(await settle(native.jitLoad(path, device), site));
}

/** A loaded TorchScript module. */
export class ScriptModule {
  private handle: JitHandle | null;

  /** @internal Use `nt.jit.load`. */
  constructor(handle: JitHandle) {
    this.handle = handle;
  }

  /** Runs `forward` off the event loop, without autograd (inference, like `predict`); resolves to its result. */
  forward<T extends ScriptValue = ScriptValue>(...inputs: ScriptValue[]): Promise<T> {
    return this.runMethod<T>('forward', ...inputs);
  }

  /** `forward` on the calling thread, recording autograd unless inside `nt.noGrad` (scripts, fine-tuning). */
  forwardSync<T extends ScriptValue = ScriptValue>(...inputs: ScriptValue[]): T {
    return this.runMethodSync<T>('forward', ...inputs);
  }

  /** Runs any method of the module (e.g. one marked `@torch.jit.export`) off the event loop, without autograd. */
  async runMethod<T extends ScriptValue = ScriptValue>(name: string, ...args: ScriptValue[]): Promise<T> {
    const site = new Error();
    const nativeArgs = this.nativeArgs(name, args);
    return fromNative(await settle(native.jitRunMethod(this.live(name), name, nativeArgs), site)) as T;
  }

  /** runMethod() on the calling thread, recording autograd unless inside `nt.noGrad`. */
  runMethodSync<T extends ScriptValue = ScriptValue>(name: string, ...args: ScriptValue[]): T {
    const nativeArgs = this.nativeArgs(name, args);
    return fromNative(native.jitRunMethodSync(this.live(name), name, nativeArgs)) as T;
  }

  /** Names of the module's methods (forward and exported ones). */
  methodNames(): string[] {
    return native.jitMethodNames(this.live('methodNames'));
  }

  /** A method's TorchScript schema, e.g. `forward(__torch__.Net self, Tensor x) -> Tensor`. */
  schema(name = 'forward'): string {
    if (typeof name !== 'string') throw invalidType('schema', 'name', 'a string', name);
    return native.jitSchema(this.live('schema'), name);
  }

  /**
   * The parameters (recursively), as Tensors aliasing them: gradients from `backward()` land on
   * them and in-place updates (`p.sub_(...)` under `nt.noGrad`) change the module.
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** [name, parameter] pairs with PyTorch's dotted names ('conv1.weight'). */
  namedParameters(): [string, Tensor][] {
    return native.jitNamedParameters(this.live('namedParameters')).map(([n, h]) => [n, new Tensor(h)]);
  }

  /** [name, buffer] pairs (batch-norm running statistics, ...), aliasing the module's buffers. */
  namedBuffers(): [string, Tensor][] {
    return native.jitNamedBuffers(this.live('namedBuffers')).map(([n, h]) => [n, new Tensor(h)]);
  }

  /** Training mode (dropout active, batch norm on batch statistics) for this module and its submodules. */
  train(training = true): this {
    if (typeof training !== 'boolean') throw invalidType('train', 'training', 'a boolean', training);
    native.jitSetTraining(this.live('train'), training);
    return this;
  }

  /** Evaluation mode: same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Whether the module is in training mode. */
  get training(): boolean {
    return native.jitIsTraining(this.live('training'));
  }

  /** Moves parameters and buffers to a device in place (Tensors from parameters() follow). */
  to(device: Device): this {
    native.jitTo(this.live('to'), checkDevice('to', device));
    return this;
  }

  /**
   * Saves the module (with its current weights) for `torch.jit.load`, atomically: a temp file beside
   * `path` is written, fsynced and renamed over it (temp files of killed writers are then removed).
   */
  async save(path: string): Promise<void> {
    const site = new Error();
    checkPath('save', path);
    await settle(native.jitSave(this.live('save'), path), site);
    await removeStaleTemps(path);
  }

  /** Releases the module (calls still running finish first); later calls throw. */
  dispose(): void {
    if (this.handle !== null) native.jitDispose(this.handle);
    this.handle = null;
  }

  /** Same as dispose(), for `using m = await nt.jit.load(...)`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private live(op: string): JitHandle {
    if (this.handle === null) throw new Error(`${op}: the module was disposed`);
    return this.handle;
  }

  private nativeArgs(name: string, args: ScriptValue[]): NativeScriptValue[] {
    if (typeof name !== 'string') throw invalidType('runMethod', 'name', 'a string', name);
    return args.map((a, i) => toNative(name, a, `argument ${i}`));
  }
}
