/**
 * tensor.test.ts — the Tensor object itself: creation (JS data, TypedArrays, filled, ranges,
 * random, *Like), the ten dtypes round-tripping through dataSync/arraySync, properties, reading
 * data (sync, async, item), conversions (to/cpu/clone/detach/contiguous), seeding, toString()
 * against PyTorch's str(tensor), and CUDA placement (skipped where CUDA is absent).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectTensorClose, LIBTORCH2, refValue, torchReference, type RefCase, type RefResult } from './helpers/torch';

const exact = { rtol: 0, atol: 0 };
const hasCuda = nt.cuda.isAvailable();

/** Each case: a nodetorch tensor and the PyTorch code building the same one. */
interface Check {
  name: string;
  make: () => nt.Tensor;
  code: string;
  inputs?: Record<string, nt.Tensor>;
  /** Tolerance against PyTorch 1.13 where libtorch 2.x legitimately differs (default: exact). */
  libtorch2?: { rtol: number; atol: number };
}

nt.manualSeed(1234);
const r34 = nt.randn([3, 4]);
const r40x50 = nt.randn([40, 50]);
const r12x10x10 = nt.rand([12, 10, 10]).mul(100);
const r20 = nt.randn([20]);
const r3x30 = nt.randn([3, 30]);
const r2x3x4 = nt.randn([2, 3, 4]);
const r2x8f64 = nt.randn([2, 8], { dtype: 'float64', requiresGrad: true });
const half = nt.tensor([0.5, -2, 1024, 0.1, 3.14159], { dtype: 'float16' });
const bhalf = nt.tensor([0.5, -2, 1024, 0.1, 3.14159], { dtype: 'bfloat16' });
const leaf = nt.tensor([1.5, -2], { requiresGrad: true });

const creationChecks: Check[] = [
  { name: 'zeros', make: () => nt.zeros([2, 3]), code: 'out = torch.zeros(2, 3)' },
  { name: 'zeros with a number shape', make: () => nt.zeros(4), code: 'out = torch.zeros(4)' },
  { name: 'ones int64', make: () => nt.ones([3], { dtype: 'int64' }), code: 'out = torch.ones(3, dtype=torch.int64)' },
  { name: 'full float', make: () => nt.full([2, 3], 7.5), code: 'out = torch.full((2, 3), 7.5)' },
  { name: 'full bool', make: () => nt.full([2], true), code: 'out = torch.full((2,), True)' },
  { name: 'full int16', make: () => nt.full([2, 2], 3, { dtype: 'int16' }), code: 'out = torch.full((2, 2), 3, dtype=torch.int16)' },
  { name: 'arange(end)', make: () => nt.arange(5), code: 'out = torch.arange(5)' },
  { name: 'arange(start, end)', make: () => nt.arange(1, 4), code: 'out = torch.arange(1, 4)' },
  { name: 'arange float step', make: () => nt.arange(0, 1, 0.25), code: 'out = torch.arange(0, 1, 0.25)' },
  { name: 'arange negative step', make: () => nt.arange(10, 0, -3), code: 'out = torch.arange(10, 0, -3)' },
  { name: 'arange with dtype', make: () => nt.arange(0, 5, { dtype: 'float64' }), code: 'out = torch.arange(0, 5, dtype=torch.float64)' },
  { name: 'linspace', make: () => nt.linspace(0, 1, 5), code: 'out = torch.linspace(0, 1, 5)' },
  { name: 'linspace float64', make: () => nt.linspace(-1, 1, 7, { dtype: 'float64' }), code: 'out = torch.linspace(-1, 1, 7, dtype=torch.float64)' },
  { name: 'eye(n)', make: () => nt.eye(3), code: 'out = torch.eye(3)' },
  { name: 'eye(n, m)', make: () => nt.eye(2, 4), code: 'out = torch.eye(2, 4)' },
  { name: 'eye with options', make: () => nt.eye(3, { dtype: 'int32' }), code: 'out = torch.eye(3, dtype=torch.int32)' },
  { name: 'float16 rounding', make: () => half, code: 'out = torch.tensor([0.5, -2, 1024, 0.1, 3.14159], dtype=torch.float16)' },
  { name: 'bfloat16 rounding', make: () => bhalf, code: 'out = torch.tensor([0.5, -2, 1024, 0.1, 3.14159], dtype=torch.bfloat16)' },
  { name: 'zerosLike keeps dtype', make: () => nt.zerosLike(nt.ones([2, 2], { dtype: 'int32' })), code: 'out = torch.zeros_like(torch.ones(2, 2, dtype=torch.int32))' },
  { name: 'onesLike with a dtype', make: () => nt.onesLike(r34, { dtype: 'float64' }), code: 'out = torch.ones_like(x, dtype=torch.float64)', inputs: { x: r34 } },
  { name: 'fullLike', make: () => nt.fullLike(r34, -2), code: 'out = torch.full_like(x, -2)', inputs: { x: r34 } },
];

