// worker_ops.js — body of the worker_threads in workers.test.ts: loads nodetorch (the compiled
// dist/), runs worker_compute.js for workerData.k, and posts the results with this thread's
// memory() counts and how an out-of-memory error looks there. With workerData.spin it keeps
// computing until terminated; with workerData.predicting it keeps 32 predictions queued on a
// model's thread until terminated.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const nt = require('../../dist');
const { compute } = require('./worker_compute');

const { k, spin, predicting } = workerData;

if (spin) {
  parentPort.postMessage({ started: true });
  for (;;) nt.tidy(() => compute(nt, k));
}

if (predicting) {
  const model = nt.sequential({ layers: [nt.layers.conv2d({ inputShape: [3, 32, 32], filters: 16, kernelSize: 3 }), nt.layers.flatten(), nt.layers.dense({ units: 10 })] });
  const x = nt.randn([16, 3, 32, 32]);
  const again = () => model.predict(x).then((y) => (y.dispose(), again()));
  for (let i = 0; i < 32; i++) again();
  parentPort.postMessage({ started: true });
  return;
}

const startCount = nt.memory().numTensors;
const result = nt.tidy(() => compute(nt, k));
const afterTidy = nt.memory().numTensors;
const held = Array.from({ length: 10 + k }, () => nt.zeros([4]));
const whileHolding = nt.memory();
held.forEach((t) => t.dispose());

let oom;
try {
  nt.empty([1e9, 1e9]);
} catch (err) {
  oom = { name: err.name, isClass: err instanceof nt.OutOfMemoryError, message: err.message };
}

parentPort.postMessage({ k, result, startCount, afterTidy, whileHolding, end: nt.memory(), oom, threadCount: nt.getNumThreads() });
