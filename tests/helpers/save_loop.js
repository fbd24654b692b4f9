// save_loop.js — the writer io.test.ts kills with SIGKILL: saves one 8 MB model into a directory
// over and over, every weight filled with the iteration number k (k = start, start + 1, ...),
// printing "ready" once built and then each k whose save completed. Loads the compiled dist/.
'use strict';
const nt = require('../../dist');

const [dir, start] = process.argv.slice(2);

async function main() {
  const model = nt.sequential({
    layers: [nt.layers.dense({ units: 1024, inputShape: [1024] }), nt.layers.dense({ units: 1024 }), nt.layers.batchNormalization()],
  });
  model.build();
  const templates = model.getWeights();
  process.stdout.write('ready\n');
  for (let k = Number(start); ; k++) {
    const weights = templates.map((w) => nt.full(w.shape, k, { dtype: w.dtype }));
    model.setWeights(weights);
    for (const w of weights) w.dispose();
    await model.save(dir);
    process.stdout.write(`${k}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