/** Seeded random creation: the same libtorch generator, so the same values as PyTorch. */
const randomChecks: Check[] = [
  { name: 'rand', make: () => (nt.manualSeed(7), nt.rand([3, 4])), code: 'torch.manual_seed(7); out = torch.rand(3, 4)' },
  { name: 'randn', make: () => (nt.manualSeed(7), nt.randn([5, 7])), code: 'torch.manual_seed(7); out = torch.randn(5, 7)' },
  { name: 'randn float64', make: () => (nt.manualSeed(3), nt.randn([6], { dtype: 'float64' })), code: 'torch.manual_seed(3); out = torch.randn(6, dtype=torch.float64)',
    // libtorch 2.x's Box-Muller for float64 rounds differently: the same draws, up to 1 ulp apart.
    libtorch2: { rtol: 1e-15, atol: 0 } },
  { name: 'randint(high)', make: () => (nt.manualSeed(7), nt.randint(10, [12])), code: 'torch.manual_seed(7); out = torch.randint(10, (12,))' },
  { name: 'randint(low, high)', make: () => (nt.manualSeed(7), nt.randint(-5, 5, [2, 6])), code: 'torch.manual_seed(7); out = torch.randint(-5, 5, (2, 6))' },
  { name: 'randperm', make: () => (nt.manualSeed(7), nt.randperm(10)), code: 'torch.manual_seed(7); out = torch.randperm(10)' },
  { name: 'randLike', make: () => (nt.manualSeed(9), nt.randLike(r34)), code: 'torch.manual_seed(9); out = torch.rand_like(x)', inputs: { x: r34 } },
  { name: 'randnLike', make: () => (nt.manualSeed(9), nt.randnLike(r34)), code: 'torch.manual_seed(9); out = torch.randn_like(x)', inputs: { x: r34 } },
  { name: 'randintLike', make: () => (nt.manualSeed(9), nt.randintLike(r34, 0, 10)), code: 'torch.manual_seed(9); out = torch.randint_like(x, 0, 10)', inputs: { x: r34 } },
];

