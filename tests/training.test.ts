/**
 * training.test.ts — training numerics against PyTorch-Python (torch.optim, torch.nn.functional,
 * torch.optim.lr_scheduler), all references in one Python process: a conv/batch-norm/dense CNN
 * trained step by step with SGD-momentum (plain and Nesterov, weight decay) and Adam from the same
 * weights on the same batches (per-step losses and final weights, running statistics included);
 * every loss's reported value and gradient step against its Keras/PyTorch formula; metrics from
 * evaluate() against values computed by hand from predict(); RMSprop/Adagrad/AdamW/AMSGrad steps;
 * gradient clipping by norm and by value; learning-rate schedules read back from fit's history.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { expectThrows } from './helpers/cases';
import { expectTensorClose, refValue, torchReference, type RefValue } from './helpers/torch';

const L = nt.layers;
nt.manualSeed(777);

/**
 * Tolerances. Both sides run the same libtorch kernels on one thread; the differences seen are a
 * few float32 ulps (losses ~1e-7 relative, weights within rtol 1e-6 / atol 1e-7 after 10 steps),
 * so losses are held to 1e-5 relative and weights to rtol 1e-5 / atol 1e-7.
 */
const LOSS_RTOL = 1e-5;
const WEIGHTS = { rtol: 1e-5, atol: 1e-7 };

/** Python helpers shared by the reference cases. */
const PRELUDE = `
import torch.nn as nn
def load(net, names, ws):
    net.load_state_dict(dict(zip(names, ws)), strict=True)
    return net
def run(net, opt, loss_fn, xs, ys, steps, size, clip=None):
    net.train()
    losses = []
    for i in range(steps):
        xb, yb = xs[i * size:(i + 1) * size], ys[i * size:(i + 1) * size]
        opt.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        if clip is not None:
            clip(list(net.parameters()))
        opt.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64)
`;

interface Registered {
  name: string;
  run: () => Promise<{ js: unknown; inputs: Record<string, nt.Tensor>; code: string }>;
}
const registered: Registered[] = [];
const results = new Map<string, { js: unknown; ref: RefValue } | Error>();

/** Registers a check: `run` does the nodetorch side and returns the Python code to compare with. */
type CheckRun<T> = { js: T; inputs: Record<string, nt.Tensor>; code: string };
function check<T>(name: string, run: () => CheckRun<T> | Promise<CheckRun<T>>): () => { js: T; ref: RefValue } {
  registered.push({ name, run: async () => run() });
  return () => {
    const r = results.get(name);
    if (r === undefined) throw new Error(`check '${name}' did not run`);
    if (r instanceof Error) throw r;
    return r as { js: T; ref: RefValue };
  };
}

beforeAll(async () => {
  const ran: { name: string; js: unknown; inputs: Record<string, nt.Tensor>; code: string }[] = [];
  for (const r of registered) {
    try {
      ran.push({ name: r.name, ...(await r.run()) });
    } catch (e) {
      results.set(r.name, e as Error);
    }
  }
  const refs = torchReference(ran.map(({ inputs, code }) => ({ inputs, code: PRELUDE + code })));
  ran.forEach(({ name, js }, i) => {
    const ref = refs[i];
    results.set(name, ref.ok ? { js, ref: ref.out } : new Error(`PyTorch reference failed: ${ref.error}`));
  });
});

/** The weights of a model as Python inputs `_w0`, ... plus the code that lists them. */
function weightInputs(model: nt.Sequential, prefix = '_w'): { inputs: Record<string, nt.Tensor>; names: string; list: string } {
  const inputs: Record<string, nt.Tensor> = {};
  const ws = model.getWeights();
  ws.forEach((w, i) => (inputs[`${prefix}${i}`] = w));
  return { inputs, names: JSON.stringify(model.weightNames()), list: `[${ws.map((_, i) => `${prefix}${i}`).join(', ')}]` };
}

function expectLossesClose(actual: number[], expected: RefValue): void {
  const want = (expected as { data: number[] }).data;
  expect(actual.length).toBe(want.length);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - want[i]) <= LOSS_RTOL * Math.abs(want[i]))) expect.fail(`step ${i}: loss ${a}, PyTorch ${want[i]} (rtol ${LOSS_RTOL})`);
  });
}

