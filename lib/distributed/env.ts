/**
 * env.ts — torchrun's environment protocol (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
 * MASTER_ADDR, MASTER_PORT, and torchelastic's agent store), read by `nt.distributed.init` and
 * written by `nodetorch launch`. Loads no addon.
 */

/** What a rank needs to find its group. */
export interface RankEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun's agent hosts the store (TORCHELASTIC_USE_AGENT_STORE=True): rank 0 is a client too. */
  agentStore: boolean;
  /** The store prefix torchrun's workers use with the agent store ("/worker/attempt_<restart>"). */
  storePrefix?: string;
}

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`distributed.init: environment variable ${name} must be a non-negative integer, got '${raw}'`);
  return v;
}

/** The variables torchrun sets, where set (undefined fields otherwise). */
export function readRankEnv(env: NodeJS.ProcessEnv = process.env): Partial<RankEnv> {
  const agentStore = env.TORCHELASTIC_USE_AGENT_STORE === 'True';
  return {
    rank: intVar(env, 'RANK'),
    worldSize: intVar(env, 'WORLD_SIZE'),
    localRank: intVar(env, 'LOCAL_RANK'),
    localWorldSize: intVar(env, 'LOCAL_WORLD_SIZE'),
    masterAddr: env.MASTER_ADDR || undefined,
    masterPort: intVar(env, 'MASTER_PORT'),
    agentStore,
    storePrefix: agentStore ? `/worker/attempt_${env.TORCHELASTIC_RESTART_COUNT ?? '0'}` : undefined,
  };
}

/** The environment one worker of `nodetorch launch` runs with (torchrun's names). */
export function workerEnv(w: { rank: number; localRank: number; worldSize: number; localWorldSize: number; nodeRank: number; nnodes: number; masterAddr: string; masterPort: number; runId: string }): Record<string, string> {
  return {
    RANK: String(w.rank),
    LOCAL_RANK: String(w.localRank),
    GROUP_RANK: String(w.nodeRank),
    ROLE_RANK: String(w.rank),
    ROLE_NAME: 'default',
    WORLD_SIZE: String(w.worldSize),
    LOCAL_WORLD_SIZE: String(w.localWorldSize),
    GROUP_WORLD_SIZE: String(w.nnodes),
    ROLE_WORLD_SIZE: String(w.worldSize),
    MASTER_ADDR: w.masterAddr,
    MASTER_PORT: String(w.masterPort),
    TORCHELASTIC_RESTART_COUNT: '0',
    TORCHELASTIC_MAX_RESTARTS: '0',
    TORCHELASTIC_RUN_ID: w.runId,
  };
}