/** str(tensor) in PyTorch for tensors whose values survive JSON; the rest are built in Python. */
const formatChecks: Check[] = [
  { name: 'float with decimals', make: () => nt.tensor([[1.5, -2.25, 3.125], [0.1, 100.75, -7]]), code: 'out = str(torch.tensor([[1.5, -2.25, 3.125], [0.1, 100.75, -7]]))' },
  { name: 'integral floats', make: () => nt.tensor([1, -2, 30, 0]), code: 'out = str(torch.tensor([1., -2., 30., 0.]))' },
  { name: 'integral floats over a wide range', make: () => nt.tensor([1, 2000]), code: 'out = str(torch.tensor([1., 2000.]))' },
  { name: 'big values', make: () => nt.tensor([1.5e9, -2.5, 3]), code: 'out = str(torch.tensor([1.5e9, -2.5, 3]))' },
  { name: 'small values', make: () => nt.tensor([1e-5, 0.5, -3e-7]), code: 'out = str(torch.tensor([1e-5, 0.5, -3e-7]))' },
  { name: 'huge float64', make: () => nt.tensor([1e-300, 2e200], { dtype: 'float64' }), code: 'out = str(torch.tensor([1e-300, 2e200], dtype=torch.float64))' },
  { name: 'nan, inf and zero', make: () => nt.tensor([NaN, Infinity, -Infinity, 0, 1.5]), code: "out = str(torch.tensor([float('nan'), float('inf'), float('-inf'), 0., 1.5]))" },
  { name: 'zero and nan', make: () => nt.tensor([0, NaN]), code: "out = str(torch.tensor([0., float('nan')]))" },
  { name: 'inf beside integral floats', make: () => nt.tensor([Infinity, 1, 2]), code: "out = str(torch.tensor([float('inf'), 1., 2.]))" },
  { name: 'exact ties round to even', make: () => nt.tensor([0.03125, -1.03125, 2.5]), code: 'out = str(torch.tensor([0.03125, -1.03125, 2.5]))' },
  { name: 'exact ties in scientific notation', make: () => nt.tensor([1.03125, -2.5e-5, 0]), code: 'out = str(torch.tensor([1.03125, -2.5e-5, 0.]))' },
  { name: 'negative zero', make: () => nt.tensor([-0, 1]), code: 'out = str(torch.tensor([-0., 1.]))' },
  { name: 'int64', make: () => nt.tensor([1n, -20n, 300n]), code: 'out = str(torch.tensor([1, -20, 300]))' },
  { name: 'int64 beyond 2^53', make: () => nt.tensor([9007199254740993n, -1n]), code: 'out = str(torch.tensor([9007199254740993, -1]))' },
  { name: 'int32', make: () => nt.tensor([[1, 2], [3, 4]], { dtype: 'int32' }), code: 'out = str(torch.tensor([[1, 2], [3, 4]], dtype=torch.int32))' },
  { name: 'uint8', make: () => nt.tensor(new Uint8Array([0, 255, 7])), code: 'out = str(torch.tensor([0, 255, 7], dtype=torch.uint8))' },
  { name: 'bool', make: () => nt.tensor([[true, false], [false, true]]), code: 'out = str(torch.tensor([[True, False], [False, True]]))' },
  { name: 'float64 with dtype suffix', make: () => nt.tensor([1.5, 2], { dtype: 'float64' }), code: 'out = str(torch.tensor([1.5, 2], dtype=torch.float64))' },
  { name: 'float16', make: () => half, code: 'out = str(x)', inputs: { x: half } },
  { name: 'bfloat16', make: () => bhalf, code: 'out = str(x)', inputs: { x: bhalf } },
  { name: 'requires_grad', make: () => leaf, code: 'out = str(x)', inputs: { x: leaf } },
  { name: 'grad_fn', make: () => leaf.mul(leaf), code: 'out = str(x * x)', inputs: { x: leaf } },
  { name: 'grad_fn of a reduction', make: () => leaf.sum(), code: 'out = str(x.sum())', inputs: { x: leaf } },
  { name: 'random matrix', make: () => r34, code: 'out = str(x)', inputs: { x: r34 } },
  { name: 'rows wrapped at 80 columns', make: () => r20, code: 'out = str(x)', inputs: { x: r20 } },
  { name: 'wrapped rows of a matrix', make: () => r3x30, code: 'out = str(x)', inputs: { x: r3x30 } },
  { name: 'suffixes wrapped past 80 columns', make: () => r2x8f64, code: 'out = str(x)', inputs: { x: r2x8f64 } },
  { name: '3D', make: () => r2x3x4, code: 'out = str(x)', inputs: { x: r2x3x4 } },
  { name: '>1000 elements, 1D', make: () => nt.arange(2000), code: 'out = str(torch.arange(2000))' },
  { name: '>1000 elements, 2D', make: () => r40x50, code: 'out = str(x)', inputs: { x: r40x50 } },
  { name: '>1000 elements, 3D', make: () => r12x10x10, code: 'out = str(x)', inputs: { x: r12x10x10 } },
  { name: '0-dim float', make: () => nt.tensor(3.5), code: 'out = str(torch.tensor(3.5))' },
  { name: '0-dim int64', make: () => nt.tensor(7n), code: 'out = str(torch.tensor(7))' },
  { name: '0-dim bool', make: () => nt.tensor(true), code: 'out = str(torch.tensor(True))' },
  { name: 'empty', make: () => nt.zeros([0]), code: 'out = str(torch.zeros(0))' },
  { name: 'empty 2D', make: () => nt.zeros([2, 0]), code: 'out = str(torch.zeros(2, 0))' },
  { name: 'empty int64', make: () => nt.zeros([0], { dtype: 'int64' }), code: 'out = str(torch.zeros(0, dtype=torch.int64))' },
  { name: 'empty int32 2D', make: () => nt.zeros([0, 3], { dtype: 'int32' }), code: 'out = str(torch.zeros(0, 3, dtype=torch.int32))' },
];

