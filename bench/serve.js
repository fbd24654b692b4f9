/**
 * serve.js — `nodetorch serve` under load: autocannon (its own process) sends JSON infer requests
 * of one sample to the server (its own process, 127.0.0.1) for the reference CNN and ResNet-20, and
 * this script prints the four figures of issue 12 as Markdown:
 *
 *   1. throughput at 64 connections with maxBatchSize 32 vs. the offline throughput of
 *      `model.predict` on batches of 32 in this process (the machine's limit for the model), with
 *      where the time goes: compute share of the wall time and mean batch size (from /metrics), and
 *      requests per server CPU-second vs offline samples per CPU-second (what HTTP and JSON cost,
 *      whatever share of a shared machine each side got), and where the CPU went: the server's JS
 *      thread, its model threads, autocannon and the rest of the machine (from /proc);
 *   2. the same server with maxBatchSize 1: requests/s and p99 latency compared;
 *   3. overload: 4× the measured capacity offered (autocannon --overallRate): 200s + 503s + 400s
 *      against requests sent, p99 of the accepted requests (from the access log), RSS over the run;
 *   4. SIGTERM under load (once 200 requests were answered): every request the server accepted got
 *      its 200 (access-log 200s equal autocannon's 200s), the server exits 0.
 *
 * usage: node bench/serve.js [--duration 8] [--overload-duration 20] [--models cnn,resnet20]   (npm run bench:serve; about 5 minutes)
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nt = require('..');
const { table } = require('./common');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const autocannonBin = path.join(root, 'node_modules', 'autocannon', 'autocannon.js');

function flag(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}
const DURATION = Number(flag('duration', '8'));
const OVERLOAD_DURATION = Number(flag('overload-duration', '20'));
const MODELS = flag('models', 'cnn,resnet20').split(',');
/** A Markdown table, first column left-aligned. */
const tableOf = (headers, rows) => table(rows.map((r) => r.map(String)), headers, 1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Saves the model (random weights: speed does not depend on them) and one request body. */
async function prepare(kind, dir) {
  nt.manualSeed(0);
  const model = kind === 'cnn' ? nt.builders.cnn({ inputShape: [1, 28, 28], numClasses: 10 }) : nt.builders.resnet({ depth: 20 });
  const shape = kind === 'cnn' ? [1, 28, 28] : [3, 32, 32];
  await model.save(path.join(dir, kind));
  const x = nt.randn([1, ...shape]);
  const body = { inputs: [{ name: 'input', shape: [1, ...shape], datatype: 'FP32', data: Array.from(x.dataSync()) }] };
  fs.writeFileSync(path.join(dir, `${kind}.json`), JSON.stringify(body));
  x.dispose();
  return { model, shape };
}

/** Offline model.predict on batches of 32 (after a warm-up), over ~3 s: samples per second and per CPU-second. */
async function offline(model, shape) {
  const x = nt.randn([32, ...shape]);
  for (let i = 0; i < 3; i++) (await model.predict(x, { batchSize: 32 })).dispose();
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < 3000) {
    (await model.predict(x, { batchSize: 32 })).dispose();
    n += 32;
  }
  const used = process.cpuUsage(cpu);
  x.dispose();
  return { rate: n / ((performance.now() - start) / 1000), perCpu: n / ((used.user + used.system) / 1e6) };
}

/** Starts `nodetorch serve`, resolves once it says ready. */
async function startServer(dir, kind, port, extra) {
  const args = [cli, 'serve', `${kind}=${path.join(dir, kind)}`, '--port', String(port), ...extra];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const log = [];
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    log.push(...lines);
  });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 600 && !log.some((l) => l.includes('ready:')); i++) await sleep(100);
  if (!log.some((l) => l.includes('ready:'))) throw new Error(`server did not start: ${log.join('\n')}`);
  return { proc, log, exited, url: `http://127.0.0.1:${port}` };
}

async function stopServer(server) {
  server.proc.kill('SIGTERM');
  return server.exited;
}

/** CPU seconds (user + system) of a process, or of one of its threads, from /proc; NaN once it is gone. */
function cpuSeconds(pid, tid) {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineBusySeconds() {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (ticks.reduce((a, b) => a + b, 0) - ticks[3] - ticks[4]) / 100;
}

/** Runs autocannon as a child process; resolves to its JSON result, with `cpu`: its CPU seconds (sampled every 200 ms, so up to 0.2 s short). */
function autocannon(url, bodyFile, opts) {
  const args = [autocannonBin, '-j', '-m', 'POST', '-H', 'content-type=application/json', '-i', bodyFile, '-c', String(opts.connections), '-d', String(opts.duration), '-t', '30'];
  if (opts.rate !== undefined) args.push('-R', String(Math.round(opts.rate)), '-a', String(Math.round(opts.rate * opts.duration)));
  args.push(url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let cpu = 0;
    const sampler = setInterval(() => (cpu = cpuSeconds(proc.pid) || cpu), 200);
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('exit', (code) => {
      clearInterval(sampler);
      try {
        resolve({ ...JSON.parse(out), cpu });
      } catch {
        reject(new Error(`autocannon failed (${code}): ${err || out}`));
      }
    });
  });
}

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

