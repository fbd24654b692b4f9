/**
 * index.ts — `nt.distributed`: one process per device in a c10d process group (Gloo on CPU,
 * NCCL on CUDA where the addon was built with it), set up from torchrun's environment or options
 * and laid out in the store as Python's `init_process_group` lays it out (a Python rank can be
 * in the same group); Promise collectives that wait off the event loop; `wrap(model)` for
 * data-parallel training (see wrap.ts).
 */
import { native } from '../binding';
import { checkInt, checkOneOf, invalidType } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { Tensor } from '../tensor/tensor';
import { Tensor as TensorClass } from '../tensor/tensor';
import { readRankEnv } from './env';

export { wrap } from './wrap';
export type { WrapOptions } from './wrap';

/** Options of `init`; each falls back to torchrun's environment variable, then to the default. */
export interface InitOptions {
  /** 'gloo' (CPU tensors; the default) or 'nccl' (CUDA tensors; addons built against a CUDA libtorch with NCCL). */
  backend?: 'gloo' | 'nccl';
  /** This process's rank (RANK). */
  rank?: number;
  /** Number of processes in the group (WORLD_SIZE). */
  worldSize?: number;
  /** Rank on this machine (LOCAL_RANK; default: rank), e.g. to pick `cuda:${localRank}`. */
  localRank?: number;
  /** Host of rank 0, which hosts the store (MASTER_ADDR; default 127.0.0.1). */
  masterAddr?: string;
  /** Port of the store (MASTER_PORT; default 29500). */
  masterPort?: number;
  /**
   * How long joining, and then each collective, may wait for the other ranks before failing
   * (default 30 minutes, as PyTorch). A rank that never joins makes init reject, naming it.
   */
  timeoutMs?: number;
}

/** Reductions of allReduce and reduceScatter. */
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min' | 'product';
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'avg', 'max', 'min', 'product'];
const INIT_OPTIONS = defineOptions<InitOptions>({
  backend: rule.oneOf(['gloo', 'nccl']),
  rank: rule.int({ min: 0 }),
  worldSize: rule.int({ min: 1 }),
  localRank: rule.int({ min: 0 }),
  masterAddr: rule.string(),
  masterPort: rule.int({ min: 1, max: 65535 }),
  timeoutMs: rule.int({ min: 1 }),
});

let local = { rank: 0, worldSize: 1 };

/**
 * Joins the process group: rank 0 hosts the TCP store at masterAddr:masterPort, every rank
 * connects, and the group is formed once all `worldSize` ranks have joined. Rejects after
 * `timeoutMs` naming the ranks that did not join.
 */
export async function init(options: InitOptions = {}): Promise<void> {
  checkOptions('distributed.init', INIT_OPTIONS, options);
  const env = readRankEnv();
  const backend = options.backend ?? 'gloo';
  if (backend === 'nccl' && !native.distributedHasNccl()) {
    throw new Error("distributed.init: backend 'nccl' needs an addon built against a CUDA libtorch with NCCL; this one has none (use 'gloo')");
  }
  const worldSize = options.worldSize ?? env.worldSize ?? 1;
  const rank = options.rank ?? env.rank ?? 0;
  if (rank >= worldSize) throw new RangeError(`distributed.init: rank must be in [0, ${worldSize}) for a world of ${worldSize}, got ${rank}`);
  const localRank = options.localRank ?? env.localRank ?? rank;
  const masterAddr = options.masterAddr ?? env.masterAddr ?? '127.0.0.1';
  if (masterAddr.length === 0) throw new TypeError('distributed.init: masterAddr must be a host name or address, got an empty string');
  const masterPort = options.masterPort ?? env.masterPort ?? 29500;
  const timeoutMs = options.timeoutMs ?? 1_800_000;
  const fromEnv = options.masterPort === undefined && options.masterAddr === undefined;
  await native.distributedInit({
    rank,
    worldSize,
    masterAddr,
    masterPort,
    backend,
    timeoutMs,
    agentStore: fromEnv && env.agentStore === true,
    storePrefix: fromEnv ? env.storePrefix : undefined,
  });
  local = { rank: localRank, worldSize: options.worldSize === undefined ? (env.localWorldSize ?? worldSize) : worldSize };
}

/** Whether init() has completed (and destroy() not been called since). */
export function isInitialized(): boolean {
  return native.distributedState() !== null;
}

function state(op: string): { rank: number; worldSize: number; backend: string } {
  const s = native.distributedState();
  if (s === null) throw new Error(`distributed.${op}: no process group: call nt.distributed.init() first`);
  return s;
}

/** This process's rank in the group. */
export function rank(): number {
  return state('rank').rank;
}

/** Number of processes in the group. */
export function worldSize(): number {
  return state('worldSize').worldSize;
}

/** This process's rank on its machine (LOCAL_RANK). */
export function localRank(): number {
  state('localRank');
  return local.rank;
}

/** Number of processes on this machine (LOCAL_WORLD_SIZE). */
export function localWorldSize(): number {
  state('localWorldSize');
  return local.worldSize;
}

/** The group's backend, 'gloo' or 'nccl'. */
export function backend(): 'gloo' | 'nccl' {
  return state('backend').backend as 'gloo' | 'nccl';
}

/**
 * Leaves the group (collectives still running keep it until they end). Data-parallel models stay
 * tied to the group they were wrapped with.
 */
export function destroy(): void {
  native.distributedDestroy();
}

function checkTensor(op: string, t: unknown): Tensor {
  if (!(t instanceof TensorClass)) throw invalidType(`distributed.${op}`, 'tensor', 'a Tensor', t);
  return t;
}

/**
 * Reduces `t` across all ranks, in place (as PyTorch's all_reduce): every rank ends with the sum
 * (or avg, max, min, product). Resolves to `t`. Do not read or write `t` until it resolves.
 */
export async function allReduce(t: Tensor, op: ReduceOp = 'sum'): Promise<Tensor> {
  checkTensor('allReduce', t);
  await native.distributedAllReduce(t._h, checkOneOf('distributed.allReduce', 'op', op, REDUCE_OPS));
  return t;
}

/** Copies rank `src`'s `t` into every rank's `t`, in place. Resolves to `t`. */
export async function broadcast(t: Tensor, src = 0): Promise<Tensor> {
  checkTensor('broadcast', t);
  await native.distributedBroadcast(t._h, checkInt('distributed.broadcast', 'src', src));
  return t;
}

/** Every rank's `t` (same shape and dtype on all), in rank order. */
export async function allGather(t: Tensor): Promise<Tensor[]> {
  checkTensor('allGather', t);
  const hs = await native.distributedAllGather(t._h);
  return hs.map((h) => new TensorClass(h));
}

/**
 * Reduces `t` ([worldSize * k, ...]) across ranks and returns this rank's slice [k, ...] of the
 * result (rows rank*k to (rank+1)*k). `t` is left unchanged.
 */
export async function reduceScatter(t: Tensor, op: ReduceOp = 'sum'): Promise<Tensor> {
  checkTensor('reduceScatter', t);
  return new TensorClass(await native.distributedReduceScatter(t._h, checkOneOf('distributed.reduceScatter', 'op', op, REDUCE_OPS)));
}

/** Resolves once every rank has called barrier(). */
export async function barrier(): Promise<void> {
  state('barrier');
  await native.distributedBarrier();
}
