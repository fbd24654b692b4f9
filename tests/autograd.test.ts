/**
 * autograd.test.ts — gradients against PyTorch: backward (scalar, explicit gradient,
 * accumulation, retainGraph), grad-mode scopes (noGrad/enableGrad/isGradEnabled), nt.grad()
 * with createGraph for second derivatives, zeroGrad, the .grad setter, requiresGrad,
 * gradFn names, isLeaf and retainGrad, plus the errors autograd raises.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectTensorClose, LIBTORCH2, refValue, torchReference, type RefCase, type RefResult, type RefValue } from './helpers/torch';

nt.manualSeed(2024);
const xData = nt.randn([3, 4]);
const wData = nt.randn([3, 4]);
const gData = nt.randn([3, 4]);
const vData = nt.randn([4]);

/** Fresh leaves with the shared values, so each test starts with empty .grad. */
const leaf = (t: nt.Tensor): nt.Tensor => nt.tensor(t, { requiresGrad: true });

const inputs = { x: leaf(xData), w: leaf(wData), g: gData, v: leaf(vData) };

const cases = {
  scalar: 'y = (x * w).sigmoid().sum(); y.backward(); out = [x.grad, w.grad]',
  explicit: 'y = x.pow(3); y.backward(g); out = x.grad',
  accumulate: '(x * x).sum().backward(); (x * w).tanh().sum().backward(); out = x.grad',
  retain: 'y = (x.exp() * w).sum(); y.backward(retain_graph=True); y.backward(); out = [x.grad, w.grad]',
  grad: 'y = (x.pow(3) * w).sum(); out = list(torch.autograd.grad(y, [x, w]))',
  secondOrder:
    'y = (x.pow(3) * w).sum(); (gx,) = torch.autograd.grad(y, x, create_graph=True); (gxx,) = torch.autograd.grad(gx.sum(), x); out = [gx, gxx]',
  gradOutputs: 'y = x.sin() * 2; out = list(torch.autograd.grad([y], [x], grad_outputs=[g]))',
  retainGrad: 'h = x.mul(w); h.retain_grad(); (h.pow(2).sum()).backward(); out = [h.grad, x.grad]',
  matmul: 'y = (x @ v).relu().mean(); y.backward(); out = [x.grad, v.grad]',
  gradFnNames: `ys = [x + w, x - w, x * w, x / w, x.pow(2), -x, x.exp(), x.log(), x.sqrt(), x.sum(), x.mean(), x.relu(),
      x.sigmoid(), x.tanh(), x.softmax(1), F.log_softmax(x, 1), x @ v, x.matmul(w.transpose(0, 1)), x.transpose(0, 1),
      x.reshape(12), x.unsqueeze(0), x.permute(1, 0), torch.cat([x, w], 0), x.clone(), x.to(torch.float64), x.max(),
      x.abs(), x.clamp(-0.5, 0.5), x.squeeze(), x.flatten()]
out = [type(y.grad_fn).__name__ for y in ys]`,
};
type CaseName = keyof typeof cases;

const gradFnOps: [string, (x: nt.Tensor, w: nt.Tensor, v: nt.Tensor) => nt.Tensor][] = [
  ['x + w', (x, w) => x.add(w)],
  ['x - w', (x, w) => x.sub(w)],
  ['x * w', (x, w) => x.mul(w)],
  ['x / w', (x, w) => x.div(w)],
  ['x.pow(2)', (x) => x.pow(2)],
  ['-x', (x) => x.neg()],
  ['exp', (x) => x.exp()],
  ['log', (x) => x.log()],
  ['sqrt', (x) => x.sqrt()],
  ['sum', (x) => x.sum()],
  ['mean', (x) => x.mean()],
  ['relu', (x) => x.relu()],
  ['sigmoid', (x) => x.sigmoid()],
  ['tanh', (x) => x.tanh()],
  ['softmax', (x) => x.softmax(1)],
  ['logSoftmax', (x) => x.logSoftmax(1)],
  ['matrix @ vector', (x, _w, v) => x.matmul(v)],
  ['matrix @ matrix', (x, w) => x.matmul(w.transpose(0, 1))],
  ['transpose', (x) => x.transpose(0, 1)],
  ['reshape', (x) => x.reshape([12])],
  ['unsqueeze', (x) => x.unsqueeze(0)],
  ['permute', (x) => x.permute(1, 0)],
  ['cat', (x, w) => nt.cat([x, w], 0)],
  ['clone', (x) => x.clone()],
  ['to(float64)', (x) => x.to('float64')],
  ['max', (x) => x.max()],
  ['abs', (x) => x.abs()],
  ['clamp', (x) => x.clamp(-0.5, 0.5)],
  ['squeeze', (x) => x.squeeze()],
  ['flatten', (x) => x.flatten()],
];

