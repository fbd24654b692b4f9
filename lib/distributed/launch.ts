/**
 * launch.ts — what `nodetorch launch` does (torchrun's job for Node scripts): starts one process
 * per local rank with torchrun's environment, prefixes every output line with its rank, and when
 * one rank fails (non-zero exit or signal) stops the others and reports that rank. Loads no addon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as readline from 'node:readline';
import { workerEnv } from './env';

export interface LaunchOptions {
  /** Processes on this machine. */
  nprocPerNode: number;
  /** Machines (default 1). */
  nnodes: number;
  /** This machine's index (default 0). */
  nodeRank: number;
  /** Host of global rank 0 (default 127.0.0.1). */
  masterAddr: string;
  /** Store port (default: a free port with one machine, else 29500). */
  masterPort?: number;
  /** The script and its arguments, run with this Node. */
  script: string;
  args: string[];
  /** Seconds between asking the other ranks to stop (SIGTERM) and killing them (default 5). */
  killGraceS?: number;
}

/** `--nproc-per-node auto`: one process per GPU where there are GPUs, else per CPU core. */
export function autoProcs(): number {
  try {
    const gpus = fs.readdirSync('/proc/driver/nvidia/gpus').length;
    if (gpus > 0) return gpus;
  } catch {
    // no NVIDIA driver
  }
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function prefixLines(stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, prefix: string): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix}${line}\n`));
}

/**
 * Runs the ranks of this machine to completion. Resolves to the exit code for the launcher: 0 when
 * every rank succeeded; otherwise the failed rank's code (1 for a signal) after stopping the rest.
 */
export async function launch(o: LaunchOptions): Promise<number> {
  const worldSize = o.nprocPerNode * o.nnodes;
  const masterPort = o.masterPort ?? (o.nnodes === 1 ? await freePort() : 29500);
  const runId = randomUUID();
  const children: { rank: number; child: ChildProcess; exited: boolean }[] = [];
  let failure: string | undefined;
  let failureCode = 0;
  let interrupted = false;
  const stopAll = (): void => {
    for (const c of children) if (!c.exited) c.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const c of children) if (!c.exited) c.child.kill('SIGKILL');
    }, (o.killGraceS ?? 5) * 1000);
    timer.unref();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = true;
    process.stderr.write(`nodetorch launch: ${signal}: stopping all ranks\n`);
    stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const exits: Promise<void>[] = [];
  for (let localRank = 0; localRank < o.nprocPerNode; localRank++) {
    const rank = o.nodeRank * o.nprocPerNode + localRank;
    const env = {
      ...process.env,
      ...workerEnv({ rank, localRank, worldSize, localWorldSize: o.nprocPerNode, nodeRank: o.nodeRank, nnodes: o.nnodes, masterAddr: o.masterAddr, masterPort, runId }),
      OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? (o.nprocPerNode > 1 ? '1' : undefined),
    };
    const child = spawn(process.execPath, [o.script, ...o.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const entry = { rank, child, exited: false };
    children.push(entry);
    prefixLines(child.stdout!, process.stdout, `[${rank}] `);
    prefixLines(child.stderr!, process.stderr, `[${rank}] `);
    exits.push(
      new Promise<void>((resolve) => {
        child.on('error', (err) => {
          entry.exited = true;
          if (failure === undefined) {
            failure = `rank ${rank} could not start: ${err.message}`;
            failureCode = 1;
            stopAll();
          }
          resolve();
        });
        child.on('exit', (code, signal) => {
          entry.exited = true;
          if ((code !== 0 || signal !== null) && failure === undefined && !interrupted) {
            failure = signal !== null ? `rank ${rank} (pid ${child.pid}) was killed by ${signal}` : `rank ${rank} (pid ${child.pid}) exited with code ${code}`;
            failureCode = code !== null && code !== 0 ? code : 1;
            stopAll();
          }
          resolve();
        });
      }),
    );
  }
  await Promise.all(exits);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (interrupted) return 130;
  if (failure !== undefined) {
    process.stderr.write(`nodetorch launch: ${failure}; the other ranks were stopped\n`);
    return failureCode;
  }
  return 0;
}
