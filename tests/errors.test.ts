/**
 * errors.test.ts — how failures reach JS: libtorch errors become JS errors named after the op,
 * without C++ backtraces; c10 IndexError becomes RangeError; bad arguments are caught in
 * TypeScript (TypeError/RangeError naming the parameter); unknown dtypes/devices; non-Tensors
 * where a Tensor is needed; out-of-memory; and a sweep of bad calls over the whole API that
 * must throw clean errors and never crash the process.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as nt from '../lib';
import * as runtime from '../lib/runtime';
import * as autograd from '../lib/tensor/autograd';
import * as creation from '../lib/tensor/creation';
import * as memory from '../lib/tensor/memory';
import * as ops from '../lib/tensor/ops';

const F = nt.nn.F;

/** Runs fn, which must throw; returns the error. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error('expected a throw');
}

/** Asserts class, message prefix and a clean message (no C++ backtrace). */
function expectError(fn: () => unknown, cls: new (...args: never[]) => Error, prefix: RegExp): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(cls);
  if (cls === Error) {
    expect(err).not.toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(RangeError);
  }
  expect(err.message).toMatch(prefix);
  expect(err.message).not.toMatch(/Exception raised from|frame #\d|\.cpp:\d+ \(most recent call first\)/);
}

describe('libtorch errors', () => {
  const x = nt.zeros([2, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['matmul shapes', () => x.matmul(x), /^matmul: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/],
    ['cat sizes', () => nt.cat([x, nt.zeros([3, 2])], 0), /^cat: Sizes of tensors must match except in dimension 0/],
    ['reshape', () => x.reshape([4]), /^reshape: shape '\[4\]' is invalid for input of size 6/],
    ['view of a transposed tensor', () => x.t().view([6]), /^view: view size is not compatible with input tensor's size and stride/],
    ['expand', () => x.expand([4, 3]), /^expand: The expanded size of the tensor \(4\) must match/],
    ['bmm of 2D', () => x.bmm(x), /^bmm: batch1 must be a 3D tensor/],
    ['conv2d channels', () => F.conv2d(nt.zeros([1, 3, 5, 5]), nt.zeros([4, 2, 3, 3])), /^conv2d: Given groups=1, weight of size \[4, 2, 3, 3\], expected input\[1, 3, 5, 5\] to have 2 channels/],
    ['gather with float index', () => x.gather(0, nt.zeros([2, 3])), /^gather: gather\(\): Expected dtype int(32\/int)?64 for index/], // libtorch 2.x also takes int32
    ['mean of int64', () => nt.ones([2], { dtype: 'int64' }).mean(), /^mean: mean\(\): could not infer output dtype/],
    ['in-place cast', () => nt.zeros([2], { dtype: 'int64' }).add_(nt.ones([2]).mul(0.5)), /^add_: result type Float can't be cast to the desired output type Long/],
    ['permute duplicates', () => x.permute(0, 0), /^permute: permute\(\): duplicate dims are not allowed/],
    ['backward twice', () => {
      const w = nt.ones([2], { requiresGrad: true });
      const y = w.mul(w).sum();
      y.backward();
      y.backward();
    }, /^backward: Trying to backward through the graph a second time/],
  ];
  for (const [name, fn, prefix] of cases) it(`${name} → Error named after the op`, () => expectError(fn, Error, prefix));

  it('keeps the JS call site in the stack', () => {
    const err = thrown(() => x.matmul(x));
    expect(err.stack).toContain('errors.test.ts');
  });
});

describe('dim and index out of range → RangeError (c10 IndexError)', () => {
  const x = nt.zeros([2, 3]);
  const dimMessage = /Dimension out of range \(expected to be in range of \[-2, 1\], but got -?\d+\)/;
  const cases: [string, () => unknown, RegExp][] = [
    ['sum', () => x.sum(5), /^sum: /],
    ['softmax', () => x.softmax(3), /^softmax: /],
    ['transpose', () => x.transpose(0, 5), /^transpose: /],
    ['squeeze', () => x.squeeze(4), /^squeeze: /],
    ['unbind', () => x.unbind(4), /^unbind: /],
    ['cumsum', () => x.cumsum(2), /^cumsum: /],
    ['argmax', () => x.argmax(-3), /^argmax: /],
  ];
  for (const [name, fn, prefix] of cases) {
    it(`${name}`, () => {
      expectError(fn, RangeError, prefix);
      expect(thrown(fn).message).toMatch(dimMessage);
    });
  }
  it('select index', () => expectError(() => x.select(0, 5), RangeError, /^select: select\(\): index 5 out of range for tensor of size \[2, 3\] at dimension 0/));
  it('indexSelect index', () => expectError(() => x.indexSelect(0, nt.tensor([7n])), RangeError, /^indexSelect: index out of range in self/));
  it('nllLoss target', () => expectError(() => F.nllLoss(x, nt.tensor([5n, 0n])), RangeError, /^nllLoss: Target 5 is out of bounds/));
  it('Tensor.size(dim)', () => expectError(() => x.size(2), RangeError, /^size: dim 2 is out of range for a 2D tensor/));
  it('item() of many elements', () => expectError(() => x.item(), RangeError, /^item: a Tensor with 6 elements cannot be converted to a number/));
});

describe('argument checks in TypeScript', () => {
  const t = nt.zeros([2, 3]);
  const typeErrors: [string, () => unknown, RegExp][] = [
    ["nt.zeros('a')", () => nt.zeros('a' as unknown as number[]), /^zeros: shape must be an array of integers, got string 'a'/],
    ['nt.zeros([1.5])', () => nt.zeros([1.5]), /^zeros: shape must be an array of integers/],
    ['nt.zeros(shape, 5)', () => nt.zeros([2], 5 as unknown as nt.CreationOptions), /^zeros: options must be an object, got number 5/],
    ["t.sum('x')", () => t.sum('x' as unknown as number), /^sum: dim must be an array of integers, got string 'x'/],
    ["t.add('x')", () => t.add('x' as unknown as number), /^add: other must be a Tensor, a number or a boolean, got string 'x'/],
    ['t.reshape(2.5)', () => t.reshape(2.5), /^reshape: shape must be an array of integers/],
    ['t.transpose(0)', () => (t.transpose as (a: number) => nt.Tensor)(0), /^transpose: dim1 must be an integer, got undefined/],
    ['t.clamp()', () => t.clamp(), /^clamp: at least one of min or max must be a number/],
    ["t.clamp('a')", () => t.clamp('a' as unknown as number), /^clamp: min must be a number, got string 'a'/],
    ["nt.full([2], 'x')", () => nt.full([2], 'x' as unknown as number), /^full: value must be a number or a boolean, got string 'x'/],
    ["nt.tensor('abc')", () => nt.tensor('abc' as unknown as number), /^tensor: data must be a number, nested arrays or a TypedArray, got string 'abc'/],
    ["nt.tensor([[1, 'a']])", () => nt.tensor([[1, 'a']] as unknown as number[][]), /^tensor: data must be all numbers \(mixed element types\), got string 'a'/],
    ['nt.tensor(objects)', () => nt.tensor([{}] as unknown as number[]), /^tensor: data must be numbers, booleans or bigints, got Object/],
    ['nt.eye(2.5)', () => nt.eye(2.5), /^eye: n must be an integer, got number 2.5/],
    ['nt.arange()', () => (nt.arange as () => nt.Tensor)(), /^arange: expected \(end\), \(start, end\) or \(start, end, step\)/],
    ['nt.manualSeed(1.5)', () => nt.manualSeed(1.5), /^manualSeed: seed must be an integer, got number 1.5/],
    ['t.to(5)', () => t.to(5 as unknown as nt.Dtype), /^to: target must be a device, a dtype or \{ dtype, device \}, got number 5/],
    ['nt.tidy(5)', () => nt.tidy(5 as unknown as () => void), /^tidy: fn must be a function, got number 5/],
    ['nt.keep(5)', () => nt.keep(5 as unknown as nt.Tensor), /^keep: tensor must be a Tensor, got number 5/],
  ];
  for (const [name, fn, prefix] of typeErrors) it(`${name} → TypeError`, () => expectError(fn, TypeError, prefix));

  const rangeErrors: [string, () => unknown, RegExp][] = [
    ['ragged nested arrays', () => nt.tensor([[1, 2], [3]]), /^tensor: ragged nested array: expected length 2 at depth 1, got length 1/],
    ['ragged depth', () => nt.tensor([[1, 2], 3] as unknown as number[][]), /^tensor: ragged nested array: expected length 2 at depth 1, got number/],
    ['negative size', () => nt.zeros([2, -1]), /^zeros: shape must be non-negative sizes/],
    ['randint high <= low', () => nt.randint(5, 2, [3]), /^randint: high must be greater than low \(5\), got number 2/],
    ['arange step 0', () => nt.arange(0, 5, 0), /^arange: step must be non-zero, got number 0/],
    ['randperm(-1)', () => nt.randperm(-1), /^randperm: n must be non-negative, got number -1/],
    ['manualSeed(-1)', () => nt.manualSeed(-1), /^manualSeed: seed must be a non-negative integer/],
    ['setNumThreads(0)', () => nt.setNumThreads(0), /^setNumThreads: n must be an integer from 1 to 1024, got number 0/],
    ['setNumThreads(huge) would abort inside OpenMP', () => nt.setNumThreads(1e10), /^setNumThreads: n must be an integer from 1 to 1024/],
    ['TypedArray length vs shape', () => nt.tensor(new Float32Array(5), { shape: [2, 3] }), /^tensor: data has 5 elements but shape \[2, 3\] needs 6/],
  ];
  for (const [name, fn, prefix] of rangeErrors) it(`${name} → RangeError`, () => expectError(fn, RangeError, prefix));
});

describe('unknown dtype and device strings → RangeError', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['zeros dtype', () => nt.zeros([2], { dtype: 'float128' as nt.Dtype }), /^zeros: dtype must be one of uint8, int8, int16, int32, int64, float16, float32, float64, bool, bfloat16, got string 'float128'/],
    ['tensor dtype', () => nt.tensor([1], { dtype: 'complex64' as nt.Dtype }), /^tensor: dtype must be one of/],
    ['to dtype', () => nt.zeros([1]).to('int128' as nt.Dtype), /^to: dtype must be one of/],
    ['zeros device', () => nt.zeros([2], { device: 'tpu' as nt.Device }), /^zeros: device must be 'cpu', 'cuda' or 'cuda:N', got string 'tpu'/],
    ['cuda:x', () => nt.ones([2], { device: 'cuda:x' as nt.Device }), /^ones: device must be 'cpu', 'cuda' or 'cuda:N'/],
    ['to device', () => nt.zeros([1]).to({ device: 'gpu' as nt.Device }), /^to: device must be/],
  ];
  for (const [name, fn, prefix] of cases) it(name, () => expectError(fn, RangeError, prefix));
  it('accepts the PyTorch aliases', () => {
    expect(nt.zeros([1], { dtype: 'double' as nt.Dtype }).dtype).toBe('float64');
    expect(nt.zeros([1], { dtype: 'long' as nt.Dtype }).dtype).toBe('int64');
  });
});

describe('a non-Tensor where a Tensor is needed → TypeError', () => {
  const t = nt.zeros([2, 2]);
  const cases: [string, () => unknown, RegExp][] = [
    ['matmul', () => t.matmul([1, 2] as unknown as nt.Tensor), /^matmul: other must be a Tensor, got array of length 2/],
    ['maximum', () => t.maximum(3 as unknown as nt.Tensor), /^maximum: other must be a Tensor, got number 3/],
    ['where condition', () => t.where(5 as unknown as nt.Tensor, 1), /^where: condition must be a Tensor/],
    ['copy_', () => t.copy_({} as nt.Tensor), /^copy_: src must be a Tensor, got Object/],
    ['expandAs', () => t.expandAs(null as unknown as nt.Tensor), /^expandAs: other must be a Tensor, got null/],
    ['zerosLike', () => nt.zerosLike(undefined as unknown as nt.Tensor), /^zerosLike: input must be a Tensor, got undefined/],
    ['conv2d weight', () => F.conv2d(nt.zeros([1, 1, 3, 3]), 'w' as unknown as nt.Tensor), /^conv2d: weight must be a Tensor/],
    ['cat element', () => nt.cat([t, 5 as unknown as nt.Tensor], 0), /^cat: /],
    ['grad inputs', () => nt.grad(t.sum(), [{} as nt.Tensor]), /^grad: inputs\[0\] must be a Tensor, got Object/],
  ];
  for (const [name, fn, prefix] of cases) it(name, () => expectError(fn, TypeError, prefix));

  it('a fake Tensor that passes instanceof is refused by the type-tagged native side', () => {
    const fake = Object.create(nt.Tensor.prototype) as nt.Tensor;
    expectError(() => t.matmul(fake), TypeError, /^matmul: expected a Tensor/);
    expectError(() => fake.add(1), TypeError, /^add: expected a Tensor/);
  });
  it('a method called on a plain object is refused', () => {
    expectError(() => nt.Tensor.prototype.sum.call({}), TypeError, /^sum: expected a Tensor/);
  });
});

describe('out of memory', () => {
  it('nt.OutOfMemoryError is exported and is an Error', () => {
    const err = new nt.OutOfMemoryError('x: y');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('OutOfMemoryError');
  });
  it('an allocation beyond the address space throws OutOfMemoryError', () => {
    // 4e18 bytes: more than any machine's address space, so it fails even with overcommit.
    const err = thrown(() => nt.empty([1e9, 1e9]));
    expect(err).toBeInstanceOf(nt.OutOfMemoryError);
    expect(err.message).toMatch(/^empty: CPU allocator: not enough memory: you tried to allocate 4000000000000000000 bytes$/);
    expect(() => nt.zeros([1e9, 1e9])).toThrow(nt.OutOfMemoryError);
    expect(nt.ones([2]).sum().item()).toBe(2);
  });
  it("libtorch's own CPU allocator's failure (NODETORCH_MALLOC=default; a plain c10::Error in 1.13) is an OutOfMemoryError too", () => {
    const script = `const nt = require(${JSON.stringify(path.join(__dirname, '..'))});
      try { nt.empty([1e9, 1e9]); } catch (err) { console.log(JSON.stringify([err instanceof nt.OutOfMemoryError, err.message])); }`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODETORCH_MALLOC: 'default' } });
    const [isOom, message] = JSON.parse(out) as [boolean, string];
    expect(isOom).toBe(true);
    expect(message).toMatch(/^empty: .*DefaultCPUAllocator: (can't allocate memory|not enough memory): you tried to allocate 4000000000000000000 bytes/);
    expect(message).not.toMatch(/Exception raised from/);
  });
});