const codes = (r, code) => r.statusCodeStats?.[code]?.count ?? 0;

/** Throughput run: a fresh server with `extra` flags, autocannon at 64 connections; figures from it and /metrics. */
async function loadRun(dir, kind, port, extra) {
  const server = await startServer(dir, kind, port, ['--quiet', ...extra]);
  const url = `${server.url}/v2/models/${kind}/infer`;
  await autocannon(url, path.join(dir, `${kind}.json`), { connections: 64, duration: 2 });
  const pid = server.proc.pid;
  const sample = async () => ({ compute: await metric(server.url, 'nodetorch_compute_seconds_sum'), inf: await metric(server.url, 'nodetorch_inference_count_total'), exe: await metric(server.url, 'nodetorch_execution_count_total'), cpu: cpuSeconds(pid), js: cpuSeconds(pid, pid), machine: machineBusySeconds() });
  const t0 = performance.now();
  const before = await sample();
  const r = await autocannon(url, path.join(dir, `${kind}.json`), { connections: 64, duration: DURATION });
  const after = await sample();
  const wall = (performance.now() - t0) / 1000;
  await stopServer(server);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: codes(r, '200'),
    other: r.non2xx + r.errors + r.timeouts,
    computeShare: (after.compute - before.compute) / wall,
    cpuCores: (after.cpu - before.cpu) / wall,
    jsCores: (after.js - before.js) / wall,
    clientCores: r.cpu / DURATION,
    machineCores: (after.machine - before.machine) / wall,
    jsMsPerRequest: ((after.js - before.js) * 1000) / (after.inf - before.inf),
    meanBatch: (after.inf - before.inf) / (after.exe - before.exe),
  };
}

/**
 * 4× capacity offered, as a fixed number of requests (rate × duration) that autocannon waits for;
 * a queue of 2 batches (--max-queue-size 64) bounds the wait of accepted requests. Counts, accepted
 * p50/p99 from the access log, RSS sampled every 500 ms (reported at each fifth of the run).
 */
async function overloadRun(dir, kind, port, capacity) {
  const server = await startServer(dir, kind, port, ['--max-batch-size', '32', '--max-queue-size', '64']);
  const rss = [rssMiB(server.proc.pid)];
  const sampler = setInterval(() => rss.push(rssMiB(server.proc.pid)), 500);
  const start = server.log.length;
  const r = await autocannon(`${server.url}/v2/models/${kind}/infer`, path.join(dir, `${kind}.json`), { connections: 512, duration: OVERLOAD_DURATION, rate: 4 * capacity });
  clearInterval(sampler);
  await sleep(300);
  const lines = server.log.slice(start).filter((l) => l.includes('/infer"'));
  const accepted = lines.filter((l) => l.includes('" 200 ')).map((l) => Number(/ ([\d.]+)ms$/.exec(l)[1])).sort((a, b) => a - b);
  const busy = lines.filter((l) => l.includes('" 503 ')).map((l) => Number(/ ([\d.]+)ms$/.exec(l)[1])).sort((a, b) => a - b);
  await stopServer(server);
  const pct = (xs, q) => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]);
  return {
    offered: 4 * capacity,
    sent: Math.round(4 * capacity * OVERLOAD_DURATION),
    ok: codes(r, '200'),
    busy: codes(r, '503'),
    bad: codes(r, '400'),
    errors: r.errors,
    timeouts: r.timeouts,
    acceptedP50: pct(accepted, 0.5),
    acceptedP99: pct(accepted, 0.99),
    busyP99: pct(busy, 0.99),
    rss: [0, 1, 2, 3, 4, 5].map((k) => rss[Math.min(rss.length - 1, Math.floor((k * rss.length) / 5))]),
  };
}

