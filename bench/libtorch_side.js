/**
 * libtorch_side.js — one nodetorch build under bench/libtorch.js: loads the addon named by
 * NODETORCH_ADDON and answers one JSON line per request line with the wall time of the nodetorch
 * side of the train-step, per-op and GAN benches (their own code, required from bench/), and of
 * the two kernels that dominate the train step.
 */
'use strict';
const os = require('node:os');
const readline = require('node:readline');
const { root } = require('./common');

const nt = require(root);
const train = require('./train');
const ops = require('./ops');
const gan = require('./gan');

nt.setNumThreads(1);
nt.manualSeed(0);

/**
 * Parts of the bench CNN's step, alone: the dense layer's matmul (BLAS), its second conv forward,
 * that conv's forward and backward, and one Adam step over parameters of the CNN's shapes.
 */
const KERNELS = {
  sgemm: () => {
    const [x, w] = [nt.randn([64, 3136]), nt.randn([3136, 128])];
    return () => x.matmul(w).dispose();
  },
  conv: () => {
    const [x, w] = [nt.randn([64, 32, 14, 14]), nt.randn([64, 32, 3, 3])];
    return () => nt.nn.functional.conv2d(x, w, null, { padding: 1 }).dispose();
  },
  convBackward: () => {
    const [x, w] = [nt.randn([64, 32, 14, 14], { requiresGrad: true }), nt.randn([64, 32, 3, 3], { requiresGrad: true })];
    return () => {
      nt.tidy(() => nt.nn.functional.conv2d(x, w, null, { padding: 1 }).sum().backward());
      for (const t of [x, w]) t.grad = null;
    };
  },
  adam: () => {
    const shapes = [[32, 1, 3, 3], [32], [64, 32, 3, 3], [64], [128, 3136], [128], [10, 128], [10]];
    const params = shapes.map((shape) => nt.randn(shape, { requiresGrad: true }));
    for (const p of params) p.grad = nt.randn(p.shape);
    const optimizer = nt.optim.adam(params, { lr: 1e-3 });
    return () => optimizer.step();
  },
};
const sides = new Map();
/** The side of a workload, made on first use. */
function side(key, make) {
  if (!sides.has(key)) sides.set(key, make());
  return sides.get(key);
}

const handlers = {
  info: () => {
    const info = nt.info();
    const capability = /CPU capability usage: (\S+)/.exec(info.buildConfig);
    return { libtorchVersion: info.libtorchVersion, libtorchPath: info.libtorchPath, blas: info.blas, cpu: capability ? capability[1] : '?', threads: nt.getNumThreads(), load: os.loadavg()[0] };
  },
  // nodetorch's train step of the bench CNN: trainOnBatchSync ('sync') or one fit epoch ('fit').
  train: async ({ kind, batch, n }) => ({ ns: (await side(`train ${batch}`, () => train.nodetorchSides(batch, 'cnn'))[kind](n)).wall }),
  // One small op, each result disposed (wall time, as the other workloads).
  op: async ({ name, n }) => ({ ns: (await side('ops', () => ops.nodeSide('wall'))[name].dispose(n)) * n }),
  // One of KERNELS.
  kernel: ({ name, n }) => {
    const run = side(`kernel ${name}`, KERNELS[name]);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) run();
    return { ns: Number(process.hrtime.bigint() - start) };
  },
  // One DCGAN iteration (GanTrainer.trainStep) of gan.js's configuration `config`.
  gan: async ({ config, n }) => ({ ns: await side(`gan ${config}`, () => gan.nodetorchSides(gan.CONFIGS[config])).step(n) }),
};

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify(await handlers[request.cmd](request)) + '\n');
});
