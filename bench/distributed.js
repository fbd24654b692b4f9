#!/usr/bin/env node
/**
 * distributed.js — data-parallel scaling on this machine: the benchmark CNN (bench/common.js,
 * Adam), batch 64 per rank, one thread per process, trained by `model.fit` on 1 and on 2 ranks
 * (`nodetorch launch`, nt.distributed.wrap, Gloo over loopback), and by PyTorch
 * DistributedDataParallel on 1 and 2 ranks (bench/distributed_torch.py), interleaved, in one run.
 * A third configuration per side, two independent 1-rank runs at the same time (no
 * communication), is the machine's ceiling for 2 processes: what 2 cores give 2 single-threaded
 * trainers when nothing is shared but the machine.
 * Prints images/s and CPU ms per image (all ranks' user + system time / images) per configuration
 * (medians over rounds), the ratios, the load average before and after, and per round the cores
 * that other processes kept busy during each timed window (the 2 cores are shared).
 * Usage: node bench/distributed.js [--rounds 3] [--steps 60] [--batch 64] [--pin-malloc]
 *   --pin-malloc  every process (both sides) under one malloc policy (PINNED_MALLOC, bench/common.js)
 * A rank of this bench: node bench/distributed.js --worker <batch> <warmup> <steps> (under launch).
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { median, pythonCommand, root, table, benchCnn, PINNED_MALLOC } = require('./common');

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Sleeps until BENCH_START_AT (ms since the epoch), if set: lines up the timed parts of independent runs. */
function startAt() {
  const at = Number(process.env.BENCH_START_AT ?? 0);
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}

/** CPU time the whole machine has spent busy (all processes, all cores), in ms, from /proc/stat. */
function machineBusyMs() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) * 10; // USER_HZ = 100
}

/**
 * One rank: fit over `steps` batches per rank after a warm-up fit; every rank prints the CPU time
 * it used ("cpu-ms <ms> images <n>"), rank 0 the group's images/s and the machine's busy CPU time
 * over the same wall time ("machine busy-ms <ms> wall-ms <ms>").
 */
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
  await startAt();
  await nt.distributed.barrier();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const busy = machineBusyMs();
  await model.fit(x, y, { epochs: 1, batchSize: batch, stepsPerEpoch: steps, verbose: 0 });
  await nt.distributed.barrier();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  console.log(`cpu-ms ${((used.user + used.system) / 1e3).toFixed(1)} images ${steps * batch}`);
  if (rank === 0) console.log(`images/s ${((world * steps * batch) / seconds).toFixed(1)}\nmachine busy-ms ${machineBusyMs() - busy} wall-ms ${(seconds * 1e3).toFixed(0)}`);
  nt.distributed.destroy();
}

/**
 * A run's figures from its ranks' output: rank 0's images/s, CPU ms per image over all ranks, and
 * the cores other processes kept busy meanwhile (the machine's busy time less the ranks' and
 * `alsoMs`, the CPU time of runs known to share the window, over the wall time).
 */
function figures(name, out, alsoMs = 0) {
  const ips = /images\/s ([\d.]+)/.exec(out);
  const machine = /machine busy-ms ([\d.]+) wall-ms ([\d.]+)/.exec(out);
  const cpu = [...out.matchAll(/cpu-ms ([\d.]+) images (\d+)/g)];
  if (ips === null || machine === null || cpu.length === 0) throw new Error(`${name}: no figures in its output:\n${out}`);
  const ms = cpu.reduce((s, m) => s + Number(m[1]), 0);
  const images = cpu.reduce((s, m) => s + Number(m[2]), 0);
  return { ips: Number(ips[1]), cpuPerImage: ms / images, cpuMs: ms, others: Math.max(0, Number(machine[1]) - ms - alsoMs) / Number(machine[2]) };
}

