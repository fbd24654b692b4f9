/**
 * graph.test.ts — functional models (nt.input / layer.apply / nt.model) and the ResNet builders:
 * numerics against PyTorch-Python (forward, one SGD step, TorchScript export, state_dict names),
 * parameter counts against the published/reference figures, several inputs and outputs, shared
 * layers, merge layers, save/load round trips, the summary's connections, and bad calls.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { PY_PRELUDE } from './helpers/safetensors_py';
import { expectTensorClose, refValue, torchReference, type RefResult, type RefValue } from './helpers/torch';

const L = nt.layers;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string): string => path.join(tmp, name);
const PY_RESNET = `exec(open(${JSON.stringify(path.join(__dirname, 'helpers', 'resnet_ref.py'))}).read())`;

/** Gives every weight (and BN running statistic) a random value so comparisons are not trivial. */
function randomizeWeights(model: nt.Model): void {
  const names = model.weightNames();
  const weights = model.getWeights().map((w, i) => {
    if (w.dtype !== 'float32') return w;
    const r = names[i].endsWith('running_var') ? nt.rand(w.shape).add(0.5) : nt.randn(w.shape).mul(0.3);
    w.dispose();
    return r;
  });
  model.setWeights(weights);
  for (const w of weights) w.dispose();
}

/** A small residual CNN with both a projection skip (add) and a concatenation. */
function residualModel(): nt.Functional {
  const x = nt.input({ shape: [3, 8, 8], name: 'image' });
  let y = L.conv2d({ name: 'conv1', filters: 4, kernelSize: 3, padding: 1, useBias: false }).apply(x);
  y = L.relu({ name: 'relu1' }).apply(L.batchNormalization({ name: 'bn1' }).apply(y));
  y = L.conv2d({ name: 'conv2', filters: 4, kernelSize: 3, strides: 2, padding: 1 }).apply(y);
  const skip = L.conv2d({ name: 'proj', filters: 4, kernelSize: 1, strides: 2 }).apply(x);
  const sum = L.relu({ name: 'relu2' }).apply(L.add({ name: 'add' }).apply([y, skip]));
  const joined = L.concatenate({ name: 'cat' }).apply([sum, skip]);
  const out = L.dense({ name: 'fc', units: 5 }).apply(L.globalAveragePooling2d({ name: 'gap' }).apply(joined));
  return nt.model({ inputs: x, outputs: out, name: 'residual' });
}

const PY_RESIDUAL = `
class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, 2, 1)
        self.proj = nn.Conv2d(3, 4, 1, 2)
        self.fc = nn.Linear(8, 5)
    def forward(self, x):
        y = self.conv2(F.relu(self.bn1(self.conv1(x))))
        skip = self.proj(x)
        joined = torch.cat([F.relu(y + skip), skip], 1)
        return self.fc(F.adaptive_avg_pool2d(joined, 1).flatten(1))
net = Residual()
`;

/** Python: load `weights` (a safetensors file) strictly into `net`. */
const pyLoad = (weights: string): string => `sd, _ = read_safetensors(${JSON.stringify(weights)})\nnet.load_state_dict(sd, strict=True)`;

/** Python: one SGD-momentum step of `net` on (x, y); out = [loss, weights in `names` order]. */
const pyStep = (names: string[]): string => `
net.train()
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
opt.zero_grad()
loss = F.cross_entropy(net(x), y)
loss.backward()
opt.step()
state = net.state_dict()
out = [loss.detach(), [state[k] for k in ${JSON.stringify(names)}]]
`;

interface Prepared {
  names: string[];
  x: nt.Tensor;
  y: nt.Tensor;
  evalOut: nt.Tensor;
  loss: number;
  after: nt.Tensor[];
  exported: nt.Tensor;
}

