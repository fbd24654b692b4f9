/**
 * infer_json.ts — a fast parser for the JSON body of an infer request. It parses the whole body as
 * strict JSON, but reads the `data` array of an FP32 or FP16 input (one whose `datatype` comes
 * before its `data`, as clients write it) straight into a Float32Array, with no array of JS numbers
 * on the way: the cost of a request was mostly JSON.parse making thousands of numbers.
 *
 * It only takes the common path. For anything unusual (a `data` array that holds something other
 * than numbers, a value FP32 cannot hold, nesting deeper than 64, a "__proto__" key, a BOM, anything
 * that is not valid JSON) it answers undefined and the caller parses with JSON.parse, and the body
 * it returns remembers its text (`slowPath`) so that a request the decoder refuses is decoded again
 * from JSON.parse: what the server accepts, the values it computes and the errors it gives do not
 * depend on this parser. Numbers round exactly as JSON.parse followed by a Float32Array store.
 */

/** The elements of a `data` array (flattened) and how deeply it nested. */
export class PackedData {
  constructor(
    /** The `datatype` the input declared before its data (FP32 or FP16). */
    readonly datatype: string,
    readonly values: Float32Array,
    /** Levels of arrays: 1 for a flat array. */
    readonly depth: number,
  ) {}
}

/** Bodies this parser made → their text, for decoding again through JSON.parse. */
const texts = new WeakMap<object, Buffer>();

/** The body JSON.parse makes of the text of a body this parser made, or undefined for any other body. */
export function slowPath(body: unknown): unknown {
  const text = typeof body === 'object' && body !== null ? texts.get(body) : undefined;
  return text === undefined ? undefined : JSON.parse(text.toString('utf8'));
}

/** Thrown inside the parser to give up (the caller falls back to JSON.parse). */
const GIVE_UP = new Error('infer_json: not on the fast path');

const MAX_DEPTH = 64;
/** Largest magnitude each packed datatype holds (the decoder's limits). */
const PACKED_MAX = new Map([
  ['FP32', 3.4028234663852886e38],
  ['FP16', 65504],
]);
/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Relative error bound of the approximate conversion (≤ 10 roundings of 2^-53, with margin). */
const EPS = 2 ** -48;

/** What a value is: the body, its `inputs` array, an element of it, or anything else. */
const enum Role {
  Body,
  Inputs,
  Input,
  Other,
}

class Scanner {
  i = 0;
  constructor(readonly b: Buffer) {}

  /** The next non-whitespace byte (-1 at the end). */
  peek(): number {
    const b = this.b;
    while (this.i < b.length) {
      const c = b[this.i];
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return c;
      this.i++;
    }
    return -1;
  }

  expect(code: number): void {
    if (this.peek() !== code) throw GIVE_UP;
    this.i++;
  }

  value(role: Role, depth: number): unknown {
    if (depth > MAX_DEPTH) throw GIVE_UP;
    const c = this.peek();
    if (c === 123) return this.object(role === Role.Input ? Role.Input : Role.Other, depth);
    if (c === 91) return this.array(role === Role.Inputs ? Role.Input : Role.Other, depth);
    if (c === 34) return this.string();
    if (c === 45 || (c >= 48 && c <= 57)) {
      const start = this.i;
      return Number(this.b.toString('latin1', start, this.numberEnd()));
    }
    for (const [word, v] of LITERALS) {
      if (this.b.toString('latin1', this.i, this.i + word.length) === word) {
        this.i += word.length;
        return v;
      }
    }
    throw GIVE_UP;
  }

