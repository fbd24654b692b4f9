#!/usr/bin/env node
/**
 * distributed.js — data-parallel scaling on this machine: the benchmark CNN (bench/common.js,
 * Adam), batch 64 per rank, one thread per process, trained by `model.fit` on 1 and on 2 ranks
 * (`nodetorch launch`, nt.distributed.wrap, Gloo over loopback), and by PyTorch
 * DistributedDataParallel on 1 and 2 ranks (bench/distributed_torch.py), interleaved, in one run.
 * Prints images/s per configuration (medians over rounds) and the ratios.
 * Usage: node bench/distributed.js [--rounds 3] [--steps 60] [--batch 64]
 * A rank of this bench: node bench/distributed.js --worker <batch> <warmup> <steps> (under launch).
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const { median, pythonCommand, root, table, benchCnn } = require('./common');

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** One rank: fit over `steps` batches per rank after a warm-up fit; rank 0 prints the group's images/s. */
async function worker(batch, warmup, steps) {
  const nt = require('..');
  nt.setNumThreads(1);
  await nt.distributed.init();
  const rank = nt.distributed.rank();
  const world = nt.distributed.worldSize();
  nt.manualSeed(rank);
  const model = benchCnn(nt);
  await nt.distributed.wrap(model, { seed: 0 });
  // Every rank's share of n samples is n / world: steps batches each.
  const n = world * batch * Math.max(warmup, steps);
  const x = nt.randn([n, 1, 28, 28]);
  const y = nt.randint(0, 10, [n]);
  await model.fit(x, y, { epochs: 1, batchSize: batch, stepsPerEpoch: warmup, verbose: 0 });
  await nt.distributed.barrier();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await model.fit(x, y, { epochs: 1, batchSize: batch, stepsPerEpoch: steps, verbose: 0 });
  await nt.distributed.barrier();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  console.log(`rank ${rank} cpu-ms/image ${((used.user + used.system) / 1e3 / (steps * batch)).toFixed(3)} (sys ${(used.system / 1e3 / (steps * batch)).toFixed(3)})`);
  if (rank === 0) console.log(`images/s ${((world * steps * batch) / seconds).toFixed(1)}`);
  nt.distributed.destroy();
}

/** images/s reported by rank 0 of a run. */
function imagesPerSecond(name, command, args, env) {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1', ...env }, timeout: 600_000 });
  const m = /images\/s ([\d.]+)/.exec(r.stdout);
  if (r.status !== 0 || m === null) throw new Error(`${name} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

/** PyTorch DDP on `world` ranks, started here with torchrun's environment (Debian's torchrun needs extra flags). */
async function torchDdp(world, batch, warmup, steps) {
  const port = await require('../dist/distributed/launch').freePort();
  const runs = [];
  for (let rank = 0; rank < world; rank++) {
    const env = { ...process.env, GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1', RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
    const child = spawn(pythonCommand(), [path.join(__dirname, 'distributed_torch.py'), String(batch), String(warmup), String(steps)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    runs.push(new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`PyTorch DDP rank ${rank} exited with ${code}`))))));
  }
  const outs = await Promise.all(runs);
  return Number(/images\/s ([\d.]+)/.exec(outs[0])[1]);
}

async function main() {
  const rounds = flag('rounds', 3);
  const steps = flag('steps', 60);
  const batch = flag('batch', 64);
  const warmup = 5;
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  const nt = (world) => imagesPerSecond(`nt ${world} ranks`, process.execPath, [cli, 'launch', '--nproc-per-node', String(world), __filename, '--worker', String(batch), String(warmup), String(steps)]);
  const results = { nt1: [], nt2: [], py1: [], py2: [] };
  for (let r = 0; r < rounds; r++) {
    results.nt1.push(nt(1));
    results.py1.push(await torchDdp(1, batch, warmup, steps));
    results.nt2.push(nt(2));
    results.py2.push(await torchDdp(2, batch, warmup, steps));
    process.stderr.write(`round ${r + 1}/${rounds}: ${Object.entries(results).map(([k, v]) => `${k} ${v[r]}`).join(', ')}\n`);
  }
  const med = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const torchVersion = spawnSync(pythonCommand(), ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  console.log(`CNN (bench/common.js), Adam, batch ${batch} per rank, 1 thread per process, Gloo over loopback, ${steps} timed steps per rank after ${warmup}, ${rounds} rounds (medians); PyTorch ${torchVersion}\n`);
  console.log(
    table(
      [
        ['1 rank', med.nt1.toFixed(0), med.py1.toFixed(0), (med.nt1 / med.py1).toFixed(2) + '×'],
        ['2 ranks', med.nt2.toFixed(0), med.py2.toFixed(0), (med.nt2 / med.py2).toFixed(2) + '×'],
        ['2 ranks / 1 rank', (med.nt2 / med.nt1).toFixed(2) + '×', (med.py2 / med.py1).toFixed(2) + '×', ''],
      ],
      ['', 'nodetorch img/s', 'PyTorch DDP img/s', 'nt / PyTorch'],
      1,
    ),
  );
}

if (process.argv[2] === '--worker') {
  worker(...process.argv.slice(3, 6).map(Number)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
