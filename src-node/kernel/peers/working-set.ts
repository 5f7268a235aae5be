// The peer working set as a pure policy (spec digest §f: normally HOT_PEERS hot sessions, short
// probes or overlap up to MAX_LIVE_SESSIONS live ones; other peers stay cold or warm). Given the
// records, the sessions the connection manager holds and the limits, `planWorkingSet` says which
// peers to dial, which connected peers are hot or warm, and which sessions to close. The same
// inputs always give the same plan.
//
// Decisions:
// - Hot: the peers of sessions we dialed with the best ranking score, at most `hotPeers`; a session
//   another node opened to us is never hot (issue 15 §1: anyone with many identities can open those,
//   and hot peers are the ones gossip asks first). A peer that is hot now gets HOT_HYSTERESIS_POINTS
//   extra in that ranking, so near-equal peers do not swap places on every RTT sample. Other
//   connected peers are warm; everything else is cold (or blocked).
// - Close first: sessions with blocked peers, and with peers the policy does not allow.
// - Over the live limit (a dial in progress holds a slot too): close non-hot sessions until
//   under it: dials in progress first, then outbound warm sessions, then inbound ones; lowest
//   score first within each. Inbound goes last because the remote chose us and may be behind NAT
//   with no other way in, while an outbound session we can open again later. Hot sessions are
//   never closed for the limit.
// - Dial: enough of the best candidates to bring outbound sessions (connected + dialing) up to
//   `hotPeers` — peers we chose, tried ones first (issue 15 §1, as Bitcoin keeps its outbound
//   connections apart from inbound ones): sessions others opened to us never stand in for them.
//   When the live limit leaves no room for those dials, inbound sessions make it, lowest score
//   first. When outbound is met, there is room under the live limit and nothing is being dialed,
//   one probe is dialed if the best candidate beats the weakest hot peer by PROBE_MARGIN_POINTS: if
//   it connects it takes the hot slot, and the old hot peer goes warm (overlap).
// - A candidate is: known, not blocked, not cooling down (backoff), not live, allowed by the
//   policy, and has an endpoint. Peers we reached before (tried) and configured seeds come first,
//   ranked by score (best first), then most recently seen, then id; new peers after them, taking
//   turns by the group of the source that brought them (each group's best first), so a source that
//   flooded the store with thousands of peers gets one turn in each round like any other
//   (issue 15 §1).
import { HOT_PEERS, MAX_LIVE_SESSIONS } from '../../../src-shared/protocol/profile.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import { type PeerEndpoint, type PeerRecord, isBlockedAt, isCoolingDownAt, isLive, isTried, preferredEndpoints } from './peer-record.js';
import { scorePeer } from './score.js';

/** Extra ranking points a hot peer keeps over challengers, against flapping. */
export const HOT_HYSTERESIS_POINTS = 5;
/** How much better than the weakest hot peer a candidate must score to be probed. */
export const PROBE_MARGIN_POINTS = 10;

export interface SessionView {
  readonly nodeId: NodeId;
  readonly state: 'dialing' | 'connected';
  readonly direction: 'inbound' | 'outbound';
  /** When a connected session came up (ms); the longest-connected inbound ones are protected. */
  readonly connectedAt?: number;
}

/**
 * Inbound sessions protected from the limit's closes by age: the longest-connected ones stay however
 * many newcomers arrive (as Bitcoin's inbound eviction protects its longest-connected peers). A
 * flood of fresh identities is always newer than the honest peer already talking to us, so it can
 * push out only other newcomers.
 */
export const INBOUND_PROTECTED_BY_AGE = 1;

export interface WorkingSetLimits {
  readonly hotPeers: number;
  readonly maxLiveSessions: number;
}

export const DEFAULT_WORKING_SET_LIMITS: WorkingSetLimits = { hotPeers: HOT_PEERS, maxLiveSessions: MAX_LIVE_SESSIONS };

export interface WorkingSetInput {
  readonly records: readonly PeerRecord[];
  readonly sessions: readonly SessionView[];
  readonly now: number;
  readonly limits?: WorkingSetLimits;
  /** The allowlist policy; everyone when absent. */
  readonly isAllowed?: (nodeId: string) => boolean;
}

export type CloseReason = 'blocked' | 'not-allowed' | 'over-limit';

