#!/usr/bin/env node
/**
 * main.ts — the `nodetorch` command: `nodetorch info` prints what the addon runs on,
 * `nodetorch rebuild` compiles the addon from source against the local libtorch.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const USAGE = `usage: nodetorch <command>

commands:
  info      print the libtorch version, CUDA/cuDNN, BLAS, threads and build flags
  rebuild   compile the native addon from source (needs libtorch, cmake, a C++17 compiler;
            LIBTORCH or Torch_DIR select a libtorch other than Debian's libtorch-dev)`;

function main(argv: string[]): number {
  const command = argv[0];
  if (command === 'info') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nt = require('../index') as typeof import('../index');
    const { buildConfig, parallelInfo, ...facts } = nt.info();
    console.log(JSON.stringify(facts, null, 2));
    console.log(parallelInfo.trim());
    console.log(buildConfig.trim());
    return 0;
  }
  if (command === 'rebuild') {
    const root = path.join(__dirname, '..', '..');
    const result = spawnSync('bash', [path.join(root, 'scripts', 'build-addon.sh')], { stdio: 'inherit' });
    return result.status ?? 1;
  }
  console.error(USAGE);
  return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
}

process.exitCode = main(process.argv.slice(2));