/** Randomizes a model, records its eval forward, saves weights + TorchScript, then takes one SGD step. */
async function prepare(model: nt.Model, key: string, xShape: number[], classes: number, step: boolean): Promise<Prepared> {
  randomizeWeights(model);
  const x = nt.randn(xShape);
  const y = nt.randint(0, classes, [xShape[0]]);
  const evalOut = (await model.predict(x)) as nt.Tensor;
  await model.saveWeights(file(`${key}.safetensors`));
  await model.exportTorchScript(file(`${key}.pt`));
  const names = model.weightNames();
  if (!step) return { names, x, y, evalOut, loss: NaN, after: [], exported: evalOut };
  model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.1, momentum: 0.9 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
  const { loss } = model.trainOnBatchSync(x, y);
  return { names, x, y, evalOut, loss, after: model.getWeights(), exported: evalOut };
}

describe('functional residual models against PyTorch', () => {
  const prepared: Record<string, Prepared> = {};
  let refs: RefResult[] = [];
  /** `step`: also compare a training step weight by weight (the large ImageNet nets only compare forward and export). */
  const models: Record<string, { build: () => nt.Model; py: string; xShape: number[]; classes: number; step?: boolean }> = {
    residual: { build: residualModel, py: PY_RESIDUAL, xShape: [4, 3, 8, 8], classes: 5, step: true },
    resnet20A: { build: () => nt.builders.resnet({ depth: 20, inputShape: [3, 16, 16], numClasses: 7 }), py: `${PY_RESNET}\nnet = cifar_resnet(20, 'A', 7)`, xShape: [3, 3, 16, 16], classes: 7, step: true },
    resnet20B: {
      build: () => nt.builders.resnet({ depth: 20, inputShape: [3, 16, 16], numClasses: 7, shortcut: 'B' }),
      py: `${PY_RESNET}\nnet = cifar_resnet(20, 'B', 7)`,
      xShape: [3, 3, 16, 16],
      classes: 7,
      step: true,
    },
    resnet18: { build: () => nt.builders.resnet18({ inputShape: [3, 32, 32], numClasses: 6 }), py: `${PY_RESNET}\nnet = imagenet_resnet('resnet18', 6)`, xShape: [2, 3, 32, 32], classes: 6 },
    resnet50small: {
      build: () => nt.builders.resnet50({ inputShape: [3, 16, 16], numClasses: 4, smallInput: true }),
      py: `${PY_RESNET}\nnet = imagenet_resnet('resnet50', 4, small_input=True)`,
      xShape: [2, 3, 16, 16],
      classes: 4,
    },
  };
  const keys = Object.keys(models);

  beforeAll(async () => {
    nt.manualSeed(7);
    for (const key of keys) {
      const m = models[key];
      const model = m.build();
      prepared[key] = await prepare(model, key, m.xShape, m.classes, Boolean(m.step));
      model.dispose();
    }
    refs = torchReference(
      keys.flatMap((key) => {
        const m = models[key];
        const p = prepared[key];
        const setup = `${PY_PRELUDE}\n${m.py}\n${pyLoad(file(`${key}.safetensors`))}`;
        return [
          { inputs: { x: p.x }, code: `${setup}\nnet.eval()\nout = [net(x), sorted(net.state_dict().keys())]` },
          { inputs: { x: p.x, y: p.y }, code: m.step ? `${setup}\n${pyStep(p.names)}` : 'out = None' },
          { inputs: { x: p.x }, code: `m = torch.jit.load(${JSON.stringify(file(`${key}.pt`))})\nout = [m(x), sorted(m.state_dict().keys())]` },
        ];
      }),
    );
  }, 240_000);

  keys.forEach((key, i) => {
    it(`${key}: eval forward equals PyTorch with the same weights (load_state_dict strict), same state_dict names`, () => {
      const [out, names] = refValue(refs[3 * i]) as [RefValue, string[]];
      expectTensorClose(prepared[key].evalOut, out, { rtol: 1e-4, atol: 1e-5 });
      expect([...prepared[key].names].sort()).toEqual(names);
    });
    it.runIf(Boolean(models[key].step))(`${key}: one SGD-momentum training step equals torch.optim.SGD (loss and every weight)`, () => {
      const [loss, weights] = refValue(refs[3 * i + 1]) as [RefValue, RefValue[]];
      expectTensorClose(nt.tensor(prepared[key].loss), loss, { rtol: 1e-5, atol: 1e-6 });
      prepared[key].after.forEach((w, k) => expectTensorClose(w, weights[k], { rtol: 1e-4, atol: 1e-5 }));
    });
    it(`${key}: exportTorchScript → torch.jit.load gives the same outputs and state_dict names`, () => {
      const [out, names] = refValue(refs[3 * i + 2]) as [RefValue, string[]];
      expectTensorClose(prepared[key].exported, out, { rtol: 1e-4, atol: 1e-5 });
      expect([...prepared[key].names].sort()).toEqual(names);
    });
  });
});