export interface DialAction {
  readonly nodeId: NodeId;
  /** Every endpoint in the order to try them. */
  readonly endpoints: readonly PeerEndpoint[];
  readonly score: number;
  /** True for an overlap probe, false when filling the hot set. */
  readonly probe: boolean;
}

export interface CloseAction {
  readonly nodeId: NodeId;
  readonly reason: CloseReason;
}

export interface WorkingSetPlan {
  readonly hot: readonly NodeId[];
  readonly warm: readonly NodeId[];
  readonly dial: readonly DialAction[];
  readonly close: readonly CloseAction[];
}

/** A neutral score for a session whose peer has no record. */
const UNKNOWN_PEER_SCORE = 50;

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface CandidateOptions {
  readonly isAllowed?: (nodeId: string) => boolean;
  /** Node-ids that already hold a session slot, whatever their record says. */
  readonly exclude?: ReadonlySet<string>;
}

export interface RankedCandidate {
  readonly record: PeerRecord;
  readonly score: number;
}

/** Peers that may be dialed now, best first: tried and seeds, then new ones taking turns by group. */
export function dialCandidates(records: readonly PeerRecord[], now: number, options: CandidateOptions = {}): RankedCandidate[] {
  const allowed = options.isAllowed ?? (() => true);
  const known: RankedCandidate[] = [];
  const byGroup = new Map<string, RankedCandidate[]>();
  for (const record of records) {
    if (isBlockedAt(record, now) || isCoolingDownAt(record, now) || isLive(record)) continue;
    if (options.exclude?.has(record.nodeId)) continue;
    if (record.endpoints.length === 0 || !allowed(record.nodeId)) continue;
    const candidate = { record, score: scorePeer(record, now) };
    if (isTried(record) || record.source === 'seed') {
      known.push(candidate);
      continue;
    }
    const group = record.sources[0]?.group ?? '';
    const list = byGroup.get(group);
    if (list) list.push(candidate);
    else byGroup.set(group, [candidate]);
  }
  const queues = [...byGroup.entries()].sort(([a], [b]) => byId(a, b)).map(([, list]) => list.sort(byRank));
  const turns: RankedCandidate[] = [];
  for (let round = 0; queues.some((q) => round < q.length); round++) {
    // Within a round, the better candidates of each group first.
    turns.push(...queues.filter((q) => round < q.length).map((q) => q[round]!).sort(byRank));
  }
  return [...known.sort(byRank), ...turns];
}

function byRank(a: RankedCandidate, b: RankedCandidate): number {
  return b.score - a.score || b.record.lastSeen - a.record.lastSeen || byId(a.record.nodeId, b.record.nodeId);
}

interface LiveSession {
  readonly session: SessionView;
  readonly score: number;
  readonly rank: number;
}

