/**
 * ops.test.ts — tensor ops against PyTorch-Python on seeded random inputs: elementwise
 * arithmetic (broadcasting, scalars, in-place), comparisons and logic, reductions, matrix
 * products, activations, non-contiguous inputs, integer/bool dtypes and type promotion, and the
 * functional forms (`nt.add`, `nt.var`, ...). Each case checks the forward result and, for
 * inputs with requiresGrad, their gradients; each family also checks its bad calls (error class
 * and a message starting with the op name).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectTensorClose, refValue, torchReference, type CloseOptions, type RefCase, type RefValue } from './helpers/torch';
import { expectThrows as expectError } from './helpers/cases';

type Inputs = Record<string, nt.Tensor>;

interface Case {
  name: string;
  /** Leaf inputs, by the name the Python code uses (`g` is reserved for the upstream gradient). */
  inputs: Inputs;
  js: (v: Inputs) => nt.Tensor | nt.Tensor[];
  /** Python expression giving the same tensor or tuple of tensors. */
  py: string;
  /** Python statements run before `py`. */
  setup?: string;
  /** Backward through the first output: a random upstream gradient `g` (default) or `sum()`. */
  backward?: 'g' | 'sum';
  close?: CloseOptions;
}

interface Outcome {
  outputs: nt.Tensor[];
  grads: (nt.Tensor | null)[];
  ref?: RefValue;
}

const F32: CloseOptions = { rtol: 1e-5, atol: 1e-6 };
const F64: CloseOptions = { rtol: 1e-10, atol: 1e-12 };

function c(name: string, inputs: Inputs, js: Case['js'], py: string, more: Partial<Case> = {}): Case {
  return { name, inputs, js, py, ...more };
}

const registered: Case[] = [];
const outcomes: (Outcome | Error)[] = [];

/** Runs the nodetorch side of one case (forward, then backward) and returns its reference case. */
function runCase(k: Case, idx: number): RefCase {
  const names = Object.keys(k.inputs);
  const gradNames = names.filter((n) => k.inputs[n].requiresGrad);
  const inputs: Inputs = Object.fromEntries(names.map((n) => [n, k.inputs[n].detach().clone().requiresGrad_(k.inputs[n].requiresGrad)]));
  const lines = [k.setup ?? '', `ys = ${k.py}`, 'ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]'];
  try {
    const result = k.js(k.inputs);
    const outputs = Array.isArray(result) ? result : [result];
    if (gradNames.length > 0) {
      if (k.backward === 'sum') {
        outputs[0].sum().backward();
        lines.push('ys[0].sum().backward()');
      } else {
        const g = nt.randn(outputs[0].shape, { dtype: outputs[0].dtype });
        outputs[0].backward(g);
        inputs.g = g;
        lines.push('ys[0].backward(g)');
      }
    }
    outcomes[idx] = { outputs, grads: gradNames.map((n) => k.inputs[n].grad) };
  } catch (e) {
    outcomes[idx] = e as Error;
  }
  lines.push(`out = [ys, [${gradNames.map((n) => `${n}.grad`).join(', ')}]]`);
  return { inputs, code: lines.join('\n') };
}

/**
 * Every registered case runs once before the tests: nodetorch first, then all references in one
 * PyTorch-Python process. Python receives copies of the inputs taken before the nodetorch side
 * ran, so in-place ops start from the same values.
 */
beforeAll(() => {
  const refCases = registered.map(runCase);
  torchReference(refCases).forEach((r, idx) => {
    const o = outcomes[idx];
    if (o instanceof Error) return;
    try {
      o.ref = refValue(r);
    } catch (e) {
      outcomes[idx] = e as Error;
    }
  });
});

/** Registers cases for the file-wide reference run and one test per case. */
function compare(cases: readonly Case[]): void {
  for (const k of cases) {
    const idx = registered.push(k) - 1;
    it(k.name, () => {
      const o = outcomes[idx];
      if (o instanceof Error) throw o;
      const [refOutputs, refGrads] = o.ref as [RefValue[], (RefValue | null)[]];
      const close = (t: nt.Tensor): CloseOptions => k.close ?? (t.dtype === 'float64' ? F64 : F32);
      expect(o.outputs.length, 'number of outputs').toBe(refOutputs.length);
      o.outputs.forEach((t, j) => expectTensorClose(t, refOutputs[j], close(t)));
      o.grads.forEach((grad, j) => {
        if (refGrads[j] === null) {
          expect(grad, 'gradient').toBeNull();
          return;
        }
        expect(grad, 'gradient').not.toBeNull();
        expectTensorClose(grad as nt.Tensor, refGrads[j] as RefValue, close(grad as nt.Tensor));
      });
    });
  }
}

/** A value of the wrong type, for bad-call tests. */
const bad = <T>(v: unknown): T => v as T;

nt.manualSeed(20240607);

function randn(shape: number[], grad = false, dtype: nt.Dtype = 'float32'): nt.Tensor {
  return nt.randn(shape, { dtype, requiresGrad: grad });
}
/** Uniform in [0.5, 1.5): safe for log, sqrt, division. */
function positive(shape: number[], grad = false, dtype: nt.Dtype = 'float32'): nt.Tensor {
  return nt.rand(shape, { dtype }).add(0.5).requiresGrad_(grad);
}
function ints(low: number, high: number, shape: number[], dtype: nt.Dtype = 'int64'): nt.Tensor {
  return nt.randint(low, high, shape, { dtype });
}
function mask(shape: number[]): nt.Tensor {
  return nt.rand(shape).gt(0.5);
}
/** Small whole numbers as float32, so comparisons hit equal elements. */
function whole(shape: number[]): nt.Tensor {
  return nt.randint(0, 3, shape).float();
}

