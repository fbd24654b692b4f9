/**
 * doctor.ts — `nodetorch doctor`: what a user needs to fix an install, printed whether or not the
 * addon loads: Node and N-API, the binary node-gyp-build picks (and why none), whether it loads,
 * the shared libraries it lacks, libtorch (version, folder, CUDA), BLAS, cmake, the compiler, and
 * the one command that fixes what is wrong. Exits 0 only when the addon loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../binding';
import { aptHint, REBUILD } from '../../load_error';
import { binaryChoice, blasLibrary, compiler, libtorchForBuild, libtorchOfBinary, missingBuildPackages, sharedLibraries, toolVersion, tryLoad, type LibtorchFound } from '../addon_probe';

function describeLibtorch(t: LibtorchFound | undefined): string {
  if (!t) return 'not found (no LIBTORCH, Torch_DIR or system libtorch-dev)';
  const where = t.libDir ? `in ${t.libDir}` : t.cmakeDir ? `(CMake package in ${t.cmakeDir}; no libtorch.so next to it)` : '(its libraries are not on this machine)';
  return `${t.version ?? 'version unknown'} ${where}, ${t.cuda ? 'CUDA build' : 'CPU only'} (found through ${t.source})`;
}

/** Runs the checks, prints them, returns the exit status. */
function doctor(): number {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const lines: [string, string][] = [];
  const row = (label: string, text: string): void => void lines.push([label, text]);

  row('node', `${process.version}, N-API ${process.versions.napi}, ABI ${process.versions.modules}, ${process.platform}-${process.arch}`);
  row('nodetorch', `${pkg.version} in ${packageRoot}`);

  const choice = binaryChoice();
  row('binary', choice.file ? `${choice.kind}: ${choice.file}` : `none (${choice.why}); no build/Release/nodetorch.node and no prebuilds/${process.platform}-${process.arch}/ binary`);

  const loaded = tryLoad();
  row('loads', 'info' in loaded ? 'yes' : choice.file ? `no: ${loaded.error.split('\n')[0]}` : 'no (no binary)');

  // The binary's shared libraries, or (without one) those of the libtorch a build would link.
  const buildTorch = libtorchForBuild();
  const torchCpu = buildTorch?.libDir && fs.readdirSync(buildTorch.libDir).find((f) => f.startsWith('libtorch_cpu.so'));
  const lddOf = choice.file ?? (torchCpu ? path.join(buildTorch?.libDir as string, torchCpu) : undefined);
  const libs = lddOf ? sharedLibraries(lddOf) : undefined;
  const missingLibs = [...(libs ?? [])].filter(([, where]) => !where).map(([name]) => name);
  if (libs) row('shared libs', `${missingLibs.length ? `missing: ${missingLibs.join(', ')}` : `all ${libs.size} resolve`} (ldd ${lddOf})`);
  if ('info' in loaded) {
    const i = loaded.info;
    const cuda = i.cudaBuilt ? `CUDA ${i.cudaVersion ?? ''} build, ${i.cudaDeviceCount} device(s) available` : 'CPU only';
    const linked = libs ? libtorchOfBinary(libs) : undefined;
    row('libtorch', `${i.libtorchVersion} (loaded) in ${linked?.libDir ?? i.build.torchDir}, ${cuda}`);
    row('BLAS', [i.blas, blasLibrary(libs)].filter(Boolean).join('; '));
  } else {
    const linked = choice.file && libs ? libtorchOfBinary(libs) : undefined;
    row('libtorch', linked ? `the binary links ${describeLibtorch(linked)}` : choice.file && libs ? 'the binary links no libtorch.so' : describeLibtorch(buildTorch));
    row('BLAS', blasLibrary(libs) ?? 'unknown');
  }
  if (choice.file) row('rebuild with', describeLibtorch(buildTorch)); // what `nodetorch rebuild` would build against
  row('cmake', toolVersion('cmake') ?? 'not found');
  const cxx = compiler();
  row('compiler', cxx ? `${cxx.command}: ${cxx.version}` : 'not found (a C++17 compiler: g++ or clang++)');

  let fix = 'nothing to fix';
  if (!('info' in loaded)) {
    if (choice.file && missingLibs.length > 0) {
      fix = [...new Set(missingLibs.map(aptHint))].join(' && ');
    } else {
      const missing = missingBuildPackages();
      fix = (missing.length ? `sudo apt-get install -y ${missing.join(' ')} && ` : '') + REBUILD;
    }
  }
  row('fix', fix);

  const width = Math.max(...lines.map(([label]) => label.length));
  console.log(lines.map(([label, text]) => `${label.padEnd(width)}  ${text}`).join('\n'));
  return 'info' in loaded ? 0 : 1;
}

/** Adds `doctor` to the program. */
export function register(program: Command): void {
  program
    .command('doctor')
    .description('check this install: Node/N-API, the addon binary and why it does (not) load, libtorch, BLAS, cmake, compiler, and the fix')
    .action(() => {
      process.exitCode = doctor();
    });
}
