/**
 * package.test.ts — nodetorch as a dependency of someone else's app (issue 10): `npm pack` the
 * repository (prepack puts the stripped N-API prebuild in the tarball), install the tarball into
 * a fresh app offline (`npm ci --offline` from the npm cache, the app's lockfile taken from ours),
 * then in that app: CommonJS require runs an op and a small fit; ESM named and default imports;
 * the app's own `tsc --strict` (module nodenext) accepts the public types and reports a deliberate
 * type error; a worker_thread uses it; `nodetorch doctor` exits 0 and `nodetorch info` prints
 * libtorch's version. Then, broken installs: a binary whose shared library is missing (clear error
 * naming it, doctor names it too), and the package without prebuilds/ (clear error, doctor exit 1,
 * `npx nodetorch rebuild` builds from source — one full native build — after which require works).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { writeAppLock } from './helpers/app_lock';

const root = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-package-'));
const app = path.join(tmp, 'app');
const installed = path.join(app, 'node_modules', 'nodetorch');

/** The environment for npm and node in the app: without the npm_* variables `npm test` sets for this repository. */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') || k === 'npm_config_cache'));

function run(command: string, args: string[], cwd = app, extraEnv: NodeJS.ProcessEnv = {}, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout });
}
const out = (r: SpawnSyncReturns<string>): string => `${r.stdout}${r.stderr}`;
const hasTool = (command: string): boolean => spawnSync(command, ['--version']).status === 0;
const cxx = ['c++', 'g++'].find(hasTool);
const toolchain = hasTool('cmake') && cxx !== undefined;
/** The source build's time limit: ~4 min on 2 idle cores, far longer when the machine is shared. */
const REBUILD_LIMIT_S = 2400;

function write(name: string, text: string): string {
  const file = path.join(app, name);
  fs.writeFileSync(file, text);
  return file;
}

const CJS = `
const nt = require('nodetorch');
(async () => {
  const sum = nt.tensor([1, 2, 3]).add(nt.tensor([10, 20, 30])).dataSync();
  nt.manualSeed(0);
  const x = nt.randn([64, 4]);
  const y = x.sum(1, { keepdim: true });
  const model = nt.sequential({ layers: [nt.layers.dense({ inputShape: [4], units: 1 })] });
  model.compile({ optimizer: nt.optimizers.sgd({ lr: 0.05 }), loss: 'meanSquaredError' });
  const history = await model.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0 });
  console.log(JSON.stringify({ sum: Array.from(sum), loss: history.history.loss }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const ESM = `