describe('autograd against PyTorch', () => {
  const names = Object.keys(cases) as CaseName[];
  let refs: RefResult[];
  beforeAll(() => {
    refs = torchReference(names.map((n): RefCase => ({ inputs, code: cases[n] })));
  });
  const ref = (name: CaseName): RefValue[] => refValue(refs[names.indexOf(name)]) as RefValue[];
  const close = { rtol: 1e-5, atol: 1e-6 };

  it('backward on a scalar fills .grad of every leaf', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    expect(x.grad).toBeNull();
    x.mul(w).sigmoid().sum().backward();
    expectTensorClose(x.grad!, ref('scalar')[0], close);
    expectTensorClose(w.grad!, ref('scalar')[1], close);
  });
  it('backward with an explicit gradient (vector-Jacobian product)', () => {
    const x = leaf(xData);
    x.pow(3).backward(gData);
    expectTensorClose(x.grad!, ref('explicit') as unknown as RefValue, close);
  });
  it('two backward calls accumulate into .grad', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    x.mul(x).sum().backward();
    x.mul(w).tanh().sum().backward();
    expectTensorClose(x.grad!, ref('accumulate') as unknown as RefValue, close);
  });
  it('retainGraph allows a second backward through the same graph', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    const y = x.exp().mul(w).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expectTensorClose(x.grad!, ref('retain')[0], close);
    expectTensorClose(w.grad!, ref('retain')[1], close);
  });
  it('nt.grad returns gradients without touching .grad', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    const [gx, gw] = nt.grad(x.pow(3).mul(w).sum(), [x, w]);
    expectTensorClose(gx!, ref('grad')[0], close);
    expectTensorClose(gw!, ref('grad')[1], close);
    expect(x.grad).toBeNull();
    expect(gx!.requiresGrad).toBe(false);
  });
  it('nt.grad with createGraph gives a differentiable gradient (second derivative)', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    const [gx] = nt.grad(x.pow(3).mul(w).sum(), x, { createGraph: true });
    expect(gx!.requiresGrad).toBe(true);
    expect(gx!.gradFn).not.toBeNull();
    const [gxx] = nt.grad(gx!.sum(), x);
    expectTensorClose(gx!, ref('secondOrder')[0], close);
    expectTensorClose(gxx!, ref('secondOrder')[1], close);
  });
  it('nt.grad with gradOutputs for a non-scalar output', () => {
    const x = leaf(xData);
    const [gx] = nt.grad(x.sin().mul(2), [x], { gradOutputs: [gData] });
    expectTensorClose(gx!, ref('gradOutputs')[0], close);
  });
  it('retainGrad keeps .grad of a non-leaf', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    const h = x.mul(w);
    expect(h.retainGrad()).toBe(h);
    h.pow(2).sum().backward();
    expectTensorClose(h.grad!, ref('retainGrad')[0], close);
    expectTensorClose(x.grad!, ref('retainGrad')[1], close);
  });
  it('matmul, relu and mean backpropagate', () => {
    const x = leaf(xData);
    const v = leaf(vData);
    x.matmul(v).relu().mean().backward();
    expectTensorClose(x.grad!, ref('matmul')[0], close);
    expectTensorClose(v.grad!, ref('matmul')[1], close);
  });
  it('gradFn names match PyTorch', () => {
    const x = leaf(xData);
    const w = leaf(wData);
    const v = leaf(vData);
    const want = ref('gradFnNames') as unknown as string[];
    expect(want).toHaveLength(gradFnOps.length);
    const got = gradFnOps.map(([, op]) => op(x, w, v).gradFn);
    // libtorch 2.x records a reshape that can be a view as ViewBackward0 (1.13: ReshapeAliasBackward0).
    const expected = want.map((fn) => (LIBTORCH2 && fn === 'ReshapeAliasBackward0' ? 'ViewBackward0' : fn));
    gradFnOps.forEach(([name], i) => expect(`${name}: ${got[i]}`).toBe(`${name}: ${expected[i]}`));
  });
});

