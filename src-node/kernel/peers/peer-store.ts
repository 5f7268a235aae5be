// The peer store: every peer the node knows, what happened with it, and `<dataDir>/peers.json`
// (DESIGN.md §6, "remembered peers"). The connection manager feeds it events (dials, sessions,
// RTT samples, violations, capability lists) and reads candidates back; the UI subscribes to its
// change events. Records are immutable values (peer-record.ts); every change replaces one.
//
// Rules:
// - Blocking by hand, with an optional expiry, or automatically: PROTOCOL_VIOLATION_BLOCK_THRESHOLD
//   strikes, each within PROTOCOL_VIOLATION_WINDOW_MS of the one before, block the peer for
//   AUTO_BLOCK_DURATION_MS. Only misbehaviour counts as a strike (STRIKE_CODES); an incompatible
//   peer (version, capability) or a bad network does not. Report violations only for peers whose
//   identity is proven (an authenticated session or a verified signature): a forged handshake
//   claiming someone else's node-id must not get that node blocked. A blocked peer is a hostile
//   source: the peers only it brought are forgotten with it (dropSource).
// - Expired blocks and cooldowns lift themselves: on a timer set for the next expiry, and on any
//   read or event that touches the record.
// - Eclipse resistance (issue 15 §1; Bitcoin's address manager is the model): a peer we dialed
//   and reached is "tried" (peer-record.ts, isTried); every other peer is "new" and is charged to
//   the first source that brought it (provenance.ts, source-ledger.ts). Advertisements pass the
//   shared lifetime and endpoint rules (advertisement-rules.ts) here too.
// - Bounded at maxPeers (MAX_REMEMBERED_PEERS). Tiers, evicted first to last: 0 new, 1 tried,
//   2 configured seed, 3 blocked by hand; dialing or connected peers are never evicted. A seed may
//   push out any evictable peer (lowest tier, then lowest score, then longest unseen). Anyone
//   else's newcomer — a directory's, a gossiping peer's, an inbound session's — only ever pushes out
//   a new peer: first one that is no use (not dialable, or failed NEW_MAX_FAILURES times in a row),
//   else one of the heaviest source of the heaviest group, when that holds more than the
//   newcomer's own would (SourceLedger.loserFor); otherwise it is refused. A source never holds more
//   than maxPerSource new peers (MAX_NEW_PEERS_PER_SOURCE), nor a group — an address prefix, with
//   however many identities speak from it — more than maxPerGroup (MAX_NEW_PEERS_PER_GROUP), full
//   store or not. So a flood of validly signed advertisements fills at most its share, loses its own
//   entries first, and never a peer that worked.
// - Durable: changes are saved PEERS_SAVE_DELAY_MS after the first unsaved one (a bounded delay,
//   so a steady trickle of RTT samples cannot postpone saving forever); `flush()` saves now.
//   A file that cannot be trusted is moved aside to `peers.json.corrupt-<time>`, reported in
//   `loadReport` (with the CorruptFileError naming the path), and whatever valid records it held
//   are kept; the node starts either way. The file format is in peers-file.ts.
// - One session per peer: the connection manager keeps at most one (inbound or outbound) per
//   node-id, so `sessionClosed` means the peer has no session left.
import { join } from 'node:path';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import { type NodeId, isNodeId } from '../../../src-shared/protocol/did-key.js';
import type { ErrorCode } from '../../../src-shared/protocol/errors.js';
import { checkAdvertisedEndpoints, checkAdvertisementLifetime } from '../../../src-shared/protocol/advertisement-rules.js';
import { type CorruptFileError, writeFileAtomic, writeFileAtomicSync } from '../storage/atomic-file.js';
import { type Clock, systemClock } from '../util/clock.js';
import { type BackoffBounds, type RandomSource, backoffDelayMs } from './backoff.js';
import {
  ENDPOINT_ROLES,
  MAX_ADVERTISEMENT_BYTES,
  MAX_CAPABILITIES_PER_PEER,
  MAX_CAPABILITY_LENGTH,
  MAX_ENDPOINTS_PER_PEER,
  MAX_ENDPOINT_URL_LENGTH,
  MAX_LABEL_LENGTH,
  MAX_REASON_LENGTH,
  type EndpointRole,
  type PeerBlock,
  type PeerEndpoint,
  type PeerRecord,
  type PeerSource,
  clipText,
  compareEndpoints,
  connectedMsAt,
  expiryOf,
  isBlockedAt,
  isLive,
  isTried,
  liftExpired,
  newPeerRecord,
  settleRecord,
  strongerSource,
} from './peer-record.js';
import { encodePeersFile, moveCorruptFileAside, readPeersFile } from './peers-file.js';
import { CONFIG_SOURCE, UNKNOWN_SOURCE, inboundSource, peerSourceKey, withSource, type SourceRef } from './provenance.js';
import { SourceLedger } from './source-ledger.js';
import { scorePeer, smoothRtt } from './score.js';
import { dialCandidates } from './working-set.js';
import { isDhtEndpoint } from '../../../src-shared/protocol/dht-endpoint.js';

