// dist_worker.js — one rank of the tests in tests/distributed.test.ts, started by `nodetorch launch`
// or directly with torchrun's environment. Modes (argv[2]):
//   collectives  every collective; prints RESULT {...} with the values this rank saw
//   steps OPT    20 trainOnBatch steps (OPT 'sgd' or 'adam'), this rank taking its half of each
//                batch of 64; prints RESULT with the final weights
//   syncbn       5 trainOnBatch steps of a model with BatchNorm, each rank on its half of every
//                batch, wrapped plainly and with syncBatchNorm; prints RESULT with losses, weights, predictions
//   pyddp        the steps of 'steps sgd' with a Python DDP rank (helpers/dist_python_ddp.py) in the
//                group, on rank 0's batches; prints RESULT with the final weights
//   stop         a data-parallel fit that rank 1 alone aborts; prints RESULT with the batches run and the weights
//   fit          a data-parallel fit with validation data and earlyStopping (and an allReduce tried
//                from a batch callback); prints RESULT with its history
//   gan [syncbn] nt.gan.train with both DCGAN networks wrapped (with SyncBatchNorm and no buffer
//                broadcast); prints RESULT with the history, parameters and buffers
//   long         a long fit that prints 'training' once running (a test kills a rank meanwhile)
//   interop      the collectives tests/helpers/dist_python.py runs, for a group with a Python rank
//   join         init with worldSize+1 expected ranks: prints the error
// Children load the compiled dist/ (`npm test` builds it first). The test builds its single-process
// references with this file's stepsSetup and syncBnSetup (main runs only when the file is the
// process's script).
'use strict';
const nt = require('../../dist');

const result = (value) => console.log(`RESULT ${JSON.stringify(value)}`);
const values = (t) => Array.from(t.dataSync(), Number);

