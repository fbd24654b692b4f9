/**
 * libtorch.test.ts — which libtorch the addon runs on: info() names the version and file of the
 * library actually loaded and the version built against, every libtorch library the addon resolves
 * comes from that one folder, and an addon loaded with another libtorch's libraries fails at load
 * with an explanation (not an undefined-symbol crash later). Runs against whichever build is under
 * test (npm test runs the suite against Debian's 1.13 and against a PyTorch wheel's 2.x).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as nt from '../lib';

const root = path.join(__dirname, '..');
const info = nt.info();
const addon = path.resolve(process.env.NODETORCH_ADDON ?? path.join(root, 'build', 'Release', 'nodetorch.node'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-libtorch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const majorMinor = (v: string): string => v.split('.').slice(0, 2).join('.');
const TORCH_LIB = /^(libtorch|libtorch_cpu|libtorch_cuda|libc10|libc10_cuda)\.so/;

/** The libtorch libraries the addon resolves: soname → real path (`ldd`). */
function resolvedTorchLibs(env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const out = execFileSync('ldd', [addon], { encoding: 'utf8', env });
  const libs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+) => (\S+)/.exec(line);
    if (m && TORCH_LIB.test(m[1])) libs.set(m[1], fs.realpathSync(m[2]));
  }
  return libs;
}

/** Another libtorch's lib folder than the one loaded: Debian's, or the PyTorch wheel's; null if none here. */
function otherLibtorch(): string | null {
  const debian = '/usr/lib/x86_64-linux-gnu';
  if (!info.libtorchPath.startsWith(`${debian}/`)) return fs.existsSync(path.join(debian, 'libtorch_cpu.so')) ? debian : null;
  const unpack = spawnSync('bash', [path.join(root, 'scripts', 'libtorch-from-wheel.sh')], { encoding: 'utf8', timeout: 300_000 });
  return unpack.status === 0 ? path.join(unpack.stdout.trim(), 'lib') : null;
}

describe('the libtorch loaded', () => {
  it('info() names its version and file, and the version built against', () => {
    expect(info.libtorchVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.build.libtorchVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(majorMinor(info.libtorchVersion)).toBe(majorMinor(info.build.libtorchVersion));
    expect(path.basename(info.libtorchPath)).toMatch(/^libtorch_cpu\.so/);
    expect(fs.realpathSync(info.libtorchPath)).toBe(info.libtorchPath);
    expect(info.blas).not.toBe('');
  });

  it('is the one the addon resolves, and every libtorch library comes from its folder', () => {
    const libs = resolvedTorchLibs();
    expect([...libs.keys()].some((name) => name.startsWith('libtorch_cpu.so'))).toBe(true);
    expect([...libs.keys()].some((name) => name.startsWith('libc10.so'))).toBe(true);
    for (const [name, file] of libs) {
      expect(path.dirname(file), name).toBe(path.dirname(info.libtorchPath));
      if (name.startsWith('libtorch_cpu.so')) expect(file).toBe(info.libtorchPath);
    }
  });

  it("another libtorch's libraries in its place fail the load with an explanation", (ctx) => {
    const other = otherLibtorch();
    if (other === null) {
      ctx.skip(`no second libtorch on this machine to swap in (libtorch-dev or a PyTorch wheel: see scripts/libtorch-from-wheel.sh)`);
      return;
    }
    // A folder that answers the addon's libtorch sonames with the other libtorch's files, searched
    // first through LD_LIBRARY_PATH: what a replaced libtorch or a stray LD_LIBRARY_PATH does.
    const swapped = path.join(dir, 'swapped');
    fs.mkdirSync(swapped, { recursive: true });
    const names = [...resolvedTorchLibs().keys()];
    for (const name of names) {
      const stem = name.slice(0, name.indexOf('.so'));
      const candidates = fs.readdirSync(other).filter((f) => f === `${stem}.so` || f.startsWith(`${stem}.so.`));
      if (candidates.length > 0) fs.symlinkSync(path.join(other, candidates.sort()[0]), path.join(swapped, name));
    }
    const env = { ...process.env, LD_LIBRARY_PATH: [swapped, other, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), NODETORCH_ADDON: addon };
    const cpu = names.find((name) => name.startsWith('libtorch_cpu.so'))!;
    expect(path.dirname(resolvedTorchLibs(env).get(cpu)!)).toBe(fs.realpathSync(other));
    const child = spawnSync(process.execPath, ['-e', "require('./dist'); console.log('loaded')"], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(1);
    expect(child.stdout).toBe('');
    expect(child.stderr).toMatch(
      /nodetorch: (the native addon .* does not fit the libtorch the dynamic linker found \(.*undefined symbol|this addon was compiled against libtorch \S+ but loaded libtorch \S+ \()/,
    );
  });
});