/** SIGTERM once a load run is in full swing (200+ answered): access-log 200s vs autocannon's 200s, exit code. */
async function sigtermRun(dir, kind, port) {
  const server = await startServer(dir, kind, port, []);
  const running = autocannon(`${server.url}/v2/models/${kind}/infer`, path.join(dir, `${kind}.json`), { connections: 64, duration: 3 * DURATION });
  for (let i = 0; i < 1200 && !((await metric(server.url, 'nodetorch_request_success_total')) >= 200); i++) await sleep(50);
  const pending = await metric(server.url, 'nodetorch_pending_requests');
  server.proc.kill('SIGTERM');
  const code = await server.exited;
  const r = await running;
  const logged = server.log.filter((l) => l.includes('/infer"'));
  return { pending, code, served200: logged.filter((l) => l.includes('" 200 ')).length, client200: codes(r, '200'), served503: logged.filter((l) => l.includes('" 503 ')).length, client503: codes(r, '503'), errors: r.errors };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-bench-serve-'));
  const results = [];
  let port = 18500 + Math.floor(Math.random() * 1000);
  try {
    for (const kind of MODELS) {
      const { model, shape } = await prepare(kind, dir);
      // The offline limit, measured before and after the batched run (the machine's load drifts).
      const limitBefore = await offline(model, shape);
      const batched = await loadRun(dir, kind, port++, ['--max-batch-size', '32']);
      const limitAfter = await offline(model, shape);
      const limit = (limitBefore.rate + limitAfter.rate) / 2;
      const limitPerCpu = (limitBefore.perCpu + limitAfter.perCpu) / 2;
      model.dispose();
      process.stderr.write(`${kind}: offline predict(batch 32) ${limit.toFixed(0)} samples/s, ${limitPerCpu.toFixed(0)} per CPU-second\n`);
      process.stderr.write(`${kind}: served, maxBatchSize 32: ${JSON.stringify(batched)}\n`);
      const single = await loadRun(dir, kind, port++, ['--max-batch-size', '1']);
      process.stderr.write(`${kind}: served, maxBatchSize 1: ${JSON.stringify(single)}\n`);
      const over = await overloadRun(dir, kind, port++, batched.rps);
      process.stderr.write(`${kind}: overload: ${JSON.stringify(over)}\n`);
      const term = await sigtermRun(dir, kind, port++);
      process.stderr.write(`${kind}: SIGTERM: ${JSON.stringify(term)}\n`);
      results.push({ kind, limit, limitPerCpu, batched, single, over, term });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  console.log(`\n${new Date().toISOString()}  node ${process.version}, libtorch threads ${nt.getNumThreads()}, ${os.cpus().length} cores (${os.cpus()[0].model}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('Throughput (64 connections, one sample per JSON request):\n');
  console.log(
    tableOf(
      ['model', 'offline predict(32) samples/s', 'served mbs 32 req/s', 'served / offline', 'offline samples per CPU-s', 'served req per server CPU-s', 'per CPU-s ratio', 'compute share', 'mean batch', 'server CPU cores', 'p50 ms', 'p99 ms', 'served mbs 1 req/s', 'mbs 1 p99 ms', 'mbs 32 / mbs 1 req/s', 'p99 ratio'],
      results.map(({ kind, limit, limitPerCpu, batched: b, single: s }) => [kind, f(limit), f(b.rps), f(b.rps / limit, 2), f(limitPerCpu), f(b.rps / b.cpuCores), f(b.rps / b.cpuCores / limitPerCpu, 2), f(b.computeShare, 2), f(b.meanBatch, 1), f(b.cpuCores, 2), f(b.p50, 1), f(b.p99, 1), f(s.rps), f(s.p99, 1), f(b.rps / s.rps, 2), f(b.p99 / s.p99, 2)]),
    ),
  );
  console.log('\nWhere the CPU went during the mbs 32 runs (cores, averaged over the run; the machine has 2):\n');
  console.log(
    tableOf(
      ['model', 'server: all threads', 'server: JS thread', 'server: model threads', 'autocannon', 'rest of the machine', 'server JS ms per request'],
      results.map(({ kind, batched: b }) => [kind, f(b.cpuCores, 2), f(b.jsCores, 2), f(b.cpuCores - b.jsCores, 2), f(b.clientCores, 2), f(b.machineCores - b.cpuCores - b.clientCores, 2), f(b.jsMsPerRequest, 2)]),
    ),
  );
  console.log('\nOverload (4× the measured capacity offered, 512 connections, --max-queue-size 64):\n');
  console.log(
    tableOf(
      ['model', 'offered req/s', 'sent', '200', '503', '400', 'errors', 'timeouts', '200+503+400 = sent', 'accepted p50 ms', 'accepted p99 ms', '503 p99 ms', `RSS MiB at 0, 1/5, ..., 5/5 of ${OVERLOAD_DURATION} s`],
      results.map(({ kind, over: o }) => [kind, f(o.offered), o.sent, o.ok, o.busy, o.bad, o.errors, o.timeouts, o.ok + o.busy + o.bad === o.sent ? 'yes' : 'NO', f(o.acceptedP50, 1), f(o.acceptedP99, 1), f(o.busyP99, 1), o.rss.map((m) => f(m)).join(' / ')]),
    ),
  );
  console.log('\nSIGTERM during a 64-connection load (once 200 requests were answered):\n');
  console.log(
    tableOf(
      ['model', 'queued at SIGTERM', 'server 200s', 'client 200s', 'server 503s', 'client 503s', 'client errors (refused after exit)', 'exit code'],
      results.map(({ kind, term: t }) => [kind, t.pending, t.served200, t.client200, t.served503, t.client503, t.errors, t.code]),
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