/** The test data and model: same seed, same numbers, in every process (helpers/dist_worker.js and the test). */
function stepsSetup(opt) {
  nt.manualSeed(7);
  const x = nt.randn([20, 64, 8]);
  const y = nt.randint(0, 4, [20, 64]);
  const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [8], units: 16, activation: 'tanh' }), nt.layers.dense({ units: 4 })] });
  const optimizer = opt === 'adam' ? nt.optimizers.adam({ lr: 0.01 }) : nt.optimizers.sgd({ lr: 0.1, momentum: 0.9 });
  model.compile({ optimizer, loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
  return { x, y, model };
}

/**
 * The SyncBatchNorm test's data and model (BatchNorm after a conv and after a dense layer): 5
 * batches of 32 images with mean 1 and std 2, in every process (helpers/dist_worker.js and the test).
 */
function syncBnSetup() {
  nt.manualSeed(9);
  const x = nt.randn([5, 32, 3, 6, 6]).mul(2).add(1);
  const y = nt.randint(0, 4, [5, 32]);
  const model = nt.sequential({
    layers: [
      nt.layers.conv2d({ inputShape: [3, 6, 6], filters: 4, kernelSize: 3, padding: 'same' }),
      nt.layers.batchNormalization(),
      nt.layers.flatten(),
      nt.layers.dense({ units: 8, activation: 'relu' }),
      nt.layers.batchNormalization(),
      nt.layers.dense({ units: 4 }),
    ],
  });
  model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.1, momentum: 0.9 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
  return { x, y, model };
}

async function main() {
  const mode = process.argv[2];
  const timeoutMs = Number(process.env.DIST_TIMEOUT_MS ?? 20000);
  if (mode === 'join') {
    try {
      await nt.distributed.init({ timeoutMs, worldSize: Number(process.env.WORLD_SIZE) + 1 });
      result({ error: null });
    } catch (err) {
      result({ error: err.message, name: err.name });
    }
    return;
  }
  await nt.distributed.init({ timeoutMs });
  const rank = nt.distributed.rank();
  const world = nt.distributed.worldSize();
  if (mode === 'collectives') {
    const out = { rank, world, localRank: nt.distributed.localRank(), initialized: nt.distributed.isInitialized() };
    for (const op of ['sum', 'avg', 'max', 'min', 'product']) {
      const t = nt.tensor([rank + 1, 2 * (rank + 1), -(rank + 1)], { dtype: 'float32' });
      await nt.distributed.allReduce(t, op);
      out[op] = values(t);
    }
    const b = nt.tensor([rank * 10 + 1, rank * 10 + 2]);
    await nt.distributed.broadcast(b, world - 1);
    out.broadcast = values(b);
    out.allGather = (await nt.distributed.allGather(nt.tensor([rank, rank]))).map(values);
    out.reduceScatter = values(await nt.distributed.reduceScatter(nt.arange(0, 2 * world).mul(rank + 1), 'sum'));
    await nt.distributed.barrier();
    try {
      await nt.distributed.allReduce(nt.tensor([1]), 'median');
    } catch (err) {
      out.badOp = `${err.name}: ${err.message}`;
    }
    result(out);
  } else if (mode === 'interop') {
    const out = { rank };
    const a = nt.tensor([1.5 * (rank + 1), -2 * (rank + 1), rank + 0.25]);
    await nt.distributed.allReduce(a, 'sum');
    out.sum = values(a);
    const m = nt.tensor([rank, 3 - rank]);
    await nt.distributed.allReduce(m, 'max');
    out.max = values(m);
    for (const src of [0, 1]) {
      const b = nt.tensor([[rank + 0.5, rank * 2], [7, rank - 1]]);
      await nt.distributed.broadcast(b, src);
      out[`broadcast${src}`] = values(b);
    }
    out.allGather = (await nt.distributed.allGather(nt.tensor([rank * 1.0, 10 + rank]))).map(values);
    await nt.distributed.barrier();
    result(out);
  } else if (mode === 'steps') {
    const { x, y, model } = stepsSetup(process.argv[3]);
    await nt.distributed.wrap(model);
    const half = 64 / world;
    for (let s = 0; s < 20; s++) {
      await model.trainOnBatch(x.select(0, s).narrow(0, rank * half, half), y.select(0, s).narrow(0, rank * half, half));
    }
    result({ rank, weights: model.getWeights().map(values), agentStore: process.env.TORCHELASTIC_USE_AGENT_STORE });
  } else if (mode === 'pyddp') {
    // With a Python DistributedDataParallel rank (helpers/dist_python_ddp.py): rank 0's batches,
    // rank 0's initial weights, each rank its half of every batch.
    const { x, y, model } = stepsSetup('sgd');
    await nt.distributed.broadcast(x, 0);
    await nt.distributed.broadcast(y, 0);
    await nt.distributed.wrap(model);
    const half = 64 / world;
    for (let s = 0; s < 20; s++) {
      await model.trainOnBatch(x.select(0, s).narrow(0, rank * half, half), y.select(0, s).narrow(0, rank * half, half));
    }
    result({ rank, weights: model.getWeights().map(values) });
  } else if (mode === 'syncbn') {
    // The same 5 steps, each rank on its half of every batch of 32: plain DDP, then SyncBatchNorm.
    const half = 32 / world;
    const out = { rank };
    for (const syncBatchNorm of [false, true]) {
      const { x, y, model } = syncBnSetup();
      await nt.distributed.wrap(model, { syncBatchNorm });
      const losses = [];
      for (let s = 0; s < 5; s++) losses.push((await model.trainOnBatch(x.select(0, s).narrow(0, rank * half, half), y.select(0, s).narrow(0, rank * half, half))).loss);
      // Evaluation uses the running statistics, no collective: rank 0 predicts while rank 1 waits
      // at the barrier (a collective in predict would pair with it and fail), then rank 1 predicts.
      let predictions;
      if (rank === 0) predictions = values(await model.predict(x.select(0, 0)));
      await nt.distributed.barrier();
      if (rank !== 0) predictions = values(await model.predict(x.select(0, 0)));
      out[syncBatchNorm ? 'sync' : 'plain'] = { losses, weights: model.getWeights().map(values), predictions };
    }
    result(out);
  } else if (mode === 'stop') {
    // An AbortSignal on rank 1 only, at its first batchEnd, in an epoch of 400 steps per rank.
    const { model } = stepsSetup('sgd');
    await nt.distributed.wrap(model, { seed: 1 });
    const abort = new AbortController();
    const batches = [];
    const onBatchEnd = (b) => {
      batches.push(b);
      if (rank === 1) abort.abort();
    };
    await model.fit(nt.randn([12800, 8]), nt.randint(0, 4, [12800]), { epochs: 1, batchSize: 16, verbose: 0, signal: abort.signal, callbacks: [{ onBatchEnd }] });
    result({ rank, batches, weights: model.getWeights().map(values) });
  } else if (mode === 'fit') {
    nt.manualSeed(3);
    const x = nt.randn([200, 8]);
    const y = x.narrow(1, 0, 1).gt(0).squeeze(1).to({ dtype: 'int64' });
    const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), nt.layers.batchNormalization(), nt.layers.dense({ units: 2 })] });
    model.compile({ optimizer: nt.optimizers.adam({ lr: 0.01 }), loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    await nt.distributed.wrap(model, { seed: 11 });
    const steps = [];
    let guard; // a collective started by hand while fit runs: refused
    const history = await model.fit(x, y, {
      epochs: 4,
      batchSize: 16,
      validationData: [x.narrow(0, 0, 50), y.narrow(0, 0, 50)],
      verbose: 2,
      callbacks: [
        nt.callbacks.earlyStopping({ monitor: 'val_loss', patience: 1, minDelta: 10 }),
        {
          onEpochEnd: (epoch) => steps.push(epoch),
          onBatchEnd: (batch) => {
            steps.push(`b${batch}`);
            if (guard === undefined) {
              guard = null;
              nt.distributed.allReduce(nt.tensor([1])).then(() => (guard = 'not refused'), (err) => (guard = err.message));
            }
          },
        },
      ],
    });
    result({ rank, history: history.history, steps, guard });
  } else if (mode === 'gan') {
    nt.manualSeed(5 + rank); // different on each rank: wrap() makes them rank 0's
    const { generator, discriminator } = nt.builders.dcgan({ imageSize: 28, channels: 1, ngf: 8, ndf: 8, latentDim: 8 });
    // 'gan syncbn': SyncBatchNorm, and no buffer broadcast (the running statistics agree by themselves).
    const wrapOptions = process.argv[3] === 'syncbn' ? { syncBatchNorm: true, broadcastBuffers: false } : {};
    await nt.distributed.wrap(generator, wrapOptions);
    await nt.distributed.wrap(discriminator, wrapOptions);
    const before = generator.getWeights().map(values);
    const images = nt.rand([128, 1, 28, 28]).mul(2).sub(1);
    const steps = [];
    const history = await nt.gan.train({
      generator,
      discriminator,
      images,
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      callbacks: [{ onBatchEnd: (b) => steps.push(b) }],
    });
    // Parameters apart: buffers (BatchNorm running statistics) follow rank 0 at each step's start
    // (so they may differ after the last step), unless SyncBatchNorm makes them global.
    const isBuffer = (m, i) => /running_|num_batches/.test(m.weightNames()[i]);
    const params = (m) => m.getWeights().map(values).filter((_, i) => !isBuffer(m, i));
    const buffers = (m) => m.getWeights().map(values).filter((_, i) => isBuffer(m, i));
    result({ rank, history: history.history, steps, g: params(generator), d: params(discriminator), gBefore: before.filter((_, i) => !isBuffer(generator, i)), buffers: [...buffers(generator), ...buffers(discriminator)] });
  } else if (mode === 'long') {
    nt.setNumThreads(1);
    const x = nt.randn([4096, 32]);
    const y = nt.randint(0, 2, [4096]);
    const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [32], units: 256, activation: 'relu' }), nt.layers.dense({ units: 2 })] });
    model.compile({ optimizer: 'sgd', loss: nt.losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
    await nt.distributed.wrap(model);
    let said = false;
    await model.fit(x, y, {
      epochs: 1000,
      batchSize: 32,
      verbose: 0,
      callbacks: [{ onBatchEnd: () => { if (!said) { said = true; console.log('training'); } } }],
    });
  }
  nt.distributed.destroy();
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`FAILED ${err.name}: ${err.message}`);
    process.exitCode = 1;
  });
}

module.exports = { stepsSetup, syncBnSetup };
