// ownership_child.js — run by tests/ownership.test.ts in a child process with a kill timer, so a
// hang fails one test: each mode is a case of issue 15 (a model used from the JS thread while its
// own native work runs) and prints one JSON line with what happened. Mode 'random <seed> <ops>'
// interleaves random operations on one model from the main thread and from fit's callbacks and
// JS loss, and reports every error and every inconsistent snapshot.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nt = require('../../dist');

const outcome = (fn) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return `${err.constructor.name}: ${err.message}`;
  }
};
const settle = (p) => p.then(() => 'ok', (err) => `${err.constructor.name}: ${err.message}`);
const mse = (p, t) => p.sub(t).square().mean();
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nt-own-'));

// A Dense layer whose kernel entries stay equal to each other whatever trains it (zero init, all-ones
// inputs, every output trained toward the same target): a snapshot mixing two steps shows unequal entries.
function uniformModel(units, loss) {
  const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [units], units, useBias: false, kernelInitializer: 'zeros' })] });
  m.compile({ optimizer: nt.optimizers.sgd({ lr: 0.01 }), loss });
  return m;
}
const spread = (t) => t.max().item() - t.min().item();
// Outputs of the uniform model: every row's entries are equal (rows may differ between batches).
const rowSpread = (p) => spread(p.sub(p.narrow(1, 0, 1)));
// Uniform up to rounding: the vectorized update of libtorch may round a few entries one ulp apart,
// while a snapshot mixing two steps differs by a whole step (>= 1e-5 here).
const tolerance = (t) => 1e-6 * Math.max(1, t.abs().max().item());
const uniform = (t) => spread(t) <= tolerance(t);
const uniformRows = (t) => rowSpread(t) <= tolerance(t);

const modes = {
  // 1: a JS loss + a callback reading the weights mid-fit; the sync step's JS loss reading its model.
  async lossAndCallback() {
    const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [8], units: 4 })] });
    m.compile({ optimizer: 'sgd', loss: mse });
    const reads = [];
    await m.fit(nt.randn([512, 8]), nt.randn([512, 4]), {
      epochs: 2, batchSize: 8, verbose: 0,
      callbacks: [{ onBatchEnd: (b) => { if (b % 8 === 3) reads.push(outcome(() => m.getWeights())); }, onEpochEnd: () => reads.push(outcome(() => m.getWeights())) }],
    });
    return { reads };
  },
  async asyncStepThenPredictSync() {
    const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [8], units: 4 })] });
    m.compile({ optimizer: 'sgd', loss: mse });
    const step = settle(m.trainOnBatch(nt.randn([512, 8]), nt.randn([512, 4])));
    const predictions = [];
    for (let i = 0; i < 50; i++) {
      predictions.push(outcome(() => m.predictSync(nt.randn([2, 8]))));
      await new Promise((r) => setImmediate(r));
    }
    return { step: await step, predictions };
  },
  async readInsideSyncLoss() {
    const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [8], units: 4 })] });
    let inside = {};
    m.compile({
      optimizer: 'sgd',
      loss: (p, t) => {
        inside = {
          countParams: outcome(() => { if (m.countParams() !== 36) throw new Error('wrong count'); }),
          getWeights: outcome(() => m.getWeights()),
          predictSync: outcome(() => m.predictSync(nt.ones([1, 8]))),
          setWeights: outcome(() => m.setWeights(m.getWeights())),
          compile: outcome(() => m.compile({ optimizer: 'sgd', loss: mse })),
        };
        return mse(p, t);
      },
    });
    const logs = m.trainOnBatchSync(nt.randn([16, 8]), nt.randn([16, 4]));
    return { inside, loss: typeof logs.loss };
  },
  // 2: compile while an async evaluate runs (it used to replace the metrics under it: SIGSEGV).
  async compileDuringEvaluate() {
    const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [8], units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const evaluation = m.evaluate(nt.randn([20000, 8]), nt.randn([20000, 1]), { batchSize: 1 });
    await new Promise((r) => setTimeout(r, 50));
    const compile = outcome(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'mse'] }));
    const to = outcome(() => m.to('cpu'));
    const logs = await evaluation;
    const after = outcome(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] }));
    return { compile, to, after, evaluated: Object.keys(logs) };
  },
  // 3: snapshots taken while fit trains are never torn.
  async snapshots() {
    const m = uniformModel(300, 'mae');
    const x = nt.ones([64, 300]);
    const y = nt.ones([64, 300]).mul(100);
    const seen = { ok: 0, busy: 0, torn: 0, other: [] };
    const take = () => {
      try {
        if (!uniform(m.getWeights()[0])) seen.torn++;
        else seen.ok++;
      } catch (err) {
        if (/^getWeights: the model is busy: fit\(\) is updating it; call it from an epoch callback/.test(err.message)) seen.busy++;
        else seen.other.push(err.message);
      }
    };
    const dir = tmpDir();
    const saves = [];
    const fit = m.fit(x, y, { epochs: 6, batchSize: 4, verbose: 0, callbacks: [{ onBatchEnd: take, onEpochEnd: take }] });
    const timer = setInterval(() => {
      take();
      if (saves.length < 5) saves.push(m.saveWeights(path.join(dir, `w${saves.length}.safetensors`)));
    }, 1);
    await fit;
    clearInterval(timer);
    await Promise.all(saves);
    const savedUniform = saves.map((_, i) => uniform(Object.values(nt.io.loadSafetensorsSync(path.join(dir, `w${i}.safetensors`)).tensors)[0]));
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...seen, savedUniform };
  },
  // 4: fit({ resumeFrom }) while another fit runs must not load into the running model.
  async resumeDuringFit() {
    const dir = tmpDir();
    const build = () => {
      const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 1, kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
      m.compile({ optimizer: nt.optimizers.sgd({ lr: 0.01 }), loss: 'mse' });
      return m;
    };
    const x = nt.ones([256, 4]);
    const y = nt.ones([256, 1]).mul(3);
    const other = build();
    other.setWeights(other.getWeights().map((w) => w.mul(0).add(100)));
    await other.saveCheckpoint(dir);
    const reference = build();
    await reference.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const m = build();
    const running = m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const second = await settle(m.fit(x, y, { resumeFrom: dir, epochs: 3, verbose: 0 }));
    await running;
    const expected = reference.getWeights();
    const same = m.getWeights().every((w, i) => w.sub(expected[i]).abs().max().item() === 0);
    fs.rmSync(dir, { recursive: true, force: true });
    return { second, same };
  },
};

