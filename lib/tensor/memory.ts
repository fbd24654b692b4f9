/**
 * memory.ts — deterministic freeing of native tensors: `tidy` scopes, `keep`, and `memory()`
 * (live tensor count and bytes, for leak tests). `dispose()` and `[Symbol.dispose]` live on
 * Tensor itself; GC finalizers are the backstop for whatever is left.
 */
import { native, type Handle } from '../binding';
import { invalidType } from '../errors';

/** What a tidy scope tracks: the tensors created while it is open. */
export interface Scoped {
  /** @internal The native handle; disposedHandle() once disposed. */
  _h: Handle;
  /** Frees the native tensor. */
  dispose(): void;
}

let disposed: Handle | undefined;

/**
 * The handle a disposed Tensor holds: it has no tensor, so every op refuses it as disposed. A
 * Tensor gives up its own handle as it is disposed, and the native side reuses that handle for a
 * later result (native.recycle): no JS object may keep a disposed tensor's handle. Made on first
 * use, since the addon loads lazily (the CLI's doctor and rebuild run without it).
 */
export function disposedHandle(): Handle {
  return (disposed ??= native.disposedHandle());
}

/** Handles per native recycleAll call (they travel as call arguments, the cheapest way in). */
const DISPOSE_BATCH = 1024;

let activeScope: Scoped[] | null = null;
/** The survivors of a scope whose result holds no tensor. */
const NO_SURVIVORS: ReadonlySet<unknown> = new Set();
const kept = new WeakSet<Scoped>();
/** Whether keep() was ever called: until then a scope's disposal skips the WeakSet lookups. */
let anyKept = false;

/** Called by every new Tensor: records it in the innermost open tidy scope. */
export function trackTensor(t: Scoped): void {
  if (activeScope !== null) activeScope.push(t);
}

/** Marks a tensor created inside `tidy` so that the scope does not dispose it. */
export function keep<T extends Scoped>(t: T): T {
  if (t === null || typeof t !== 'object' || typeof t.dispose !== 'function') throw invalidType('keep', 'tensor', 'a Tensor', t);
  kept.add(t);
  anyKept = true;
  return t;
}

function collectReachable(value: unknown, into: Set<unknown>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 8 || into.has(value)) return;
  into.add(value);
  if (Array.isArray(value)) {
    for (const v of value) collectReachable(v, into, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectReachable(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectReachable(v, into, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor created inside it, except the tensors it returns (alone,
 * or inside arrays, Maps and plain objects) and those passed to `keep`. Scopes nest: survivors
 * move to the enclosing scope. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
  const fn = typeof nameOrFn === 'string' ? maybeFn : nameOrFn;
  if (typeof fn !== 'function') throw invalidType('tidy', 'fn', 'a function', fn);
  const parent = activeScope;
  const scope: Scoped[] = [];
  activeScope = scope;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    activeScope = parent;
    disposeAllBut(scope, NO_SURVIVORS, null);
    throw err;
  }
  activeScope = parent;
  if (result instanceof Promise) {
    disposeAllBut(scope, NO_SURVIVORS, null);
    throw new TypeError('tidy: fn must be synchronous (it returned a Promise); dispose tensors explicitly in async code');
  }
  if (scope.length === 0) return result;
  // A result that is not an object keeps nothing alive: no set to build (per-scope garbage is
  // what a tidy around a few ops pays for, in scavenges).
  let survivors = NO_SURVIVORS;
  if (result !== null && typeof result === 'object') {
    const reachable = new Set<unknown>();
    collectReachable(result, reachable, 0);
    survivors = reachable;
  }
  disposeAllBut(scope, survivors, parent);
  return result;
}

/**
 * Disposes the scope's tensors, a batch per native call, except survivors and kept ones; those
 * move to `into` (the enclosing scope) when there is one.
 */
function disposeAllBut(scope: readonly Scoped[], survivors: ReadonlySet<unknown>, into: Scoped[] | null): void {
  const doomed: Handle[] = [];
  const spare = survivors.size !== 0 || anyKept;
  for (const t of scope) {
    if (spare && (survivors.has(t) || kept.has(t))) {
      if (into !== null) into.push(t);
    } else {
      doomed.push(t._h);
      t._h = disposedHandle();
    }
  }
  if (doomed.length <= DISPOSE_BATCH) {
    native.recycleAll(...doomed);
  } else {
    for (let i = 0; i < doomed.length; i += DISPOSE_BATCH) native.recycleAll(...doomed.slice(i, i + DISPOSE_BATCH));
  }
}

/** Native tensors alive in this thread, the bytes of storage they own, and the freed CPU memory this thread keeps for reuse. */
export function memory(): {
  /** Live tensor handles. */
  numTensors: number;
  /** Bytes of storage they own. */
  numBytes: number;
  /**
   * Bytes of freed small CPU blocks (up to 64 KiB each) this thread keeps for its next tensors
   * (at most ~1.3 MiB; 0 with NODETORCH_MALLOC=default), like PyTorch's CUDA "reserved" memory.
   */
  cpuCachedBytes: number;
} {
  return native.memory();
}