describe('elementwise arithmetic', () => {
  compare([
    c('add broadcasts [3,4] + [4]', { a: randn([3, 4], true), b: randn([4], true) }, (v) => v.a.add(v.b), 'a + b'),
    c('add broadcasts [2,1,4] + [3,1]', { a: randn([2, 1, 4], true), b: randn([3, 1], true) }, (v) => v.a.add(v.b), 'a + b'),
    c('add integer scalar', { a: randn([3, 4], true) }, (v) => v.a.add(2), 'a + 2'),
    c('add float scalar', { a: randn([3, 4], true) }, (v) => v.a.add(-1.5), 'a + -1.5', { backward: 'sum' }),
    c('sub broadcasts [3,1] - [1,4]', { a: randn([3, 1], true), b: randn([1, 4], true) }, (v) => v.a.sub(v.b), 'a - b'),
    c('sub scalar', { a: randn([5], true) }, (v) => v.a.sub(0.25), 'a - 0.25'),
    c('mul broadcasts [2,3,4] * [3,1]', { a: randn([2, 3, 4], true), b: randn([3, 1], true) }, (v) => v.a.mul(v.b), 'a * b'),
    c('mul scalar', { a: randn([3, 4], true) }, (v) => v.a.mul(3), 'a * 3'),
    c('mul boolean scalar', { a: randn([3, 4], true) }, (v) => v.a.mul(false), 'a * False'),
    c('div broadcasts [3,4] / [4]', { a: randn([3, 4], true), b: positive([4], true) }, (v) => v.a.div(v.b), 'a / b'),
    c('div scalar', { a: randn([3, 4], true) }, (v) => v.a.div(4), 'a / 4'),
    c('pow tensor ^ tensor (broadcast)', { a: positive([3, 4], true), b: randn([4], true) }, (v) => v.a.pow(v.b), 'a ** b'),
    c('pow tensor ^ 3', { a: randn([3, 4], true) }, (v) => v.a.pow(3), 'a ** 3'),
    c('pow tensor ^ 0.5', { a: positive([3, 4], true) }, (v) => v.a.pow(0.5), 'a ** 0.5'),
    c('pow tensor ^ -1.5', { a: positive([6], true) }, (v) => v.a.pow(-1.5), 'a ** -1.5'),
    c('pow 2 ^ tensor', { a: randn([3, 4], true) }, (v) => nt.pow(2, v.a), '2 ** a'),
    c('pow 0.5 ^ tensor', { a: randn([3, 4], true) }, (v) => nt.pow(0.5, v.a), '0.5 ** a'),
    c('neg', { a: randn([3, 4], true) }, (v) => v.a.neg(), '-a'),
    c('abs', { a: randn([3, 4], true) }, (v) => v.a.abs(), 'a.abs()'),
    c('exp', { a: randn([3, 4], true) }, (v) => v.a.exp(), 'a.exp()'),
    c('log', { a: positive([3, 4], true) }, (v) => v.a.log(), 'a.log()'),
    c('sqrt', { a: positive([3, 4], true) }, (v) => v.a.sqrt(), 'a.sqrt()'),
    c('rsqrt', { a: positive([3, 4], true) }, (v) => v.a.rsqrt(), 'a.rsqrt()'),
    c('floor', { a: randn([3, 4], true) }, (v) => v.a.mul(3).floor(), '(a * 3).floor()'),
    c('ceil', { a: randn([3, 4], true) }, (v) => v.a.mul(3).ceil(), '(a * 3).ceil()'),
    c('round (half to even)', { a: nt.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6]) }, (v) => v.a.round(), 'a.round()'),
    c('round', { a: randn([3, 4], true) }, (v) => v.a.mul(3).round(), '(a * 3).round()'),
    c('sign', { a: randn([3, 4], true) }, (v) => v.a.sign(), 'a.sign()'),
    c('reciprocal', { a: positive([3, 4], true) }, (v) => v.a.reciprocal(), 'a.reciprocal()'),
    c('square', { a: randn([3, 4], true) }, (v) => v.a.square(), 'a.square()'),
    c('sin', { a: randn([3, 4], true) }, (v) => v.a.sin(), 'a.sin()'),
    c('cos', { a: randn([3, 4], true) }, (v) => v.a.cos(), 'a.cos()'),
    c('clamp min only', { a: randn([3, 4], true) }, (v) => v.a.clamp(-0.5), 'a.clamp(min=-0.5)'),
    c('clamp max only', { a: randn([3, 4], true) }, (v) => v.a.clamp(null, 0.5), 'a.clamp(max=0.5)'),
    c('clamp both', { a: randn([3, 4], true) }, (v) => v.a.clamp(-0.3, 0.4), 'a.clamp(-0.3, 0.4)'),
    c('clamp with infinite bound', { a: randn([5], true) }, (v) => v.a.clamp(-Infinity, 0), "a.clamp(float('-inf'), 0)"),
    c('maximum broadcasts', { a: randn([3, 4], true), b: randn([4], true) }, (v) => v.a.maximum(v.b), 'torch.maximum(a, b)'),
    c('minimum broadcasts', { a: randn([2, 1, 4], true), b: randn([3, 1], true) }, (v) => v.a.minimum(v.b), 'torch.minimum(a, b)'),
    c('where tensor/tensor (x.where(cond, y))', { m: mask([3, 4]), a: randn([3, 4], true), b: randn([4], true) }, (v) => v.a.where(v.m, v.b), 'torch.where(m, a, b)'),
    c('where with a number for other', { m: mask([3, 4]), a: randn([3, 4], true) }, (v) => v.a.where(v.m, 2.5), 'torch.where(m, a, 2.5)'),
    c('where with an integer for other', { m: mask([3, 4]), a: randn([3, 4], true) }, (v) => v.a.where(v.m, 0), 'torch.where(m, a, 0)'),
    c('where number/tensor', { m: mask([3, 1]), b: randn([3, 4], true) }, (v) => nt.where(v.m, 1.5, v.b), 'torch.where(m, 1.5, b)'),
    c('where number/number', { m: mask([3, 4]) }, (v) => nt.where(v.m, 1.5, -2), 'torch.where(m, 1.5, -2)'),
    c('remainder tensor/tensor', { a: randn([3, 4], true), b: positive([4], true) }, (v) => v.a.mul(3).remainder(v.b), '(a * 3).remainder(b)'),
    c('remainder positive scalar', { a: randn([3, 4], true) }, (v) => v.a.mul(3).remainder(1.5), '(a * 3).remainder(1.5)'),
    c('remainder negative scalar', { a: randn([3, 4], true) }, (v) => v.a.mul(3).remainder(-1.5), '(a * 3).remainder(-1.5)'),
    c('unary chain', { a: randn([2, 3, 4], true) }, (v) => v.a.sin().square().add(v.a.cos().exp()), 'a.sin().square() + a.cos().exp()'),
  ]);

  describe('in place', () => {
    compare([
      c('add_ tensor (broadcast)', { a: randn([3, 4]), b: randn([4]) }, (v) => v.a.add_(v.b), 'a.add_(b)'),
      c('add_ scalar', { a: randn([3, 4]) }, (v) => v.a.add_(-2), 'a.add_(-2)'),
      c('sub_ tensor', { a: randn([3, 4]), b: randn([3, 1]) }, (v) => v.a.sub_(v.b), 'a.sub_(b)'),
      c('sub_ scalar', { a: randn([3, 4]) }, (v) => v.a.sub_(0.75), 'a.sub_(0.75)'),
      c('mul_ tensor', { a: randn([3, 4]), b: randn([4]) }, (v) => v.a.mul_(v.b), 'a.mul_(b)'),
      c('mul_ scalar', { a: randn([3, 4]) }, (v) => v.a.mul_(1.5), 'a.mul_(1.5)'),
      c('div_ tensor', { a: randn([3, 4]), b: positive([3, 4]) }, (v) => v.a.div_(v.b), 'a.div_(b)'),
      c('div_ scalar', { a: randn([3, 4]) }, (v) => v.a.div_(3), 'a.div_(3)'),
      c('zero_', { a: randn([3, 4]) }, (v) => v.a.zero_(), 'a.zero_()'),
      c('fill_ number', { a: randn([3, 4]) }, (v) => v.a.fill_(2.5), 'a.fill_(2.5)'),
      c('fill_ int tensor', { a: ints(-5, 5, [3, 4], 'int32') }, (v) => v.a.fill_(7), 'a.fill_(7)'),
      c('fill_ bool tensor', { m: mask([3, 4]) }, (v) => v.m.fill_(true), 'm.fill_(True)'),
      c('copy_ broadcasts', { a: randn([3, 4]), b: randn([4]) }, (v) => v.a.copy_(v.b), 'a.copy_(b)'),
      c('copy_ converts dtype', { a: randn([3, 4]), b: ints(-9, 9, [3, 4], 'int32') }, (v) => v.a.copy_(v.b), 'a.copy_(b)'),
      c(
        'copy_ into a transposed view writes the base',
        { base: nt.zeros([4, 3]), src: randn([3, 4]) },
        (v) => {
          v.base.t().copy_(v.src);
          return v.base;
        },
        'base',
        { setup: 'base.t().copy_(src)' },
      ),
      c(
        'fill_ on a strided slice writes the base',
        { base: randn([3, 6]) },
        (v) => {
          v.base.slice(1, 0, null, 2).fill_(7);
          return v.base;
        },
        'base',
        { setup: 'base[:, ::2].fill_(7)' },
      ),
      c('gradients through in-place ops on non-leaves', { a: randn([3, 4], true), b: randn([4], true) }, (v) => v.a.mul(2).add_(v.b).mul_(v.b).sub_(1).div_(v.b.exp()), '(a * 2).add_(b).mul_(b).sub_(1).div_(b.exp())'),
      c('gradient through copy_', { a: randn([3, 4], true), w: randn([3, 4]) }, (v) => nt.zeros([3, 4]).copy_(v.a).mul(v.w), 'torch.zeros(3, 4).copy_(a) * w'),
    ]);

    it('returns the same tensor object', () => {
      const a = nt.zeros([2, 2]);
      expect(a.add_(1)).toBe(a);
      expect(a.sub_(nt.ones([2]))).toBe(a);
      expect(a.mul_(2)).toBe(a);
      expect(a.div_(2)).toBe(a);
      expect(a.fill_(3)).toBe(a);
      expect(a.zero_()).toBe(a);
      expect(a.copy_(nt.ones([2, 2]))).toBe(a);
      expect(a.arraySync()).toEqual([
        [1, 1],
        [1, 1],
      ]);
    });
  });

  describe('bad calls', () => {
    const x = randn([2, 3]);
    it('rejects non-tensor operands with TypeError', () => {
      expectError(() => x.add(bad('x')), TypeError, /^add: other must be a Tensor, a number or a boolean, got string 'x'/);
      expectError(() => x.sub(bad(null)), TypeError, /^sub: other must be/);
      expectError(() => x.mul(bad([1, 2, 3])), TypeError, /^mul: other must be .*array of length 3/);
      expectError(() => x.div(bad({})), TypeError, /^div: other must be/);
      expectError(() => x.pow(bad('2')), TypeError, /^pow: other must be/);
      expectError(() => x.remainder(bad(undefined)), TypeError, /^remainder: other must be .*got undefined$/);
      expectError(() => x.maximum(bad(1)), TypeError, /^maximum: other must be a Tensor, got number 1/);
      expectError(() => x.minimum(bad('a')), TypeError, /^minimum: other must be a Tensor/);
      expectError(() => x.where(bad(true), x), TypeError, /^where: condition must be a Tensor/);
      expectError(() => x.where(mask([2, 3]), bad('a')), TypeError, /^where: other must be/);
    });
    it('rejects shapes that do not broadcast', () => {
      expectError(() => x.add(randn([4])), Error, /^add: The size of tensor a \(3\) must match the size of tensor b \(4\)/);
      expectError(() => x.sub(randn([3, 3])), Error, /^sub: The size of tensor a/);
      expectError(() => x.mul(randn([2, 2])), Error, /^mul: /);
      expectError(() => x.div(randn([5])), Error, /^div: /);
      expectError(() => x.pow(randn([4])), Error, /^pow: /);
      expectError(() => x.maximum(randn([4])), Error, /^maximum: /);
      expectError(() => x.where(mask([4]), 0), Error, /^where: /);
    });
    it('rejects bad clamp bounds', () => {
      expectError(() => x.clamp(), TypeError, /^clamp: at least one of min or max must be a number/);
      expectError(() => x.clamp(null, null), TypeError, /^clamp: /);
      expectError(() => x.clamp(bad('0')), TypeError, /^clamp: min must be a number, got string '0'/);
      expectError(() => x.clamp(0, bad('1')), TypeError, /^clamp: max must be a number/);
    });
    it('rejects invalid in-place ops', () => {
      const leaf = randn([2, 3], true);
      expectError(() => leaf.add_(1), Error, /^add_: a leaf Variable that requires grad is being used in an in-place operation/);
      expectError(() => randn([3]).mul_(randn([2, 3])), Error, /^mul_: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]/);
      expectError(() => ints(0, 5, [3], 'int32').div_(2), Error, /^div_: result type Float can't be cast to the desired output type Int/);
      expectError(() => ints(0, 5, [3], 'int32').add_(2.5), Error, /^add_: /);
      expectError(() => x.sub_(bad('1')), TypeError, /^sub_: other must be/);
      expectError(() => x.copy_(bad(1)), TypeError, /^copy_: src must be a Tensor, got number 1/);
      expectError(() => x.copy_(randn([5])), Error, /^copy_: /);
      expectError(() => x.fill_(bad('1')), TypeError, /^fill_: value must be a number or a boolean, got string '1'/);
      expectError(() => x.fill_(bad(randn([1]))), TypeError, /^fill_: value must be a number or a boolean, got Tensor/);
    });
    it('rejects integer tensors to negative integer powers', () => {
      expectError(() => ints(1, 5, [3]).pow(-1), Error, /^pow: Integers to negative integer powers are not allowed/);
    });
    it('rejects disposed tensors', () => {
      const d = randn([2, 3]);
      d.dispose();
      expectError(() => d.add(1), Error, /^add: tensor was disposed/);
      expectError(() => x.mul(d), Error, /^mul: tensor was disposed/);
      expectError(() => d.exp(), Error, /^exp: tensor was disposed/);
      expectError(() => d.clamp(0), Error, /^clamp: tensor was disposed/);
      expectError(() => d.add_(1), Error, /^add_: tensor was disposed/);
      expectError(() => x.clone().copy_(d), Error, /^copy_: tensor was disposed/);
      expectError(() => nt.where(mask([2, 3]), d, 0), Error, /^where: tensor was disposed/);
    });
  });
});