describe('ResNet builders', () => {
  it.each([
    ['ResNet-20, shortcut A', () => nt.builders.resnet({ depth: 20 }), 269_722],
    ['ResNet-20, shortcut B', () => nt.builders.resnet({ depth: 20, shortcut: 'B' }), 272_474],
    ['ResNet-56, shortcut A', () => nt.builders.resnet({ depth: 56 }), 853_018],
    ['ResNet-18, 1000 classes', () => nt.builders.resnet18(), 11_689_512],
    ['ResNet-50, 1000 classes', () => nt.builders.resnet50(), 25_557_032],
  ] as const)('%s has the reference parameter count', (_, build, count) => {
    const model = build();
    expect(model.countParams()).toBe(count);
    model.dispose();
  });

  it('parameter counts of every depth and variant equal the PyTorch reference implementations', () => {
    const variants: [string, () => nt.Model][] = [
      ...[20, 32, 44, 56, 110].flatMap((d) =>
        (['A', 'B'] as const).map((s): [string, () => nt.Model] => [`cifar_resnet(${d}, '${s}')`, () => nt.builders.resnet({ depth: d as 20, shortcut: s })]),
      ),
      ["imagenet_resnet('resnet34')", () => nt.builders.resnet34()],
      ["imagenet_resnet('resnet101')", () => nt.builders.resnet101()],
      ["imagenet_resnet('resnet18', 10, small_input=True)", () => nt.builders.resnet18({ inputShape: [3, 28, 28], numClasses: 10, smallInput: true })],
    ];
    const counts = variants.map(([, build]) => {
      const model = build();
      const n = model.countParams();
      model.dispose();
      return n;
    });
    const refs = torchReference(variants.map(([py]) => ({ inputs: {}, code: `${PY_RESNET}\nout = param_count(${py})` })));
    expect(counts).toEqual(refs.map((r) => refValue(r)));
  });

  it('output shapes, torchvision-style names and init (Kaiming fan_out, BN γ=1/β=0, zero-init residual)', () => {
    const model = nt.builders.resnet18({ inputShape: [3, 64, 64], numClasses: 10, zeroInitResidual: true });
    expect(model.outputShape).toEqual([10]);
    const names = model.weightNames();
    for (const key of ['conv1.weight', 'bn1.running_var', 'layer1.0.conv1.weight', 'layer2.0.downsample.0.weight', 'layer2.0.downsample.1.bias', 'layer4.1.bn2.weight', 'fc.bias']) {
      expect(names).toContain(key);
    }
    const weights = Object.fromEntries(names.map((n, i) => [n, i]));
    const all = model.getWeights();
    const conv = all[weights['layer3.0.conv1.weight']];
    const fanOut = 256 * 3 * 3;
    expect(conv.std().item()).toBeCloseTo(Math.sqrt(2 / fanOut), 2);
    expect(all[weights['layer1.0.bn1.weight']].eq(1).all().item()).toBe(true);
    expect(all[weights['layer1.0.bn1.bias']].eq(0).all().item()).toBe(true);
    expect(all[weights['layer1.0.bn2.weight']].eq(0).all().item()).toBe(true);
    for (const t of all) t.dispose();
    const out = model.predictSync(nt.randn([2, 3, 64, 64])) as nt.Tensor;
    expect(out.shape).toEqual([2, 10]);
    model.dispose();
  });

  it('bad calls name the builder and the problem', () => {
    expect(() => nt.builders.resnet({ depth: 21 as 20 })).toThrow(/builders\.resnet.*depth.*20, 32, 44, 56, 110/);
    expect(() => nt.builders.resnet({ depth: 20, shortcut: 'C' as 'A' })).toThrow(/builders\.resnet.*shortcut/);
    expect(() => nt.builders.resnet({ depth: 20, inputShape: [32, 32] })).toThrow(/builders\.resnet.*inputShape/);
    expect(() => nt.builders.resnet18({ numClasses: 0 })).toThrow(/builders\.resnet18.*numClasses/);
  });
});