// ---- randomized interleaving ------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function random(seed, total) {
  const rand = mulberry32(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const units = 16;
  const jsLoss = (p, t) => {
    if (rand() < 0.3) maybeRun('loss');
    return p.sub(t).abs().mean();
  };
  const m = uniformModel(units, jsLoss);
  const x = nt.ones([32, units]);
  const y = nt.ones([32, units]).mul(1000); // far: the predictions never cross it (all outputs keep one gradient sign)
  const dir = tmpDir();
  const report = { ops: 0, ok: 0, refused: {}, problems: [] };
  const pending = [];
  let disposed = false;
  // Every error must be an Error naming the call and why; every snapshot must be uniform.
  const expectedError = (op, err) =>
    err instanceof Error &&
    (err.message.startsWith(`${op}: `) || err.message.startsWith(`${op.replace(/Sync$/, '')}: `)) &&
    /(is busy|being trained by|was disposed|already being trained)/.test(err.message);
  const record = (op, err) => {
    if (err === undefined) {
      report.ok++;
      return;
    }
    if (!expectedError(op, err)) report.problems.push(`${op}: unexpected ${err && err.constructor.name}: ${err && err.message}`);
    else report.refused[op] = (report.refused[op] ?? 0) + 1;
  };
  const checkUniform = (op, tensors, rows = false) => {
    for (const t of [].concat(tensors)) {
      if (!(rows ? uniformRows(t) : uniform(t))) report.problems.push(`${op}: inconsistent result (spread ${rows ? rowSpread(t) : spread(t)})`);
    }
  };
  const ops = {
    fit: () => m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [{ onBatchEnd: () => maybeRun('onBatchEnd'), onEpochEnd: () => maybeRun('onEpochEnd') }] }).then(() => undefined),
    evaluate: () => m.evaluate(x, y, { batchSize: 8 }).then(() => undefined),
    predict: () => m.predict(x, { batchSize: 8 }).then((p) => checkUniform('predict', p, true)),
    predictSync: () => checkUniform('predictSync', m.predictSync(x), true),
    trainOnBatch: () => m.trainOnBatch(x, y).then(() => undefined),
    getWeights: () => checkUniform('getWeights', m.getWeights()),
    setWeights: () => m.setWeights([nt.full([units, units], rand())]),
    save: () => m.save(path.join(dir, 'model')),
    loadWeights: () => {
      const file = path.join(dir, `w${report.ops}.safetensors`);
      return m.saveWeights(file).then(() => m.loadWeights(file)).then(() => undefined);
    },
    saveCheckpoint: () => m.saveCheckpoint(path.join(dir, 'ckpt')),
    compile: () => m.compile({ optimizer: pick([nt.optimizers.sgd({ lr: 0.01 }), nt.optimizers.adam({ lr: 0.01 })]), loss: jsLoss }),
    to: () => m.to('cpu'),
    setLearningRate: () => m.setLearningRate(rand() * 0.01),
  };
  const names = Object.keys(ops);
  function run(op) {
    if (report.ops >= total) return;
    report.ops++;
    try {
      const result = ops[op]();
      if (result !== undefined && typeof result.then === 'function') pending.push(result.then(() => record(op), (err) => record(op, err)));
      else record(op);
    } catch (err) {
      record(op, err);
    }
  }
  function maybeRun(where) {
    if (disposed) return;
    const op = pick(names.filter((n) => n !== 'fit' || where !== 'loss'));
    run(op);
  }
  while (report.ops < total) {
    run(pick(names));
    if (rand() < 0.3) await Promise.all(pending.splice(0));
    else if (rand() < 0.5) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending.splice(0));
  while (pending.length > 0) await Promise.all(pending.splice(0));
  disposed = true;
  const weights = m.getWeights();
  checkUniform('final getWeights', weights);
  m.dispose();
  const afterDispose = outcome(() => m.predictSync(x));
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...report, afterDispose };
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const result = mode === 'random' ? await random(Number(args[0]), Number(args[1])) : await modes[mode]();
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.log(JSON.stringify({ crashed: `${err.constructor.name}: ${err.message}` }));
  process.exitCode = 1;
});