function expectWeightsClose(model: nt.Sequential, expected: RefValue): void {
  const names = model.weightNames();
  const want = expected as RefValue[];
  expect(want.length).toBe(names.length);
  model.getWeights().forEach((w, i) => {
    try {
      expectTensorClose(w, want[i], WEIGHTS);
    } catch (e) {
      throw new Error(`${names[i]}: ${(e as Error).message}`);
    }
  });
}

// ---- CNN training parity -------------------------------------------------------------------

const STEPS = 10;
const BATCH = 16;
const cnnX = nt.randn([STEPS * BATCH, 1, 10, 10]);
const cnnY = nt.randint(10, [STEPS * BATCH]);

function cnn(): nt.Sequential {
  return nt.sequential({
    layers: [
      L.conv2d({ inputShape: [1, 10, 10], filters: 8, kernelSize: 3, activation: 'relu' }),
      L.batchNormalization(),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 16, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}
/** The same network in PyTorch; the softmax is fused into the loss, so the net ends at the logits. */
const CNN_PY =
  'net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.BatchNorm2d(8), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 16), nn.ReLU(), nn.Linear(16, 10))';

interface CnnCase {
  name: string;
  optimizer: nt.optimizers.OptimizerSpec;
  /** torch.optim constructor over `net.parameters()`. */
  pyOptimizer: string;
  /** Train with fit (one epoch, no shuffling) instead of trainOnBatchSync. */
  fit?: boolean;
}

const CNN_CASES: CnnCase[] = [
  {
    name: 'SGD momentum 0.9, weight decay 5e-4',
    optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }),
    pyOptimizer: 'torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)',
  },
  {
    name: 'SGD Nesterov momentum 0.9',
    optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9, nesterov: true }),
    pyOptimizer: 'torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)',
  },
  { name: 'Adam lr 1e-3', optimizer: nt.optimizers.adam({ lr: 1e-3 }), pyOptimizer: 'torch.optim.Adam(net.parameters(), lr=1e-3)' },
  {
    name: 'Adam betas [0.8, 0.99], weight decay 1e-3, through fit (no shuffle)',
    optimizer: nt.optimizers.adam({ lr: 2e-3, betas: [0.8, 0.99], weightDecay: 1e-3 }),
    pyOptimizer: 'torch.optim.Adam(net.parameters(), lr=2e-3, betas=(0.8, 0.99), weight_decay=1e-3)',
    fit: true,
  },
];

