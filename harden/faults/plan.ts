// How big each fault scenario runs at a given PNODE_HARDEN_SCALE: counts and durations scale, the
// product's own timeouts do not (but for the keepalive of the stalled-peers node below scale 1,
// so a quick look does not wait 90 s for it).
import { DEFAULT_KEEPALIVE, type KeepaliveTiming } from '../../src-node/kernel/connection/keepalive.js';
import { scaled } from '../lib/random.js';
import { STALL_CASES } from './stall-cases.js';

/** Scale 1: the figures. */
export const RESTART_PNODES = 10;
export const RESTART_HEARTBEAT_INTERVAL_MS = 1_000;
/** How long the orchestrator stays dead, in heartbeat intervals: shorter than a lease, about one, well past it. */
export const RESTART_DOWNTIME_INTERVALS: readonly number[] = [1, 3, 8];
export const DIRECTORY_NODES = 10;
export const DIRECTORY_NEWCOMERS = 3;
export const DIRECTORY_REPUBLISHERS = 2;
export const PARTITION_NODES = 50;
/** The discovery simulation needs this many to make two halves with joiners. */
export const PARTITION_MIN_NODES = 10;
export const FLOOD_HEARTBEAT_INTERVAL_MS = 1_000;
export const FLOOD_MS = 30_000;
/**
 * The flooder's niceness: on the real network the attacker's CPU is not the node's; here both share
 * this machine's cores, so the flooder yields to the node and to the process that measures it.
 */
export const FLOOD_NICENESS = 10;
/** The shortest keepalive a scaled-down run gives the stalled-peers node. */
export const MIN_SCALED_KEEPALIVE_INTERVAL_MS = 500;

export type ScenarioName = 'restart' | 'directory' | 'partition' | 'stalls' | 'flood';
export const SCENARIOS: readonly ScenarioName[] = ['restart', 'directory', 'partition', 'stalls', 'flood'];

export interface FaultsPlan {
  readonly restart: { readonly pnodes: number; readonly heartbeatIntervalMs: number; readonly downtimesMs: readonly number[] };
  readonly directory: { readonly nodes: number; readonly newcomers: number; readonly republishers: number };
  readonly partition: { readonly nodes: number };
  readonly stalls: { readonly cases: readonly string[]; readonly keepalive: KeepaliveTiming; readonly waitForTcpClose: boolean; readonly fillSlots: boolean };
  readonly flood: { readonly heartbeatIntervalMs: number; readonly floodMs: number; readonly floodNiceness: number };
}

export function keepaliveAt(scale: number): KeepaliveTiming {
  if (scale >= 1) return DEFAULT_KEEPALIVE;
  const intervalMs = Math.max(MIN_SCALED_KEEPALIVE_INTERVAL_MS, Math.round(DEFAULT_KEEPALIVE.intervalMs * scale));
  return { intervalMs, timeoutMs: Math.round((intervalMs * DEFAULT_KEEPALIVE.timeoutMs) / DEFAULT_KEEPALIVE.intervalMs) };
}

export function faultsPlan(scale: number): FaultsPlan {
  return {
    restart: {
      pnodes: scaled(RESTART_PNODES, scale, 2),
      heartbeatIntervalMs: RESTART_HEARTBEAT_INTERVAL_MS,
      downtimesMs: RESTART_DOWNTIME_INTERVALS.map((n) => n * RESTART_HEARTBEAT_INTERVAL_MS),
    },
    directory: { nodes: scaled(DIRECTORY_NODES, scale, 3), newcomers: scaled(DIRECTORY_NEWCOMERS, scale, 1), republishers: scaled(DIRECTORY_REPUBLISHERS, scale, 1) },
    partition: { nodes: scaled(PARTITION_NODES, scale, PARTITION_MIN_NODES) },
    stalls: { cases: STALL_CASES.map((c) => c.name), keepalive: keepaliveAt(scale), waitForTcpClose: scale >= 1, fillSlots: true },
    flood: { heartbeatIntervalMs: FLOOD_HEARTBEAT_INTERVAL_MS, floodMs: scaled(FLOOD_MS, scale, 3_000), floodNiceness: FLOOD_NICENESS },
  };
}

/** PNODE_HARDEN_FAULTS=stalls,flood runs only those scenarios; every one by default. */
export function scenariosFromEnv(env: NodeJS.ProcessEnv = process.env): ScenarioName[] {
  const raw = env['PNODE_HARDEN_FAULTS'];
  if (raw === undefined || raw.trim() === '') return [...SCENARIOS];
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of names) if (!SCENARIOS.includes(name as ScenarioName)) throw new Error(`PNODE_HARDEN_FAULTS: no fault scenario ${JSON.stringify(name)} (${SCENARIOS.join(', ')})`);
  return names as ScenarioName[];
}
