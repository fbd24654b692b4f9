/**
 * common.js — helpers shared by the benches: persistent line-protocol children (the PyTorch-Python
 * and C++ sides), compiling a C++ side against libtorch once, medians and Markdown tables, and the
 * benchmark CNN.
 */
'use strict';
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const root = path.join(__dirname, '..');

/** A child process answering one line per request line. */
class LineChild {
  constructor(name, command, args, env = process.env) {
    this.name = name;
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.pending = [];
    this.exited = new Promise((resolve) => this.proc.on('exit', resolve));
    this.proc.on('exit', (code) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`${name} exited (code ${code})`));
    });
    this.proc.on('error', (err) => {
      for (const p of this.pending.splice(0)) p.reject(err);
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.resolve(line));
  }
  ask(line) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.proc.stdin.write(line + '\n');
    });
  }
  close() {
    this.proc.stdin.end();
    return this.exited;
  }
}

/** The Python that runs the PyTorch sides. */
function pythonCommand() {
  return process.env.NODETORCH_BENCH_PYTHON || '/usr/bin/python3';
}

/**
 * Compiles bench/<name>.cc into build/bench/<name> when the binary is missing or older than the
 * source (g++ against the system libtorch, or $LIBTORCH); null (with a note) if g++ fails.
 */
function cppBinary(name) {
  const src = path.join(__dirname, `${name}.cc`);
  const bin = path.join(root, 'build', 'bench', name);
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const torchRoot = process.env.LIBTORCH;
  const paths = torchRoot
    ? [`-I${torchRoot}/include`, `-I${torchRoot}/include/torch/csrc/api/include`, `-L${torchRoot}/lib`, `-Wl,-rpath,${torchRoot}/lib`]
    : ['-I/usr/include/torch/csrc/api/include'];
  const args = ['-O2', '-std=c++17', '-D_GLIBCXX_USE_CXX11_ABI=1', ...paths, src, '-o', bin, '-ltorch', '-ltorch_cpu', '-lc10'];
  process.stderr.write(`compiling ${path.relative(root, src)} (once) ...\n`);
  try {
    execFileSync('g++', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return bin;
  } catch (err) {
    process.stderr.write(`C++ column skipped: g++ ${args.join(' ')} failed\n${err.stderr ?? err.message}\n`);
    return null;
  }
}

function median(xs) {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A Markdown table; the first `left` columns are left-aligned, the rest right-aligned. */
function table(rows, headers, left) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i < left ? ':' : '-') + '-'.repeat(w) + (i < left ? '-' : ':')).join('|') + '|';
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** The benchmark CNN (conv32-pool-conv64-pool-dense128-dense10 on [1, 28, 28], Adam 1e-3), compiled. */
function benchCnn(nt) {
  const model = nt.sequential({
    layers: [
      nt.layers.conv2d({ inputShape: [1, 28, 28], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
      nt.layers.maxPooling2d({ poolSize: 2 }),
      nt.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      nt.layers.maxPooling2d({ poolSize: 2 }),
      nt.layers.flatten(),
      nt.layers.dense({ units: 128, activation: 'relu' }),
      nt.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

/**
 * glibc malloc settings for like-for-like runs: never mmap, never trim, so that after warm-up no
 * side page-faults fresh memory for its per-step temporaries. By default glibc's thresholds adapt
 * to the largest block each process has freed so far, so how many page faults a step pays depends
 * on each process's history, while nodetorch applies a policy of its own (binding/malloc_policy.cc).
 */
const PINNED_MALLOC = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 30), MALLOC_TOP_PAD_: String(2 ** 26) };

/** Unless this process already runs under PINNED_MALLOC, runs it again under it (glibc reads them at start; children inherit them) and exits with its status. */
function rerunWithPinnedMalloc() {
  if (Object.entries(PINNED_MALLOC).every(([k, v]) => process.env[k] === v)) return;
  const rerun = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...PINNED_MALLOC } });
  process.exit(rerun.status ?? 1);
}

/**
 * Pins this process's main thread to CPU `cpu` (taskset -p: that thread only; V8's GC and platform
 * threads, started earlier, stay free to run on any CPU as in an app), so that the children this
 * process starts afterwards (the other sides) inherit the pin. On this shared 2-vCPU VM one vCPU is
 * often up to 1.6× slower than the other for minutes at a time (its host core busy): unpinned, the
 * Node process and the Python child could sit on different vCPUs for a whole run and the ratio
 * measured that (relu's dispose ratio: 1.06 and 1.81 in runs minutes apart; pinned, 1.09–1.22 on
 * either vCPU). A null cpu leaves everything unpinned.
 */
function pinMainThread(cpu) {
  if (cpu === null) return;
  const pin = spawnSync('taskset', ['-p', '-c', String(cpu), String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (pin.error || pin.status !== 0) {
    throw new Error(`bench: could not pin to CPU ${cpu} with taskset (util-linux): ${pin.error?.message ?? pin.stderr} (or pass --cpu none)`);
  }
}

module.exports = { LineChild, pythonCommand, cppBinary, median, table, root, benchCnn, PINNED_MALLOC, rerunWithPinnedMalloc, pinMainThread };