describe('functional models', () => {
  it('several inputs and outputs, a layer shared between branches: weights counted once, fit and evaluate per output', async () => {
    nt.manualSeed(3);
    const a = nt.input({ shape: [6], name: 'a' });
    const b = nt.input({ shape: [6], name: 'b' });
    const shared = L.dense({ name: 'shared', units: 8, activation: 'relu' });
    const ha = shared.apply(a);
    const hb = shared.apply(b);
    const classes = L.dense({ name: 'classes', units: 3, activation: 'softmax' }).apply(L.concatenate({ name: 'cat' }).apply([ha, hb]));
    const diff = L.dense({ name: 'diff', units: 1 }).apply(L.subtract({ name: 'sub' }).apply([ha, hb]));
    const model = nt.model({ inputs: [a, b], outputs: [classes, diff] });
    expect(model.countParams()).toBe(6 * 8 + 8 + 16 * 3 + 3 + 8 + 1);
    expect(model.inputs.map((i) => i.name)).toEqual(['a', 'b']);
    expect(model.outputs).toEqual([
      { name: 'classes', shape: [3] },
      { name: 'diff', shape: [1] },
    ]);

    const n = 256;
    const xa = nt.randn([n, 6]);
    const xb = nt.randn([n, 6]);
    const label = xa.sum(1).gt(xb.sum(1)).to('int64').add(xa.select(1, 0).gt(1).to('int64'));
    const target = xa.sub(xb).sum(1, { keepdim: true });
    model.compile({ optimizer: nt.optimizers.adam({ lr: 0.01 }), loss: ['sparseCategoricalCrossentropy', 'mse'], lossWeights: [1, 0.5], metrics: ['accuracy'] });
    const before = await model.evaluate({ a: xa, b: xb }, [label, target]);
    const history = await model.fit([xa, xb], { classes: label, diff: target }, { epochs: 8, batchSize: 32, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['classes_accuracy', 'diff_accuracy', 'loss', 'lr']);
    const after = await model.evaluate([xa, xb], [label, target]);
    expect(after.loss).toBeLessThan(before.loss * 0.7);
    expect(after.classes_accuracy).toBeGreaterThan(0.7);

    // The loss is the weighted sum of the per-output losses (the softmax fused into the cross-entropy).
    const [probs, value] = (await model.predict([xa, xb])) as nt.Tensor[];
    expect(probs.shape).toEqual([n, 3]);
    expect(value.shape).toEqual([n, 1]);
    const ce = nt.nn.functional.nllLoss(probs.log(), label).item();
    const mse = value.sub(target).pow(2).mean().item();
    expect(after.loss).toBeCloseTo(ce + 0.5 * mse, 4);

    const summary = model.summary(() => undefined);
    expect(summary).toContain('Connected to');
    expect(summary).toMatch(/sub \(Subtract\)\s+\(None, 8\)\s+0\s+shared, shared/);
    expect(summary).toMatch(/a \(InputLayer\)/);
    model.dispose();
  });

  it('every merge layer matches its tensor op; save → loadModel keeps predictions and getConfig', async () => {
    const x = nt.input({ shape: [4, 3, 3], name: 'x' });
    const p = L.conv2d({ name: 'p', filters: 4, kernelSize: 1 }).apply(x);
    const q = L.conv2d({ name: 'q', filters: 4, kernelSize: 1 }).apply(x);
    const merged = [L.add(), L.subtract(), L.multiply(), L.average(), L.maximum(), L.minimum()].map((m) => m.apply([p, q]));
    const cat = L.concatenate({ name: 'all', axis: -3 }).apply(merged);
    const pad = L.shortcutPadding2d({ name: 'pad', filters: 26, strides: 2 }).apply(cat);
    const model = nt.model({ inputs: x, outputs: [pad, p, q], name: 'merges' });
    randomizeWeights(model);
    const input = nt.randn([2, 4, 3, 3]);
    const [out, pv, qv] = (await model.predict(input)) as nt.Tensor[];
    const expected = nt.cat([pv.add(qv), pv.sub(qv), pv.mul(qv), pv.add(qv).div(2), nt.maximum(pv, qv), nt.minimum(pv, qv)], 1);
    const every2 = nt.tensor([0, 2], { dtype: 'int64' });
    const padded = nt.pad(expected.indexSelect(2, every2).indexSelect(3, every2), [0, 0, 0, 0, 1, 1]);
    expectTensorClose(out, refValueOf(padded), { rtol: 1e-6, atol: 1e-6 });

    await model.save(file('merges'));
    const loaded = (await nt.loadModel(file('merges'))) as nt.Functional;
    expect(loaded).toBeInstanceOf(nt.Functional);
    expect(loaded.getConfig()).toEqual(model.getConfig());
    const again = (await loaded.predict(input)) as nt.Tensor[];
    expect(again[0].eq(out).all().item()).toBe(true);
    model.dispose();
    loaded.dispose();
  });

  it('a functional ResNet trains with fit and round-trips through save/loadModel compiled', async () => {
    nt.manualSeed(5);
    const model = nt.builders.resnet({ depth: 20, inputShape: [1, 8, 8], numClasses: 2 });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = nt.randn([64, 1, 8, 8]);
    const y = x.mean([1, 2, 3]).gt(0).to('int64');
    const history = await model.fit(x, y, { epochs: 6, batchSize: 16, verbose: 0 });
    expect(history.history.loss.at(-1)).toBeLessThan(history.history.loss[0]);
    await model.save(file('resnet_fit'));
    const loaded = await nt.loadModel(file('resnet_fit'));
    expect(loaded.compiled).toBe(true);
    expect(((await loaded.predict(x)) as nt.Tensor).eq((await model.predict(x)) as nt.Tensor).all().item()).toBe(true);
    model.dispose();
    loaded.dispose();
  });

  it('a softmax output that another layer also uses still trains on its logits (the loss fuses it)', async () => {
    nt.manualSeed(8);
    const x = nt.input({ shape: [4], name: 'x' });
    const probs = L.softmax({ name: 'probs' }).apply(L.dense({ name: 'logits', units: 3 }).apply(x));
    const extra = L.dense({ name: 'extra', units: 1 }).apply(probs);
    const model = nt.model({ inputs: x, outputs: [probs, extra] });
    model.compile({ optimizer: 'sgd', loss: ['sparseCategoricalCrossentropy', 'mse'] });
    const xs = nt.randn([16, 4]);
    const label = nt.randint(0, 3, [16]);
    const target = nt.randn([16, 1]);
    const [p, e] = (await model.predict(xs)) as nt.Tensor[];
    const expected = nt.nn.functional.nllLoss(p.log(), label).item() + e.sub(target).pow(2).mean().item();
    expect((await model.evaluate(xs, [label, target])).loss).toBeCloseTo(expected, 5);
    expect(Number.isFinite(model.trainOnBatchSync(xs, [label, target]).loss)).toBe(true);
    model.dispose();
  });

  it('bad graphs and calls give clear errors naming the layer', () => {
    const x = nt.input({ shape: [3, 8, 8], name: 'x' });
    const other = nt.input({ shape: [3, 8, 8], name: 'other' });
    const a = L.conv2d({ name: 'a', filters: 4, kernelSize: 3 }).apply(x);
    const b = L.conv2d({ name: 'b', filters: 4, kernelSize: 1 }).apply(x);
    expect(() => L.add({ name: 'join' }).apply([a, b])).toThrow(/Add 'join': inputs must have the same shape, got \[4, 6, 6\] and \[4, 8, 8\]/);
    expect(() => L.concatenate({ name: 'c', axis: 0 }).apply([a, a])).toThrow(/Concatenate 'c': axis 0 is out of range/);
    expect(() => L.subtract({ name: 's' }).apply([b, b, b])).toThrow(/Subtract 's': takes exactly two inputs/);
    expect(() => L.add({ name: 'one' }).apply([b])).toThrow(/Add 'one': takes two or more inputs/);
    expect(() => L.dense({ name: 'd', units: 2 }).apply([a, b])).toThrow(/Dense 'd': takes one input, got 2/);
    const shared = L.conv2d({ name: 'shared', filters: 2, kernelSize: 1 });
    shared.apply(a);
    expect(() => shared.apply(x)).toThrow(/Conv2D 'shared': is shared between calls with different input shapes \[4, 6, 6\] and \[3, 8, 8\]/);
    expect(() => L.dense({ units: 2 }).apply(nt.zeros([2, 3]) as never)).toThrow(TypeError);
    expect(() => nt.model({ inputs: x, outputs: L.add({ name: 'mix' }).apply([b, L.conv2d({ name: 'o', filters: 4, kernelSize: 1 }).apply(other)]) })).toThrow(
      /the graph is disconnected: 'o' depends on the input 'other', which is not in inputs/,
    );
    expect(() => nt.model({ inputs: [x, other], outputs: b })).toThrow(/input 'other' is not connected to any output/);
    expect(() => nt.model({ inputs: a, outputs: b })).toThrow(/inputs\[0\] \('a'\) is a layer output/);
    expect(() => nt.model({ inputs: x, outputs: [a, L.conv2d({ name: 'a', filters: 1, kernelSize: 1 }).apply(x)] })).toThrow(/two layers .* named 'a'/);
    expect(() => nt.sequential({ layers: [L.add()] })).toThrow(/combines several values; use a functional model/);
    expect(() => nt.input({ shape: [0, 3] })).toThrow(/input.*shape/);

    // A serialized graph whose call refers to itself (a cycle) or to a later call.
    const config = nt.model({ inputs: x, outputs: b }).getConfig();
    const cyclic = structuredClone(config);
    cyclic.config.calls[0].inputs = [{ call: 0 }];
    expect(() => nt.Functional.fromConfig(cyclic)).toThrow(/call 0 \(b\) refers to call 0, which does not come before it \(a cycle/);

    const model = nt.model({ inputs: [x, other], outputs: L.add({ name: 'sum2' }).apply([x, other]) });
    expect(() => model.predictSync(nt.randn([2, 3, 8, 8]))).toThrow(/predict: x must be an array of 2 \(one per input: x, other\)/);
    expect(() => model.predictSync([nt.randn([2, 3, 8, 8]), nt.randn([3, 3, 8, 8])])).toThrow(/predict: the inputs have different numbers of samples \(2 and 3\)/);
    expect(() => model.predictSync({ x: nt.randn([2, 3, 8, 8]) })).toThrow(/predict: x has no entry for 'other'/);
    expect(() => model.predictSync([nt.randn([2, 3, 8, 8]), nt.randn([2, 3, 4, 4])])).toThrow(/expected input 'other' samples of shape \[3, 8, 8\]/);
  });
});

/** A nodetorch tensor as the reference value type expectTensorClose takes. */
function refValueOf(t: nt.Tensor): RefValue {
  return { tensor: true, shape: t.shape, dtype: t.dtype, data: t.flatten().arraySync() as number[] };
}