describe('comparisons and logic', () => {
  compare([
    c('eq tensor (broadcast)', { a: whole([3, 4]), b: whole([4]) }, (v) => v.a.eq(v.b), 'a == b'),
    c('ne tensor', { a: whole([3, 4]), b: whole([3, 4]) }, (v) => v.a.ne(v.b), 'a != b'),
    c('lt tensor', { a: whole([3, 4]), b: whole([3, 1]) }, (v) => v.a.lt(v.b), 'a < b'),
    c('le tensor', { a: whole([3, 4]), b: whole([4]) }, (v) => v.a.le(v.b), 'a <= b'),
    c('gt tensor', { a: randn([3, 4]), b: randn([4]) }, (v) => v.a.gt(v.b), 'a > b'),
    c('ge tensor', { a: whole([2, 3, 4]), b: whole([3, 1]) }, (v) => v.a.ge(v.b), 'a >= b'),
    c('eq scalar', { a: whole([3, 4]) }, (v) => v.a.eq(1), 'a == 1'),
    c('ne scalar', { a: whole([3, 4]) }, (v) => v.a.ne(1), 'a != 1'),
    c('lt scalar', { a: whole([3, 4]) }, (v) => v.a.lt(1), 'a < 1'),
    c('le scalar', { a: whole([3, 4]) }, (v) => v.a.le(1), 'a <= 1'),
    c('gt fractional scalar', { a: whole([3, 4]) }, (v) => v.a.gt(1.5), 'a > 1.5'),
    c('ge scalar', { a: randn([3, 4]) }, (v) => v.a.ge(0), 'a >= 0'),
    c('eq boolean on a bool tensor', { m: mask([3, 4]) }, (v) => v.m.eq(true), 'm == True'),
    c('ne between bool tensors', { m: mask([3, 4]), n: mask([4]) }, (v) => v.m.ne(v.n), 'm != n'),
    c('lt mixes float32 and float64', { a: randn([3, 4]), b: randn([4], false, 'float64') }, (v) => v.a.lt(v.b), 'a < b'),
    c('logicalNot bool', { m: mask([3, 4]) }, (v) => v.m.logicalNot(), 'm.logical_not()'),
    c('logicalNot float (zero is false)', { a: whole([3, 4]) }, (v) => v.a.logicalNot(), 'a.logical_not()'),
    c('logicalAnd (broadcast)', { m: mask([3, 4]), n: mask([4]) }, (v) => v.m.logicalAnd(v.n), 'm.logical_and(n)'),
    c('logicalOr', { m: mask([3, 4]), n: mask([3, 4]) }, (v) => v.m.logicalOr(v.n), 'm.logical_or(n)'),
    c('logicalAnd float with bool', { a: whole([3, 4]), n: mask([3, 4]) }, (v) => v.a.logicalAnd(v.n), 'a.logical_and(n)'),
    c(
      'isnan',
      { p: nt.tensor([1, 0, -1, 0, 2.5]), q: nt.tensor([0, 0, 0, 1, 0.5]) },
      (v) => v.p.div(v.q).isnan(),
      '(p / q).isnan()',
    ),
    c(
      'isfinite',
      { p: nt.tensor([1, 0, -1, 0, 2.5]), q: nt.tensor([0, 0, 0, 1, 0.5]) },
      (v) => v.p.div(v.q).isfinite(),
      '(p / q).isfinite()',
    ),
    c('isfinite on ints', { a: ints(-3, 3, [5]) }, (v) => v.a.isfinite(), 'a.isfinite()'),
  ]);

  it('produces bool tensors that do not require grad', () => {
    const a = randn([3], true);
    for (const r of [a.eq(0), a.ne(0), a.lt(0), a.le(0), a.gt(0), a.ge(0), a.isnan(), a.isfinite(), a.logicalNot()]) {
      expect(r.dtype).toBe('bool');
      expect(r.requiresGrad).toBe(false);
    }
  });

  describe('bad calls', () => {
    const x = randn([2, 3]);
    it('rejects non-tensor operands with TypeError', () => {
      expectError(() => x.eq(bad('1')), TypeError, /^eq: other must be a Tensor, a number or a boolean/);
      expectError(() => x.ne(bad(null)), TypeError, /^ne: other must be/);
      expectError(() => x.lt(bad({})), TypeError, /^lt: other must be/);
      expectError(() => x.le(bad([1])), TypeError, /^le: other must be/);
      expectError(() => x.gt(bad(undefined)), TypeError, /^gt: other must be/);
      expectError(() => x.ge(bad('a')), TypeError, /^ge: other must be/);
      expectError(() => x.logicalAnd(bad(1)), TypeError, /^logicalAnd: other must be a Tensor, got number 1/);
      expectError(() => x.logicalOr(bad(true)), TypeError, /^logicalOr: other must be a Tensor/);
    });
    it('rejects shapes that do not broadcast', () => {
      expectError(() => x.eq(randn([4])), Error, /^eq: The size of tensor a \(3\) must match/);
      expectError(() => x.lt(randn([5])), Error, /^lt: /);
      expectError(() => x.ge(randn([2, 2])), Error, /^ge: /);
      expectError(() => x.logicalAnd(mask([4])), Error, /^logicalAnd: /);
      expectError(() => x.logicalOr(mask([3, 3])), Error, /^logicalOr: /);
    });
    it('rejects disposed tensors', () => {
      const d = randn([3]);
      d.dispose();
      expectError(() => d.eq(0), Error, /^eq: tensor was disposed/);
      expectError(() => x.gt(d), Error, /^gt: tensor was disposed/);
      expectError(() => d.isnan(), Error, /^isnan: tensor was disposed/);
      expectError(() => x.logicalAnd(d), Error, /^logicalAnd: tensor was disposed/);
    });
  });
});