describe('CNN (conv → batch norm → pool → dense → softmax) trained like PyTorch', () => {
  for (const c of CNN_CASES) {
    const result = check(`cnn ${c.name}`, async () => {
      const model = cnn();
      model.compile({ optimizer: c.optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const w = weightInputs(model);
      let losses: number[];
      if (c.fit) {
        const history = await model.fit(cnnX, cnnY, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
        losses = history.history.loss;
      } else {
        losses = [];
        for (let i = 0; i < STEPS; i++) losses.push(model.trainOnBatchSync(cnnX.narrow(0, i * BATCH, BATCH), cnnY.narrow(0, i * BATCH, BATCH)).loss);
      }
      const code = [
        CNN_PY,
        `load(net, ${w.names}, ${w.list})`,
        `opt = ${c.pyOptimizer}`,
        `losses = run(net, opt, F.cross_entropy, x, y, ${STEPS}, ${BATCH})`,
        `out = [losses, [net.state_dict()[n] for n in ${w.names}]]`,
      ].join('\n');
      return { js: { model, losses }, inputs: { ...w.inputs, x: cnnX, y: cnnY }, code };
    });

    it(`${c.name}: ${c.fit ? 'epoch loss (mean of the step losses)' : 'per-step losses'} and final weights (running statistics included)`, () => {
      const { js, ref } = result();
      const [losses, weights] = ref as [RefValue, RefValue[]];
      const perStep = (losses as { data: number[] }).data;
      if (c.fit) {
        const mean = perStep.reduce((a, b) => a + b, 0) / perStep.length;
        expect(js.losses.length).toBe(1);
        expect(Math.abs(js.losses[0] - mean)).toBeLessThanOrEqual(LOSS_RTOL * mean);
      } else {
        expectLossesClose(js.losses, losses);
      }
      expectWeightsClose(js.model, weights);
      expect(js.model.weightNames()).toContain('2.num_batches_tracked');
    });
  }
});

// ---- losses ---------------------------------------------------------------------------------

interface LossCase {
  name: string;
  units: number;
  activation?: nt.layers.ActivationName;
  loss: nt.losses.LossSpec | string;
  y: () => nt.Tensor;
  /** Python: the loss from `z` (the logits x·wᵀ + b) and `y`, as Keras/PyTorch define it. */
  py: string;
  classWeight?: Record<number, number>;
}

const EPS = '1e-7';
const oneHot = (n: number, classes: number): nt.Tensor => nt.tensor(Array.from({ length: n }, (_, i) => Array.from({ length: classes }, (_, c) => (c === (i * 7 + 3) % classes ? 1 : 0))));
const distributions = (n: number, classes: number): nt.Tensor => nt.randn([n, classes]).softmax(1);
const binary = (shape: number[]): nt.Tensor => nt.randint(2, shape).float();

const LOSS_CASES: LossCase[] = [
  { name: 'sparseCategoricalCrossentropy with softmax (fused)', units: 4, activation: 'softmax', loss: 'sparseCategoricalCrossentropy', y: () => nt.randint(4, [8]), py: 'F.cross_entropy(z, y)' },
  {
    name: 'sparseCategoricalCrossentropy labelSmoothing 0.1 (fused)',
    units: 4,
    activation: 'softmax',
    loss: nt.losses.sparseCategoricalCrossentropy({ labelSmoothing: 0.1 }),
    y: () => nt.randint(4, [8]),
    py: 'F.cross_entropy(z, y, label_smoothing=0.1)',
  },
  {
    name: 'sparseCategoricalCrossentropy with classWeight (Keras: mean of weighted sample losses)',
    units: 3,
    activation: 'softmax',
    loss: 'sparseCategoricalCrossentropy',
    y: () => nt.tensor([0, 1, 2, 2, 1, 0, 2, 2], { dtype: 'int64' }),
    classWeight: { 0: 0.5, 2: 3 },
    py: '(F.cross_entropy(z, y, reduction="none") * torch.tensor([0.5, 1.0, 3.0])[y]).mean()',
  },
  {
    name: 'sparseCategoricalCrossentropy fromLogits, labels [N, 1]',
    units: 5,
    loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
    y: () => nt.randint(5, [8, 1]),
    py: 'F.cross_entropy(z, y.reshape(-1))',
  },
  {
    name: 'sparseCategoricalCrossentropy on sigmoid probabilities (Keras: clip, log)',
    units: 4,
    activation: 'sigmoid',
    loss: 'sparseCategoricalCrossentropy',
    y: () => nt.randint(4, [8]),
    py: `-torch.sigmoid(z).clamp(${EPS}, 1 - ${EPS}).log().gather(1, y[:, None]).mean()`,
  },
  {
    name: 'categoricalCrossentropy with softmax (fused)',
    units: 4,
    activation: 'softmax',
    loss: 'categoricalCrossentropy',
    y: () => oneHot(8, 4),
    py: '-(y * z.log_softmax(1)).sum(1).mean()',
  },
  {
    name: 'categoricalCrossentropy labelSmoothing 0.2 (fused)',
    units: 4,
    activation: 'softmax',
    loss: nt.losses.categoricalCrossentropy({ labelSmoothing: 0.2 }),
    y: () => oneHot(8, 4),
    py: '-((y * 0.8 + 0.2 / 4) * z.log_softmax(1)).sum(1).mean()',
  },
  {
    name: 'categoricalCrossentropy fromLogits, soft targets',
    units: 3,
    loss: nt.losses.categoricalCrossentropy({ fromLogits: true }),
    y: () => distributions(8, 3),
    py: 'F.cross_entropy(z, y)',
  },
  {
    name: 'categoricalCrossentropy on sigmoid outputs (Keras: normalize, clip, log)',
    units: 4,
    activation: 'sigmoid',
    loss: 'categoricalCrossentropy',
    y: () => oneHot(8, 4),
    py: `p = torch.sigmoid(z)\nout = -(y * (p / p.sum(1, keepdim=True)).clamp(${EPS}, 1 - ${EPS}).log()).sum(1).mean()`,
  },
  {
    name: 'binaryCrossentropy with sigmoid (fused), multi-label',
    units: 3,
    activation: 'sigmoid',
    loss: 'binaryCrossentropy',
    y: () => binary([8, 3]),
    py: 'F.binary_cross_entropy_with_logits(z, y)',
  },
  {
    name: 'binaryCrossentropy fromLogits, labelSmoothing 0.1, labels [N]',
    units: 1,
    loss: nt.losses.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }),
    y: () => binary([8]),
    py: 'F.binary_cross_entropy_with_logits(z, (y * 0.9 + 0.05).reshape(-1, 1))',
  },
  {
    name: 'binaryCrossentropy on softmax probabilities (not fused: clip, log)',
    units: 3,
    activation: 'softmax',
    loss: 'binaryCrossentropy',
    y: () => binary([8, 3]),
    py: `p = z.softmax(1).clamp(${EPS}, 1 - ${EPS})\nout = -(y * p.log() + (1 - y) * (1 - p).log()).mean()`,
  },
  { name: 'meanSquaredError', units: 3, loss: 'mse', y: () => nt.randn([8, 3]), py: '((z - y) ** 2).mean()' },
  { name: 'meanAbsoluteError', units: 3, loss: 'meanAbsoluteError', y: () => nt.randn([8, 3]), py: '(z - y).abs().mean()' },
  {
    name: 'huber delta 0.5',
    units: 3,
    loss: nt.losses.huber({ delta: 0.5 }),
    y: () => nt.randn([8, 3]).mul(2),
    py: 'd = (z - y).abs()\nout = torch.where(d <= 0.5, 0.5 * d * d, 0.5 * (d - 0.25)).mean()',
  },
  {
    name: 'kld on softmax outputs (Keras: clip both to [1e-7, 1])',
    units: 4,
    activation: 'softmax',
    loss: 'kld',
    y: () => nt.cat([distributions(6, 4), oneHot(2, 4)]),
    py: `p = z.softmax(1).clamp(${EPS}, 1)\nt = y.clamp(${EPS}, 1)\nout = (t * (t / p).log()).sum(1).mean()`,
  },
];

describe('losses: one trainOnBatch step against the formula on the same outputs', () => {
  const lr = 0.5;
  for (const c of LOSS_CASES) {
    const result = check(`loss ${c.name}`, () => {
      const model = nt.sequential({ layers: [L.dense({ inputShape: [6], units: c.units, activation: c.activation })] });
      model.compile({ optimizer: nt.optimizers.sgd({ lr }), loss: c.loss });
      const [w, b] = model.getWeights();
      const x = nt.randn([8, 6]);
      const y = c.y();
      const loss = model.trainOnBatchSync(x, y, { classWeight: c.classWeight }).loss;
      const lines = c.py.split('\n');
      const body = lines.length === 1 ? `out = ${lines[0]}` : lines.join('\n');
      const code = [
        'w.requires_grad_(); b.requires_grad_()',
        'z = F.linear(x, w, b)',
        body,
        'out.backward()',
        `out = [out.item(), (w - ${lr} * w.grad).detach(), (b - ${lr} * b.grad).detach()]`,
      ].join('\n');
      return { js: { model, loss }, inputs: { x, y, w, b }, code };
    });
    it(c.name, () => {
      const { js, ref } = result();
      const [loss, w, b] = ref as [number, RefValue, RefValue];
      expect(Math.abs(js.loss - loss)).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(loss));
      const [jw, jb] = js.model.getWeights();
      expectTensorClose(jw, w, { rtol: 1e-5, atol: 1e-6 });
      expectTensorClose(jb, b, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it('rejects unknown losses and bad options', () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [2], units: 2 })] });
    expectThrows(() => model.compile({ optimizer: 'sgd', loss: 'hinge' }), RangeError, /^compile: loss must be one of sparseCategoricalCrossentropy, .*, got string 'hinge'$/);
    expectThrows(() => nt.losses.categoricalCrossentropy({ labelSmoothing: 1.5 }), RangeError, 'categoricalCrossentropy: labelSmoothing must be a number in [0, 1], got number 1.5');
    expectThrows(() => nt.losses.huber({ delta: 0 }), RangeError, 'huber: delta must be a finite number > 0, got number 0');
  });
});

