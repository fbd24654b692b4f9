/**
 * build.ts — builds the native addon from source (scripts/build-addon.sh: cmake-js against
 * LIBTORCH / Torch_DIR / the system libtorch), after checking that what the build needs is there;
 * when it is not, one message names what is missing and the command that installs it.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../binding';
import { REBUILD } from '../load_error';
import { missingBuildPackages } from './addon_probe';

const WHAT: Record<string, string> = {
  'libtorch-dev': "libtorch (no CMake package for Torch under LIBTORCH, Torch_DIR or the system's libtorch-dev)",
  'libgloo-dev': "gloo's headers (Debian's libtorch includes them)",
  cmake: 'cmake',
  'g++': 'a C++17 compiler',
};

/** Builds build/Release/nodetorch.node; returns the exit status (1, after the message, when a prerequisite is missing). */
export function buildFromSource(): number {
  const missing = missingBuildPackages();
  if (missing.length > 0) {
    console.error(
      `nodetorch: cannot build the native addon from source: missing ${missing.map((p) => WHAT[p]).join(', ')}.\n` +
        `  Install them (Debian/Ubuntu):  sudo apt-get install -y ${missing.join(' ')}\n` +
        `  (another libtorch, e.g. a CUDA build: LIBTORCH=<its folder>), then run:  ${REBUILD}`,
    );
    return 1;
  }
  return spawnSync('bash', [path.join(packageRoot, 'scripts', 'build-addon.sh')], { stdio: 'inherit' }).status ?? 1;
}