export function planWorkingSet(input: WorkingSetInput): WorkingSetPlan {
  const { now } = input;
  const limits = input.limits ?? DEFAULT_WORKING_SET_LIMITS;
  const hotPeers = Math.max(0, Math.floor(limits.hotPeers));
  const maxLive = Math.max(hotPeers, Math.floor(limits.maxLiveSessions));
  const allowed = input.isAllowed ?? (() => true);
  const records = new Map<string, PeerRecord>(input.records.map((r) => [r.nodeId, r]));

  // One entry per node-id: if the manager reports two, the connected (then outbound) one counts.
  const sessions = new Map<string, SessionView>();
  for (const s of [...input.sessions].sort((a, b) => byId(a.nodeId, b.nodeId))) {
    const held = sessions.get(s.nodeId);
    if (!held || (held.state === 'dialing' && s.state === 'connected') || (held.state === s.state && held.direction === 'inbound' && s.direction === 'outbound')) sessions.set(s.nodeId, s);
  }

  const close: CloseAction[] = [];
  const kept: LiveSession[] = [];
  for (const session of [...sessions.values()].sort((a, b) => byId(a.nodeId, b.nodeId))) {
    const record = records.get(session.nodeId);
    if (record && isBlockedAt(record, now)) {
      close.push({ nodeId: session.nodeId, reason: 'blocked' });
      continue;
    }
    if (!allowed(session.nodeId)) {
      close.push({ nodeId: session.nodeId, reason: 'not-allowed' });
      continue;
    }
    const score = record ? scorePeer(record, now) : UNKNOWN_PEER_SCORE;
    const rank = score + (record?.temperature === 'hot' ? HOT_HYSTERESIS_POINTS : 0);
    kept.push({ session, score, rank });
  }

  const hotNow = (l: LiveSession) => (records.get(l.session.nodeId)?.temperature === 'hot' ? 1 : 0);
  const outboundFirst = (l: LiveSession) => (l.session.direction === 'outbound' ? 1 : 0);
  // Sessions we dialed first; on equal rank the incumbent stays: a challenger must beat it by more than the hysteresis.
  const byRank = (a: LiveSession, b: LiveSession) => outboundFirst(b) - outboundFirst(a) || b.rank - a.rank || hotNow(b) - hotNow(a) || b.score - a.score || byId(a.session.nodeId, b.session.nodeId);
  const connected = kept.filter((l) => l.session.state === 'connected').sort(byRank);
  const hot = connected.filter((l) => l.session.direction === 'outbound').slice(0, hotPeers);
  const hotIds = new Set(hot.map((l) => l.session.nodeId));
  const protectedIds = new Set(
    connected
      .filter((l) => l.session.direction === 'inbound' && l.session.connectedAt !== undefined)
      .sort((a, b) => a.session.connectedAt! - b.session.connectedAt! || byId(a.session.nodeId, b.session.nodeId))
      .slice(0, INBOUND_PROTECTED_BY_AGE)
      .map((l) => l.session.nodeId),
  );

  // Over the limit: close warm sessions, dials first, then outbound, then inbound; lowest score first.
  let live = kept.length;
  if (live > maxLive) {
    const closable = kept
      .filter((l) => !hotIds.has(l.session.nodeId) && !protectedIds.has(l.session.nodeId))
      .sort((a, b) => closeOrder(a) - closeOrder(b) || a.score - b.score || byId(a.session.nodeId, b.session.nodeId));
    for (const l of closable) {
      if (live <= maxLive) break;
      close.push({ nodeId: l.session.nodeId, reason: 'over-limit' });
      live -= 1;
    }
  }
  const closing = new Set(close.map((c) => c.nodeId));
  const dialingCount = kept.filter((l) => l.session.state === 'dialing' && !closing.has(l.session.nodeId)).length;

  const candidates = dialCandidates(input.records, now, { isAllowed: allowed, exclude: new Set(sessions.keys()) });
  const dial: DialAction[] = [];
  const toAction = (c: RankedCandidate, probe: boolean): DialAction => ({
    nodeId: c.record.nodeId,
    endpoints: preferredEndpoints(c.record),
    score: c.score,
    probe,
  });
  const outboundNow = kept.filter((l) => l.session.direction === 'outbound' && !closing.has(l.session.nodeId)).length;
  const wanted = Math.min(hotPeers - outboundNow, candidates.length);
  if (wanted > 0 && maxLive - live < wanted) {
    // Inbound sessions make room for the peers we choose, lowest score first.
    const inbound = kept
      .filter((l) => l.session.direction === 'inbound' && !closing.has(l.session.nodeId) && !protectedIds.has(l.session.nodeId))
      .sort((a, b) => a.score - b.score || byId(a.session.nodeId, b.session.nodeId));
    for (const l of inbound) {
      if (maxLive - live >= wanted) break;
      close.push({ nodeId: l.session.nodeId, reason: 'over-limit' });
      closing.add(l.session.nodeId);
      live -= 1;
    }
  }
  const deficit = Math.min(wanted, maxLive - live);
  for (const c of candidates.slice(0, Math.max(0, deficit))) dial.push(toAction(c, false));
  const hotKept = hot.filter((l) => !closing.has(l.session.nodeId));
  const warm = connected.filter((l) => !hotIds.has(l.session.nodeId) && !closing.has(l.session.nodeId)).map((l) => l.session.nodeId);

  const weakestHot = hotKept.at(-1);
  const next = candidates[dial.length];
  if (dial.length === 0 && dialingCount === 0 && hotKept.length >= hotPeers && weakestHot && next && live < maxLive) {
    if (next.score >= weakestHot.score + PROBE_MARGIN_POINTS) dial.push(toAction(next, true));
  }

  return { hot: hotKept.map((l) => l.session.nodeId), warm, dial, close };
}

function closeOrder(l: LiveSession): number {
  if (l.session.state === 'dialing') return 0;
  return l.session.direction === 'outbound' ? 1 : 2;
}