/** Peers remembered at most (DESIGN.md §5). */
export const MAX_REMEMBERED_PEERS = 1_000;
/** New (never reached) peers one source may hold at most: a quarter of the store (issue 15 §1). */
export const MAX_NEW_PEERS_PER_SOURCE = 250;
/** New peers one group (an address prefix, a directory's host) may hold at most, whatever the identities in it (issue 15 §1). */
export const MAX_NEW_PEERS_PER_GROUP = 250;
/** A new peer whose dials failed this many times in a row is no use, and the first to make room (Bitcoin's retries). */
export const NEW_MAX_FAILURES = 3;
export const PEERS_FILE_NAME = 'peers.json';
/** Delay between the first unsaved change and the save. */
export const PEERS_SAVE_DELAY_MS = 5_000;

/** Strikes that block a peer automatically. */
export const PROTOCOL_VIOLATION_BLOCK_THRESHOLD = 3;
/** A strike more than this long after the previous one starts the count again. */
export const PROTOCOL_VIOLATION_WINDOW_MS = 10 * 60_000;
/** How long an automatic block lasts. */
export const AUTO_BLOCK_DURATION_MS = 60 * 60_000;
/**
 * How long a peer that said it was full (close code 1013) is not dialed again: a backoff from 1 s
 * doubling per time in a row to 5 minutes, full jitter. Short at first, so a newcomer whose only
 * seed turned it away tries again soon (with the peers the seed sent it meanwhile); doubling, so a
 * peer that stays full is not asked a hundred times a minute.
 */
export const BUSY_BACKOFF: BackoffBounds = { minMs: 1_000, maxMs: 5 * 60_000 };
/** The codes that are misbehaviour, not bad luck or incompatibility. */
export const STRIKE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E_SIG_INVALID', 'E_SIG_UNKNOWN_SIGNER', 'E_HS_REPLAY', 'E_HS_UNKNOWN_REF', 'E_PROTO_INVALID']);

/** Priority given to endpoints from our seed list: they are our own configuration, so first. */
export const SEED_ENDPOINT_PRIORITY = 0;

export type PeerStoreEvent =
  | { readonly type: 'added'; readonly peer: PeerRecord }
  | { readonly type: 'updated'; readonly peer: PeerRecord; readonly previous: PeerRecord }
  | { readonly type: 'removed'; readonly peer: PeerRecord; readonly reason: RemovalReason };

/** Why a peer left the store: room for a newcomer, by hand, or with a source found hostile. */
export type RemovalReason = 'evicted' | 'forgotten' | 'dropped';

export type PeerStoreListener = (event: PeerStoreEvent) => void;

export type PeerStoreLoadReport =
  | { readonly status: 'no-file' }
  | { readonly status: 'loaded'; readonly peers: number }
  | {
      readonly status: 'corrupt';
      readonly error: CorruptFileError;
      /** Where the untrusted file now is; null if it could not be moved (then nothing is saved this run). */
      readonly movedTo: string | null;
      /** Valid records kept from it. */
      readonly recovered: number;
    };

export type UpsertOutcome = 'added' | 'updated' | 'unchanged' | 'stale' | 'full' | 'invalid';

export interface UpsertResult {
  readonly outcome: UpsertOutcome;
  /** The record after the call; absent for `full` and `invalid` (and for an unknown peer). */
  readonly peer?: PeerRecord;
  readonly detail?: string;
}

export interface SeedPeer {
  readonly nodeId: string;
  readonly urls: readonly string[];
  readonly label?: string;
}

export interface TimerHandle {
  cancel(): void;
}

/** Runs `callback` after `delayMs`; injectable so tests drive timers by hand. */
export type ScheduleFn = (callback: () => void, delayMs: number) => TimerHandle;

export const realTimers: ScheduleFn = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export interface PeerStoreOptions {
  readonly dataDir: string;
  readonly clock?: Clock;
  /** Jitter for reconnect backoff. */
  readonly random?: RandomSource;
  readonly schedule?: ScheduleFn;
  readonly maxPeers?: number;
  /** New peers one source may hold (default MAX_NEW_PEERS_PER_SOURCE). */
  readonly maxPerSource?: number;
  /** New peers one group may hold (default MAX_NEW_PEERS_PER_GROUP). */
  readonly maxPerGroup?: number;
  readonly saveDelayMs?: number;
  /** Failed background saves and throwing listeners end up here. */
  readonly onError?: (error: unknown) => void;
}

export interface SessionCloseInfo {
  /** True when the session ended abnormally (keepalive lost, transport error): counts as a failure. */
  readonly lost: boolean;
  /** True when the peer ended it because it was full (1013): it cools down for a while, not counted as a failure. */
  readonly busy?: boolean;
  readonly reason?: string;
}