  /** `role` is what the object is; an Input's `data` of a packed datatype is packed. */
  object(role: Role, depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    let shape: unknown;
    let datatype: unknown;
    if (this.peek() === 125) {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.peek() !== 34) throw GIVE_UP;
      const key = this.string();
      if (key === '__proto__') throw GIVE_UP;
      this.expect(58);
      let v: unknown;
      if (role === Role.Input && key === 'data' && typeof datatype === 'string' && PACKED_MAX.has(datatype) && this.peek() === 91) {
        v = this.packed(datatype, sizeHint(shape), depth + 1);
      } else {
        v = this.value(role === Role.Body && key === 'inputs' ? Role.Inputs : Role.Other, depth + 1);
      }
      out[key] = v;
      if (key === 'shape') shape = v;
      if (key === 'datatype') datatype = v;
      const c = this.peek();
      this.i++;
      if (c === 125) return out;
      if (c !== 44) throw GIVE_UP;
    }
  }

  array(elementRole: Role, depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    if (this.peek() === 93) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(elementRole, depth + 1));
      const c = this.peek();
      this.i++;
      if (c === 93) return out;
      if (c !== 44) throw GIVE_UP;
    }
  }

  /** A string token (UTF-8 decoded as fastify decodes the body), its escapes decoded by JSON.parse. */
  string(): string {
    const b = this.b;
    const start = this.i;
    let escaped = false;
    for (let j = start + 1; j < b.length; j++) {
      const c = b[j];
      if (c === 34) {
        this.i = j + 1;
        if (!escaped) return b.toString('utf8', start + 1, j);
        try {
          return JSON.parse(b.toString('utf8', start, j + 1)) as string;
        } catch {
          throw GIVE_UP;
        }
      }
      if (c < 32) throw GIVE_UP;
      if (c === 92) {
        escaped = true;
        j++;
      }
    }
    throw GIVE_UP;
  }

  /** Where the number token at `i` ends (its grammar checked); leaves `i` there. */
  numberEnd(): number {
    const b = this.b;
    let i = this.i;
    let c = b[i];
    if (c === 45) c = b[++i];
    if (c === 48) c = b[++i];
    else if (c >= 49 && c <= 57) while (c >= 48 && c <= 57) c = b[++i];
    else throw GIVE_UP;
    if (c === 46) {
      c = b[++i];
      if (!(c >= 48 && c <= 57)) throw GIVE_UP;
      while (c >= 48 && c <= 57) c = b[++i];
    }
    if (c === 101 || c === 69) {
      c = b[++i];
      if (c === 43 || c === 45) c = b[++i];
      if (!(c >= 48 && c <= 57)) throw GIVE_UP;
      while (c >= 48 && c <= 57) c = b[++i];
    }
    this.i = i;
    return i;
  }

  /**
   * A `data` array of numbers, flat or nested, into a Float32Array: each number is converted
   * exactly when its digits and exponent allow (Clinger's fast path), else approximately when the
   * approximation provably rounds to the same float32, else by Number().
   */
  packed(datatype: string, hint: number, depth: number): PackedData {
    const b = this.b;
    const max = PACKED_MAX.get(datatype) as number;
    let out = new Float32Array(Math.max(16, Math.min(hint, b.length >> 1)));
    let n = 0;
    let level = 0;
    let deepest = 0;
    let i = this.i;
    let c: number;
    let opened = false;
    for (;;) {
      // at a value (or at the ']' of an empty array)
      do c = b[i++];
      while (c === 32 || c === 10 || c === 13 || c === 9);
      if (c === 91) {
        if (++level > deepest) deepest = level;
        if (depth + level > MAX_DEPTH) throw GIVE_UP;
        opened = true;
        continue;
      }
      if (!(c === 93 && opened)) {
        const start = i - 1;
        let neg = false;
        if (c === 45) {
          neg = true;
          c = b[i++];
        }
        let m = 0;
        let digits = 0;
        let exp = 0;
        if (c === 48) {
          c = b[i++];
        } else if (c >= 49 && c <= 57) {
          do {
            m = m * 10 + (c - 48);
            digits++;
            c = b[i++];
          } while (c >= 48 && c <= 57);
        } else {
          throw GIVE_UP;
        }
        if (c === 46) {
          c = b[i++];
          if (!(c >= 48 && c <= 57)) throw GIVE_UP;
          do {
            if (m !== 0 || c !== 48) digits++;
            m = m * 10 + (c - 48);
            exp--;
            c = b[i++];
          } while (c >= 48 && c <= 57);
        }
        if (c === 101 || c === 69) {
          c = b[i++];
          let sign = 1;
          if (c === 43 || c === 45) {
            if (c === 45) sign = -1;
            c = b[i++];
          }
          if (!(c >= 48 && c <= 57)) throw GIVE_UP;
          let e = 0;
          do {
            if (e < 1e6) e = e * 10 + (c - 48);
            c = b[i++];
          } while (c >= 48 && c <= 57);
          exp += sign * e;
        }
        // v: the number's magnitude as a double; exact (correctly rounded) unless said otherwise
        let v = NaN;
        if (digits <= 19 && exp >= -22 && exp <= 22) {
          v = exp < 0 ? m / POW10[-exp] : m * POW10[exp];
          // up to 15 digits, m and 10^|exp| are exact doubles and one rounding gives the correctly
          // rounded double (Clinger's fast path). With 16–19 digits v is within EPS (relative) of
          // it; when every double that close rounds to one float32, that float32 is the answer.
          if (digits > 15 && !(v < max / 2 && Math.fround(v * (1 - EPS)) === Math.fround(v * (1 + EPS)))) v = NaN;
        }
        if (Number.isNaN(v)) v = Math.abs(Number(b.toString('latin1', start, i - 1)));
        if (!(v <= max)) throw GIVE_UP;
        const f = Math.fround(v);
        if (n === out.length) {
          const grown = new Float32Array(out.length * 2);
          grown.set(out);
          out = grown;
        }
        out[n++] = neg ? -f : f;
        while (c === 32 || c === 10 || c === 13 || c === 9) c = b[i++];
      }
      // after a value: ',' for the next one, or ']'s closing arrays
      opened = false;
      while (c === 93) {
        if (--level === 0) {
          this.i = i;
          return new PackedData(datatype, out.subarray(0, n), deepest);
        }
        do c = b[i++];
        while (c === 32 || c === 10 || c === 13 || c === 9);
      }
      if (c !== 44) throw GIVE_UP;
    }
  }
}

const LITERALS: [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** The element count a `shape` promises, when it is a plausible list of sizes (a capacity hint only). */
function sizeHint(shape: unknown): number {
  if (!Array.isArray(shape) || shape.length === 0) return 0;
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' && d > 0 ? d : 0;
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * The infer body in `text` as JSON.parse would give it, but with each FP32/FP16 input's `data` as
 * PackedData; undefined when the text is not on the fast path (parse it with JSON.parse then).
 */
export function parseInferBody(text: Buffer): Record<string, unknown> | undefined {
  const scanner = new Scanner(text);
  try {
    if (scanner.peek() !== 123) return undefined;
    const body = scanner.object(Role.Body, 0);
    if (scanner.peek() !== -1) return undefined;
    texts.set(body, text);
    return body;
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}