describe('backward errors', () => {
  it('a second backward without retainGraph throws a clear error', () => {
    const x = leaf(xData);
    const y = x.mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(Error);
    expect(() => y.backward()).toThrow(/^backward: Trying to backward through the graph a second time/);
  });
  it('backward of a non-scalar needs a gradient', () => {
    expect(() => leaf(xData).mul(2).backward()).toThrow(/^backward: grad can be implicitly created only for scalar outputs/);
  });
  it('backward of a tensor outside any graph', () => {
    expect(() => nt.ones([2]).sum().backward()).toThrow(/^backward: element 0 of tensors does not require grad/);
  });
  it('backward with a gradient of the wrong shape', () => {
    expect(() => leaf(xData).mul(2).backward(nt.ones([5]))).toThrow(/^backward: invalid gradient at index 0/);
  });
  it('backward rejects a non-Tensor gradient in TypeScript', () => {
    expect(() => leaf(xData).mul(2).backward([1, 2] as unknown as nt.Tensor)).toThrow(TypeError);
    expect(() => leaf(xData).mul(2).backward([1, 2] as unknown as nt.Tensor)).toThrow(/^backward: gradient must be a Tensor/);
  });
  it('nt.grad errors are named after grad', () => {
    const x = leaf(xData);
    const unused = leaf(wData);
    expect(() => nt.grad(x.mul(x).sum(), [x, unused])).toThrow(/^grad: (One of|element 1 ?of) the differentiated Tensors appears to not have been used/); // libtorch 2.x names the element
    expect(() => nt.grad(x.mul(2), x)).toThrow(/^grad: grad can be implicitly created only for scalar outputs/);
    expect(() => nt.grad(x.sum(), [1 as unknown as nt.Tensor])).toThrow(TypeError);
    expect(() => nt.grad(x.sum(), [1 as unknown as nt.Tensor])).toThrow(/^grad: inputs\[0\] must be a Tensor/);
  });
  it('nt.grad allowUnused returns null for unused inputs', () => {
    const x = leaf(xData);
    const [gx, gu] = nt.grad(x.mul(x).sum(), [x, leaf(wData)], { allowUnused: true });
    expect(gx).not.toBeNull();
    expect(gu).toBeNull();
  });
  it('in-place ops on a leaf that requires grad are refused outside noGrad', () => {
    const w = leaf(wData);
    expect(() => w.sub_(1)).toThrow(/^sub_: a leaf Variable that requires grad is being used in an in-place operation/);
  });
});