describe('reductions', () => {
  const x = (grad = true): nt.Tensor => randn([3, 4, 5], grad);
  const SUM: CloseOptions = { rtol: 1e-5, atol: 1e-5 };
  compare([
    c('sum all', { x: x() }, (v) => v.x.sum(), 'x.sum()', { close: SUM }),
    c('sum dim', { x: x() }, (v) => v.x.sum(1), 'x.sum(1)'),
    c('sum dims array', { x: x() }, (v) => v.x.sum([0, 2]), 'x.sum((0, 2))'),
    c('sum negative dim keepdim', { x: x() }, (v) => v.x.sum(-1, { keepdim: true }), 'x.sum(-1, keepdim=True)'),
    c('sum negative dims keepdim', { x: x() }, (v) => v.x.sum([-1, -3], { keepdim: true }), 'x.sum((-1, -3), keepdim=True)'),
    c('mean all', { x: x() }, (v) => v.x.mean(), 'x.mean()'),
    c('mean dim', { x: x() }, (v) => v.x.mean(2), 'x.mean(2)'),
    c('mean dims keepdim', { x: x() }, (v) => v.x.mean([0, -1], { keepdim: true }), 'x.mean((0, -1), keepdim=True)'),
    c('std all (unbiased default)', { x: x() }, (v) => v.x.std(), 'x.std()'),
    c('std dim', { x: x() }, (v) => v.x.std(1), 'x.std(1)'),
    c('std dims correction 0', { x: x() }, (v) => v.x.std([0, 2], { correction: 0 }), 'x.std((0, 2), correction=0)'),
    c('std correction 1 keepdim', { x: x() }, (v) => v.x.std(-1, { correction: 1, keepdim: true }), 'x.std(-1, correction=1, keepdim=True)'),
    c('std unbiased false', { x: x() }, (v) => v.x.std(0, { unbiased: false }), 'x.std(0, unbiased=False)'),
    c('std all unbiased false', { x: x() }, (v) => v.x.std(undefined, { unbiased: false }), 'x.std(unbiased=False)'),
    c('var all', { x: x() }, (v) => v.x.var(), 'x.var()'),
    c('var dim correction 0', { x: x() }, (v) => v.x.var(1, { correction: 0 }), 'x.var(1, correction=0)'),
    c('var dims unbiased true keepdim', { x: x() }, (v) => v.x.var([1, 2], { unbiased: true, keepdim: true }), 'x.var((1, 2), unbiased=True, keepdim=True)'),
    c('var unbiased false', { x: x() }, (v) => v.x.var(-2, { unbiased: false }), 'x.var(-2, unbiased=False)'),
    c('var correction 2', { x: x() }, (v) => v.x.var(2, { correction: 2 }), 'x.var(2, correction=2)'),
    c('std all correction 3', { x: x() }, (v) => v.x.std(undefined, { correction: 3 }), 'x.std(None, correction=3)'),
    c('max all', { x: x() }, (v) => v.x.max(), 'x.max()'),
    c('max along dim', { x: x() }, (v) => { const r = v.x.max(1); return [r.values, r.indices]; }, 'x.max(1)'),
    c('max negative dim keepdim', { x: x() }, (v) => { const r = v.x.max(-1, { keepdim: true }); return [r.values, r.indices]; }, 'x.max(-1, keepdim=True)'),
    c('min all', { x: x() }, (v) => v.x.min(), 'x.min()'),
    c('min along dim', { x: x() }, (v) => { const r = v.x.min(0); return [r.values, r.indices]; }, 'x.min(0)'),
    c('min keepdim', { x: x() }, (v) => { const r = v.x.min(2, { keepdim: true }); return [r.values, r.indices]; }, 'x.min(2, keepdim=True)'),
    c('argmax all', { x: x(false) }, (v) => v.x.argmax(), 'x.argmax()'),
    c('argmax dim', { x: x(false) }, (v) => v.x.argmax(1), 'x.argmax(1)'),
    c('argmax negative dim keepdim', { x: x(false) }, (v) => v.x.argmax(-1, { keepdim: true }), 'x.argmax(-1, keepdim=True)'),
    c('argmin all', { x: x(false) }, (v) => v.x.argmin(), 'x.argmin()'),
    c('argmin dim keepdim', { x: x(false) }, (v) => v.x.argmin(0, { keepdim: true }), 'x.argmin(0, keepdim=True)'),
    c('prod all', { x: positive([3, 4], true) }, (v) => v.x.prod(), 'x.prod()'),
    c('prod dim', { x: x() }, (v) => v.x.prod(1), 'x.prod(1)'),
    c('prod negative dim keepdim', { x: x() }, (v) => v.x.prod(-1, { keepdim: true }), 'x.prod(-1, keepdim=True)'),
    c('all', { m: mask([3, 4]) }, (v) => v.m.all(), 'm.all()'),
    c('all dim', { m: nt.rand([3, 4]).gt(0.2) }, (v) => v.m.all(1), 'm.all(1)'),
    c('any dim keepdim', { m: nt.rand([3, 4]).gt(0.8) }, (v) => v.m.any(0, { keepdim: true }), 'm.any(0, keepdim=True)'),
    c('any all', { m: nt.zeros([3, 4], { dtype: 'bool' }) }, (v) => v.m.any(), 'm.any()'),
    c('all on float (nonzero)', { a: whole([3, 4]) }, (v) => v.a.all(-1), 'a.all(-1)'),
    c('any on float (nonzero)', { a: whole([3, 4]) }, (v) => v.a.any(), 'a.any()'),
    c('sum of float64', { x: randn([4, 6], true, 'float64') }, (v) => v.x.sum(0), 'x.sum(0)'),
    c('std of float64', { x: randn([4, 6], true, 'float64') }, (v) => v.x.std(1, { correction: 0 }), 'x.std(1, correction=0)'),
    c('mean then backward via sum()', { x: x() }, (v) => v.x.mean([1, 2]), 'x.mean((1, 2))', { backward: 'sum' }),
  ]);

  describe('bad calls', () => {
    const x2 = randn([2, 3]);
    it('rejects dims out of range with RangeError', () => {
      expectError(() => x2.sum(5), RangeError, /^sum: Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)/);
      expectError(() => x2.sum([0, -3]), RangeError, /^sum: Dimension out of range/);
      expectError(() => x2.mean(2), RangeError, /^mean: /);
      expectError(() => x2.std(2), RangeError, /^std: /);
      expectError(() => x2.var(-3), RangeError, /^var: /);
      expectError(() => x2.max(2), RangeError, /^max: /);
      expectError(() => x2.min(-3), RangeError, /^min: /);
      expectError(() => x2.argmax(3), RangeError, /^argmax: /);
      expectError(() => x2.argmin(2), RangeError, /^argmin: /);
      expectError(() => x2.prod(2), RangeError, /^prod: /);
      expectError(() => x2.all(2), RangeError, /^all: /);
      expectError(() => x2.any(-4), RangeError, /^any: /);
    });
    it('rejects dims of the wrong type with TypeError', () => {
      expectError(() => x2.sum(bad('1')), TypeError, /^sum: dim must be an array of integers, got string '1'/);
      expectError(() => x2.sum(1.5), TypeError, /^sum: dim must be an integer, got number 1.5/);
      expectError(() => x2.mean([0, 0.5]), TypeError, /^mean: dim must be an array of integers/);
      expectError(() => x2.max(bad('0')), TypeError, /^max: dim must be an integer/);
      expectError(() => x2.argmax(bad([0])), TypeError, /^argmax: dim must be an integer/);
      expectError(() => x2.prod(bad([0])), TypeError, /^prod: dim must be an integer/);
      expectError(() => x2.std(0, { correction: 0.5 }), TypeError, /^std: correction must be an integer, got number 0.5/);
      expectError(() => x2.var(0, { correction: bad('1') }), TypeError, /^var: correction must be an integer/);
    });
    it('rejects repeated dims, integer means and empty max', () => {
      expectError(() => x2.sum([0, 0]), Error, /^sum: dim 0 appears multiple times in the list of dims/);
      expectError(() => ints(0, 3, [3]).mean(), Error, /^mean: .*could not infer output dtype/);
      expectError(() => ints(0, 3, [3]).std(), Error, /^std: /);
      expectError(() => nt.zeros([0]).max(), Error, /^max: .*numel\(\) == 0/);
    });
    it('rejects disposed tensors', () => {
      const d = randn([2]);
      d.dispose();
      expectError(() => d.sum(), Error, /^sum: tensor was disposed/);
      expectError(() => d.max(0), Error, /^max: tensor was disposed/);
      expectError(() => d.var(), Error, /^var: tensor was disposed/);
    });
  });
});