export interface BlockRequest {
  readonly reason: string;
  /** Lifts itself after this long; until unblocked by hand when absent. */
  readonly durationMs?: number;
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** True when nothing a listener or the file could see differs. */
function sameRecord(a: PeerRecord, b: PeerRecord): boolean {
  if (a === b) return true;
  for (const key of Object.keys(a) as Array<keyof PeerRecord>) {
    if (a[key] === b[key]) continue;
    if (key === 'endpoints' || key === 'capabilities' || key === 'block' || key === 'sources') {
      if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    }
    return false;
  }
  return true;
}

function blockedByHand(record: PeerRecord, now: number): boolean {
  return isBlockedAt(record, now) && record.block?.automatic === false;
}

function evictionTier(record: PeerRecord, now: number): number | null {
  if (isLive(record)) return null;
  if (blockedByHand(record, now)) return 3;
  if (record.source === 'seed') return 2;
  if (isTried(record)) return 1;
  return 0;
}

/** Charged to its first source in the ledger: a new peer (not tried, not configured, not blocked by hand). */
function isCharged(record: PeerRecord, now: number): boolean {
  return record.source !== 'seed' && !isTried(record) && !blockedByHand(record, now);
}

/** A new peer that is no use: nothing to dial, or it failed NEW_MAX_FAILURES times in a row. */
function isUseless(record: PeerRecord): boolean {
  return record.endpoints.length === 0 || record.consecutiveFailures >= NEW_MAX_FAILURES;
}

/** The least useful of `records`: lowest score, then longest unseen, then by node-id. */
function worstOf(records: Iterable<PeerRecord>, now: number): PeerRecord | undefined {
  let victim: { record: PeerRecord; score: number } | undefined;
  for (const record of records) {
    const score = scorePeer(record, now);
    if (
      !victim ||
      score < victim.score ||
      (score === victim.score && (record.lastSeen < victim.record.lastSeen || (record.lastSeen === victim.record.lastSeen && record.nodeId < victim.record.nodeId)))
    ) {
      victim = { record, score };
    }
  }
  return victim?.record;
}

/** Endpoints of an advertisement we can use: transport wss (a ws(s):// URL) or dht (a dht:// key, issue 16), a sane URL, a known role. */
export function endpointsFromAdvertisement(advertisement: JsonObject): PeerEndpoint[] {
  const list = advertisement['endpoints'];
  if (!Array.isArray(list)) return [];
  const out: PeerEndpoint[] = [];
  const seen = new Set<string>();
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const e = item as Record<string, unknown>;
    const url = e['endpoint/url'];
    const role = e['endpoint/role'];
    const priority = e['endpoint/priority'];
    if (e['endpoint/transport'] !== 'wss' && e['endpoint/transport'] !== 'dht') continue;
    if (typeof url !== 'string' || (e['endpoint/transport'] === 'dht') !== isDhtEndpoint(url)) continue;
    if (url.length > MAX_ENDPOINT_URL_LENGTH || !isUrl(url) || seen.has(url)) continue;
    if (typeof role !== 'string' || !(ENDPOINT_ROLES as readonly string[]).includes(role)) continue;
    if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 0) continue;
    seen.add(url);
    out.push({ url, priority, role: role as EndpointRole, origin: 'advertisement' });
  }
  return out.sort(compareEndpoints);
}

/** Seed endpoints first on a tie of URL; then the preferred ones, at most MAX_ENDPOINTS_PER_PEER. */
function mergeEndpoints(seedEndpoints: readonly PeerEndpoint[], advertised: readonly PeerEndpoint[]): PeerEndpoint[] {
  const urls = new Set(seedEndpoints.map((e) => e.url));
  return [...seedEndpoints, ...advertised.filter((e) => !urls.has(e.url))].sort(compareEndpoints).slice(0, MAX_ENDPOINTS_PER_PEER);
}

export class PeerStore {
  readonly path: string;
  readonly maxPeers: number;
  readonly maxPerSource: number;
  readonly maxPerGroup: number;
  loadReport: PeerStoreLoadReport = { status: 'no-file' };

  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly schedule: ScheduleFn;
  private readonly saveDelayMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly peers = new Map<string, PeerRecord>();
  /** Times in a row each peer turned us away as full (in memory: a restart may ask each once more). */
  private readonly busyInARow = new Map<string, number>();
  /** New peers by the source charged for them (issue 15 §1). */
  private readonly ledger = new SourceLedger();
  private readonly listeners = new Set<PeerStoreListener>();
  private dirty = false;
  private persistence = true;
  private closed = false;
  private saveTimer: TimerHandle | null = null;
  private expiryTimer: TimerHandle | null = null;
  private expiryArmedAt: number | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(options: PeerStoreOptions) {
    this.path = join(options.dataDir, PEERS_FILE_NAME);
    this.maxPeers = Math.max(1, options.maxPeers ?? MAX_REMEMBERED_PEERS);
    this.maxPerSource = Math.max(1, options.maxPerSource ?? MAX_NEW_PEERS_PER_SOURCE);
    this.maxPerGroup = Math.max(1, options.maxPerGroup ?? MAX_NEW_PEERS_PER_GROUP);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.schedule = options.schedule ?? realTimers;
    this.saveDelayMs = options.saveDelayMs ?? PEERS_SAVE_DELAY_MS;
    this.onError = options.onError ?? (() => undefined);
  }