// ---- metrics --------------------------------------------------------------------------------

describe('metrics from evaluate() equal hand-computed values on predict()', () => {
  const n = 30;
  const x = nt.randn([n, 6]);
  /** Trains a little so predictions are not uniform, then returns evaluate() and predict(). */
  async function evaluated(model: nt.Sequential, y: nt.Tensor): Promise<{ logs: nt.Logs; pred: number[][] }> {
    for (let i = 0; i < 3; i++) model.trainOnBatchSync(x, y);
    const logs = await model.evaluate(x, y, { batchSize: 7 });
    return { logs, pred: (await model.predict(x)).arraySync() as number[][] };
  }
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const argmax = (row: number[]): number => row.indexOf(Math.max(...row));
  const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(b));

  it('sparse: accuracy, top-2 accuracy and the loss', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [6], units: 5, activation: 'softmax' })] });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.5 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', nt.metrics.topKCategoricalAccuracy({ k: 2 })] });
    const y = nt.randint(5, [n]);
    const { logs, pred } = await evaluated(model, y);
    const labels = y.arraySync() as number[];
    const acc = mean(pred.map((p, i) => Number(argmax(p) === labels[i])));
    const top2 = mean(pred.map((p, i) => Number([...p].sort((a, b) => b - a).slice(0, 2).includes(p[labels[i]]))));
    expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss', 'top2Accuracy']);
    close(logs.accuracy, acc);
    close(logs.top2Accuracy, top2);
    expect(top2).toBeGreaterThan(acc);
    close(logs.loss, mean(pred.map((p, i) => -Math.log(p[labels[i]]))));
  });

  it('categorical: accuracy, mse and mae on the probabilities', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [6], units: 4, activation: 'softmax' })] });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.5 }), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse', 'mae'] });
    const y = oneHot(n, 4);
    const { logs, pred } = await evaluated(model, y);
    const t = y.arraySync() as number[][];
    close(logs.accuracy, mean(pred.map((p, i) => Number(argmax(p) === argmax(t[i])))));
    close(logs.mse, mean(pred.flatMap((p, i) => p.map((v, j) => (v - t[i][j]) ** 2))));
    close(logs.mae, mean(pred.flatMap((p, i) => p.map((v, j) => Math.abs(v - t[i][j])))));
  });

  /** Binary accuracy, precision and recall from predictions thresholded at `threshold`. */
  function binaryStats(pred: number[][], labels: number[], threshold: number): { accuracy: number; precision: number; recall: number } {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let correct = 0;
    pred.forEach(([p], i) => {
      const positive = p > threshold;
      const actual = labels[i] > 0.5;
      if (positive === actual) correct++;
      if (positive && actual) tp++;
      if (positive && !actual) fp++;
      if (!positive && actual) fn++;
    });
    // Keras reports 0 when nothing is predicted (or actually) positive.
    return { accuracy: correct / pred.length, precision: tp + fp > 0 ? tp / (tp + fp) : 0, recall: tp + fn > 0 ? tp / (tp + fn) : 0 };
  }

  it('binary (sigmoid): accuracy, precision, recall at 0.5, precision at 0.6', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [6], units: 1, activation: 'sigmoid' })] });
    model.compile({
      optimizer: nt.optimizers.sgd({ lr: 0.5 }),
      loss: 'binaryCrossentropy',
      metrics: ['accuracy', 'precision', 'recall', nt.metrics.precision({ threshold: 0.6, name: 'precision60' })],
    });
    model.setWeights([nt.randn([1, 6]).mul(1.5), nt.zeros([1])]);
    const y = binary([n, 1]);
    const { logs, pred } = await evaluated(model, y);
    const labels = (y.arraySync() as number[][]).map(([v]) => v);
    const at50 = binaryStats(pred, labels, 0.5);
    close(logs.accuracy, at50.accuracy);
    close(logs.precision, at50.precision);
    close(logs.recall, at50.recall);
    close(logs.precision60, binaryStats(pred, labels, 0.6).precision);
    expect(pred.filter(([p]) => p > 0.6).length).toBeGreaterThan(3);
  });

  it('binary fromLogits: thresholds move to 0', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [6], units: 1 })] });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.5 }), loss: nt.losses.binaryCrossentropy({ fromLogits: true }), metrics: ['accuracy', 'precision', 'recall'] });
    const y = binary([n, 1]);
    const { logs, pred } = await evaluated(model, y);
    const stats = binaryStats(pred, (y.arraySync() as number[][]).map(([v]) => v), 0);
    close(logs.accuracy, stats.accuracy);
    close(logs.precision, stats.precision);
    close(logs.recall, stats.recall);
  });

  it('regression: mse and mae metrics, and the trainOnBatch metrics use the outputs before the step', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [6], units: 2 })] });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.1 }), loss: 'mae', metrics: ['mse', 'mae'] });
    const y = nt.randn([n, 2]);
    const before = model.predictSync(x).arraySync() as number[][];
    const t = y.arraySync() as number[][];
    const step = model.trainOnBatchSync(x, y);
    const maeBefore = mean(before.flatMap((p, i) => p.map((v, j) => Math.abs(v - t[i][j]))));
    close(step.mae, maeBefore);
    close(step.loss, maeBefore);
    close(step.mse, mean(before.flatMap((p, i) => p.map((v, j) => (v - t[i][j]) ** 2))));
    const { logs, pred } = await evaluated(model, y);
    close(logs.mse, mean(pred.flatMap((p, i) => p.map((v, j) => (v - t[i][j]) ** 2))));
    close(logs.mae, mean(pred.flatMap((p, i) => p.map((v, j) => Math.abs(v - t[i][j])))));
    close(logs.loss, logs.mae);
  });

  it('rejects unknown metrics', () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [2], units: 2 })] });
    expectThrows(() => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['auc'] }), RangeError, /^compile: metrics must be 'accuracy', 'topK', .*, got string 'auc'$/);
    expectThrows(() => nt.metrics.topKCategoricalAccuracy({ k: 0 }), RangeError, 'topKCategoricalAccuracy: k must be a positive integer, got number 0');
  });
});

