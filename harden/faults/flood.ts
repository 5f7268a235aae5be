// Scenario 5, a flooding peer: a `pnode node` child (the victim) registered with an orchestrator
// at a short heartbeat interval; a flooder process (flooder.ts) floods it with messages and bad
// frames over real sessions, under fresh identities; a healthy peer pings it throughout. The
// orchestrator runs here, in-process, so it can note the moment each of the victim's heartbeats
// arrives. Figures: heartbeat gaps before and during the flood (mean, p95 and max deviation from
// the interval; must stay within ±10 %), the healthy peer's RTT and lost pings, and what the
// flooder got (sessions, messages, why the node cut it off).
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { OrchestratorModule } from '../../src-node/services/orchestrator/orchestrator-module.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { HealthyPeer } from './healthy-peer.js';
import { cpuMsOf } from './process-cpu.js';
import { runFlooderChild } from './flooder-child.js';
import type { FloodReport } from './flooder.js';
import { startRuntime } from '../lib/runtimes.js';
import { AdminExtensions } from '../../src-node/kernel/http/admin-extension.js';
import { startNodeChild, type NodeChild } from './services.js';
import { gaps, intervalFigures, summarize, type IntervalFigures, type Summary } from './stats.js';
import { waitFor, sleep } from './wait.js';

/** The goal: every heartbeat gap within this share of the interval, during the flood. */
export const HEARTBEAT_TOLERANCE = 0.1;
/** Heartbeat intervals watched before the flood starts. */
export const BASELINE_INTERVALS = 5;
/** Heartbeat intervals watched after the flood ends. */
export const AFTER_INTERVALS = 3;
/** The victim must register within this. */
export const VICTIM_REGISTER_WAIT_MS = 60_000;
/** Resolution of the event-loop delay histogram of the measuring process. */
export const LOOP_DELAY_RESOLUTION_MS = 5;
/** The longest heartbeat gaps listed. */
export const LONGEST_GAPS_LISTED = 3;
const NS_PER_MS = 1e6;

export interface FloodOptions {
  readonly heartbeatIntervalMs: number;
  readonly floodMs: number;
  /** The bundled flooder (flooder-child.ts). */
  readonly flooder: string;
  readonly seed: number;
  /** The flooder's scheduling niceness (0…19): here it shares the node's CPUs, a real one would not. */
  readonly floodNiceness?: number;
  readonly workDir: string;
  readonly log?: (line: string) => void;
}

export interface FloodResult {
  readonly heartbeatIntervalMs: number;
  readonly floodMs: number;
  readonly baseline: IntervalFigures;
  readonly during: IntervalFigures;
  readonly after: IntervalFigures;
  /** The longest gaps during the flood, ms. */
  readonly longestGapsMs: readonly number[];
  /** The victim's CPU use during the flood, % of one core (null where /proc cannot tell). */
  readonly victimCpuPct: number | null;
  /** How late this (measuring) process's event loop ran during the flood, ms: p99 and max. */
  readonly measuringLoopDelayMs: { readonly p99: number; readonly max: number };
  readonly floodNiceness: number;
  /** The victim's registration at the orchestrator after the flood. */
  readonly stillRegistered: boolean;
  readonly missedHeartbeats: number;
  readonly baselineRtt: Summary;
  readonly floodRtt: Summary;
  readonly pingsSent: number;
  readonly pingsLost: number;
  readonly healthySurvived: boolean;
  /** Why the victim closed the healthy peer's session, when it did. */
  readonly healthyCloseReason: string | null;
  readonly flood: FloodReport;
}