  /**
   * Opens the store, loading `<dataDir>/peers.json`. Never fails for the file's content (see
   * `loadReport`); an I/O error other than a missing file (permissions, say) is thrown.
   */
  static async open(options: PeerStoreOptions): Promise<PeerStore> {
    const store = new PeerStore(options);
    await store.load();
    return store;
  }

  // ---- queries ----

  get size(): number {
    return this.peers.size;
  }

  get(nodeId: string): PeerRecord | undefined {
    const record = this.peers.get(nodeId);
    return record ? this.commit(liftExpired(record, this.now()), record) : undefined;
  }

  /** Every record (expired blocks and cooldowns lifted first). */
  all(): PeerRecord[] {
    this.sweep();
    return [...this.peers.values()];
  }

  /** Peers that may be dialed now, best score first. */
  candidates(isAllowed?: (nodeId: string) => boolean): PeerRecord[] {
    return dialCandidates(this.all(), this.now(), isAllowed ? { isAllowed } : {}).map((c) => c.record);
  }

  /** For gating handshakes: true while the peer has an active block. */
  isBlocked(nodeId: string): boolean {
    const record = this.get(nodeId);
    return record !== undefined && isBlockedAt(record, this.now());
  }

  /** A peer we reached ourselves (issue 15 §1): kept before any newcomer, dialed first, gossiped first. */
  isTried(nodeId: string): boolean {
    const record = this.peers.get(nodeId);
    return record !== undefined && isTried(record);
  }

  /** New peers charged to the source `key` (what it brought that we have not reached ourselves). */
  heldBy(key: string): number {
    return this.ledger.countOfKey(key);
  }

  score(nodeId: string): number | undefined {
    const record = this.get(nodeId);
    return record ? scorePeer(record, this.now()) : undefined;
  }

  /** The earliest time a block or cooldown will lift, or null. */
  nextExpiry(): number | null {
    let t: number | null = null;
    for (const record of this.peers.values()) {
      const e = expiryOf(record);
      if (e !== null && (t === null || e < t)) t = e;
    }
    return t;
  }

