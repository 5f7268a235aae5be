// Scenario 4, slow and stalled peers: a real node (a joined contributor with a listener and the
// discovery modules) while peers stall it in every way stall-cases.ts knows, all at once, and a
// healthy peer pings it throughout. Then one address floods it with peers that never say hello:
// they hold pending slots, never session slots, at most MAX_PENDING_CONNECTIONS_PER_ADDRESS of them
// (issue 15 §2); a peer from another address gets its session meanwhile, and the flooding address
// is served again once the hello wait has freed them. Figures: per case, when the node let go and
// when TCP was gone; the healthy peer's RTT before and during the stalls and its lost pings; what
// the flood held, and when its address was served again.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { KeepaliveTiming } from '../../src-node/kernel/connection/keepalive.js';
import { discoveryModules, discoveryParts } from '../../src-node/recipes/discovery.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { HELLO_WAIT_TIMEOUT_MS, MAX_PENDING_CONNECTIONS_PER_ADDRESS } from '../../src-node/kernel/transport/limits.js';
import { HealthyPeer, openSession } from './healthy-peer.js';
import { RawClient } from './raw-ws.js';
import { loopbackConfig } from '../lib/runtimes.js';
import { stallCase, type StallCase, type StallProbe, type StallTarget } from './stall-cases.js';
import { summarize, type Summary } from './stats.js';
import { pollFor, sleep } from './wait.js';

/** The healthy peer's RTT is measured this long before any stall starts. */
export const BASELINE_MS = 2_000;
/** A stall must be ended within its limit plus its checking slack plus this. */
export const STALL_MARGIN_MS = 2_000;
/** …or plus this share of the limit, if larger (a loaded machine's timers run late). */
export const STALL_MARGIN_SHARE = 0.2;
/** After the node let go, the TCP connection is watched this much longer at most. */
export const TCP_CLOSE_WAIT_MS = 45_000;
/** How often a new peer tries to get in while the slots are full. */
export const SLOT_PROBE_INTERVAL_MS = 250;
/** The flood of silent peers comes from here (the healthy peer and the stalls use 127.0.0.1)… */
export const FLOOD_ADDRESS = '127.0.3.1';
/** …and an honest newcomer from here. */
export const OTHER_ADDRESS = '127.0.3.2';
/** Silent peers the flood opens beyond the per-address cap. */
const FLOOD_EXTRA = 4;

export interface StalledPeersOptions {
  /** Case names (stall-cases.ts); all of them by default. */
  readonly cases: readonly string[];
  /** The node's keepalive (DEFAULT_KEEPALIVE is what a real node runs). */
  readonly keepalive: KeepaliveTiming;
  /** Wait for each stalled TCP connection to be gone too (it may outlive the drop by ws's close wait). */
  readonly waitForTcpClose: boolean;
  /** Flood the pending slots from one address and time their release. */
  readonly fillSlots: boolean;
  /**
   * How long past the longest allowed time to keep watching for the node to let go (default
   * STALL_MARGIN_MS). The smoke test gives its patience: it asserts that each stall ends, not when.
   */
  readonly patienceMs?: number;
  readonly workDir: string;
  readonly log?: (line: string) => void;
}

export interface StallRow {
  readonly name: string;
  readonly what: string;
  readonly direction: 'inbound' | 'outbound';
  readonly expect: 'dropped' | 'accepted';
  readonly limitName: string;
  readonly limitMs: number;
  /** The most the drop may take: limit + slack + margin. */
  readonly allowedMs: number;
  /** From the stall to the node letting go; null if it did not. */
  readonly droppedAfterMs: number | null;
  readonly tcpClosedAfterMs: number | null;
  readonly accepted: boolean;
  readonly note: string;
  readonly pass: boolean;
}

export interface SlotFigures {
  /** MAX_PENDING_CONNECTIONS_PER_ADDRESS. */
  readonly limit: number;
  /** Silent peers the flooding address opened. */
  readonly opened: number;
  /** Of them, those holding a (pending) slot; the rest were refused at once. */
  readonly held: number;
  /** A peer from another address got its session while the flood held its slots. */
  readonly otherAddressServed: boolean;
  /** A new peer from the flooding address was refused meanwhile. */
  readonly sameAddressRefused: boolean;
  /** From the flood until a new peer from its address got a session; null if it never did. */
  readonly freedAfterMs: number | null;
}

export interface StalledPeersResult {
  readonly rows: readonly StallRow[];
  readonly baselineRtt: Summary;
  readonly duringRtt: Summary;
  readonly pingsSent: number;
  readonly pingsLost: number;
  readonly healthySurvived: boolean;
  /** Why the node closed the healthy peer's session, when it did. */
  readonly healthyCloseReason: string | null;
  readonly slots: SlotFigures | null;
}

function allowedFor(stall: StallCase, target: StallTarget): number {
  const limit = stall.limitMs(target);
  return limit + stall.slackMs(target) + Math.max(STALL_MARGIN_MS, limit * STALL_MARGIN_SHARE);
}

function finished(stall: StallCase, probe: StallProbe): boolean {
  return stall.expect === 'accepted' ? probe.note !== '' : probe.droppedAt !== null;
}

/** A fresh session attempt (from `localAddress`): 'accepted', or why not. */
async function tryPeer(url: string, nodeId: string, localAddress: string): Promise<'accepted' | 'busy' | 'refused'> {
  try {
    const connection = await openSession(identityFromSeed(randomBytes(32), nativeCrypto), url, nodeId, localAddress);
    connection.close();
    return 'accepted';
  } catch (error) {
    return /1013|busy/.test(error instanceof Error ? error.message : String(error)) ? 'busy' : 'refused';
  }
}