describe('tensor', () => {
  let refs: RefResult[];
  const all = [...creationChecks, ...randomChecks, ...formatChecks];
  beforeAll(() => {
    refs = torchReference(all.map((c): RefCase => ({ inputs: c.inputs ?? {}, code: c.code })));
  });
  const refOf = (c: Check): ReturnType<typeof refValue> => refValue(refs[all.indexOf(c)]);

  describe('creation matches PyTorch', () => {
    for (const c of creationChecks) it(c.name, () => expectTensorClose(c.make(), refOf(c), exact));
  });

  describe('seeded random creation matches PyTorch', () => {
    for (const c of randomChecks) it(c.name, () => expectTensorClose(c.make(), refOf(c), (LIBTORCH2 && c.libtorch2) || exact));
  });

  describe('toString() matches str(tensor)', () => {
    for (const c of formatChecks) it(c.name, () => expect(c.make().toString()).toBe(refOf(c)));
  });
});

describe('tensor() from JS data', () => {
  it('infers shape and float32 from nested numbers', () => {
    const t = nt.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });
  it('makes a 0-dim tensor from a number', () => {
    const t = nt.tensor(2.5);
    expect(t.shape).toEqual([]);
    expect(t.ndim).toBe(0);
    expect(t.numel).toBe(1);
    expect(t.item()).toBe(2.5);
  });
  it('makes bool tensors from booleans', () => {
    const t = nt.tensor([true, false, true]);
    expect(t.dtype).toBe('bool');
    expect(t.arraySync()).toEqual([true, false, true]);
    expect(nt.tensor(false).item()).toBe(false);
  });
  it('makes int64 tensors from bigints, exactly', () => {
    const big = 2n ** 62n + 1n;
    const t = nt.tensor([[big, -3n]]);
    expect(t.dtype).toBe('int64');
    expect(t.shape).toEqual([1, 2]);
    expect([...(t.dataSync() as BigInt64Array)]).toEqual([big, -3n]);
  });
  it('casts nested numbers to the dtype option', () => {
    const t = nt.tensor([[1.7, -2.7]], { dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    expect(t.arraySync()).toEqual([[1, -2]]);
  });
  it('makes empty tensors from empty arrays', () => {
    expect(nt.tensor([]).shape).toEqual([0]);
    expect(nt.tensor([[], []]).shape).toEqual([2, 0]);
  });
  it('sets requiresGrad from the options', () => {
    expect(nt.tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(nt.tensor([1, 2]).requiresGrad).toBe(false);
  });

  const typed: [string, () => ArrayBufferView, nt.Dtype, (number | bigint)[]][] = [
    ['Float32Array', () => new Float32Array([1.5, -2, 0.25, 8, 9, 10]), 'float32', [1.5, -2, 0.25, 8, 9, 10]],
    ['Float64Array', () => new Float64Array([0.1, -1e300, 5e-324, 1, 2, 3]), 'float64', [0.1, -1e300, 5e-324, 1, 2, 3]],
    ['Int8Array', () => new Int8Array([-128, 127, 0, 1, 2, 3]), 'int8', [-128, 127, 0, 1, 2, 3]],
    ['Uint8Array', () => new Uint8Array([0, 255, 7, 1, 2, 3]), 'uint8', [0, 255, 7, 1, 2, 3]],
    ['Uint8ClampedArray', () => new Uint8ClampedArray([0, 255, 7, 1, 2, 3]), 'uint8', [0, 255, 7, 1, 2, 3]],
    ['Int16Array', () => new Int16Array([-32768, 32767, 0, 1, 2, 3]), 'int16', [-32768, 32767, 0, 1, 2, 3]],
    ['Int32Array', () => new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3]), 'int32', [-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3]],
    ['BigInt64Array', () => new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, 2n, 3n]), 'int64', [-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, 2n, 3n]],
  ];
  for (const [name, make, dtype, values] of typed) {
    it(`takes a ${name} with a shape`, () => {
      const t = nt.tensor(make() as nt.TypedArray, { shape: [2, 3] });
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual([2, 3]);
      expect([...(t.dataSync() as ArrayLike<number | bigint> & Iterable<number | bigint>)]).toEqual(values);
    });
  }
  it('copies TypedArray data (later writes to the array do not show)', () => {
    const src = new Float32Array([1, 2, 3]);
    const t = nt.tensor(src);
    src[0] = 100;
    expect(t.arraySync()).toEqual([1, 2, 3]);
  });
  it('copies a Tensor given as data, with its dtype unless told otherwise', () => {
    const src = nt.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const copy = nt.tensor(src);
    expect(copy.dtype).toBe('float64');
    expect(copy.requiresGrad).toBe(false);
    copy.add_(1);
    expect(src.arraySync()).toEqual([1, 2]);
    expect(nt.tensor(src, { dtype: 'int32' }).dtype).toBe('int32');
  });
  it('rejects a shape that does not match the TypedArray', () => {
    expect(() => nt.tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(RangeError);
    expect(() => nt.tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/^tensor: data has 5 elements but shape \[2, 3\] needs 6/);
  });
  it('rejects TypedArrays without a dtype', () => {
    expect(() => nt.tensor(new Uint16Array(3) as unknown as nt.TypedArray)).toThrow(TypeError);
    expect(() => nt.tensor(new Uint16Array(3) as unknown as nt.TypedArray)).toThrow(/^tensor: data must be .*got Uint16Array/);
  });
  it('rejects mixed element types', () => {
    expect(() => nt.tensor([1, true] as unknown as number[])).toThrow(TypeError);
    expect(() => nt.tensor([1, true] as unknown as number[])).toThrow(/^tensor: data must be all numbers/);
  });
});

