// warnings_child.js — run by warnings.test.ts in its own process (node --no-warnings <this> <fixture.pt>):
// raises libtorch warnings on a libuv worker thread (an async TorchScript forward), on the main
// thread and on a worker_thread, and prints as JSON what reached each thread's 'warning' listeners.
'use strict';
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const nt = require('../../dist');

const torchWarnings = [];
process.on('warning', (w) => {
  if (w.name === 'TorchWarning') torchWarnings.push(w.message);
});

/** Resolves once `n` TorchWarnings have arrived; rejects after 20 s. */
async function received(n) {
  const deadline = Date.now() + 20_000;
  while (torchWarnings.length < n) {
    if (Date.now() > deadline) throw new Error(`waited for ${n} TorchWarnings, got ${JSON.stringify(torchWarnings)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Two libtorch warnings raised on every call (not TORCH_WARN_ONCE), and the fixture raises the
// first: libtorch 1.13 warns on uint8 masks, which 2.x refuses; 2.x warns on std/var over a single
// element, which 1.13 does not.
const LIBTORCH2 = Number(nt.info().libtorchVersion.split('.')[0]) >= 2;
const x = nt.tensor([1, -2, 3]);
const uint8Mask = x.gt(0).to('uint8');
const first = LIBTORCH2 ? () => nt.std(x.narrow(0, 0, 1)) : () => nt.maskedSelect(x, uint8Mask);
const second = LIBTORCH2 ? () => nt.var(x.narrow(0, 0, 1)) : () => nt.maskedFill(x, uint8Mask, 0);

async function onWorkerThread() {
  second();
  await received(1);
  parentPort.postMessage(torchWarnings);
}

async function onMainThread(fixture) {
  const m = await nt.jit.load(fixture);
  await m.forward(x); // the first warning, raised on a libuv worker thread
  await received(1);
  first(); // the same warning from the same libtorch line: not delivered again
  second();
  await received(2);
  const workerThread = await new Promise((resolve, reject) => {
    const w = new Worker(__filename);
    w.on('message', resolve);
    w.on('error', reject);
  });
  // A warning misrouted from the worker_thread would be queued before this one (the queue is FIFO).
  const leaf = nt.tensor([1, 2], { requiresGrad: true });
  leaf.mul(leaf).sum().backward(undefined, { createGraph: true });
  await received(3);
  console.log(JSON.stringify({ main: torchWarnings, workerThread }));
}

(isMainThread ? onMainThread(process.argv[2]) : onWorkerThread()).catch((err) => {
  console.log(JSON.stringify({ error: String(err && err.stack) }));
  process.exitCode = 1;
});
