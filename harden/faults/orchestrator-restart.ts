// Scenario 1, the orchestrator killed and restarted: N PNodes (real runtimes with the real
// membership module and its default reconnect policy) register with a `pnode orchestrator` child
// at a short heartbeat interval; the orchestrator is SIGKILLed, stays dead for a while, and is
// started again on the same port and data dir (same node-id). Its registry is in memory, so every
// PNode must register again. Figure: from the moment the new process listens until every PNode is
// registered again (by the admin API's `registered-at`), per round; goal ≤ 2 heartbeat intervals.
import { join } from 'node:path';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { membershipParts } from '../../tests/support/contributors.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';
import { connectTcp } from './raw-ws.js';
import { startRuntime, stopRuntimes } from '../lib/runtimes.js';
import { adminPnodes, startOrchestratorChild, type OrchestratorChild } from './services.js';
import { summarize } from './stats.js';
import { pollFor, sleep } from './wait.js';

/** The goal: every PNode registered again within this many heartbeat intervals of the restart. */
export const REREGISTER_GOAL_INTERVALS = 2;
/** The longest wait for the PNodes to register (long enough to measure a slow reconnect, not to hide it). */
export const REGISTER_WAIT_MS = 90_000;
/** How often the admin API is asked (the figure itself comes from `registered-at`, not from the poll). */
export const ADMIN_POLL_MS = 50;
/** How often the restarted orchestrator's port is probed for its listener. */
export const LISTEN_PROBE_MS = 5;
/** In-process PNodes started at once. */
export const PNODE_START_BATCH = 8;

export interface OrchestratorRestartOptions {
  readonly pnodes: number;
  readonly heartbeatIntervalMs: number;
  /** How long the orchestrator stays dead, one round each. */
  readonly downtimesMs: readonly number[];
  readonly workDir: string;
  readonly registerWaitMs?: number;
  readonly log?: (line: string) => void;
  /** The PNodes' warnings (their membership module reports each failed attempt there). */
  readonly warn?: (line: string) => void;
}

export interface RestartRound {
  /** SIGKILL → the new process was spawned. */
  readonly downtimeMs: number;
  /** Spawned → its peer port accepts connections. */
  readonly startupMs: number;
  readonly reregistered: number;
  /** From listening to the first, the median and the last PNode registered again (null: not all were). */
  readonly firstMs: number | null;
  readonly medianMs: number | null;
  readonly allMs: number | null;
}

export interface OrchestratorRestartResult {
  readonly pnodes: number;
  readonly heartbeatIntervalMs: number;
  /** From the PNodes' start until all were registered the first time. */
  readonly initialMs: number | null;
  readonly rounds: readonly RestartRound[];
}

/** Resolves with the moment `port` first accepts a TCP connection (the probe is closed at once). */
async function listeningAt(port: number, timeoutMs: number): Promise<number | undefined> {
  return pollFor(
    async () => {
      const socket = await connectTcp(port);
      const at = Date.now();
      socket.destroy();
      return at;
    },
    { timeoutMs, everyMs: LISTEN_PROBE_MS },
  );
}

/** The registration times (ms) of `wanted` PNodes registered at or after `since`, once all are (or at the deadline). */
async function registrationTimes(orchestrator: OrchestratorChild, wanted: ReadonlySet<string>, since: number, waitMs: number): Promise<number[]> {
  let times: number[] = [];
  await pollFor(
    async () => {
      const pnodes = await adminPnodes(orchestrator.admin);
      times = pnodes.filter((p) => wanted.has(p.nodeId) && p.state === 'registered' && p.registeredAt !== null && p.registeredAt >= since).map((p) => p.registeredAt!);
      return times.length >= wanted.size ? true : undefined;
    },
    { timeoutMs: waitMs, everyMs: ADMIN_POLL_MS },
  );
  return times.sort((a, b) => a - b);
}

export async function runOrchestratorRestart(options: OrchestratorRestartOptions): Promise<OrchestratorRestartResult> {
  const log = options.log ?? (() => undefined);
  const waitMs = options.registerWaitMs ?? REGISTER_WAIT_MS;
  const dataDir = join(options.workDir, 'orchestrator');
  const port = await freeLoopbackPort();
  let orchestrator = await startOrchestratorChild({ dataDir, port, heartbeatIntervalMs: options.heartbeatIntervalMs });
  const target = { nodeId: orchestrator.nodeId, urls: [orchestrator.url] };
  const pnodes: NodeRuntime[] = [];
  try {
    const started = Date.now();
    for (let i = 0; i < options.pnodes; i += PNODE_START_BATCH) {
      const batch = [];
      for (let j = i; j < Math.min(options.pnodes, i + PNODE_START_BATCH); j++) {
        // The membership module as `pnode node` builds it: default backoff and register timeout.
        batch.push(
          startRuntime({ dataDir: join(options.workDir, `pnode-${j}`), role: 'contributor', listen: false, ...(options.warn ? { warn: (line: string) => options.warn!(`pnode-${j}: ${line}`) } : {}) }, (r) =>
            // Hardware detection costs a second per node: off (the descriptor then says "unknown").
            membershipParts(r, { orchestrators: [target] }, { hardware: { detect: false } }).modules,
          ),
        );
      }
      pnodes.push(...(await Promise.all(batch)));
    }
    const wanted = new Set(pnodes.map((p) => p.identity.nodeId));
    const initial = await registrationTimes(orchestrator, wanted, 0, waitMs);
    const initialMs = initial.length === wanted.size ? Date.now() - started : null;
    log(`  ${initial.length}/${wanted.size} PNodes registered${initialMs === null ? '' : ` after ${initialMs} ms`}`);
    if (initialMs === null) throw new Error(`only ${initial.length} of ${wanted.size} PNodes registered within ${waitMs} ms:\n${orchestrator.child.output().slice(-2_000)}`);

    const rounds: RestartRound[] = [];
    for (const downtime of options.downtimesMs) {
      // Let every PNode heartbeat at least once on the current registration first.
      await sleep(options.heartbeatIntervalMs * 1.5);
      const killedAt = Date.now();
      await orchestrator.child.kill();
      await sleep(downtime - (Date.now() - killedAt));
      const spawnedAt = Date.now();
      const listening = listeningAt(port, waitMs);
      orchestrator = await startOrchestratorChild({ dataDir, port, heartbeatIntervalMs: options.heartbeatIntervalMs });
      const listenedAt = (await listening) ?? Date.now();
      const times = await registrationTimes(orchestrator, wanted, spawnedAt, waitMs);
      const after = times.map((t) => Math.max(0, t - listenedAt));
      const all = times.length === wanted.size;
      const round: RestartRound = {
        downtimeMs: spawnedAt - killedAt,
        startupMs: listenedAt - spawnedAt,
        reregistered: times.length,
        firstMs: after.length > 0 ? after[0]! : null,
        medianMs: after.length > 0 ? summarize(after).p50 : null,
        allMs: all ? after[after.length - 1]! : null,
      };
      rounds.push(round);
      log(`  down ${round.downtimeMs} ms: ${times.length}/${wanted.size} registered again${round.allMs === null ? '' : `, the last ${round.allMs} ms after the restart`}`);
    }
    return { pnodes: options.pnodes, heartbeatIntervalMs: options.heartbeatIntervalMs, initialMs, rounds };
  } finally {
    await stopRuntimes(pnodes);
    await orchestrator.child.kill();
  }
}