// ---- optimizers and clipping ---------------------------------------------------------------

const mlpX = nt.randn([24, 5]);
const mlpY = nt.randn([24, 3]);
function mlp(): nt.Sequential {
  return nt.sequential({ layers: [L.dense({ inputShape: [5], units: 8, activation: 'tanh' }), L.dense({ units: 3 })] });
}
const MLP_PY = 'net = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))';

interface OptCase {
  name: string;
  optimizer: nt.optimizers.OptimizerSpec;
  pyOptimizer: string;
  /** Python clip function applied to the parameter list before each step. */
  pyClip?: string;
  /** Scale of the targets (large targets make clipping active). */
  yScale?: number;
}

const OPT_CASES: OptCase[] = [
  {
    name: 'RMSprop (alpha 0.9, momentum 0.5, centered, weight decay)',
    optimizer: nt.optimizers.rmsprop({ lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.01 }),
    pyOptimizer: 'torch.optim.RMSprop(net.parameters(), lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)',
  },
  { name: 'RMSprop defaults', optimizer: nt.optimizers.rmsprop(), pyOptimizer: 'torch.optim.RMSprop(net.parameters(), lr=0.01)' },
  {
    name: 'Adagrad (lrDecay, initialAccumulatorValue, weight decay)',
    optimizer: nt.optimizers.adagrad({ lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.01 }),
    pyOptimizer: 'torch.optim.Adagrad(net.parameters(), lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)',
  },
  { name: 'AdamW defaults (weight decay 1e-2)', optimizer: nt.optimizers.adamW({ lr: 0.01 }), pyOptimizer: 'torch.optim.AdamW(net.parameters(), lr=0.01)' },
  {
    name: 'AdamW weight decay 0.1, AMSGrad',
    optimizer: nt.optimizers.adamW({ lr: 0.01, weightDecay: 0.1, amsgrad: true }),
    pyOptimizer: 'torch.optim.AdamW(net.parameters(), lr=0.01, weight_decay=0.1, amsgrad=True)',
  },
  {
    name: 'Adam eps 1e-6, AMSGrad',
    optimizer: nt.optimizers.adam({ lr: 0.01, eps: 1e-6, amsgrad: true }),
    pyOptimizer: 'torch.optim.Adam(net.parameters(), lr=0.01, eps=1e-6, amsgrad=True)',
  },
  {
    name: 'SGD dampening 0.3',
    optimizer: nt.optimizers.sgd({ lr: 0.05, momentum: 0.9, dampening: 0.3 }),
    pyOptimizer: 'torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, dampening=0.3)',
  },
  {
    name: 'clipNorm 1.0 (global gradient norm)',
    optimizer: nt.optimizers.sgd({ lr: 0.05, clipNorm: 1.0 }),
    pyOptimizer: 'torch.optim.SGD(net.parameters(), lr=0.05)',
    pyClip: 'lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1.0)',
    yScale: 50,
  },
  {
    name: 'clipValue 0.05',
    optimizer: nt.optimizers.adam({ lr: 0.01, clipValue: 0.05 }),
    pyOptimizer: 'torch.optim.Adam(net.parameters(), lr=0.01)',
    pyClip: 'lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.05)',
    yScale: 50,
  },
];

