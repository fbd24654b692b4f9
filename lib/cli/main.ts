#!/usr/bin/env node
/**
 * main.ts — the `nodetorch` command (commander): train, evaluate, predict, summary, sample, demo,
 * serve, launch, info and rebuild. Each command lives in lib/cli/commands/; errors print as one line and exit 1.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Command } from 'commander';
import * as demo from './commands/demo';
import * as inspect from './commands/inspect';
import * as launch from './commands/launch';
import * as serve from './commands/serve';
import * as train from './commands/train';

function program(): Command {
  const p = new Command('nodetorch').description('train and run CNNs and GANs on libtorch from Node.js').showHelpAfterError('(add --help for usage)');
  train.register(p);
  inspect.register(p);
  demo.register(p);
  serve.register(p);
  launch.register(p);
  p.command('info')
    .description('print the libtorch version, CUDA/cuDNN, BLAS, threads and build flags')
    .action(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const nt = require('../index') as typeof import('../index');
      const { buildConfig, parallelInfo, ...facts } = nt.info();
      console.log(JSON.stringify(facts, null, 2));
      console.log(parallelInfo.trim());
      console.log(buildConfig.trim());
    });
  p.command('rebuild')
    .description('compile the native addon from source (needs libtorch, cmake, a C++17 compiler; LIBTORCH or Torch_DIR select another libtorch)')
    .action(() => {
      const root = path.join(__dirname, '..', '..');
      process.exitCode = spawnSync('bash', [path.join(root, 'scripts', 'build-addon.sh')], { stdio: 'inherit' }).status ?? 1;
    });
  return p;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`nodetorch: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