describe('filled and random creation', () => {
  it('empty has the requested shape, dtype and options', () => {
    const t = nt.empty([3, 2], { dtype: 'int16', requiresGrad: false });
    expect(t.shape).toEqual([3, 2]);
    expect(t.dtype).toBe('int16');
  });
  it('emptyLike copies shape and dtype', () => {
    const t = nt.emptyLike(nt.zeros([4, 1], { dtype: 'float64' }));
    expect(t.shape).toEqual([4, 1]);
    expect(t.dtype).toBe('float64');
  });
  it('*Like variants take requiresGrad', () => {
    const t = nt.randnLike(nt.zeros([2]), { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
  });
  it('manualSeed makes rand reproducible', () => {
    nt.manualSeed(42);
    const a = nt.rand([100]).arraySync();
    const b = nt.rand([100]).arraySync();
    nt.manualSeed(42);
    expect(nt.rand([100]).arraySync()).toEqual(a);
    expect(nt.rand([100]).arraySync()).toEqual(b);
    expect(b).not.toEqual(a);
  });
  it('rand is in [0, 1), randint in [low, high)', () => {
    nt.manualSeed(5);
    const u = nt.rand([10000]);
    expect(u.min().item()).toBeGreaterThanOrEqual(0);
    expect(u.max().item()).toBeLessThan(1);
    const k = nt.randint(-3, 4, [10000]);
    expect(k.dtype).toBe('int64');
    expect(k.min().item()).toBe(-3);
    expect(k.max().item()).toBe(3);
  });
  it('randn has mean ~0 and std ~1', () => {
    nt.manualSeed(6);
    const z = nt.randn([20000]);
    expect(Math.abs(z.mean().item() as number)).toBeLessThan(0.03);
    expect(Math.abs((z.std().item() as number) - 1)).toBeLessThan(0.03);
  });
});

describe('dtypes round-trip through dataSync and arraySync', () => {
  const cases: [nt.Dtype, (number | boolean)[], new (n: number) => ArrayBufferView, (number | bigint | boolean)[]][] = [
    ['float32', [1.5, -2.25, 1e-3], Float32Array, [1.5, -2.25, Math.fround(1e-3)]],
    ['float64', [0.1, -1e300, 5e-324], Float64Array, [0.1, -1e300, 5e-324]],
    ['float16', [0.5, -2, 0.1], Float32Array, [0.5, -2, 0.0999755859375]],
    ['bfloat16', [0.5, -2, 0.1], Float32Array, [0.5, -2, 0.10009765625]],
    ['int8', [-128, 127, 5], Int8Array, [-128, 127, 5]],
    ['uint8', [0, 255, 5], Uint8Array, [0, 255, 5]],
    ['int16', [-32768, 32767, 5], Int16Array, [-32768, 32767, 5]],
    ['int32', [-(2 ** 31), 2 ** 31 - 1, 5], Int32Array, [-(2 ** 31), 2 ** 31 - 1, 5]],
    ['int64', [-(2 ** 53), 2 ** 53, 5], BigInt64Array, [-(2n ** 53n), 2n ** 53n, 5n]],
    ['bool', [true, false, true], Uint8Array, [1, 0, 1]],
  ];
  it('covers all ten dtypes', () => expect(cases.map((c) => c[0]).sort()).toEqual([...nt.DTYPES].sort()));
  for (const [dtype, input, ArrayType, raw] of cases) {
    it(dtype, () => {
      const t = nt.tensor(input as number[], { dtype });
      expect(t.dtype).toBe(dtype);
      const data = t.dataSync();
      expect(data).toBeInstanceOf(ArrayType);
      expect([...(data as Iterable<number | bigint>)]).toEqual(raw);
      const nested = raw.map((v) => (dtype === 'bool' ? v === 1 : Number(v)));
      expect(t.arraySync()).toEqual(nested);
      expect(t.reshape([3, 1]).arraySync()).toEqual(nested.map((v) => [v]));
    });
  }
});

describe('properties', () => {
  const t = nt.zeros([2, 3, 4], { requiresGrad: true });
  it('shape is a frozen array', () => {
    expect(t.shape).toEqual([2, 3, 4]);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });
  it('size() and size(dim)', () => {
    expect(t.size()).toEqual([2, 3, 4]);
    expect(t.size(1)).toBe(3);
    expect(t.size(-1)).toBe(4);
    expect(() => t.size(3)).toThrow(RangeError);
    expect(() => t.size(3)).toThrow(/^size: dim 3 is out of range/);
  });
  it('dtype, device, requiresGrad, numel, ndim, isLeaf', () => {
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(t.requiresGrad).toBe(true);
    expect(t.numel).toBe(24);
    expect(t.ndim).toBe(3);
    expect(t.isLeaf).toBe(true);
    expect(nt.zeros([0, 5]).numel).toBe(0);
  });
  it('strides and isContiguous follow views', () => {
    const m = nt.zeros([3, 5]);
    expect(m.strides).toEqual([5, 1]);
    expect(m.isContiguous).toBe(true);
    expect(m.t().strides).toEqual([1, 5]);
    expect(m.t().isContiguous).toBe(false);
  });
});

describe('reading data', () => {
  it('data() resolves to what dataSync() returns, for several dtypes', async () => {
    for (const dtype of ['float32', 'float64', 'int64', 'bool', 'float16'] as nt.Dtype[]) {
      const t = nt.arange(0, 12, { dtype: dtype === 'bool' ? 'int64' : dtype }).reshape([3, 4]).to(dtype);
      const got = await t.data();
      expect(got.constructor).toBe(t.dataSync().constructor);
      expect([...(got as Iterable<number | bigint>)]).toEqual([...(t.dataSync() as Iterable<number | bigint>)]);
    }
  });
  it('data() settles from the event loop, not synchronously', async () => {
    let settled = false;
    const p = nt.ones([1000]).data().then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    await p;
    expect(settled).toBe(true);
  });
  it('data() still resolves when the tensor is disposed while the copy runs', async () => {
    const t = nt.arange(0, 100000, { dtype: 'float32' });
    const p = t.data();
    t.dispose();
    const got = (await p) as Float32Array;
    expect(got.length).toBe(100000);
    expect(got[99999]).toBe(99999);
  });
  it('many concurrent data() calls all resolve correctly', async () => {
    const ts = Array.from({ length: 16 }, (_, i) => nt.full([257], i));
    const results = await Promise.all(ts.map((t) => t.data()));
    results.forEach((r, i) => expect((r as Float32Array).every((v) => v === i)).toBe(true));
  });
  it('data() of a disposed tensor throws at the call', () => {
    const t = nt.ones([2]);
    t.dispose();
    expect(() => t.data()).toThrow(/^data: tensor was disposed/);
  });
  it('dataSync reads non-contiguous views in row-major order', () => {
    const m = nt.arange(6).reshape([2, 3]).t();
    expect([...(m.dataSync() as BigInt64Array)]).toEqual([0n, 3n, 1n, 4n, 2n, 5n]);
  });
  it('array() equals arraySync()', async () => {
    expect(await r2x3x4.array()).toEqual(r2x3x4.arraySync());
    expect(await nt.tensor(true).array()).toBe(true);
  });
  it('item() reads one-element tensors of any dtype', () => {
    expect(nt.tensor(3.5).item()).toBe(3.5);
    expect(nt.tensor([[7]], { dtype: 'int64' }).item()).toBe(7);
    expect(nt.tensor([-3], { dtype: 'int8' }).item()).toBe(-3);
    expect(nt.tensor(true).item()).toBe(true);
    expect(nt.tensor(0.1, { dtype: 'float16' }).item()).toBe(0.0999755859375);
    expect(nt.tensor(0.1, { dtype: 'float64' }).item()).toBe(0.1);
  });
  it('item() on several elements throws a RangeError', () => {
    expect(() => nt.zeros([2, 3]).item()).toThrow(RangeError);
    expect(() => nt.zeros([2, 3]).item()).toThrow(/^item: a Tensor with 6 elements cannot be converted to a number/);
  });
  it('arraySync of a 0-dim tensor is the value itself', () => {
    expect(nt.tensor(4).arraySync()).toBe(4);
    expect(nt.tensor(false).arraySync()).toBe(false);
  });
});

describe('conversions', () => {
  it('to(dtype) casts and leaves the source alone', () => {
    const t = nt.tensor([1.7, -2.2]);
    const d = t.to('float64');
    expect(d.dtype).toBe('float64');
    expect(d.arraySync()).toEqual([Math.fround(1.7), Math.fround(-2.2)]);
    expect(t.dtype).toBe('float32');
    expect(t.to('int32').arraySync()).toEqual([1, -2]);
  });
  it('to(device) on the same device shares data, as in PyTorch', () => {
    const t = nt.tensor([1, 2]);
    t.to('cpu').add_(1);
    expect(t.arraySync()).toEqual([2, 3]);
    t.to('float32').add_(1);
    expect(t.arraySync()).toEqual([3, 4]);
  });
  it('to({ dtype, device, copy })', () => {
    const t = nt.tensor([1, 2]);
    const c = t.to({ dtype: 'int16', device: 'cpu' });
    expect(c.dtype).toBe('int16');
    expect(c.device).toBe('cpu');
    const copy = t.to({ copy: true });
    copy.add_(1);
    expect(t.arraySync()).toEqual([1, 2]);
  });
  it('shorthand casts', () => {
    const t = nt.tensor([0, 1.5]);
    expect(t.double().dtype).toBe('float64');
    expect(t.half().dtype).toBe('float16');
    expect(t.int().dtype).toBe('int32');
    expect(t.long().dtype).toBe('int64');
    expect(t.bool().arraySync()).toEqual([false, true]);
    expect(t.long().float().dtype).toBe('float32');
  });
  it('to() rejects unknown dtypes and devices and bad targets', () => {
    const t = nt.zeros([1]);
    expect(() => t.to('float128' as nt.Dtype)).toThrow(RangeError);
    expect(() => t.to('float128' as nt.Dtype)).toThrow(/^to: dtype must be one of/);
    expect(() => t.to({ device: 'tpu' as nt.Device })).toThrow(/^to: device must be/);
    expect(() => t.to(5 as unknown as nt.Dtype)).toThrow(TypeError);
    expect(() => t.to(5 as unknown as nt.Dtype)).toThrow(/^to: target must be/);
  });
  it('cpu() keeps a CPU tensor on the CPU', () => {
    const t = nt.tensor([1, 2]).cpu();
    expect(t.device).toBe('cpu');
    expect(t.arraySync()).toEqual([1, 2]);
  });
  it('clone() copies the data and stays in the graph', () => {
    const t = nt.tensor([1, 2], { requiresGrad: true });
    const c = t.clone();
    expect(c.gradFn).toBe('CloneBackward0');
    expect(c.requiresGrad).toBe(true);
    const plain = nt.tensor([1, 2]);
    plain.clone().add_(5);
    expect(plain.arraySync()).toEqual([1, 2]);
  });
  it('detach() shares the data and leaves the graph', () => {
    const t = nt.tensor([1, 2], { requiresGrad: true });
    const d = t.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    d.add_(1);
    expect(t.arraySync()).toEqual([2, 3]);
  });
  it('contiguous() lays a view out in row-major order', () => {
    const v = nt.arange(6).reshape([2, 3]).t();
    const c = v.contiguous();
    expect(c.isContiguous).toBe(true);
    expect(c.strides).toEqual([2, 1]);
    expect(c.arraySync()).toEqual(v.arraySync());
  });
});

describe(`CUDA tensors${hasCuda ? '' : ' (skipped: CUDA is absent on this machine)'}`, () => {
  it.skipIf(!hasCuda)('creates on cuda and reads back', () => {
    const t = nt.arange(0, 6, { dtype: 'float32', device: 'cuda' }).reshape([2, 3]);
    expect(t.device).toBe('cuda:0');
    expect(t.arraySync()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });
  it.skipIf(!hasCuda)('moves between cpu and cuda with to()/cpu()/cuda()', () => {
    const t = nt.randn([4, 5]);
    const g = t.to('cuda');
    expect(g.device).toBe('cuda:0');
    expect(t.cuda().device).toBe('cuda:0');
    expect(g.cpu().arraySync()).toEqual(t.arraySync());
    expect(g.to({ dtype: 'float64', device: 'cpu' }).dtype).toBe('float64');
  });
  it.skipIf(!hasCuda)('computes on cuda like on cpu', async () => {
    const a = nt.randn([8, 8]);
    const b = nt.randn([8, 8]);
    const got = a.cuda().matmul(b.cuda());
    const want = a.matmul(b).arraySync() as number[][];
    (got.cpu().arraySync() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], 4)));
    expect(await got.data()).toBeInstanceOf(Float32Array);
  });
  it.skipIf(!hasCuda)('prints the device', () => {
    expect(nt.ones([2], { device: 'cuda' }).toString()).toBe("tensor([1., 1.], device='cuda:0')");
  });
  it.skipIf(!hasCuda)('*Like variants keep the device', () => {
    expect(nt.zerosLike(nt.ones([2], { device: 'cuda' })).device).toBe('cuda:0');
  });
  it.skipIf(hasCuda)('without CUDA, creating on cuda throws a clean error', () => {
    expect(() => nt.zeros([2], { device: 'cuda' })).toThrow(/^zeros: /);
    expect(() => nt.zeros([2]).to('cuda')).toThrow(/^to: /);
  });
});