describe('optimizers and gradient clipping: steps equal torch.optim', () => {
  const steps = 3;
  const size = 8;
  for (const c of OPT_CASES) {
    const result = check(`optimizer ${c.name}`, () => {
      const model = mlp();
      model.compile({ optimizer: c.optimizer, loss: 'mse' });
      const w = weightInputs(model);
      const y = mlpY.mul(c.yScale ?? 1);
      const losses: number[] = [];
      for (let i = 0; i < steps; i++) losses.push(model.trainOnBatchSync(mlpX.narrow(0, i * size, size), y.narrow(0, i * size, size)).loss);
      const code = [
        MLP_PY,
        `load(net, ${w.names}, ${w.list})`,
        `opt = ${c.pyOptimizer}`,
        // The unclipped gradient norm of the first batch: shows that clipping was active.
        'F.mse_loss(net(x[:8]), y[:8]).backward()',
        'norm = torch.cat([p.grad.reshape(-1) for p in net.parameters()]).norm().item()',
        'maxAbs = max(p.grad.abs().max().item() for p in net.parameters())',
        `losses = run(net, opt, F.mse_loss, x, y, ${steps}, ${size}, ${c.pyClip ?? 'None'})`,
        `out = [losses, [net.state_dict()[n] for n in ${w.names}], norm, maxAbs]`,
      ].join('\n');
      return { js: { model, losses }, inputs: { ...w.inputs, x: mlpX, y }, code };
    });
    it(c.name, () => {
      const { js, ref } = result();
      const [losses, weights, norm, maxAbs] = ref as [RefValue, RefValue[], number, number];
      expectLossesClose(js.losses, losses);
      expectWeightsClose(js.model, weights);
      if (c.optimizer.clipNorm !== undefined) expect(norm).toBeGreaterThan(10 * c.optimizer.clipNorm);
      if (c.optimizer.clipValue !== undefined) expect(maxAbs).toBeGreaterThan(10 * c.optimizer.clipValue);
    });
  }

  it('rejects bad optimizer options', () => {
    expectThrows(() => nt.optimizers.sgd({ lr: 0.1, clipNorm: 0 }), RangeError, 'sgd: clipNorm must be a finite number > 0, got number 0');
    expectThrows(() => nt.optimizers.adam({ lr: '0.1' as unknown as number }), TypeError, "adam: lr must be a number, got string '0.1'");
    const model = nt.sequential({ layers: [L.dense({ inputShape: [2], units: 2 })] });
    expectThrows(() => model.compile({ optimizer: 'lbfgs', loss: 'mse' }), RangeError, /^compile: optimizer must be an optimizer name \(sgd, adam, adamW, adamw, rmsprop, adagrad\) or nt\.optimizers\.\*\(\), got string 'lbfgs'$/);
  });
});