/** Ms since the epoch, to the microsecond. */
function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export async function runFlood(options: FloodOptions): Promise<FloodResult> {
  const log = options.log ?? (() => undefined);
  let created: OrchestratorModule | undefined;
  let orchestrator: NodeRuntime | undefined;
  let victim: NodeChild | undefined;
  let healthy: HealthyPeer | undefined;
  try {
    orchestrator = await startRuntime({ dataDir: join(options.workDir, 'orchestrator'), role: 'orchestrator', listen: true }, (r) => [
      (created = new OrchestratorModule({ ...r.components, admin: new AdminExtensions() }, { heartbeatIntervalMs: options.heartbeatIntervalMs })),
    ]);
    const module = created!;
    const arrivals: number[] = [];
    let victimId = '';
    orchestrator.connections.on('message', (connection, message) => {
      if (message.kind === 'heartbeat' && connection.peerNodeId === victimId) arrivals.push(preciseNow());
    });
    victim = await startNodeChild(join(options.workDir, 'victim'), `${orchestrator.identity.nodeId}@${orchestrator.listenUrls()[0]}`);
    victimId = victim.nodeId;
    await waitFor('the victim registering', () => (module.orchestrator.registry.get(victimId)?.state === 'registered' ? true : undefined), { timeoutMs: VICTIM_REGISTER_WAIT_MS });
    healthy = await HealthyPeer.open(identityFromSeed(randomBytes(32), nativeCrypto), victim.url, victimId);
    healthy.start();
    const interval = options.heartbeatIntervalMs;
    // One interval to settle (the first heartbeats follow the registration), then the baseline.
    await sleep(interval);
    const baselineFrom = preciseNow();
    await sleep(BASELINE_INTERVALS * interval);
    const floodFrom = preciseNow();
    const niceness = options.floodNiceness ?? 0;
    log(`  victim registered, heartbeating every ${interval} ms; flooding for ${options.floodMs} ms${niceness ? ` (flooder at niceness ${niceness})` : ''}`);
    const pid = victim.child.process.pid ?? -1;
    const cpuFrom = await cpuMsOf(pid);
    const loop = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    loop.enable();
    const flood = await runFlooderChild(options.flooder, victim.url, victimId, options.floodMs, options.seed, niceness);
    const floodTo = preciseNow();
    loop.disable();
    const cpuTo = await cpuMsOf(pid);
    await sleep(AFTER_INTERVALS * interval);
    const afterTo = preciseNow();
    const within = (from: number, to: number): number[] => arrivals.filter((t) => t >= from && t < to);
    const entry = module.orchestrator.registry.get(victimId);
    const wall = (t: number): number => Math.round(t);
    const result: FloodResult = {
      heartbeatIntervalMs: interval,
      floodMs: wall(floodTo - floodFrom),
      baseline: intervalFigures(within(baselineFrom, floodFrom), interval),
      // The gap that spans the flood's start counts as the flood's: take the last baseline heartbeat along.
      during: intervalFigures([...within(baselineFrom, floodFrom).slice(-1), ...within(floodFrom, floodTo)], interval),
      after: intervalFigures([...within(floodFrom, floodTo).slice(-1), ...within(floodTo, afterTo)], interval),
      longestGapsMs: gaps([...within(baselineFrom, floodFrom).slice(-1), ...within(floodFrom, floodTo)])
        .sort((a, b) => b - a)
        .slice(0, LONGEST_GAPS_LISTED),
      victimCpuPct: cpuFrom === null || cpuTo === null ? null : ((cpuTo - cpuFrom) / (floodTo - floodFrom)) * 100,
      measuringLoopDelayMs: { p99: loop.percentile(99) / NS_PER_MS, max: loop.max / NS_PER_MS },
      floodNiceness: niceness,
      stillRegistered: entry?.state === 'registered',
      missedHeartbeats: entry?.missed ?? -1,
      baselineRtt: summarize(healthy.rtts(wall(baselineFrom), wall(floodFrom))),
      floodRtt: summarize(healthy.rtts(wall(floodFrom), wall(floodTo))),
      pingsSent: healthy.sent(wall(baselineFrom), wall(floodTo)),
      pingsLost: healthy.lost(wall(baselineFrom), wall(floodTo)),
      healthySurvived: healthy.isOpen,
      healthyCloseReason: healthy.closeReason,
      flood,
    };
    return result;
  } finally {
    healthy?.close();
    await victim?.child.stop();
    await orchestrator?.stop();
  }
}