describe('grad mode', () => {
  it('isGradEnabled is true by default', () => expect(nt.isGradEnabled()).toBe(true));
  it('noGrad stops recording and restores the mode', () => {
    const x = leaf(xData);
    const y = nt.noGrad(() => {
      expect(nt.isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(nt.isGradEnabled()).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(true);
  });
  it('enableGrad records inside noGrad', () => {
    const x = leaf(xData);
    nt.noGrad(() => {
      const y = nt.enableGrad(() => {
        expect(nt.isGradEnabled()).toBe(true);
        return x.mul(2);
      });
      expect(nt.isGradEnabled()).toBe(false);
      expect(y.requiresGrad).toBe(true);
      expect(y.gradFn).not.toBeNull();
    });
  });
  it('noGrad restores the mode when fn throws', () => {
    expect(() =>
      nt.noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(nt.isGradEnabled()).toBe(true);
  });
  it('noGrad lets an optimizer-style in-place update touch a leaf', () => {
    const w = leaf(wData);
    w.mul(w).sum().backward();
    nt.noGrad(() => w.sub_(w.grad!.mul(0.5)));
    expect(w.requiresGrad).toBe(true);
    expect(w.gradFn).toBeNull();
    expect(w.detach().abs().max().item()).toBe(0);
  });
  it('noGrad and enableGrad reject Promise-returning functions with TypeError', () => {
    expect(() => nt.noGrad(async () => 1)).toThrow(TypeError);
    expect(() => nt.noGrad(() => Promise.resolve(1))).toThrow(/^noGrad: fn returned a Promise/);
    expect(() => nt.enableGrad(async () => 1)).toThrow(/^enableGrad: fn returned a Promise/);
    expect(nt.isGradEnabled()).toBe(true);
  });
  it('noGrad rejects a non-function', () => {
    expect(() => nt.noGrad(5 as unknown as () => void)).toThrow(TypeError);
    expect(() => nt.noGrad(5 as unknown as () => void)).toThrow(/^noGrad: fn must be a function/);
  });
});

describe('leaves, requiresGrad and .grad', () => {
  it('zeroGrad clears .grad so the next backward starts fresh', () => {
    const x = leaf(xData);
    x.mul(3).sum().backward();
    expect(x.grad!.flatten().arraySync()).toEqual(new Array(12).fill(3));
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(2).sum().backward();
    expect(x.grad!.flatten().arraySync()).toEqual(new Array(12).fill(2));
  });
  it('the requiresGrad setter and requiresGrad_()', () => {
    const t = nt.zeros([2]);
    expect(t.requiresGrad).toBe(false);
    t.requiresGrad = true;
    expect(t.requiresGrad).toBe(true);
    expect(t.requiresGrad_(false)).toBe(t);
    expect(t.requiresGrad).toBe(false);
    t.requiresGrad_();
    expect(t.requiresGrad).toBe(true);
  });
  it('requiresGrad cannot be turned off on a non-leaf, nor on for integer tensors', () => {
    const h = leaf(xData).mul(2);
    expect(() => {
      h.requiresGrad = false;
    }).toThrow(/^setRequiresGrad: you can only change requires_grad flags of leaf variables/);
    expect(() => nt.zeros([2], { dtype: 'int64' }).requiresGrad_()).toThrow(/^setRequiresGrad: Only Tensors of floating point and complex dtype can require gradients/);
    expect(() => nt.zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(/^zeros: Only Tensors of floating point/);
  });
  it('isLeaf: user-created tensors, detached tensors and results of untracked ops are leaves', () => {
    const x = leaf(xData);
    expect(x.isLeaf).toBe(true);
    expect(x.mul(2).isLeaf).toBe(false);
    expect(x.detach().isLeaf).toBe(true);
    expect(nt.ones([2]).mul(2).isLeaf).toBe(true);
    expect(nt.noGrad(() => x.mul(2)).isLeaf).toBe(true);
  });
  it('gradFn is null for leaves', () => {
    expect(leaf(xData).gradFn).toBeNull();
    expect(nt.ones([2]).add(1).gradFn).toBeNull();
  });
  it('.grad can be set and cleared', () => {
    const x = leaf(xData);
    x.grad = nt.onesLike(x);
    expect(x.grad!.sum().item()).toBe(12);
    x.mul(2).sum().backward();
    expect(x.grad!.sum().item()).toBe(36);
    x.grad = null;
    expect(x.grad).toBeNull();
  });
  it('.grad refuses a gradient of another shape, dtype or a non-Tensor', () => {
    const x = leaf(xData);
    expect(() => (x.grad = nt.ones([5]))).toThrow(RangeError);
    expect(() => (x.grad = nt.ones([5]))).toThrow(/^grad: assigned grad has shape \[5\], but the tensor has shape \[3, 4\]/);
    expect(() => (x.grad = nt.ones([3, 4], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => (x.grad = nt.ones([3, 4], { dtype: 'float64' }))).toThrow(/^grad: assigned grad is float64 on cpu/);
    expect(() => (x.grad = 5 as unknown as nt.Tensor)).toThrow(/^grad: value must be a Tensor/);
  });
  it('backward with createGraph makes .grad differentiable', () => {
    const x = leaf(xData);
    x.pow(2).sum().backward(undefined, { createGraph: true });
    const g = x.grad!;
    expect(g.requiresGrad).toBe(true);
    const [second] = nt.grad(g.sum(), x);
    expect(second!.flatten().arraySync()).toEqual(new Array(12).fill(2));
  });
});