  subscribe(listener: PeerStoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---- learning about peers ----

  /** A peer from our static seed list; its seed endpoints are replaced by `urls`. */
  upsertSeed(seed: SeedPeer): UpsertResult {
    if (!isNodeId(seed.nodeId)) return { outcome: 'invalid', detail: 'not a node-id' };
    const urls = [...new Set(seed.urls)].filter((u) => u.length <= MAX_ENDPOINT_URL_LENGTH && isUrl(u));
    if (urls.length === 0) return { outcome: 'invalid', detail: 'no usable endpoint URL' };
    const seedEndpoints: PeerEndpoint[] = urls.map((url) => ({ url, priority: SEED_ENDPOINT_PRIORITY, role: 'listener', origin: 'seed' }));
    return this.upsert(seed.nodeId, 'seed', CONFIG_SOURCE, (record) => {
      const advertised = record.endpoints.filter((e) => e.origin === 'advertisement');
      return {
        ...record,
        source: strongerSource(record.source, 'seed'),
        sources: withSource(record.sources, CONFIG_SOURCE),
        endpoints: mergeEndpoints(seedEndpoints, advertised),
        label: seed.label !== undefined ? clipText(seed.label, MAX_LABEL_LENGTH) : record.label,
      };
    });
  }

  /**
   * A verified `node-advertisement.v1` (schema and signature already checked by the caller),
   * brought by `from`. Only a strictly higher `sequence/no` replaces the current one (spec digest
   * §c.2); the lifetime and endpoint rules shared with the directory hold here too.
   */
  upsertAdvertisement(advertisement: JsonObject, source: 'seed' | 'directory' | 'gossip', from: SourceRef = UNKNOWN_SOURCE): UpsertResult {
    const nodeId = advertisement['node/id'];
    if (typeof nodeId !== 'string' || !isNodeId(nodeId)) return { outcome: 'invalid', detail: 'node/id is not a node-id' };
    const sequence = advertisement['sequence/no'];
    if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) return { outcome: 'invalid', detail: 'sequence/no is not a count' };
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(advertisement), 'utf8');
    } catch {
      return { outcome: 'invalid', detail: 'not JSON' };
    }
    if (size > MAX_ADVERTISEMENT_BYTES) return { outcome: 'invalid', detail: `advertisement larger than ${MAX_ADVERTISEMENT_BYTES} bytes` };
    const advertisedAt = advertisement['advertised-at'];
    const expiresAt = advertisement['expires-at'];
    if (typeof advertisedAt !== 'string' || typeof expiresAt !== 'string') return { outcome: 'invalid', detail: 'advertised-at and expires-at must be timestamps' };
    const lifetime = checkAdvertisementLifetime({ 'advertised-at': advertisedAt, 'expires-at': expiresAt }, this.now());
    if (!lifetime.ok) return { outcome: 'invalid', detail: lifetime.error.detail };
    const listed = advertisement['endpoints'];
    const endpointRule = checkAdvertisedEndpoints(Array.isArray(listed) ? (listed as Array<{ 'endpoint/url'?: unknown }>) : []);
    if (!endpointRule.ok) return { outcome: 'invalid', detail: endpointRule.error.detail };
    const advertised = endpointsFromAdvertisement(advertisement);
    if (advertised.length === 0) return { outcome: 'invalid', detail: 'no usable wss or dht endpoint' };

    const current = this.peers.get(nodeId);
    const currentSequence = current?.advertisement?.['sequence/no'];
    if (typeof currentSequence === 'number' && sequence <= currentSequence) {
      // Seen again from another source: one more that vouches for it (a drop of one source keeps it).
      const peer = this.update(nodeId, (record) => ({ ...record, sources: withSource(record.sources, from) })) ?? (this.get(nodeId) as PeerRecord);
      return { outcome: 'stale', peer, detail: `sequence/no ${sequence} is not above ${currentSequence}` };
    }
    const copy = JSON.parse(JSON.stringify(advertisement)) as JsonObject;
    return this.upsert(nodeId, source, from, (record, now) => ({
      ...record,
      source: strongerSource(record.source, source),
      sources: withSource(record.sources, from),
      advertisement: copy,
      endpoints: mergeEndpoints(
        record.endpoints.filter((e) => e.origin === 'seed'),
        advertised,
      ),
      lastSeen: Math.max(record.lastSeen, now),
    }));
  }

  /**
   * An authenticated inbound session from `nodeId` (from `address`) is up. It proves the identity,
   * not that the peer can be reached: the peer does not become tried by it.
   */
  inboundAccepted(nodeId: string, address?: string): UpsertResult {
    if (!isNodeId(nodeId)) return { outcome: 'invalid', detail: 'not a node-id' };
    const from = inboundSource(address);
    return this.upsert(nodeId, 'inbound', from, (record, now) => ({ ...this.connected(record, now), source: strongerSource(record.source, 'inbound'), sources: withSource(record.sources, from) }));
  }

  // ---- session events (unknown node-ids are ignored: undefined) ----

  /** We start dialing `url`. Refused (undefined) for a blocked peer. */
  dialStarted(nodeId: string, url: string): PeerRecord | undefined {
    return this.update(
      nodeId,
      (record) => ({ ...record, lifecycle: 'dialing', selectedEndpointUrl: clipText(url, MAX_ENDPOINT_URL_LENGTH) }),
      (record, now) => !isBlockedAt(record, now),
    );
  }

  /** A session we dialed is up: the peer is now tried (we reached it at an address we chose). */
  dialSucceeded(nodeId: string): PeerRecord | undefined {
    return this.update(nodeId, (record, now) => ({ ...this.connected(record, now), verifiedAt: now }));
  }

  /** A dial failed: one more failure, and a cooldown from the reconnect backoff. */
  dialFailed(nodeId: string, reason: string): PeerRecord | undefined {
    return this.update(nodeId, (record, now) => {
      const next = this.failed(record, now, reason);
      return { ...next, lifecycle: 'idle' };
    });
  }

  /** A session ended. A lost session counts as a failure and starts a backoff; a clean close does not. */
  sessionClosed(nodeId: string, info: SessionCloseInfo): PeerRecord | undefined {
    return this.update(nodeId, (record, now) => {
      const next: PeerRecord = {
        ...record,
        connectedMs: connectedMsAt(record, now),
        connectedSince: null,
        lifecycle: 'idle',
        lastSeen: Math.max(record.lastSeen, now),
      };
      if (info.busy) return this.busy(next, now);
      this.busyInARow.delete(nodeId);
      return info.lost ? this.failed(next, now, info.reason ?? 'session lost') : next;
    });
  }

  rttSample(nodeId: string, rttMs: number): PeerRecord | undefined {
    if (!Number.isFinite(rttMs) || rttMs < 0) return undefined;
    return this.update(nodeId, (record, now) => ({
      ...record,
      rttLastMs: rttMs,
      rttSmoothedMs: smoothRtt(record.rttSmoothedMs, rttMs),
      lastSeen: Math.max(record.lastSeen, now),
    }));
  }

  /** The peer's capabilities from the capability exchange. */
  capabilitiesExchanged(nodeId: string, capabilities: readonly string[]): PeerRecord | undefined {
    const list = [...new Set(capabilities.filter((c) => typeof c === 'string' && c.length > 0 && c.length <= MAX_CAPABILITY_LENGTH))]
      .sort()
      .slice(0, MAX_CAPABILITIES_PER_PEER);
    return this.update(nodeId, (record) => ({ ...record, capabilities: list }));
  }

  /** The peer broke the protocol (see STRIKE_CODES and the rule on proven identity above). */
  protocolViolation(nodeId: string, code: ErrorCode, detail?: string): PeerRecord | undefined {
    const wasBlocked = this.isBlocked(nodeId);
    const next = this.update(nodeId, (record, now) => {
      let next: PeerRecord = {
        ...record,
        protocolViolations: record.protocolViolations + 1,
        replayIncidents: record.replayIncidents + (code === 'E_HS_REPLAY' ? 1 : 0),
        capabilityMissingCount: record.capabilityMissingCount + (code === 'E_PROTO_CAP_MISSING' ? 1 : 0),
        lastFailureReason: clipText(detail ? `${code}: ${detail}` : code, MAX_REASON_LENGTH),
      };
      if (!STRIKE_CODES.has(code) || isBlockedAt(record, now)) return next;
      const recent = record.lastViolationAt !== null && now - record.lastViolationAt <= PROTOCOL_VIOLATION_WINDOW_MS;
      const strikes = (recent ? record.violationStrikes : 0) + 1;
      next = { ...next, violationStrikes: strikes, lastViolationAt: now };
      if (strikes < PROTOCOL_VIOLATION_BLOCK_THRESHOLD) return next;
      const block: PeerBlock = {
        reason: clipText(`${strikes} protocol violations (last ${code})`, MAX_REASON_LENGTH),
        until: now + AUTO_BLOCK_DURATION_MS,
        automatic: true,
        since: now,
      };
      return { ...next, block, violationStrikes: 0 };
    });
    if (next && !wasBlocked && isBlockedAt(next, this.now())) this.dropSource(peerSourceKey(nodeId));
    return next;
  }

  /** Blocks a peer by hand, replacing any block it has; the peers only it brought are forgotten. */
  block(nodeId: string, request: BlockRequest): PeerRecord | undefined {
    const next = this.update(nodeId, (record, now) => ({
      ...record,
      block: {
        reason: clipText(request.reason, MAX_REASON_LENGTH),
        until: request.durationMs === undefined ? null : now + Math.max(0, request.durationMs),
        automatic: false,
        since: now,
      },
    }));
    if (next) this.dropSource(peerSourceKey(nodeId));
    return next;
  }

  /**
   * A source turned out hostile (a blocked peer, a directory serving invalid advertisements, a
   * directory the volunteer removed): it is struck from every peer's sources, and the new peers
   * it alone brought are forgotten (reason 'dropped'). Tried and configured peers stay; a new one
   * being dialed or connected goes when that ends.
   * Answers how many were forgotten.
   */
  dropSource(key: string): number {
    const now = this.now();
    let dropped = 0;
    for (const record of [...this.peers.values()]) {
      if (!record.sources.some((s) => s.key === key)) continue;
      const sources = record.sources.filter((s) => s.key !== key);
      if (sources.length === 0 && isCharged(record, now) && !isLive(record)) {
        this.remove(record, 'dropped');
        dropped++;
      } else {
        this.commit({ ...record, sources }, record);
      }
    }
    return dropped;
  }

  unblock(nodeId: string): PeerRecord | undefined {
    return this.update(nodeId, (record) => ({ ...record, block: null, violationStrikes: 0, lastViolationAt: null }));
  }

  setLabel(nodeId: string, label: string | null): PeerRecord | undefined {
    return this.update(nodeId, (record) => ({ ...record, label: label === null ? null : clipText(label, MAX_LABEL_LENGTH) }));
  }

  /** Marks the working set's hot peers; other connected peers become warm. */
  applyHotSet(hot: Iterable<string>): void {
    const hotIds = new Set(hot);
    for (const record of [...this.peers.values()]) {
      if (record.connectedSince === null) continue;
      const temperature = hotIds.has(record.nodeId) ? 'hot' : 'warm';
      if (record.temperature !== temperature && !isBlockedAt(record, this.now())) {
        this.commit({ ...record, temperature }, record);
      }
    }
  }

  /** Removes a peer by hand. */
  forget(nodeId: string): boolean {
    const record = this.peers.get(nodeId);
    if (!record) return false;
    this.remove(record, 'forgotten');
    return true;
  }

  /** Lifts every expired block and cooldown; answers how many records changed. */
  sweep(): number {
    const now = this.now();
    let changed = 0;
    for (const record of [...this.peers.values()]) {
      const next = liftExpired(record, now);
      if (next !== record) {
        this.commit(next, record);
        changed += 1;
      }
    }
    return changed;
  }

  // ---- persistence ----

  /** Saves now if anything changed; waits for a save in progress. Rejects if the write fails. */
  async flush(): Promise<void> {
    this.saveTimer?.cancel();
    this.saveTimer = null;
    const run = this.writing.then(() => this.writeNow());
    this.writing = run.catch(() => undefined);
    await run;
  }

  /** Synchronous save, for exit paths where the event loop may not run again. */
  flushSync(): void {
    this.saveTimer?.cancel();
    this.saveTimer = null;
    if (!this.dirty || !this.persistence) return;
    writeFileAtomicSync(this.path, this.serialize());
    this.dirty = false;
  }

  /** Stops timers and saves. The store still answers queries afterwards but schedules nothing. */
  async close(): Promise<void> {
    this.closed = true;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    this.expiryArmedAt = null;
    await this.flush();
  }

  // ---- internals ----

  private now(): number {
    return this.clock.now();
  }

  private connected(record: PeerRecord, now: number): PeerRecord {
    return {
      ...record,
      connectedSince: record.connectedSince ?? now,
      lifecycle: 'connected',
      successes: record.successes + 1,
      consecutiveFailures: 0,
      cooldownUntil: null,
      lastSeen: Math.max(record.lastSeen, now),
    };
  }

  /**
   * A peer that closed our session because it was full cools down for BUSY_BACKOFF, without a
   * failure counted: the dialer turns to other peers instead of a handshake loop with a full one
   * (each redial took a session slot the peer then closed at once).
   */
  private busy(record: PeerRecord, now: number): PeerRecord {
    const inARow = this.busyInARow.get(record.nodeId) ?? 0;
    this.busyInARow.set(record.nodeId, inARow + 1);
    const until = now + backoffDelayMs(inARow, this.random, BUSY_BACKOFF);
    return { ...record, cooldownUntil: Math.max(record.cooldownUntil ?? 0, until) };
  }

  private failed(record: PeerRecord, now: number, reason: string): PeerRecord {
    const delay = backoffDelayMs(record.consecutiveFailures, this.random);
    return {
      ...record,
      failures: record.failures + 1,
      consecutiveFailures: record.consecutiveFailures + 1,
      cooldownUntil: now + delay,
      lastFailureReason: clipText(reason, MAX_REASON_LENGTH),
    };
  }

  /** Applies `change` to a known peer (after lifting expiries); undefined for unknown or refused. */
  private update(
    nodeId: string,
    change: (record: PeerRecord, now: number) => PeerRecord,
    accept: (record: PeerRecord, now: number) => boolean = () => true,
  ): PeerRecord | undefined {
    const stored = this.peers.get(nodeId);
    if (!stored) return undefined;
    const now = this.now();
    const record = liftExpired(stored, now);
    if (!accept(record, now)) {
      this.commit(record, stored);
      return undefined;
    }
    const next = this.commit(settleRecord(change(record, now), now), stored);
    // A new peer whose every source turned out hostile while it was being dialed or connected goes
    // once that is over (dropSource kept it only for the session's sake).
    if (next.sources.length === 0 && isCharged(next, now) && !isLive(next)) {
      this.remove(next, 'dropped');
      return undefined;
    }
    return next;
  }

  private upsert(nodeId: NodeId, source: PeerSource, from: SourceRef, change: (record: PeerRecord, now: number) => PeerRecord): UpsertResult {
    const stored = this.peers.get(nodeId);
    const now = this.now();
    if (stored) {
      const before = liftExpired(stored, now);
      const peer = this.commit(settleRecord(change(before, now), now), stored);
      return { outcome: peer === stored ? 'unchanged' : 'updated', peer };
    }
    const room = this.makeRoom(source, from, now);
    if (room !== true) return { outcome: 'full', detail: room };
    const peer = settleRecord(change({ ...newPeerRecord(nodeId, source, now), sources: [from] }, now), now);
    this.peers.set(nodeId, peer);
    this.syncLedger(peer, now);
    this.changed({ type: 'added', peer }, peer);
    return { outcome: 'added', peer };
  }

  /** Room for a newcomer from `source`/`from` (see the head of this file): true, or why there is none. */
  private makeRoom(source: PeerSource, from: SourceRef, now: number): true | string {
    if (source === 'seed') {
      if (this.peers.size < this.maxPeers || this.evictLowestTier(3, now)) return true;
      return `${this.maxPeers} peers remembered and none may make room`;
    }
    if (this.ledger.countOfKey(from.key) >= this.maxPerSource) return `${from.key} holds ${this.maxPerSource} new peers already`;
    if (this.ledger.countOfGroup(from.group) >= this.maxPerGroup) return `${from.group} holds ${this.maxPerGroup} new peers already`;
    if (this.peers.size < this.maxPeers) return true;
    const charged = (ids: Iterable<string>): PeerRecord[] => {
      const out: PeerRecord[] = [];
      for (const id of ids) {
        const record = this.peers.get(id);
        if (record && !isLive(record)) out.push(record);
      }
      return out;
    };
    const useless = worstOf(
      [...this.peers.values()].filter((r) => evictionTier(r, now) === 0 && isUseless(r)),
      now,
    );
    const loser = this.ledger.loserFor(from);
    const victim = useless ?? (loser ? worstOf(charged(loser), now) : undefined);
    if (!victim) return `${this.maxPeers} peers remembered; ${from.group} holds as much as anyone, and tried peers are kept`;
    this.remove(victim, 'evicted');
    return true;
  }

  /** Evicts the least useful peer of the lowest tier up to `reach` (seeds, loading a larger file); false when none. */
  private evictLowestTier(reach: number, now: number): boolean {
    let lowest: number | undefined;
    const byTier = new Map<number, PeerRecord[]>();
    for (const record of this.peers.values()) {
      const tier = evictionTier(record, now);
      if (tier === null || tier > reach) continue;
      if (!byTier.has(tier)) byTier.set(tier, []);
      byTier.get(tier)!.push(record);
      if (lowest === undefined || tier < lowest) lowest = tier;
    }
    if (lowest === undefined) return false;
    const victim = worstOf(byTier.get(lowest)!, now);
    if (!victim) return false;
    this.remove(victim, 'evicted');
    return true;
  }

  private remove(record: PeerRecord, reason: RemovalReason): void {
    this.peers.delete(record.nodeId);
    this.busyInARow.delete(record.nodeId);
    this.ledger.release(record.nodeId);
    this.changed({ type: 'removed', peer: record, reason }, null);
  }

  /** Keeps the ledger in step with a record: charged to its first source while it is new. */
  private syncLedger(record: PeerRecord, now: number): void {
    const owner = record.sources[0];
    if (owner && isCharged(record, now)) this.ledger.charge(record.nodeId, owner);
    else this.ledger.release(record.nodeId);
  }

  /** Stores `next` if it differs from `previous` and tells listeners; returns what is stored. */
  private commit(next: PeerRecord, previous: PeerRecord): PeerRecord {
    if (sameRecord(next, previous)) return previous;
    this.peers.set(next.nodeId, next);
    this.syncLedger(next, this.now());
    this.changed({ type: 'updated', peer: next, previous }, next);
    return next;
  }

  private changed(event: PeerStoreEvent, record: PeerRecord | null): void {
    this.markDirty();
    if (record) this.armExpiry(expiryOf(record));
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  private armExpiry(at: number | null): void {
    if (at === null || this.closed) return;
    if (this.expiryArmedAt !== null && this.expiryArmedAt <= at) return;
    this.expiryTimer?.cancel();
    this.expiryArmedAt = at;
    this.expiryTimer = this.schedule(() => {
      this.expiryTimer = null;
      this.expiryArmedAt = null;
      this.sweep();
      const next = this.nextExpiry();
      if (next !== null) this.armExpiry(Math.max(next, this.now() + 1));
    }, Math.max(0, at - this.now()));
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.saveTimer !== null || this.closed || !this.persistence) return;
    this.saveTimer = this.schedule(() => {
      this.saveTimer = null;
      this.flush().catch((error: unknown) => this.onError(error));
    }, this.saveDelayMs);
  }

  private async writeNow(): Promise<void> {
    if (!this.dirty || !this.persistence) return;
    const text = this.serialize();
    this.dirty = false;
    try {
      await writeFileAtomic(this.path, text);
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }

  private serialize(): string {
    const now = this.now();
    return encodePeersFile([...this.peers.values()], now);
  }

  private async load(): Promise<void> {
    const content = await readPeersFile(this.path, this.now());
    if (content === undefined) return;
    for (const record of content.records) {
      this.peers.set(record.nodeId, record);
      this.syncLedger(record, this.now());
    }
    // A file from a build with a higher limit: keep the most useful.
    while (this.peers.size > this.maxPeers) {
      if (!this.evictLowestTier(3, this.now())) break;
    }
    this.dirty = false;
    this.saveTimer?.cancel();
    this.saveTimer = null;

    if (content.problem === null) {
      this.loadReport = { status: 'loaded', peers: this.peers.size };
    } else {
      let movedTo: string | null = null;
      try {
        movedTo = await moveCorruptFileAside(this.path, this.now());
      } catch (error) {
        this.onError(error);
      }
      // Saving over a file we could not keep would lose it: this run saves nothing.
      if (movedTo === null) this.persistence = false;
      this.loadReport = { status: 'corrupt', error: content.problem, movedTo, recovered: this.peers.size };
      if (this.peers.size > 0) this.markDirty();
    }
    const next = this.nextExpiry();
    if (next !== null) this.armExpiry(next);
  }
}
