// soak.js — `npm run soak -- --minutes N`: a long run in one process that loops over the library's
// main paths and watches for leaks. Each round: a short fit with callbacks while predict and
// evaluate run on the same model, save → loadModel → compare, TorchScript export → jit.load →
// forward → compare, a dataset iterated with prefetch, tensor ops with and without tidy, and a
// worker_thread that trains and is terminated mid-fit. Between rounds (nothing in flight, after a
// full GC) it samples RSS, the V8 heap, nt.memory(), open file descriptors and threads, about
// every 10 s, and prints them as a table and a verdict: after the first minute, RSS grows < 5 %
// and live tensors, descriptors and threads do not grow at all. Exit status 1 on a failed verdict.
// Needs the built addon and dist/ (npm run build); run with node --expose-gc (npm run soak does).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const nt = require('../dist');

const args = process.argv.slice(2);
const minutesAt = args.indexOf('--minutes');
const minutes = minutesAt >= 0 ? Number(args[minutesAt + 1]) : 2;
if (!(minutes > 0) || args.some((a, i) => a.startsWith('--') && a !== '--minutes') || (minutesAt >= 0 && args.length !== 2)) {
  console.error('usage: npm run soak -- --minutes N   (N > 0; default 2)');
  process.exit(2);
}
if (typeof global.gc !== 'function') {
  console.error('soak: run with node --expose-gc (npm run soak does)');
  process.exit(2);
}

const SAMPLE_MS = 10_000;
const WARMUP_MS = 60_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-soak-'));

/**
 * One sample. Objects freed by the GC (a Dataset holds its tensors until then) release their
 * native side in finalizers that run after the collection, so: collect, let them run, collect.
 */
async function sample(elapsedMs, rounds) {
  for (let i = 0; i < 2; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return {
    t: Math.round(elapsedMs / 1000),
    rounds,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    tensors: nt.memory().numTensors,
    fds: fs.readdirSync('/proc/self/fd').length,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)[1]),
  };
}

// ---- the model and data every round uses --------------------------------------------------
nt.manualSeed(0);
const x = nt.rand([256, 1, 12, 12]);
const y = nt.randint(0, 10, [256]);
function makeModel() {
  const m = nt.sequential({
    layers: [
      nt.layers.conv2d({ inputShape: [1, 12, 12], filters: 8, kernelSize: 3, activation: 'relu' }),
      nt.layers.batchNormalization(),
      nt.layers.maxPooling2d({ poolSize: 2 }),
      nt.layers.flatten(),
      nt.layers.dropout({ rate: 0.2 }),
      nt.layers.dense({ units: 10 }),
    ],
  });
  m.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  return m;
}
const model = makeModel();
const csvFile = path.join(dir, 'history.csv');

function maxAbsDiff(a, b) {
  return nt.tidy(() => a.sub(b).abs().max().item());
}

const WORKER_SOURCE = `
  const { parentPort } = require('node:worker_threads');
  const nt = require(${JSON.stringify(path.join(__dirname, '..', 'dist'))});
  const m = nt.sequential({ layers: [nt.layers.dense({ inputShape: [16], units: 8, activation: 'relu' }), nt.layers.dense({ units: 2 })] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = nt.randn([1024, 16]);
  const y = nt.randn([1024, 2]);
  m.fit(x, y, { epochs: 1000, batchSize: 16, verbose: 0, callbacks: [{ onBatchEnd: (b) => { if (b === 2) parentPort.postMessage('training'); } }] });
`;

async function workerMidFit() {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 200)));
  await worker.terminate();
}