describe('bad calls across the API never crash the process', () => {
  const make = (): nt.Tensor => nt.randn([3, 4]);
  const argSets = (big: boolean): unknown[][] => [
    [],
    [undefined],
    [null],
    ['x'],
    [{}],
    [NaN],
    [-1],
    [[-1]],
    [true],
    [make()],
    [make(), make()],
    [-1, -1],
    [[make(), 'x']],
    [0, make()],
    [0, make(), make()],
    ...(big ? [[1e10], [[1e10]], [1e10, 1e10]] : []),
  ];
  /** Calls fn with every argument set; any throw must be a clean, op-prefixed Error. */
  function sweep(label: string, fn: (args: unknown[]) => unknown, big: boolean): string[] {
    const problems: string[] = [];
    for (const args of argSets(big)) {
      try {
        const r = fn(args);
        if (r instanceof Promise) r.catch(() => undefined);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!(err instanceof Error) || !/^[A-Za-z_][\w.]*: /.test(message) || /Exception raised from/.test(message)) {
          problems.push(`${label}(${args.map((a) => (a instanceof nt.Tensor ? 'Tensor' : JSON.stringify(a))).join(', ')}): ${message.slice(0, 120)}`);
        }
      }
    }
    return problems;
  }

  it('Tensor methods', () => {
    const proto = nt.Tensor.prototype as unknown as Record<string, unknown>;
    const methods = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function');
    expect(methods.length).toBeGreaterThan(100);
    const problems = nt.tidy(() => methods.flatMap((m) => sweep(`Tensor.${m}`, (args) => (make() as unknown as Record<string, (...a: unknown[]) => unknown>)[m](...args), true)));
    expect(problems).toEqual([]);
  });
  it('tensor-level nt.* functions (creation, ops, autograd, memory, runtime) and nn.F.*', () => {
    const modules: [string, object][] = [['nt', creation], ['nt', ops], ['nt', autograd], ['nt', memory], ['nt', runtime], ['F', F]];
    const api: Record<string, object> = { nt, F };
    // Public functions only (internal helpers such as trackTensor are exported by their modules too).
    const fns = modules.flatMap(([prefix, mod]) =>
      Object.entries(mod)
        .filter(([n, f]) => typeof f === 'function' && (api[prefix] as Record<string, unknown>)[n] === f)
        .map(([n, f]) => [`${prefix}.${n}`, f]),
    ) as [string, (...a: unknown[]) => unknown][];
    expect(fns.length).toBeGreaterThan(50);
    // Creation functions are called without huge sizes: a valid 1e10-element request would really allocate.
    const problems = nt.tidy(() => fns.flatMap(([name, f]) => sweep(name, (args) => f(...args), false)));
    expect(problems).toEqual([]);
  });
});