/** Runs a command to completion; resolves to its stdout, rejects naming it if it fails. */
function run(name, command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${name} failed (${signal ?? `exit ${code}`}):\n${out}`));
    });
  });
}

/** nodetorch on `world` ranks under `nodetorch launch`. */
function ntRun(env, world, batch, warmup, steps) {
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  const args = [cli, 'launch', '--nproc-per-node', String(world), __filename, '--worker', String(batch), String(warmup), String(steps)];
  return run(`nodetorch ${world} ranks`, process.execPath, args, env);
}

/** PyTorch DDP on `world` ranks, started here with torchrun's environment (Debian's torchrun needs extra flags). */
async function torchRun(env, world, batch, warmup, steps) {
  const port = await require('../dist/distributed/launch').freePort();
  const ranks = [];
  for (let rank = 0; rank < world; rank++) {
    const rankEnv = { ...env, RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) };
    ranks.push(run(`PyTorch DDP rank ${rank}`, pythonCommand(), [path.join(__dirname, 'distributed_torch.py'), String(batch), String(warmup), String(steps)], rankEnv));
  }
  return (await Promise.all(ranks)).join('');
}

/** A configuration's figures: 1 or 2 ranks, or `pair` (two independent 1-rank runs started together). */
async function measure(side, config, env, batch, warmup, steps) {
  const start = side === 'nt' ? ntRun : torchRun;
  if (config !== 'pair') return figures(`${side} ${config}`, await start(env, config, batch, warmup, steps));
  const together = { ...env, BENCH_START_AT: String(Date.now() + 8000) };
  const outs = await Promise.all([start(together, 1, batch, warmup, steps), start(together, 1, batch, warmup, steps)]);
  const [a0, b0] = outs.map((out) => figures(`${side} pair`, out));
  const [a, b] = [figures(`${side} pair`, outs[0], b0.cpuMs), figures(`${side} pair`, outs[1], a0.cpuMs)];
  return { ips: a.ips + b.ips, cpuPerImage: (a.cpuPerImage + b.cpuPerImage) / 2, others: (a.others + b.others) / 2 };
}

const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main() {
  const rounds = flag('rounds', 3);
  const steps = flag('steps', 60);
  const batch = flag('batch', 64);
  const pinMalloc = process.argv.includes('--pin-malloc');
  const warmup = 5;
  const env = { ...process.env, GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1', ...(pinMalloc ? PINNED_MALLOC : {}) };
  const loadBefore = loadavg();
  const configs = [1, 2, 'pair'];
  const results = {};
  for (let r = 0; r < rounds; r++) {
    const line = [];
    for (const config of configs) {
      for (const side of ['nt', 'py']) {
        const f = await measure(side, config, env, batch, warmup, steps);
        (results[`${side}${config}`] ??= []).push(f);
        line.push(`${side} ${config} ${f.ips.toFixed(0)} img/s ${f.cpuPerImage.toFixed(3)} cpu-ms/img, others ${f.others.toFixed(2)} cores`);
      }
    }
    process.stderr.write(`round ${r + 1}/${rounds} (load ${loadavg()}): ${line.join(', ')}\n`);
  }
  const med = (key, field) => median(results[key].map((f) => f[field]));
  const torchVersion = spawnSync(pythonCommand(), ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  const malloc = pinMalloc ? Object.entries(PINNED_MALLOC).map(([k, v]) => `${k}=${v}`).join(' ') : "each side's own (nodetorch: binding/malloc_policy.cc; PyTorch: glibc defaults)";
  console.log(
    `CNN (bench/common.js), Adam, batch ${batch} per rank, 1 thread per process, Gloo over loopback, ${steps} timed steps per rank after ${warmup}, ` +
      `${rounds} rounds (medians); PyTorch ${torchVersion}; malloc: ${malloc}; load average ${loadBefore} before, ${loadavg()} after\n`,
  );
  const row = (label, config) => [
    label,
    med(`nt${config}`, 'ips').toFixed(0),
    med(`nt${config}`, 'cpuPerImage').toFixed(3),
    med(`py${config}`, 'ips').toFixed(0),
    med(`py${config}`, 'cpuPerImage').toFixed(3),
    (med(`nt${config}`, 'ips') / med(`py${config}`, 'ips')).toFixed(2) + '×',
  ];
  const ratio = (label, config) => [
    label,
    (med(`nt${config}`, 'ips') / med('nt1', 'ips')).toFixed(2) + '×',
    '',
    (med(`py${config}`, 'ips') / med('py1', 'ips')).toFixed(2) + '×',
    '',
    '',
  ];
  console.log(
    table(
      [
        row('1 rank', 1),
        row('2 ranks (data-parallel)', 2),
        row('2 independent 1-rank runs (ceiling)', 'pair'),
        ratio('2 ranks / 1 rank', 2),
        ratio('ceiling / 1 rank', 'pair'),
      ],
      ['', 'nodetorch img/s', 'nt CPU ms/img', 'PyTorch DDP img/s', 'PyTorch CPU ms/img', 'nt / PyTorch'],
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