describe('matrix products', () => {
  const MM: CloseOptions = { rtol: 1e-5, atol: 1e-5 };
  compare([
    c('matmul 1D · 1D', { a: randn([5], true), b: randn([5], true) }, (v) => v.a.matmul(v.b), 'a @ b', { close: MM }),
    c('matmul 2D · 2D', { a: randn([3, 4], true), b: randn([4, 5], true) }, (v) => v.a.matmul(v.b), 'a @ b', { close: MM }),
    c('matmul 2D · 1D', { a: randn([3, 4], true), b: randn([4], true) }, (v) => v.a.matmul(v.b), 'a @ b', { close: MM }),
    c('matmul 1D · 2D', { a: randn([4], true), b: randn([4, 3], true) }, (v) => v.a.matmul(v.b), 'a @ b', { close: MM }),
    c('matmul batched broadcast', { a: randn([2, 1, 3, 4], true), b: randn([5, 4, 2], true) }, (v) => v.a.matmul(v.b), 'a @ b', { close: MM }),
    c('matmul batched · 1D', { a: randn([2, 3, 4], true), b: randn([4], true) }, (v) => v.a.matmul(v.b), 'a @ b', { close: MM }),
    c('matmul float64', { a: randn([3, 4], true, 'float64'), b: randn([4, 2], true, 'float64') }, (v) => v.a.matmul(v.b), 'a @ b'),
    c('bmm', { a: randn([2, 3, 4], true), b: randn([2, 4, 5], true) }, (v) => v.a.bmm(v.b), 'torch.bmm(a, b)', { close: MM }),
    c('linear with bias', { x: randn([5, 3], true), w: randn([4, 3], true), b: randn([4], true) }, (v) => nt.linear(v.x, v.w, v.b), 'F.linear(x, w, b)', { close: MM }),
    c('linear without bias', { x: randn([5, 3], true), w: randn([4, 3], true) }, (v) => nt.linear(v.x, v.w), 'F.linear(x, w)', { close: MM }),
    c('linear with null bias on batched input', { x: randn([2, 5, 3], true), w: randn([4, 3], true) }, (v) => nt.linear(v.x, v.w, null), 'F.linear(x, w)', { close: MM }),
    c('matmul of int64', { a: ints(-4, 4, [3, 4]), b: ints(-4, 4, [4, 2]) }, (v) => v.a.matmul(v.b), 'a @ b'),
  ]);

  describe('bad calls', () => {
    it('rejects incompatible shapes', () => {
      expectError(() => randn([2, 3]).matmul(randn([2, 3])), Error, /^matmul: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
      expectError(() => randn([3]).matmul(randn([4])), Error, /^matmul: /);
      expectError(() => randn([2, 2, 3]).matmul(randn([3, 2, 4])), Error, /^matmul: /);
      expectError(() => nt.tensor(2).matmul(randn([2, 2])), Error, /^matmul: both arguments to matmul need to be at least 1D/);
      expectError(() => randn([2, 3]).bmm(randn([2, 3])), Error, /^bmm: batch1 must be a 3D tensor/);
      expectError(() => randn([2, 3, 4]).bmm(randn([3, 4, 5])), Error, /^bmm: /);
      expectError(() => nt.linear(randn([2, 3]), randn([4, 5])), Error, /^linear: /);
      expectError(() => nt.linear(randn([2, 3]), randn([4, 3]), randn([5])), Error, /^linear: /);
    });
    it('rejects mixed dtypes', () => {
      expectError(() => randn([2, 3]).matmul(randn([3, 2], false, 'float64')), Error, /^matmul: expected .*Float.*Double|^matmul: .*dtype/);
    });
    it('rejects non-tensor arguments with TypeError', () => {
      expectError(() => randn([2, 3]).matmul(bad([[1], [2], [3]])), TypeError, /^matmul: other must be a Tensor, got array of length 3/);
      expectError(() => randn([2, 3, 3]).bmm(bad(2)), TypeError, /^bmm: other must be a Tensor/);
      expectError(() => nt.matmul(bad(1), randn([2])), TypeError, /^matmul: input must be a Tensor, got number 1/);
      expectError(() => nt.linear(bad('x'), randn([2, 2])), TypeError, /^linear: input must be a Tensor/);
      expectError(() => nt.linear(randn([2, 2]), bad(undefined)), TypeError, /^linear: weight must be a Tensor, got undefined/);
      expectError(() => nt.linear(randn([2, 2]), randn([2, 2]), bad(0)), TypeError, /^linear: bias must be a Tensor, got number 0/);
    });
    it('rejects disposed tensors', () => {
      const d = randn([3, 3]);
      d.dispose();
      expectError(() => randn([3, 3]).matmul(d), Error, /^matmul: tensor was disposed/);
      expectError(() => nt.linear(d, randn([3, 3])), Error, /^linear: tensor was disposed/);
    });
  });
});

describe('activations', () => {
  const x = (grad = true): nt.Tensor => randn([4, 5], grad);
  compare([
    c('relu', { x: x() }, (v) => v.x.relu(), 'x.relu()'),
    c('leakyRelu default slope', { x: x() }, (v) => v.x.leakyRelu(), 'F.leaky_relu(x)'),
    c('leakyRelu 0.2', { x: x() }, (v) => v.x.leakyRelu(0.2), 'F.leaky_relu(x, 0.2)'),
    c('elu default alpha', { x: x() }, (v) => v.x.elu(), 'F.elu(x)'),
    c('elu alpha 0.5', { x: x() }, (v) => v.x.elu(0.5), 'F.elu(x, alpha=0.5)'),
    c('gelu none', { x: x() }, (v) => v.x.gelu(), 'F.gelu(x)'),
    c('gelu explicit none', { x: x() }, (v) => v.x.gelu('none'), "F.gelu(x, approximate='none')"),
    c('gelu tanh', { x: x() }, (v) => v.x.gelu('tanh'), "F.gelu(x, approximate='tanh')"),
    c('sigmoid', { x: x() }, (v) => v.x.sigmoid(), 'x.sigmoid()'),
    c('tanh', { x: x() }, (v) => v.x.tanh(), 'x.tanh()'),
    c('softmax dim 1', { x: x() }, (v) => v.x.softmax(1), 'x.softmax(1)'),
    c('softmax dim 0', { x: x() }, (v) => v.x.softmax(0), 'x.softmax(0)'),
    c('softmax negative dim on 3D', { x: randn([2, 3, 4], true) }, (v) => v.x.softmax(-2), 'x.softmax(-2)'),
    c('logSoftmax dim 1', { x: x() }, (v) => v.x.logSoftmax(1), 'x.log_softmax(1)'),
    c('logSoftmax negative dim on 3D', { x: randn([2, 3, 4], true) }, (v) => v.x.logSoftmax(-1), 'x.log_softmax(-1)'),
    c('softmax float64', { x: randn([3, 4], true, 'float64') }, (v) => v.x.softmax(-1), 'x.softmax(-1)'),
    c('softmax of large values stays finite', { x: x() }, (v) => v.x.mul(1000).softmax(1), '(x * 1000).softmax(1)'),
  ]);

  describe('bad calls', () => {
    const x2 = randn([2, 3]);
    it('requires a valid dim for softmax and logSoftmax', () => {
      expectError(() => x2.softmax(bad(undefined)), TypeError, /^softmax: dim must be an integer, got undefined$/);
      expectError(() => x2.softmax(bad('1')), TypeError, /^softmax: dim must be an integer/);
      expectError(() => x2.softmax(2), RangeError, /^softmax: Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/);
      expectError(() => x2.logSoftmax(-3), RangeError, /^logSoftmax: Dimension out of range/);
      expectError(() => x2.logSoftmax(bad(undefined)), TypeError, /^logSoftmax: dim must be an integer/);
    });
    it('rejects bad parameters', () => {
      expectError(() => x2.gelu(bad('fast')), RangeError, /^gelu: approximate must be one of 'none', 'tanh', got string 'fast'/);
      expectError(() => x2.leakyRelu(bad('0.1')), TypeError, /^leakyRelu: negativeSlope must be a number/);
      expectError(() => x2.elu(bad(null)), TypeError, /^elu: alpha must be a number, got null/);
    });
    it('rejects integer inputs where libtorch has no kernel', () => {
      expectError(() => ints(0, 3, [2, 3]).softmax(1), Error, /^softmax: /);
      expectError(() => ints(0, 3, [2, 3]).logSoftmax(0), Error, /^logSoftmax: /);
    });
    it('rejects disposed tensors', () => {
      const d = randn([2]);
      d.dispose();
      expectError(() => d.relu(), Error, /^relu: tensor was disposed/);
      expectError(() => d.softmax(0), Error, /^softmax: tensor was disposed/);
      expectError(() => d.gelu(), Error, /^gelu: tensor was disposed/);
    });
  });
});

describe('non-contiguous inputs', () => {
  it('the views used here are non-contiguous', () => {
    const x = randn([3, 4, 6]);
    expect(x.transpose(0, 1).isContiguous).toBe(false);
    expect(x.permute(2, 0, 1).isContiguous).toBe(false);
    expect(x.slice(2, 0, null, 2).isContiguous).toBe(false);
  });
  compare([
    c('add on a transpose (broadcast)', { x: randn([3, 4], true), y: randn([3], true) }, (v) => v.x.t().add(v.y), 'x.t() + y'),
    c('mul of two views', { x: randn([3, 6], true), y: randn([6, 3], true) }, (v) => v.x.slice(1, 0, null, 2).mul(v.y.t().slice(1, 1, null, 2)), 'x[:, ::2] * y.t()[:, 1::2]'),
    c('exp of a permute', { x: randn([2, 3, 4], true) }, (v) => v.x.permute(2, 0, 1).exp(), 'x.permute(2, 0, 1).exp()'),
    c('pow of a stepped slice', { x: positive([4, 6], true) }, (v) => v.x.slice(1, 1, null, 2).pow(2.5), 'x[:, 1::2] ** 2.5'),
    c('clamp of a transpose', { x: randn([3, 4], true) }, (v) => v.x.t().clamp(-0.5, 0.5), 'x.t().clamp(-0.5, 0.5)'),
    c('where on a transpose', { m: mask([4, 3]), x: randn([3, 4], true) }, (v) => v.x.t().where(v.m, 0), 'torch.where(m, x.t(), 0)'),
    c('gt on a transpose', { x: randn([3, 4]) }, (v) => v.x.t().gt(0), 'x.t() > 0'),
    c('eq on a stepped slice', { x: whole([4, 6]), y: whole([3]) }, (v) => v.x.slice(1, 0, null, 2).eq(v.y), 'x[:, ::2] == y'),
    c('sum of a transpose', { x: randn([3, 4], true) }, (v) => v.x.t().sum(0), 'x.t().sum(0)'),
    c('mean of a permute over dims', { x: randn([2, 3, 4], true) }, (v) => v.x.permute(2, 0, 1).mean([0, 2]), 'x.permute(2, 0, 1).mean((0, 2))'),
    c('std of a transpose', { x: randn([3, 5], true) }, (v) => v.x.t().std(1), 'x.t().std(1)'),
    c('var of a stepped slice', { x: randn([4, 8], true) }, (v) => v.x.slice(1, 0, null, 2).var(-1, { correction: 0 }), 'x[:, ::2].var(-1, correction=0)'),
    c('max along dim of a stepped slice', { x: randn([4, 6], true) }, (v) => { const r = v.x.slice(1, 0, null, 2).max(0); return [r.values, r.indices]; }, 'x[:, ::2].max(0)'),
    c('argmax of a transpose', { x: randn([3, 4]) }, (v) => v.x.t().argmax(1), 'x.t().argmax(1)'),
    c('prod of a transpose', { x: positive([3, 4], true) }, (v) => v.x.t().prod(0), 'x.t().prod(0)'),
    c('matmul of transposes', { a: randn([4, 3], true), b: randn([5, 4], true) }, (v) => v.a.t().matmul(v.b.t()), 'a.t() @ b.t()', { close: { rtol: 1e-5, atol: 1e-5 } }),
    c('bmm with a transposed batch', { a: randn([2, 3, 4], true), b: randn([2, 5, 4], true) }, (v) => v.a.bmm(v.b.transpose(1, 2)), 'torch.bmm(a, b.transpose(1, 2))', { close: { rtol: 1e-5, atol: 1e-5 } }),
    c('linear with a transposed weight', { x: randn([5, 3], true), w: randn([3, 4], true), b: randn([4], true) }, (v) => nt.linear(v.x, v.w.t(), v.b), 'F.linear(x, w.t(), b)', { close: { rtol: 1e-5, atol: 1e-5 } }),
    c('softmax of a transpose', { x: randn([3, 4], true) }, (v) => v.x.t().softmax(1), 'x.t().softmax(1)'),
    c('logSoftmax of a stepped slice', { x: randn([3, 8], true) }, (v) => v.x.slice(1, 0, null, 2).logSoftmax(-1), 'x[:, ::2].log_softmax(-1)'),
    c('gelu of a permute', { x: randn([2, 3, 4], true) }, (v) => v.x.permute(1, 2, 0).gelu(), 'F.gelu(x.permute(1, 2, 0))'),
    c(
      'add_ on a stepped slice writes the base',
      { base: randn([3, 6]) },
      (v) => {
        v.base.slice(1, 0, null, 2).add_(1);
        return v.base;
      },
      'base',
      { setup: 'base[:, ::2].add_(1)' },
    ),
  ]);
});

describe('integer and bool dtypes', () => {
  compare([
    c('int64 + 2 stays int64', { a: ints(-9, 9, [3, 4]) }, (v) => v.a.add(2), 'a + 2'),
    c('int32 + 2 stays int32', { a: ints(-9, 9, [3, 4], 'int32') }, (v) => v.a.add(2), 'a + 2'),
    c('int32 + 2.5 is float32', { a: ints(-9, 9, [3, 4], 'int32') }, (v) => v.a.add(2.5), 'a + 2.5'),
    c('int64 * 0.5 is float32', { a: ints(-9, 9, [3, 4]) }, (v) => v.a.mul(0.5), 'a * 0.5'),
    c('int / int is float32 true division', { a: ints(-9, 9, [3, 4], 'int32'), b: ints(1, 5, [4], 'int32') }, (v) => v.a.div(v.b), 'a / b'),
    c('int64 / 2 is float32', { a: ints(-9, 9, [5]) }, (v) => v.a.div(2), 'a / 2'),
    c('int64 * int32 is int64', { a: ints(-9, 9, [3, 4]), b: ints(-9, 9, [4], 'int32') }, (v) => v.a.mul(v.b), 'a * b'),
    c('int32 + float64 tensor is float64', { a: ints(-9, 9, [3, 4], 'int32'), b: randn([4], false, 'float64') }, (v) => v.a.add(v.b), 'a + b'),
    c('int32 - float32 tensor is float32', { a: ints(-9, 9, [3, 4], 'int32'), b: randn([3, 4]) }, (v) => v.a.sub(v.b), 'a - b'),
    c('float32 + float64 is float64', { a: randn([3, 4]), b: randn([4], false, 'float64') }, (v) => v.a.add(v.b), 'a + b'),
    c('int64 sub', { a: ints(-9, 9, [3, 4]), b: ints(-9, 9, [3, 1]) }, (v) => v.a.sub(v.b), 'a - b'),
    c('int32 pow 2 stays int32', { a: ints(-5, 5, [6], 'int32') }, (v) => v.a.pow(2), 'a ** 2'),
    c('int64 remainder positive', { a: ints(-9, 9, [8]) }, (v) => v.a.remainder(3), 'a.remainder(3)'),
    c('int64 remainder negative (Python sign)', { a: ints(-9, 9, [8]) }, (v) => v.a.remainder(-3), 'a.remainder(-3)'),
    c('int32 neg, abs, sign', { a: ints(-9, 9, [8], 'int32') }, (v) => [v.a.neg(), v.a.abs(), v.a.sign()], '(-a, a.abs(), a.sign())'),
    c('int32 clamp stays int32', { a: ints(-9, 9, [8], 'int32') }, (v) => v.a.clamp(-2, 2), 'a.clamp(-2, 2)'),
    c('int32 maximum int64', { a: ints(-9, 9, [3, 4], 'int32'), b: ints(-9, 9, [4]) }, (v) => v.a.maximum(v.b), 'torch.maximum(a, b)'),
    c('int64 sum is int64', { a: ints(-9, 9, [3, 4]) }, (v) => v.a.sum(1), 'a.sum(1)'),
    c('int32 sum is int64', { a: ints(-9, 9, [3, 4], 'int32') }, (v) => v.a.sum(), 'a.sum()'),
    c('int32 prod is int64', { a: ints(1, 4, [3, 4], 'int32') }, (v) => v.a.prod(0), 'a.prod(0)'),
    c('int32 max/min/argmax', { a: ints(-50, 50, [3, 4], 'int32') }, (v) => [v.a.max(), v.a.min(1).values, v.a.argmax(0)], '(a.max(), a.min(1).values, a.argmax(0))'),
    c('bool sum is int64', { m: mask([3, 4]) }, (v) => [v.m.sum(), v.m.sum(0)], '(m.sum(), m.sum(0))'),
    c('bool + bool', { m: mask([3, 4]), n: mask([3, 4]) }, (v) => v.m.add(v.n), 'm + n'),
    c('bool + 1 is int64', { m: mask([3, 4]) }, (v) => v.m.add(1), 'm + 1'),
    c('sigmoid of int64 is float32', { a: ints(-3, 3, [6]) }, (v) => v.a.sigmoid(), 'a.sigmoid()'),
    c('exp and sqrt of int32 are float32', { a: ints(0, 9, [6], 'int32') }, (v) => [v.a.exp(), v.a.sqrt()], '(a.exp(), a.sqrt())'),
    c('bool * float tensor is float32', { m: mask([3, 4]), a: randn([3, 4], true) }, (v) => v.m.mul(v.a), 'm * a'),
    c('int comparisons with tensors', { a: ints(-3, 3, [3, 4], 'int32'), b: ints(-3, 3, [4]) }, (v) => [v.a.lt(v.b), v.a.eq(v.b), v.a.ge(v.b)], '(a < b, a == b, a >= b)'),
    c('int comparisons with scalars', { a: ints(-3, 3, [3, 4]) }, (v) => [v.a.eq(2), v.a.ne(0), v.a.gt(0.5), v.a.le(-1)], '(a == 2, a != 0, a > 0.5, a <= -1)'),
    c('where with bool mask on ints', { m: mask([3, 4]), a: ints(-9, 9, [3, 4], 'int32'), b: ints(-9, 9, [4], 'int32') }, (v) => nt.where(v.m, v.a, v.b), 'torch.where(m, a, b)'),
    c('where int tensor / integer', { m: mask([3, 4]), a: ints(-9, 9, [3, 4]) }, (v) => v.a.where(v.m, 0), 'torch.where(m, a, 0)'),
    c('where integer / integer is int64', { m: mask([3, 4]) }, (v) => nt.where(v.m, 1, 0), 'torch.where(m, 1, 0)'),
    c('where int tensor / float tensor', { m: mask([3, 4]), a: ints(-9, 9, [3, 4], 'int32'), b: randn([3, 4]) }, (v) => nt.where(v.m, v.a, v.b), 'torch.where(m, a, b)'),
    c('uint8 add wraps', { a: ints(0, 256, [12], 'uint8'), b: ints(0, 256, [12], 'uint8') }, (v) => v.a.add(v.b), 'a + b'),
    c('uint8 sub wraps', { a: ints(0, 256, [12], 'uint8'), b: ints(0, 256, [12], 'uint8') }, (v) => v.a.sub(v.b), 'a - b'),
    c('int8 mul wraps', { a: ints(-128, 128, [12], 'int8'), b: ints(-128, 128, [12], 'int8') }, (v) => v.a.mul(v.b), 'a * b'),
    c('uint8 + int8 is int16', { a: ints(0, 256, [12], 'uint8'), b: ints(-128, 128, [12], 'int8') }, (v) => v.a.add(v.b), 'a + b'),
    c('uint8 sum is int64, max stays uint8', { a: ints(0, 256, [3, 4], 'uint8') }, (v) => [v.a.sum(), v.a.max(), v.a.argmax(1)], '(a.sum(), a.max(), a.argmax(1))'),
    c('int8 abs, neg and comparison', { a: ints(-127, 128, [12], 'int8') }, (v) => [v.a.abs(), v.a.neg(), v.a.lt(0)], '(a.abs(), -a, a < 0)'),
    c('uint8 where', { m: mask([12]), a: ints(0, 256, [12], 'uint8') }, (v) => v.a.where(v.m, 7), 'torch.where(m, a, 7)'),
    c('bool logic', { m: mask([3, 4]), n: mask([4]) }, (v) => [v.m.logicalNot(), v.m.logicalAnd(v.n), v.m.logicalOr(v.n), v.m.all(1), v.n.any()], '(m.logical_not(), m.logical_and(n), m.logical_or(n), m.all(1), n.any())'),
    c('float64 arithmetic stays float64 with gradients', { a: randn([3, 4], true, 'float64'), b: positive([4], true, 'float64') }, (v) => v.a.mul(v.b).div(v.b.add(1)).exp().sub(v.a.pow(2)), '((a * b) / (b + 1)).exp() - a ** 2'),
    c('float64 + python float stays float64', { a: randn([5], true, 'float64') }, (v) => v.a.add(0.1), 'a + 0.1'),
  ]);

  it('keeps int64 values exactly', () => {
    const a = nt.tensor([2 ** 40 + 1, -(2 ** 40) - 3], { dtype: 'int64' });
    expect(a.add(2).arraySync()).toEqual([2 ** 40 + 3, -(2 ** 40) - 1]);
    expect(a.add(2).dtype).toBe('int64');
  });

  describe('bad calls', () => {
    it('rejects ops that need floating point', () => {
      expectError(() => ints(0, 3, [3]).mean(), Error, /^mean: /);
      expectError(() => ints(0, 3, [3], 'int32').var(), Error, /^var: /);
    });
    it('rejects lossy in-place results', () => {
      expectError(() => ints(0, 3, [3]).mul_(0.5), Error, /^mul_: result type Float can't be cast to the desired output type Long/);
      expectError(() => mask([3]).add_(1), Error, /^add_: result type Long can't be cast to the desired output type Bool/);
    });
    it('rejects a non-bool where condition', () => {
      expectError(() => nt.where(ints(0, 2, [3]), 1, 0), Error, /^where: where expected condition to be a boolean tensor/);
    });
    it('rejects integer division by zero', () => {
      expectError(() => ints(1, 3, [3]).remainder(0), Error, /^remainder: ZeroDivisionError/);
    });
  });
});

describe('functional forms', () => {
  const MM: CloseOptions = { rtol: 1e-5, atol: 1e-5 };
  compare([
    c('nt.add(a, b)', { a: randn([3, 4], true), b: randn([4], true) }, (v) => nt.add(v.a, v.b), 'torch.add(a, b)'),
    c('nt.add(a, 2)', { a: randn([3, 4], true) }, (v) => nt.add(v.a, 2), 'torch.add(a, 2)'),
    c('nt.add(2.5, t)', { t: randn([3, 4], true) }, (v) => nt.add(2.5, v.t), '2.5 + t'),
    c('nt.sub(a, b)', { a: randn([3, 4], true), b: randn([3, 1], true) }, (v) => nt.sub(v.a, v.b), 'torch.sub(a, b)'),
    c('nt.sub(2, t)', { t: randn([3, 4], true) }, (v) => nt.sub(2, v.t), '2 - t'),
    c('nt.sub(2, int32 t) stays int32', { t: ints(-9, 9, [5], 'int32') }, (v) => nt.sub(2, v.t), '2 - t'),
    c('nt.mul(2, 0-dim int32) stays int32', { t: nt.tensor(7, { dtype: 'int32' }) }, (v) => nt.mul(2, v.t), '2 * t'),
    c('nt.sub(2.5, 0-dim float64) stays float64', { t: randn([], true, 'float64') }, (v) => nt.sub(2.5, v.t), '2.5 - t'),
    c('nt.sub(0.5, 0-dim float16) stays float16', { t: nt.tensor(0.75, { dtype: 'float16' }) }, (v) => nt.sub(0.5, v.t), '0.5 - t'),
    c('nt.add(2, 0-dim bool) is int64', { t: nt.tensor(true) }, (v) => nt.add(2, v.t), '2 + t'),
    c('nt.div(3, 0-dim int64) is float32', { t: nt.tensor(4, { dtype: 'int64' }) }, (v) => nt.div(3, v.t), '3 / t'),
    c('nt.sub(300, uint8) wraps like Python', { t: ints(0, 256, [8], 'uint8') }, (v) => nt.sub(300, v.t), '300 - t'),
    c('nt.mul(a, b)', { a: randn([3, 4], true), b: randn([4], true) }, (v) => nt.mul(v.a, v.b), 'torch.mul(a, b)'),
    c('nt.mul(3, t)', { t: randn([3, 4], true) }, (v) => nt.mul(3, v.t), '3 * t'),
    c('nt.div(a, b)', { a: randn([3, 4], true), b: positive([4], true) }, (v) => nt.div(v.a, v.b), 'torch.div(a, b)'),
    c('nt.div(1, t)', { t: positive([3, 4], true) }, (v) => nt.div(1, v.t), '1 / t'),
    c('nt.div(1, int t) is float32', { t: ints(1, 9, [5], 'int32') }, (v) => nt.div(1, v.t), '1 / t'),
    c('nt.remainder(a, 1.5)', { a: randn([3, 4], true) }, (v) => nt.remainder(v.a, 1.5), 'torch.remainder(a, 1.5)'),
    c('nt.remainder(5, t)', { t: positive([3, 4], true) }, (v) => nt.remainder(5, v.t), 'torch.remainder(torch.tensor(5), t)'),
    c('nt.pow(a, 2)', { a: randn([3, 4], true) }, (v) => nt.pow(v.a, 2), 'torch.pow(a, 2)'),
    c('nt.pow(a, b)', { a: positive([3, 4], true), b: randn([3, 4], true) }, (v) => nt.pow(v.a, v.b), 'torch.pow(a, b)'),
    c('nt.pow(2, t)', { t: randn([3, 4], true) }, (v) => nt.pow(2, v.t), 'torch.pow(2, t)'),
    c('nt.pow(3, int t)', { t: ints(0, 5, [5]) }, (v) => nt.pow(3, v.t), 'torch.pow(3, t)'),
    c(
      'nt unary functions',
      { a: positive([3, 4], true) },
      (v) => [nt.neg(v.a), nt.abs(v.a), nt.exp(v.a), nt.log(v.a), nt.sqrt(v.a), nt.rsqrt(v.a), nt.sin(v.a), nt.cos(v.a), nt.reciprocal(v.a), nt.square(v.a)].reduce((s, t) => s.add(t)),
      'sum([torch.neg(a), torch.abs(a), torch.exp(a), torch.log(a), torch.sqrt(a), torch.rsqrt(a), torch.sin(a), torch.cos(a), torch.reciprocal(a), torch.square(a)])',
    ),
    c('nt rounding functions', { a: randn([3, 4]) }, (v) => [nt.floor(v.a.mul(3)), nt.ceil(v.a.mul(3)), nt.round(v.a.mul(3)), nt.sign(v.a)], '(torch.floor(a * 3), torch.ceil(a * 3), torch.round(a * 3), torch.sign(a))'),
    c('nt.clamp', { a: randn([3, 4], true) }, (v) => nt.clamp(v.a, -0.5, 0.5), 'torch.clamp(a, -0.5, 0.5)'),
    c('nt.clamp min only / max only', { a: randn([3, 4]) }, (v) => [nt.clamp(v.a, 0), nt.clamp(v.a, null, 0)], '(torch.clamp(a, min=0), torch.clamp(a, max=0))'),
    c('nt.maximum / nt.minimum', { a: randn([3, 4], true), b: randn([4]) }, (v) => nt.maximum(v.a, v.b).add(nt.minimum(v.a, v.b.mul(2))), 'torch.maximum(a, b) + torch.minimum(a, b * 2)'),
    c('nt.where(m, x, y)', { m: mask([3, 4]), x: randn([3, 4], true), y: randn([3, 4], true) }, (v) => nt.where(v.m, v.x, v.y), 'torch.where(m, x, y)'),
    c('nt.where(m, x, 0.5)', { m: mask([3, 4]), x: randn([3, 4], true) }, (v) => nt.where(v.m, v.x, 0.5), 'torch.where(m, x, 0.5)'),
    c('nt comparisons', { a: whole([3, 4]), b: whole([4]) }, (v) => [nt.eq(v.a, v.b), nt.ne(v.a, 1), nt.lt(v.a, v.b), nt.le(v.a, 1), nt.gt(v.a, v.b), nt.ge(v.a, 2)], '(torch.eq(a, b), torch.ne(a, 1), torch.lt(a, b), torch.le(a, 1), torch.gt(a, b), torch.ge(a, 2))'),
    c('nt logic', { m: mask([3, 4]), n: mask([3, 4]) }, (v) => [nt.logicalAnd(v.m, v.n), nt.logicalOr(v.m, v.n), nt.logicalNot(v.m)], '(torch.logical_and(m, n), torch.logical_or(m, n), torch.logical_not(m))'),
    c('nt.isnan / nt.isfinite', { p: nt.tensor([1, 0, -1, 3]), q: nt.tensor([0, 0, 0, 2]) }, (v) => [nt.isnan(v.p.div(v.q)), nt.isfinite(v.p.div(v.q))], '(torch.isnan(p / q), torch.isfinite(p / q))'),
    c('nt.sum(x)', { x: randn([3, 4], true) }, (v) => nt.sum(v.x), 'torch.sum(x)', { close: { rtol: 1e-5, atol: 1e-5 } }),
    c('nt.sum(x, 1)', { x: randn([3, 4], true) }, (v) => nt.sum(v.x, 1), 'torch.sum(x, 1)'),
    c('nt.mean(x, [0, 2], keepdim)', { x: randn([2, 3, 4], true) }, (v) => nt.mean(v.x, [0, 2], { keepdim: true }), 'torch.mean(x, (0, 2), keepdim=True)'),
    c('nt.var(x, 1, correction 0)', { x: randn([3, 5], true) }, (v) => nt.var(v.x, 1, { correction: 0 }), 'torch.var(x, 1, correction=0)'),
    c('nt.var(x)', { x: randn([3, 5], true) }, (v) => nt.var(v.x), 'torch.var(x)'),
    c('nt.std(x, [0, 1], unbiased false)', { x: randn([3, 5], true) }, (v) => nt.std(v.x, [0, 1], { unbiased: false }), 'torch.std(x, (0, 1), unbiased=False)'),
    c('nt.max(x)', { x: randn([3, 4], true) }, (v) => nt.max(v.x), 'torch.max(x)'),
    c('nt.max(x, 0)', { x: randn([3, 4], true) }, (v) => { const r = nt.max(v.x, 0); return [r.values, r.indices]; }, 'torch.max(x, 0)'),
    c('nt.min(x, 1, keepdim)', { x: randn([3, 4], true) }, (v) => { const r = nt.min(v.x, 1, { keepdim: true }); return [r.values, r.indices]; }, 'torch.min(x, 1, keepdim=True)'),
    c('nt.min(x)', { x: randn([3, 4]) }, (v) => nt.min(v.x), 'torch.min(x)'),
    c('nt.argmax / nt.argmin', { x: randn([3, 4]) }, (v) => [nt.argmax(v.x, 1), nt.argmin(v.x), nt.argmax(v.x, 0, { keepdim: true })], '(torch.argmax(x, 1), torch.argmin(x), torch.argmax(x, 0, keepdim=True))'),
    c('nt.prod(x, 1)', { x: randn([3, 4], true) }, (v) => nt.prod(v.x, 1), 'torch.prod(x, 1)'),
    c('nt.all / nt.any', { m: mask([3, 4]) }, (v) => [nt.all(v.m, 0), nt.any(v.m, 1, { keepdim: true }), nt.all(v.m), nt.any(v.m)], '(torch.all(m, 0), torch.any(m, 1, keepdim=True), torch.all(m), torch.any(m))'),
    c('nt.matmul', { a: randn([2, 3, 4], true), b: randn([4, 2], true) }, (v) => nt.matmul(v.a, v.b), 'torch.matmul(a, b)', { close: MM }),
    c('nt.bmm', { a: randn([2, 3, 4], true), b: randn([2, 4, 2], true) }, (v) => nt.bmm(v.a, v.b), 'torch.bmm(a, b)', { close: MM }),
    c('nt activations', { x: randn([3, 4], true) }, (v) => [nt.relu(v.x), nt.leakyRelu(v.x, 0.1), nt.elu(v.x, 0.7), nt.gelu(v.x, 'tanh'), nt.sigmoid(v.x), nt.tanh(v.x)].reduce((s, t) => s.add(t)), "sum([F.relu(x), F.leaky_relu(x, 0.1), F.elu(x, 0.7), F.gelu(x, approximate='tanh'), torch.sigmoid(x), torch.tanh(x)])"),
    c('nt.softmax / nt.logSoftmax', { x: randn([3, 4], true) }, (v) => nt.softmax(v.x, 0).add(nt.logSoftmax(v.x, 1)), 'torch.softmax(x, 0) + torch.log_softmax(x, 1)'),
  ]);

  it('nt.var is the variance function', () => {
    expect(typeof nt.var).toBe('function');
    const x = nt.tensor([1, 2, 3, 4]);
    expect(nt.var(x).item()).toBeCloseTo(5 / 3, 6);
    expect(nt.var(x, 0, { unbiased: false }).item()).toBeCloseTo(1.25, 6);
  });

  describe('bad calls', () => {
    const t = randn([2, 3]);
    it('rejects non-tensor inputs with TypeError naming the op', () => {
      expectError(() => nt.add(bad('a'), t), TypeError, /^add: input must be a Tensor or a number, got string 'a'/);
      expectError(() => nt.sub(2, bad(3)), TypeError, /^sub: other must be a Tensor, got number 3/);
      expectError(() => nt.mul(t, bad('x')), TypeError, /^mul: other must be/);
      expectError(() => nt.div(1, bad(null)), TypeError, /^div: other must be a Tensor, got null/);
      expectError(() => nt.pow(2, bad('x')), TypeError, /^pow: exponent must be a Tensor/);
      expectError(() => nt.pow(bad('2'), t), TypeError, /^pow: input must be a Tensor/);
      expectError(() => nt.sum(bad([1, 2])), TypeError, /^sum: input must be a Tensor, got array of length 2/);
      expectError(() => nt.max(bad(3)), TypeError, /^max: input must be a Tensor/);
      expectError(() => nt.var(bad(undefined)), TypeError, /^var: input must be a Tensor, got undefined/);
      expectError(() => nt.where(bad(true), t, t), TypeError, /^where: condition must be a Tensor/);
      expectError(() => nt.where(mask([2, 3]), bad('a'), t), TypeError, /^where: x must be a Tensor/);
      expectError(() => nt.where(mask([2, 3]), t, bad('b')), TypeError, /^where: y must be a Tensor/);
      expectError(() => nt.eq(bad(1), t), TypeError, /^eq: input must be a Tensor/);
      expectError(() => nt.logicalNot(bad(false)), TypeError, /^logicalNot: input must be a Tensor/);
      expectError(() => nt.exp(bad(1)), TypeError, /^exp: input must be a Tensor/);
      expectError(() => nt.clamp(bad(1), 0), TypeError, /^clamp: input must be a Tensor/);
      expectError(() => nt.softmax(bad([1]), 0), TypeError, /^softmax: input must be a Tensor/);
      expectError(() => nt.relu(bad(null)), TypeError, /^relu: input must be a Tensor/);
    });
    it('reports op errors with the op name', () => {
      expectError(() => nt.add(t, randn([4])), Error, /^add: The size of tensor a/);
      expectError(() => nt.sub(2, ints(0, 2, [3]).bool()), Error, /^sub: Subtraction, the `-` operator, with a bool tensor/);
      expectError(() => nt.sum(t, 3), RangeError, /^sum: Dimension out of range/);
      expectError(() => nt.max(t, -3), RangeError, /^max: Dimension out of range/);
      expectError(() => nt.var(t, 0, { correction: 0.5 }), TypeError, /^var: correction must be an integer/);
      expectError(() => nt.matmul(t, t), Error, /^matmul: mat1 and mat2 shapes cannot be multiplied/);
      expectError(() => nt.softmax(t, 2), RangeError, /^softmax: /);
      expectError(() => nt.clamp(t), TypeError, /^clamp: at least one of min or max/);
    });
  });
});
