/**
 * launch.ts — `nodetorch launch [--nproc-per-node N|auto] [--nnodes M --node-rank K --master-addr A
 * --master-port P] script.js [args...]`: runs a script on several processes with torchrun's
 * environment (lib/distributed/launch.ts). The launcher itself never loads the addon.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { autoProcs, launch } from '../../distributed/launch';
import { nonNegativeInt, positiveInt } from '../parse';

function procs(value: string): number {
  return value === 'auto' ? autoProcs() : positiveInt(value);
}

function port(value: string): number {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError('expected a port in [1, 65535]');
  return n;
}

export function register(program: Command): void {
  // The script's own flags pass through untouched (they follow <script>).
  program.enablePositionalOptions();
  program
    .command('launch')
    .description("run a script on several processes with torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, ...), for nt.distributed")
    .option('--nproc-per-node <n>', "processes on this machine, or 'auto' (one per GPU, else per CPU core)", procs, 1)
    .option('--nnodes <n>', 'machines taking part', positiveInt, 1)
    .option('--node-rank <k>', "this machine's index among them", nonNegativeInt, 0)
    .option('--master-addr <host>', 'host of rank 0 (it hosts the store)', '127.0.0.1')
    .option('--master-port <port>', 'store port (default: a free port with one machine, else 29500)', port)
    .argument('<script>', 'the Node script to run')
    .argument('[args...]', "the script's own arguments")
    .passThroughOptions()
    .action(async (script: string, args: string[], o: { nprocPerNode: number; nnodes: number; nodeRank: number; masterAddr: string; masterPort?: number }) => {
      if (o.nodeRank >= o.nnodes) throw new Error(`--node-rank ${o.nodeRank} must be below --nnodes ${o.nnodes}`);
      process.exitCode = await launch({ ...o, script, args });
    });
}
