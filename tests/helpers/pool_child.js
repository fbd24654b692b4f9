// pool_child.js — run by tests/threads.test.ts with UV_THREADPOOL_SIZE=1 (one libuv pool thread).
// mode 'fit': starts a fit of a few seconds and, meanwhile, work that needs the pool (fs, crypto);
// prints when each ended. mode 'folder': fit and evaluate on an image-folder dataset (decoded by
// sharp, which runs on the pool) given as argv[3]: two fits and an evaluate at once; prints the logs.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const nt = require('../../dist');

function model(inputShape) {
  const m = nt.sequential({ layers: [nt.layers.flatten({ inputShape }), nt.layers.dense({ units: 64, activation: 'relu' }), nt.layers.dense({ units: 2 })] });
  m.compile({ optimizer: 'adam', loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  return m;
}

async function main() {
  const mode = process.argv[2];
  if (mode === 'fit') {
    nt.setNumThreads(1);
    const m = model([256]);
    const x = nt.randn([4096, 256]);
    const y = nt.randint(0, 2, [4096]);
    const started = Date.now();
    const fit = m.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 }).then(() => Date.now() - started);
    await fs.promises.readFile(__filename);
    await new Promise((resolve, reject) => crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256', (err) => (err ? reject(err) : resolve())));
    const poolMs = Date.now() - started;
    console.log(JSON.stringify({ poolMs, fitMs: await fit }));
  } else {
    const folder = await nt.data.imageFolder({ dir: process.argv[3], size: [8, 8], channels: 1, cacheSize: 0 });
    const ds = folder.map(nt.data.transforms.toFloat({ scale: 1 / 255 }));
    const a = model([1, 8, 8]);
    const b = model([1, 8, 8]);
    const [ha, hb, evaluation] = await Promise.all([
      a.fit(ds, { epochs: 2, batchSize: 4, verbose: 0 }),
      b.fit(ds, { epochs: 2, batchSize: 4, verbose: 0 }),
      a.evaluate(ds, { batchSize: 4 }),
    ]);
    console.log(JSON.stringify({ epochs: [ha.history.loss.length, hb.history.loss.length], loss: evaluation.loss }));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