/**
 * Floods the node from one address with peers that upgrade and never say hello; what they hold,
 * whether another address is served meanwhile, and when the flooding address is served again.
 */
async function fillSlots(target: StallTarget, url: string, log: (line: string) => void, patienceMs?: number): Promise<SlotFigures> {
  const limit = MAX_PENDING_CONNECTIONS_PER_ADDRESS;
  const clients: RawClient[] = [];
  const nodeId = target.runtime.identity.nodeId;
  try {
    const opened = limit + FLOOD_EXTRA;
    for (let i = 0; i < opened; i++) {
      const client = await RawClient.open(target.port, FLOOD_ADDRESS);
      clients.push(client);
      await client.upgrade(target.path, target.port).catch(() => 0);
    }
    const filledAt = Date.now();
    await sleep(SLOT_PROBE_INTERVAL_MS);
    const held = clients.filter((c) => c.droppedAt === null).length;
    const other = await tryPeer(url, nodeId, OTHER_ADDRESS);
    const same = await tryPeer(url, nodeId, FLOOD_ADDRESS);
    log(`  slots: ${held} of ${opened} silent peers from ${FLOOD_ADDRESS} hold a pending slot; a peer from ${OTHER_ADDRESS} is ${other}, a new one from ${FLOOD_ADDRESS} ${same}`);
    const freedAt = await pollFor(async () => ((await tryPeer(url, nodeId, FLOOD_ADDRESS)) === 'accepted' ? Date.now() : undefined), {
      timeoutMs: Math.max(HELLO_WAIT_TIMEOUT_MS * 3, patienceMs ?? 0),
      everyMs: SLOT_PROBE_INTERVAL_MS,
    });
    return { limit, opened, held, otherAddressServed: other === 'accepted', sameAddressRefused: same !== 'accepted', freedAfterMs: freedAt === undefined ? null : freedAt - filledAt };
  } finally {
    for (const client of clients) client.destroy();
  }
}

export async function runStalledPeers(options: StalledPeersOptions): Promise<StalledPeersResult> {
  const log = options.log ?? (() => undefined);
  const config = loopbackConfig({ dataDir: join(options.workDir, 'node'), role: 'contributor', listen: true, timing: { keepalive: options.keepalive } });
  const runtime = await NodeRuntime.launch(config, (r) => discoveryModules(discoveryParts(r)));
  const probes: Array<{ stall: StallCase; probe: StallProbe }> = [];
  let healthy: HealthyPeer | undefined;
  try {
    const url = runtime.listenUrls()[0]!;
    const target: StallTarget = { runtime, port: Number(new URL(url).port), path: new URL(url).pathname, keepalive: options.keepalive };
    healthy = await HealthyPeer.open(identityFromSeed(randomBytes(32), nativeCrypto), url, runtime.identity.nodeId);
    healthy.start();
    const baselineFrom = Date.now();
    await sleep(BASELINE_MS);
    const stallFrom = Date.now();
    const cases = options.cases.map(stallCase);
    for (const stall of cases) probes.push({ stall, probe: await stall.start(target) });
    log(`  ${cases.length} stalls started; waiting for the node to let go of them`);
    const longest = Math.max(...cases.map((c) => allowedFor(c, target)));
    await pollFor(() => (probes.every(({ stall, probe }) => finished(stall, probe)) ? true : undefined), { timeoutMs: longest + (options.patienceMs ?? STALL_MARGIN_MS), everyMs: 50 });
    const stallTo = Date.now();
    if (options.waitForTcpClose) {
      await pollFor(() => (probes.every(({ stall, probe }) => stall.expect === 'accepted' || probe.droppedAt === null || probe.tcpClosedAt !== null) ? true : undefined), {
        timeoutMs: TCP_CLOSE_WAIT_MS,
        everyMs: 100,
      });
    }
    const rows: StallRow[] = probes.map(({ stall, probe }) => {
      const allowedMs = allowedFor(stall, target);
      const droppedAfterMs = stall.expect === 'dropped' && probe.droppedAt !== null ? probe.droppedAt - probe.stalledAt : null;
      const tcpClosedAfterMs = stall.expect === 'dropped' && probe.tcpClosedAt !== null ? probe.tcpClosedAt - probe.stalledAt : null;
      const pass = stall.expect === 'accepted' ? probe.accepted : droppedAfterMs !== null && droppedAfterMs <= allowedMs && !probe.note.includes('still dialing');
      return {
        name: stall.name,
        what: stall.what,
        direction: stall.direction,
        expect: stall.expect,
        limitName: stall.limitName,
        limitMs: stall.limitMs(target),
        allowedMs,
        droppedAfterMs,
        tcpClosedAfterMs,
        accepted: probe.accepted,
        note: probe.note,
        pass,
      };
    });
    const slots = options.fillSlots ? await fillSlots(target, url, log, options.patienceMs) : null;
    // Pings sent in the last HEALTHY_PING_LOST_MS are judged once they are old enough.
    await sleep(100);
    return {
      rows,
      baselineRtt: summarize(healthy.rtts(baselineFrom, stallFrom)),
      duringRtt: summarize(healthy.rtts(stallFrom, stallTo)),
      pingsSent: healthy.sent(baselineFrom, stallTo),
      pingsLost: healthy.lost(baselineFrom, stallTo),
      healthySurvived: healthy.isOpen,
      healthyCloseReason: healthy.closeReason,
      slots,
    };
  } finally {
    healthy?.close();
    for (const { probe } of probes) await probe.cleanup();
    await runtime.stop();
  }
}