// ---- learning-rate schedules ---------------------------------------------------------------

interface ScheduleCase {
  name: string;
  schedule: nt.schedulers.LrSchedulerSpec;
  /** Base lr of the optimizer. */
  lr: number;
  epochs: number;
  /** Python: `sched` over `opt` (torch.optim.lr_scheduler). */
  py: string;
  /** Scheduler steps taken before the lr of epoch e is read (default: e, one step per epoch). */
  stepsBefore?: (epoch: number) => number;
}

const SCHED_BATCHES = 4;
const SCHEDULE_CASES: ScheduleCase[] = [
  { name: 'stepLR', schedule: nt.schedulers.stepLR({ stepSize: 2, gamma: 0.5 }), lr: 0.1, epochs: 7, py: 'sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)' },
  {
    name: 'multiStepLR',
    schedule: nt.schedulers.multiStepLR({ milestones: [2, 5], gamma: 0.3 }),
    lr: 0.2,
    epochs: 7,
    py: 'sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.3)',
  },
  { name: 'exponentialLR', schedule: nt.schedulers.exponentialLR({ gamma: 0.8 }), lr: 0.1, epochs: 6, py: 'sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)' },
  {
    name: 'cosineAnnealing',
    schedule: nt.schedulers.cosineAnnealing({ tMax: 5, etaMin: 0.01 }),
    lr: 0.1,
    epochs: 6,
    py: 'sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)',
  },
  {
    name: 'cosineAnnealing with 3 warmup epochs (LinearLR then CosineAnnealingLR)',
    schedule: nt.schedulers.cosineAnnealing({ tMax: 4, etaMin: 0.001, warmupSteps: 3 }),
    lr: 0.1,
    epochs: 8,
    py: [
      'warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / 3, end_factor=1.0, total_iters=2)',
      'cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.001)',
      'sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[3])',
    ].join('\n'),
  },
  {
    name: 'stepLR per batch',
    schedule: nt.schedulers.stepLR({ stepSize: 3, gamma: 0.5, interval: 'batch' }),
    lr: 0.1,
    epochs: 4,
    py: 'sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)',
    stepsBefore: (e) => (e + 1) * SCHED_BATCHES - 1,
  },
  {
    name: 'oneCycle per batch (totalSteps = batches × epochs)',
    schedule: nt.schedulers.oneCycle({ maxLr: 0.5 }),
    lr: 0.1,
    epochs: 5,
    py: `sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=${5 * SCHED_BATCHES}, cycle_momentum=False)`,
    stepsBefore: (e) => (e + 1) * SCHED_BATCHES - 1,
  },
  {
    name: 'oneCycle per epoch (pctStart 0.4, divFactor 10, finalDivFactor 100)',
    schedule: nt.schedulers.oneCycle({ maxLr: 0.3, pctStart: 0.4, divFactor: 10, finalDivFactor: 100, interval: 'epoch' }),
    lr: 0.1,
    epochs: 6,
    py: 'sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=6, pct_start=0.4, div_factor=10, final_div_factor=100, cycle_momentum=False)',
  },
];

