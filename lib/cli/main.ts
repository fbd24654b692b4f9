#!/usr/bin/env node
/**
 * main.ts — the `nodetorch` command (commander): train, evaluate, predict, summary, sample, demo,
 * serve, launch, info, doctor and rebuild. Each command lives in lib/cli/commands/; errors print as one line
 * and exit 1. Nothing here loads the addon before a command needs it (lib/binding.ts loads it on
 * first use), so --help, doctor and rebuild work where it cannot load.
 */
import { Command } from 'commander';
import { buildFromSource } from './build';
import * as demo from './commands/demo';
import * as doctor from './commands/doctor';
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
  doctor.register(p);
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
      process.exitCode = buildFromSource();
    });
  return p;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`nodetorch: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