import * as named from 'nodetorch';
import nt from 'nodetorch';
const a = named.tensor([1, 2]).mul(3).dataSync();
const b = nt.ones([2]).add(1).dataSync();
console.log(JSON.stringify({ a: Array.from(a), b: Array.from(b), same: named.tensor === nt.tensor }));
`;

const TS = `
import * as nt from 'nodetorch';
const t: nt.Tensor = nt.zeros([2, 3]);
const shape: readonly number[] = t.shape;
const model: nt.Sequential = nt.sequential({ layers: [nt.layers.dense({ inputShape: [3], units: 2 })] });
model.compile({ optimizer: nt.optimizers.adam({ lr: 1e-3 }), loss: 'meanSquaredError' });
export const facts = { shape, params: model.countParams() };
`;

const WORKER = `
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const w = new Worker(__filename);
  w.on('message', (m) => console.log(JSON.stringify(m)));
  w.on('error', (e) => { console.error(e); process.exit(1); });
} else {
  const nt = require('nodetorch');
  const m = nt.tensor([[1, 2], [3, 4]]).matmul(nt.tensor([[1], [1]]));
  parentPort.postMessage({ result: Array.from(m.dataSync()) });
}
`;

// Every step spawns npm, node or tsc in the app: minutes, not seconds, on a loaded machine.
describe('nodetorch installed from its npm tarball into an app', { timeout: 600_000 }, () => {
  beforeAll(() => {
    fs.mkdirSync(app);
    const pack = run('npm', ['pack', '--pack-destination', tmp], root, {}, 600_000);
    expect(pack.status, out(pack)).toBe(0);
    const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tarball, out(pack)).toBeDefined();
    const size = fs.statSync(path.join(tmp, tarball as string)).size;
    console.log(`package: ${tarball} is ${(size / 1024).toFixed(0)} KiB`);
    writeAppLock(root, app, `../${tarball}`, ['typescript', '@types/node']);
    const install = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app, {}, 600_000);
    expect(install.status, out(install)).toBe(0);
  }, 900_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ships the prebuild and what a build needs, not tests, benchmarks, docs or source maps', () => {
    const prebuilds = fs.readdirSync(path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`));
    expect(prebuilds).toEqual(['nodetorch.napi.node']);
    for (const f of ['dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'binding/addon.cc', 'CMakeLists.txt', 'scripts/build-addon.sh', 'scripts/install.js', 'README.md', 'LICENSE']) {
      expect(fs.existsSync(path.join(installed, f)), f).toBe(true);
    }
    for (const f of ['tests', 'bench', 'docs', 'examples', 'lib', 'build', 'dist/.tsbuildinfo', 'dist/index.js.map']) {
      expect(fs.existsSync(path.join(installed, f)), f).toBe(false);
    }
  });

  it('CommonJS require runs an op and a small fit', () => {
    const r = run('node', [write('cjs.js', CJS)]);
    expect(r.status, out(r)).toBe(0);
    const { sum, loss } = JSON.parse(r.stdout) as { sum: number[]; loss: number[] };
    expect(sum).toEqual([11, 22, 33]);
    expect(loss).toHaveLength(5);
    expect(loss[4]).toBeLessThan(loss[0]);
  });

  it('ESM named and default imports both work', () => {
    const r = run('node', [write('esm.mjs', ESM)]);
    expect(r.status, out(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ a: [3, 6], b: [2, 2], same: true });
  });

  it("the app's tsc --strict (module nodenext) accepts the public types and reports a type error", () => {
    const tsc = path.join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--noEmit', '--types', 'node'];
    const good = run('node', [tsc, ...flags, write('good.ts', TS)]);
    expect(good.status, out(good)).toBe(0);
    const bad = run('node', [tsc, ...flags, write('bad.ts', `${TS}\nexport const wrong: string = nt.zeros([1]);\n`)]);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(\d+,\d+\): error TS2322: Type 'Tensor' is not assignable to type 'string'/);
  });

  it('a worker_thread in the app uses it', () => {
    const r = run('node', [write('worker.js', WORKER)]);
    expect(r.status, out(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ result: [3, 7] });
  });

  it('npx nodetorch doctor exits 0 and npx nodetorch info prints the libtorch version', () => {
    const doctor = run('npx', ['--no-install', 'nodetorch', 'doctor']);
    expect(doctor.status, out(doctor)).toBe(0);
    expect(doctor.stdout).toMatch(/^binary\s+prebuild: .*prebuilds\/linux-x64\/nodetorch\.napi\.node$/m);
    expect(doctor.stdout).toMatch(/^fix\s+nothing to fix$/m);
    const info = run('npx', ['--no-install', 'nodetorch', 'info']);
    expect(info.status, out(info)).toBe(0);
    expect(info.stdout).toContain(`"libtorchVersion": "${nt.info().libtorchVersion}"`);
  });

  it('its install script does nothing when the prebuild loads', () => {
    const r = run('node', [path.join(installed, 'scripts', 'install.js')]);
    expect(r.status, out(r)).toBe(0);
    expect(out(r)).toBe('');
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it.skipIf(!cxx)(`a binary whose shared library is missing: the error and doctor name it with the apt line${cxx ? '' : ' (skipped: no C++ compiler here)'}`, () => {
    // A stand-in binary linked to a libtorch-named library that is then deleted, picked through
    // node-gyp-build's NODETORCH_PREBUILD override (a folder with build/Release/*.node).
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
    const lib = 'libtorch_nodetorchtest.so.1.13';
    fs.writeFileSync(path.join(dir, 'lib.cc'), 'extern "C" int nodetorch_test_symbol() { return 1; }\n');
    fs.writeFileSync(path.join(dir, 'addon.cc'), 'extern "C" int nodetorch_test_symbol();\nextern "C" int use() { return nodetorch_test_symbol(); }\n');
    expect(run(cxx as string, ['-shared', '-fPIC', `-Wl,-soname,${lib}`, '-o', lib, 'lib.cc'], dir).status).toBe(0);
    expect(run(cxx as string, ['-shared', '-fPIC', '-o', 'build/Release/nodetorch.node', 'addon.cc', `-l:${lib}`, '-L.'], dir).status).toBe(0);
    fs.rmSync(path.join(dir, lib));
    const overrideEnv = { NODETORCH_PREBUILD: dir };

    const r = run('node', ['-e', "require('nodetorch')"], app, overrideEnv);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`it needs ${lib}, which is not installed on this machine`);
    expect(r.stderr).toContain('sudo apt-get install -y libtorch1.13');
    const doctor = run('npx', ['--no-install', 'nodetorch', 'doctor'], app, overrideEnv);
    console.log(`doctor with a missing shared library:\n${doctor.stdout}`);
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(new RegExp(`^shared libs\\s+missing: ${lib.replace(/\./g, '\\.')}`, 'm'));
    expect(doctor.stdout).toMatch(/^fix\s+sudo apt-get install -y libtorch1\.13$/m);
  });

  describe('without prebuilds/', () => {
    beforeAll(() => fs.rmSync(path.join(installed, 'prebuilds'), { recursive: true }));

    it('require fails with the clear message and doctor says why (exit 1)', () => {
      const r = run('node', ['-e', "require('nodetorch')"]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('nodetorch: could not load the native addon: no prebuilt binary matches this machine and none was built');
      expect(r.stderr).toContain('npx nodetorch rebuild');
      expect(r.stderr).toContain('npm install-scripts approve nodetorch');
      const doctor = run('npx', ['--no-install', 'nodetorch', 'doctor']);
      console.log(`doctor without a binary:\n${doctor.stdout}`);
      expect(doctor.status).toBe(1);
      expect(doctor.stdout).toMatch(/^binary\s+none \(No native build was found/m);
      expect(doctor.stdout).toMatch(/^loads\s+no/m);
      expect(doctor.stdout).toMatch(toolchain ? /^fix\s+npx nodetorch rebuild$/m : /^fix\s+sudo apt-get install -y .*&& npx nodetorch rebuild$/m);
      const help = run('npx', ['--no-install', 'nodetorch', '--help']);
      expect(help.status, out(help)).toBe(0);
      expect(help.stdout).toMatch(/^ {2}doctor /m);
      expect(help.stdout).toMatch(/^ {2}rebuild /m);
    });

    it('the install script, where cmake and a compiler are missing, says so in one message (exit 1)', () => {
      // A PATH with node alone: no cmake, no c++.
      const bin = path.join(tmp, 'node-only-bin');
      fs.mkdirSync(bin);
      fs.symlinkSync(process.execPath, path.join(bin, 'node'));
      const r = run(process.execPath, [path.join(installed, 'scripts', 'install.js')], app, { PATH: bin, CXX: '' });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('no prebuilt binary matches this machine; building the addon from source');
      expect(r.stderr).toContain('nodetorch: cannot build the native addon from source: missing cmake, a C++17 compiler.');
      expect(r.stderr).toContain('sudo apt-get install -y cmake g++');
      expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    });

    it.skipIf(!toolchain)(`npx nodetorch rebuild builds from source, then require works${toolchain ? '' : ' (skipped: no cmake/C++ compiler here)'}`, () => {
      // coreutils' timeout ends the whole build (npx, cmake-js, cmake, ninja), not npx alone. Where
      // ccache is installed, paths relative to the temp folder let the next run reuse this one's objects.
      const started = Date.now();
      const rebuild = run('timeout', ['-k', '30', String(REBUILD_LIMIT_S), 'npx', '--no-install', 'nodetorch', 'rebuild'], app, { CCACHE_BASEDIR: tmp }, (REBUILD_LIMIT_S + 60) * 1000);
      expect(rebuild.status, out(rebuild).slice(-4000)).toBe(0);
      console.log(`source build in the app: ${((Date.now() - started) / 1000).toFixed(0)} s`);
      expect(fs.existsSync(path.join(installed, 'build', 'Release', 'nodetorch.node'))).toBe(true);
      const r = run('node', [path.join(app, 'cjs.js')]);
      expect(r.status, out(r)).toBe(0);
      expect((JSON.parse(r.stdout) as { sum: number[] }).sum).toEqual([11, 22, 33]);
      const doctor = run('npx', ['--no-install', 'nodetorch', 'doctor']);
      expect(doctor.status, out(doctor)).toBe(0);
      expect(doctor.stdout).toMatch(/^binary\s+build: .*build\/Release\/nodetorch\.node$/m);
    }, (REBUILD_LIMIT_S + 120) * 1000);
  });
});
