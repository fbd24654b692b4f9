/**
 * addon_probe.ts — facts about this install of nodetorch, gathered without needing the addon to
 * load: which binary node-gyp-build picks and why, whether it loads, which shared libraries it
 * lacks (ldd), the libtorch on the machine, BLAS, and the tools a source build needs. Read by
 * `nodetorch doctor`, `nodetorch rebuild` and the package's install script.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addonFile, loadNative, packageRoot, type NativeInfo } from '../binding';

/** The binary node-gyp-build would load, or why there is none. */
export interface BinaryChoice {
  kind: 'build' | 'prebuild' | 'override' | 'none';
  file?: string;
  /** Why no binary matched (node-gyp-build's reason), when kind is 'none'. */
  why?: string;
}

/** A libtorch found on the machine. */
export interface LibtorchFound {
  version?: string;
  /** The folder of its shared libraries. */
  libDir?: string;
  /** Its CMake package folder (what a source build uses), when there is one. */
  cmakeDir?: string;
  cuda: boolean;
  /** How it was found: the addon's info(), ldd on the binary, LIBTORCH, Torch_DIR, the system. */
  source: string;
}

/** The first line a command prints with `--version`, or undefined when it does not run. */
export function toolVersion(command: string): string | undefined {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : undefined;
}

/** The C++ compiler a source build would use ($CXX, else c++ or g++) and its version line. */
export function compiler(): { command: string; version: string } | undefined {
  for (const command of [process.env.CXX, 'c++', 'g++', 'clang++']) {
    const version = command ? toolVersion(command) : undefined;
    if (command && version) return { command, version };
  }
  return undefined;
}

/** Which binary would load (NODETORCH_ADDON, else node-gyp-build's pick), without loading it. */
export function binaryChoice(): BinaryChoice {
  let file: string;
  try {
    file = addonFile();
  } catch (err) {
    return { kind: 'none', why: (err instanceof Error ? err.message : String(err)).trim().split('\n')[0] };
  }
  const rel = path.relative(packageRoot, file);
  const kind = rel.startsWith('build') ? 'build' : rel.startsWith('prebuilds') ? 'prebuild' : 'override';
  return { kind, file };
}

/** The `ldd` lines of a shared object: each needed library and where it resolves (undefined: not found). */
export function sharedLibraries(file: string): Map<string, string | undefined> | undefined {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (r.status !== 0 && !r.stdout) return undefined;
  const libs = new Map<string, string | undefined>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (m) libs.set(m[1], m[2] === 'not found' ? undefined : m[2]);
  }
  return libs;
}

/** The version a TorchConfigVersion.cmake declares. */
function cmakeVersion(cmakeDir: string): string | undefined {
  try {
    return /set\(PACKAGE_VERSION "([^"]+)"\)/.exec(fs.readFileSync(path.join(cmakeDir, 'TorchConfigVersion.cmake'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function hasCuda(libDir: string | undefined): boolean {
  return !!libDir && fs.existsSync(libDir) && fs.readdirSync(libDir).some((f) => f.startsWith('libtorch_cuda.so'));
}

/** The multiarch library folder of this machine's system packages (Debian layout). */
function systemLibDir(): string {
  return `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
}

/** The libtorch a source build would use: LIBTORCH, Torch_DIR, else the system's (Debian's libtorch-dev). */
export function libtorchForBuild(): LibtorchFound | undefined {
  const candidates: { cmakeDir: string; libDirs: string[]; source: string }[] = [];
  if (process.env.LIBTORCH) {
    const root = process.env.LIBTORCH;
    candidates.push({ cmakeDir: path.join(root, 'share', 'cmake', 'Torch'), libDirs: [path.join(root, 'lib')], source: `LIBTORCH=${root}` });
  }
  if (process.env.Torch_DIR) {
    const dir = process.env.Torch_DIR;
    candidates.push({ cmakeDir: dir, libDirs: [path.resolve(dir, '../../../lib'), path.resolve(dir, '../..')], source: `Torch_DIR=${dir}` });
  }
  const sys = systemLibDir();
  candidates.push({ cmakeDir: path.join(sys, 'cmake', 'Torch'), libDirs: [sys], source: 'the system (libtorch-dev)' });
  for (const c of candidates) {
    const version = cmakeVersion(c.cmakeDir);
    if (!version) continue;
    const libDir = c.libDirs.find((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.startsWith('libtorch.so')));
    return { version, libDir, cmakeDir: c.cmakeDir, cuda: hasCuda(libDir), source: c.source };
  }
  return undefined;
}

/** The libtorch a binary is linked to, from where ldd resolves its libtorch.so. */
export function libtorchOfBinary(libs: Map<string, string | undefined>): LibtorchFound | undefined {
  for (const [name, where] of libs) {
    const m = /^libtorch\.so(?:\.(.+))?$/.exec(name);
    if (!m) continue;
    const libDir = where ? path.dirname(fs.realpathSync(where)) : undefined;
    return { version: m[1], libDir, cuda: hasCuda(libDir) || [...libs.keys()].some((l) => l.startsWith('libtorch_cuda')), source: 'ldd on the binary' };
  }
  return undefined;
}

/** The BLAS behind libblas.so.3 (Debian's alternatives pick OpenBLAS, BLIS or the reference one). */
export function blasLibrary(libs: Map<string, string | undefined> | undefined): string | undefined {
  const blas = [...(libs ?? new Map<string, string | undefined>())].find(([name, where]) => where && /^lib(open)?blas|^libmkl/.test(name));
  return blas ? `${blas[0]} → ${fs.realpathSync(blas[1] as string)}` : undefined;
}

/** Loads the addon (through binding.ts) and returns its info(), or the load error's message. */
export function tryLoad(): { info: NativeInfo } | { error: string } {
  try {
    return { info: loadNative().info() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** The Debian packages a source build still needs (empty: libtorch, gloo's headers, cmake and a compiler are there). */
export function missingBuildPackages(): string[] {
  const missing: string[] = [];
  const torch = libtorchForBuild();
  if (!torch) missing.push('libtorch-dev');
  // Debian's libtorch headers include gloo's (c10d); a downloaded libtorch carries its own.
  if ((!torch || torch.source.startsWith('the system')) && !fs.existsSync('/usr/include/gloo')) missing.push('libgloo-dev');
  if (!toolVersion('cmake')) missing.push('cmake');
  if (!compiler()) missing.push('g++');
  return missing;
}
