/**
 * errors.ts — error classes of the library and helpers for argument errors raised in TypeScript
 * before anything reaches native code (messages name the op, the parameter, what was expected
 * and what arrived).
 */

/** Raised when libtorch cannot allocate memory (host or device). */
export class OutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  if (typeof value === 'string') return `string '${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  return `${typeof value} ${String(value)}`;
}

/** TypeError: `op: param must be <expected>, got <actual>`. */
export function invalidType(op: string, param: string, expected: string, actual: unknown): TypeError {
  return new TypeError(`${op}: ${param} must be ${expected}, got ${describe(actual)}`);
}

/** RangeError: `op: param must be <expected>, got <actual>`. */
export function invalidValue(op: string, param: string, expected: string, actual: unknown): RangeError {
  return new RangeError(`${op}: ${param} must be ${expected}, got ${describe(actual)}`);
}

export function checkInt(op: string, param: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(op, param, 'an integer', value);
  return value;
}

export function checkNumber(op: string, param: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(op, param, 'a number', value);
  return value;
}

export function checkIntList(op: string, param: string, value: unknown): readonly number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    throw invalidType(op, param, 'an array of integers', value);
  }
  return value;
}

/** A shape: an array of non-negative integers. */
export function checkShape(op: string, param: string, value: unknown): readonly number[] {
  const shape = checkIntList(op, param, value);
  if (shape.some((d) => d < 0)) throw invalidValue(op, param, 'non-negative sizes', value);
  return shape;
}

/**
 * An int or a tuple of `n` ints, expanded to a tuple (conv/pool kernel sizes, strides, ...); with
 * `min`, every entry must be at least `min` (1 for sizes and strides, 0 for paddings).
 */
export function checkTuple(op: string, param: string, value: unknown, n: number, min?: number): number[] {
  let tuple: number[];
  if (typeof value === 'number' && Number.isInteger(value)) {
    tuple = []; // filled by push: a packed array (new Array(n).fill() makes a holey one: 32 against 20 ns a call)
    for (let i = 0; i < n; i++) tuple.push(value);
  } else {
    tuple = [...checkIntList(op, param, value)];
  }
  if (tuple.length !== n) throw invalidValue(op, param, `an integer or ${n} integers`, value);
  if (min !== undefined && tuple.some((v) => v < min)) throw invalidValue(op, param, `${min === 1 ? 'positive' : `≥ ${min}`} integers`, value);
  return tuple;
}

/**
 * A size per spatial dim for ops that take one integer for all dims (conv's stride, padding and
 * dilation, a pool's kernel): an integer stays one number, which libtorch repeats per dim and the
 * binding reads in one call (a list costs three per element); anything else is checkTuple's.
 */
export function checkSizes(op: string, param: string, value: unknown, n: number, min?: number): number | number[] {
  if (typeof value === 'number' && Number.isInteger(value) && (min === undefined || value >= min)) return value;
  return checkTuple(op, param, value, n, min);
}

export function checkOneOf<T extends string>(op: string, param: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidValue(op, param, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}