describe('learning-rate schedules: history lr equals torch.optim.lr_scheduler', () => {
  const x = nt.randn([SCHED_BATCHES * 5, 3]);
  const y = nt.randn([SCHED_BATCHES * 5, 1]);
  for (const c of SCHEDULE_CASES) {
    const result = check(`schedule ${c.name}`, async () => {
      const model = nt.sequential({ layers: [L.dense({ inputShape: [3], units: 1 })] });
      model.compile({ optimizer: nt.optimizers.sgd({ lr: c.lr }), loss: 'mse', lrScheduler: c.schedule });
      const history = await model.fit(x, y, { epochs: c.epochs, batchSize: 5, verbose: 0 });
      const reads = Array.from({ length: c.epochs }, (_, e) => (c.stepsBefore ?? ((i: number) => i))(e));
      const code = [
        'import warnings; warnings.simplefilter("ignore")',
        `opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=${c.lr})`,
        c.py,
        'lrs = []',
        `for step in range(${Math.max(...reads) + 1}):`,
        '    if step:',
        '        opt.step()',
        '        sched.step()',
        '    lrs.append(opt.param_groups[0]["lr"])',
        `out = [lrs[i] for i in ${JSON.stringify(reads)}]`,
      ].join('\n');
      return { js: history.history.lr, inputs: {}, code };
    });
    it(c.name, () => {
      const { js, ref } = result();
      const want = ref as number[];
      expect(js.length).toBe(c.epochs);
      js.forEach((lr, e) => {
        if (!(Math.abs(lr - want[e]) <= 1e-9 * want[e])) expect.fail(`epoch ${e}: lr ${lr}, PyTorch ${want[e]}`);
      });
    });
  }

  it('cosineAnnealing stays at etaMin after tMax (Keras CosineDecay; PyTorch would rise again)', async () => {
    const model = nt.sequential({ layers: [L.dense({ inputShape: [3], units: 1 })] });
    model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.1 }), loss: 'mse' });
    const history = await model.fit(x, y, { epochs: 6, batchSize: 20, verbose: 0, lrScheduler: nt.schedulers.cosineAnnealing({ tMax: 2, etaMin: 0.02 }) });
    const expected = [0.1, 0.06, 0.02, 0.02, 0.02, 0.02];
    history.history.lr.forEach((lr, e) => expect(lr).toBeCloseTo(expected[e], 12));
  });

  it('rejects bad schedule options', () => {
    expectThrows(() => nt.schedulers.stepLR({ stepSize: 1.5 }), TypeError, 'stepLR: stepSize must be an integer, got number 1.5');
    expectThrows(() => nt.schedulers.exponentialLR({ gamma: 0.9, interval: 'step' as 'batch' }), RangeError, "exponentialLR: interval must be one of 'epoch', 'batch', got string 'step'");
    expectThrows(() => nt.schedulers.multiStepLR({ milestones: [1.5] }), RangeError, 'multiStepLR: milestones must be an increasing array of non-negative integers, got array of length 1');
  });
});