async function round(k) {
  // fit with callbacks, predict and evaluate on the same model meanwhile
  const snapshot = nt.callbacks.modelCheckpoint();
  const [history] = await Promise.all([
    model.fit(x, y, {
      epochs: 2,
      batchSize: 32,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [nt.callbacks.earlyStopping({ monitor: 'val_loss', patience: 3 }), snapshot, nt.callbacks.csvLogger({ filename: csvFile }), nt.callbacks.reduceLROnPlateau({ patience: 5 })],
    }),
    model.predict(x, { batchSize: 64 }).then((p) => p.dispose()),
    model.evaluate(x, y, { batchSize: 64 }),
  ]);
  if (!(history.history.loss.length >= 1)) throw new Error('soak: fit recorded no epoch');
  snapshot.weights?.forEach((t) => t.dispose());

  // save → load → compare
  const saved = path.join(dir, 'model');
  await model.save(saved);
  const loaded = await nt.loadModel(saved);
  const [a, b] = [model.predictSync(x), loaded.predictSync(x)];
  if (maxAbsDiff(a, b) !== 0) throw new Error('soak: the loaded model predicts differently');
  a.dispose();
  b.dispose();
  loaded.dispose();

  // TorchScript export → jit.load → forward
  const scripted = path.join(dir, 'model.pt');
  await model.exportTorchScript(scripted);
  const module = await nt.jit.load(scripted);
  const [c, d] = [model.predictSync(x), module.forward(x)];
  if (!(maxAbsDiff(c, await d) < 1e-5)) throw new Error('soak: the TorchScript module computes differently');
  c.dispose();
  (await d).dispose();
  module.dispose();

  // a dataset with prefetch, iterated from JS
  const ds = nt.data.fromTensors(x, y, { transforms: [nt.data.transforms.randomHorizontalFlip(), nt.data.transforms.normalize({ mean: 0.5, std: 0.25 })], seed: k });
  let seen = 0;
  for await (const batch of ds.batches({ batchSize: 64, prefetch: 2, epoch: k })) {
    seen += batch.x.shape[0];
    batch.inputs.forEach((t) => t.dispose());
    batch.labels.forEach((t) => t.dispose());
  }
  if (seen !== 256) throw new Error(`soak: the dataset gave ${seen} samples`);

  // tensor ops without and with tidy
  const m1 = nt.randn([64, 64]);
  const m2 = m1.matmul(m1.t());
  const s = m2.softmax(-1).sum();
  s.item();
  for (const t of [m1, m2, s]) t.dispose();
  nt.tidy(() => nt.randn([64, 64]).relu().matmul(nt.randn([64, 32])).mean().item());

  // a worker that trains and is terminated mid-fit
  await workerMidFit();
}

async function main() {
  console.log(`soak: ${minutes} min, a sample about every ${SAMPLE_MS / 1000} s (between rounds, after a full GC)`);
  const start = Date.now();
  const samples = [await sample(0, 0)];
  let rounds = 0;
  while (Date.now() - start < minutes * 60_000) {
    await round(rounds);
    rounds += 1;
    const now = Date.now() - start;
    if (now - samples[samples.length - 1].t * 1000 >= SAMPLE_MS) {
      samples.push(await sample(now, rounds));
      const s = samples[samples.length - 1];
      process.stdout.write(`  t=${s.t}s rounds=${s.rounds} rss=${s.rssMiB.toFixed(1)} MiB tensors=${s.tensors} fds=${s.fds} threads=${s.threads}\n`);
    }
  }
  samples.push(await sample(Date.now() - start, rounds));
  fs.rmSync(dir, { recursive: true, force: true });
  model.dispose();

  const header = '| t (s) | rounds | RSS (MiB) | V8 heap (MiB) | live tensors | open fds | threads |';
  const rows = samples.map((s) => `| ${s.t} | ${s.rounds} | ${s.rssMiB.toFixed(1)} | ${s.heapMiB.toFixed(1)} | ${s.tensors} | ${s.fds} | ${s.threads} |`);
  console.log(['', header, '|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n'));

  const base = samples.find((s) => s.t * 1000 >= WARMUP_MS) ?? samples[samples.length - 1];
  const last = samples[samples.length - 1];
  const after = samples.filter((s) => s.t >= base.t);
  const growth = last.rssMiB / base.rssMiB - 1;
  const checks = [
    [`RSS growth after the first minute ${(growth * 100).toFixed(2)} % (${base.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB) < 5 %`, growth < 0.05],
    [`live tensors ${base.tensors} → ${last.tensors} (max ${Math.max(...after.map((s) => s.tensors))})`, last.tensors <= base.tensors],
    [`open fds ${base.fds} → ${last.fds} (max ${Math.max(...after.map((s) => s.fds))})`, last.fds <= base.fds],
    [`threads ${base.threads} → ${last.threads} (max ${Math.max(...after.map((s) => s.threads))})`, last.threads <= base.threads],
  ];
  console.log(`\n${rounds} rounds in ${last.t} s; baseline: the sample at t=${base.t} s`);
  for (const [text, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
  const pass = checks.every(([, ok]) => ok);
  console.log(`verdict: ${pass ? 'flat' : 'GROWTH'}`);
  process.exitCode = pass ? 0 : 1;
}

main().catch((err) => {
  console.error(err.stack);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
