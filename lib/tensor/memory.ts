/**
 * memory.ts — deterministic freeing of native tensors: `tidy` scopes, `keep`, and `memory()`
 * (live tensor count and bytes, for leak tests). `dispose()` and `[Symbol.dispose]` live on
 * Tensor itself; GC finalizers are the backstop for whatever is left.
 */
import { native } from '../binding';
import { invalidType } from '../errors';

/** What a tidy scope tracks: anything disposable created while it is open. */
interface Scoped {
  dispose(): void;
}

let activeScope: Scoped[] | null = null;
const kept = new WeakSet<Scoped>();

/** Called by every new Tensor: records it in the innermost open tidy scope. */
export function trackTensor(t: Scoped): void {
  if (activeScope !== null) activeScope.push(t);
}

/** Marks a tensor created inside `tidy` so that the scope does not dispose it. */
export function keep<T extends Scoped>(t: T): T {
  if (t === null || typeof t !== 'object' || typeof t.dispose !== 'function') throw invalidType('keep', 'tensor', 'a Tensor', t);
  kept.add(t);
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
    for (const t of scope) if (!kept.has(t)) t.dispose();
    throw err;
  }
  activeScope = parent;
  if (result instanceof Promise) {
    for (const t of scope) if (!kept.has(t)) t.dispose();
    throw new TypeError('tidy: fn must be synchronous (it returned a Promise); dispose tensors explicitly in async code');
  }
  const survivors = new Set<unknown>();
  collectReachable(result, survivors, 0);
  for (const t of scope) {
    if (survivors.has(t) || kept.has(t)) {
      if (parent !== null) parent.push(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Native tensors alive in this thread and the bytes of storage they own. */
export function memory(): { numTensors: number; numBytes: number } {
  return native.memory();
}
