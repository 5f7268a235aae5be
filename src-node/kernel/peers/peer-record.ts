// What the node remembers about one peer, and its projection to the spec's closed operator read
// model `peer-status.v1` (spec digest §f). Records are immutable values: the peer store replaces a
// record on every change, so a record handed to a listener never changes under it.
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import { REQUIRED_CAPABILITY } from '../../../src-shared/protocol/profile.js';
import { scorePeer } from './score.js';
import type { SourceRef } from './provenance.js';

export const PEER_TEMPERATURES = ['cold', 'warm', 'hot', 'blocked'] as const;
export type PeerTemperature = (typeof PEER_TEMPERATURES)[number];

export const PEER_LIFECYCLES = ['idle', 'dialing', 'connected', 'cooldown', 'blocked'] as const;
export type PeerLifecycle = (typeof PEER_LIFECYCLES)[number];

/**
 * How this run knows the peer, strongest first. A record only ever moves to a stronger source.
 * Records loaded from peers.json start as `remembered`; configured seeds and fresh directory or
 * gossip advertisements then raise them again.
 */
export const PEER_SOURCES = ['seed', 'directory', 'gossip', 'inbound', 'remembered'] as const;
export type PeerSource = (typeof PEER_SOURCES)[number];

export const ENDPOINT_ROLES = ['listener', 'relay'] as const;
export type EndpointRole = (typeof ENDPOINT_ROLES)[number];

/** Where an endpoint came from: the peer's signed advertisement, or our static seed list. */
export const ENDPOINT_ORIGINS = ['advertisement', 'seed'] as const;
export type EndpointOrigin = (typeof ENDPOINT_ORIGINS)[number];

export const QUALITY_STATUSES = ['healthy', 'degraded', 'capability_limited', 'cooling_down', 'benchlisted', 'blocked'] as const;
export type QualityStatus = (typeof QUALITY_STATUSES)[number];

/** A peer with this many dial or session failures in a row shows as `benchlisted`. */
export const BENCHLIST_CONSECUTIVE_FAILURES = 5;
/** Below this score a peer with no stronger status shows as `degraded`. */
export const DEGRADED_BELOW_SCORE = 40;

/**
 * A tried peer that then fails this many times in a row is treated as new again (issue 15 §1): it
 * no longer outranks newcomers, and may make room for them. A peer that answered once is not kept
 * for ever on the strength of it.
 */
export const TRIED_MAX_CONSECUTIVE_FAILURES = 10;

/** Endpoints kept per peer (the preferred ones). */
export const MAX_ENDPOINTS_PER_PEER = 8;
/** Longer endpoint URLs are ignored. */
export const MAX_ENDPOINT_URL_LENGTH = 2_048;
/** Larger advertisements (as JSON text) are refused: the store keeps up to maxPeers of them. */
export const MAX_ADVERTISEMENT_BYTES = 16 * 1024;
/** Capabilities kept per peer; longer names are ignored. */
export const MAX_CAPABILITIES_PER_PEER = 64;
export const MAX_CAPABILITY_LENGTH = 128;
/** Labels and reasons are cut to these lengths. */
export const MAX_LABEL_LENGTH = 200;
export const MAX_REASON_LENGTH = 500;

export interface PeerEndpoint {
  readonly url: string;
  /** The sender's preference; lower is preferred (spec digest §c.2). */
  readonly priority: number;
  readonly role: EndpointRole;
  readonly origin: EndpointOrigin;
}

export interface PeerBlock {
  readonly reason: string;
  /** When the block lifts by itself; null means until unblocked by hand. */
  readonly until: number | null;
  /** True when the store blocked the peer for repeated protocol violations. */
  readonly automatic: boolean;
  readonly since: number;
}

export interface PeerRecord {
  readonly nodeId: NodeId;
  /** The operator's local name for the peer (`display_name`). */
  readonly label: string | null;
  readonly source: PeerSource;
  /** Preferred first (see `preferredEndpoints`). */
  readonly endpoints: readonly PeerEndpoint[];
  /** The current verified `node-advertisement.v1`, as received. */
  readonly advertisement: JsonObject | null;
  /** The endpoint of the current or last outbound dial. */
  readonly selectedEndpointUrl: string | null;
  readonly temperature: PeerTemperature;
  readonly lifecycle: PeerLifecycle;
  readonly rttLastMs: number | null;
  /** Exponentially weighted moving average of the RTT samples (see RTT_EWMA_WEIGHT). */
  readonly rttSmoothedMs: number | null;
  /** Dial or session failures since the last successful session; drives the backoff. */
  readonly consecutiveFailures: number;
  /** Sessions established (outbound or inbound), over the record's life. */
  readonly successes: number;
  /** Failed dials and sessions lost abnormally, over the record's life. */
  readonly failures: number;
  readonly firstSeen: number;
  /** Last direct contact or fresh advertisement. */
  readonly lastSeen: number;
  readonly connectedSince: number | null;
  /** Connected time of past sessions; the current one is added by `connectedMsAt`. */
  readonly connectedMs: number;
  readonly block: PeerBlock | null;
  readonly cooldownUntil: number | null;
  /** Every protocol violation reported, over the record's life. */
  readonly protocolViolations: number;
  /** Recent violations that count towards an automatic block. */
  readonly violationStrikes: number;
  readonly lastViolationAt: number | null;
  readonly replayIncidents: number;
  readonly capabilityMissingCount: number;
  /** From the capability exchange; null until the peer told us. */
  readonly capabilities: readonly string[] | null;
  readonly lastFailureReason: string | null;
  /**
   * When we last dialed the peer and its session came up (its identity proven at an address we
   * chose): the peer is "tried" (issue 15 §1, Bitcoin's tried table). Inbound sessions do not
   * count: anyone with many identities can open those.
   */
  readonly verifiedAt: number | null;
  /** Who brought the peer, first (charged for it) to last (provenance.ts). */
  readonly sources: readonly SourceRef[];
}

export function newPeerRecord(nodeId: NodeId, source: PeerSource, now: number): PeerRecord {
  return {
    nodeId,
    label: null,
    source,
    endpoints: [],
    advertisement: null,
    selectedEndpointUrl: null,
    temperature: 'cold',
    lifecycle: 'idle',
    rttLastMs: null,
    rttSmoothedMs: null,
    consecutiveFailures: 0,
    successes: 0,
    failures: 0,
    firstSeen: now,
    lastSeen: now,
    connectedSince: null,
    connectedMs: 0,
    block: null,
    cooldownUntil: null,
    protocolViolations: 0,
    violationStrikes: 0,
    lastViolationAt: null,
    replayIncidents: 0,
    capabilityMissingCount: 0,
    capabilities: null,
    lastFailureReason: null,
    verifiedAt: null,
    sources: [],
  };
}

/** A peer we reached ourselves and that has not failed too often since (issue 15 §1). */
export function isTried(record: PeerRecord): boolean {
  return record.verifiedAt !== null && record.consecutiveFailures < TRIED_MAX_CONSECUTIVE_FAILURES;
}

const SOURCE_STRENGTH: Readonly<Record<PeerSource, number>> = { seed: 4, directory: 3, gossip: 2, inbound: 1, remembered: 0 };

/** The stronger of two sources (seed > directory > gossip > inbound > remembered). */
export function strongerSource(a: PeerSource, b: PeerSource): PeerSource {
  return SOURCE_STRENGTH[b] > SOURCE_STRENGTH[a] ? b : a;
}

export function isBlockedAt(record: PeerRecord, now: number): boolean {
  return record.block !== null && (record.block.until === null || record.block.until > now);
}

export function isCoolingDownAt(record: PeerRecord, now: number): boolean {
  return record.cooldownUntil !== null && record.cooldownUntil > now;
}

/** Dialing or connected: the peer holds a session slot. */
export function isLive(record: PeerRecord): boolean {
  return record.connectedSince !== null || record.lifecycle === 'dialing' || record.lifecycle === 'connected';
}

/** Total connected time, counting the current session up to `now`. */
export function connectedMsAt(record: PeerRecord, now: number): number {
  return record.connectedMs + (record.connectedSince !== null ? Math.max(0, now - record.connectedSince) : 0);
}

/** Cuts `text` to at most `max` UTF-16 units (labels and reasons are shown, not parsed). */
export function clipText(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/** The stable lifecycle and temperature implied by a record's facts. */
export function settleRecord(record: PeerRecord, now: number): PeerRecord {
  let lifecycle = record.lifecycle;
  let temperature = record.temperature;
  if (isBlockedAt(record, now)) {
    lifecycle = 'blocked';
    temperature = 'blocked';
  } else if (record.connectedSince !== null) {
    lifecycle = 'connected';
    temperature = temperature === 'hot' ? 'hot' : 'warm';
  } else if (record.lifecycle === 'dialing') {
    temperature = 'cold';
  } else {
    lifecycle = isCoolingDownAt(record, now) ? 'cooldown' : 'idle';
    temperature = 'cold';
  }
  if (lifecycle === record.lifecycle && temperature === record.temperature) return record;
  return { ...record, lifecycle, temperature };
}

/** Drops an expired block or cooldown. */
export function liftExpired(record: PeerRecord, now: number): PeerRecord {
  let next = record;
  if (next.block !== null && next.block.until !== null && next.block.until <= now) {
    next = { ...next, block: null, violationStrikes: 0, lastViolationAt: null };
  }
  if (next.cooldownUntil !== null && next.cooldownUntil <= now) next = { ...next, cooldownUntil: null };
  return next === record ? record : settleRecord(next, now);
}

/** When the record's block or cooldown lifts next; null when it has neither with an end. */
export function expiryOf(record: PeerRecord): number | null {
  let t: number | null = null;
  if (record.block?.until != null) t = record.block.until;
  if (record.cooldownUntil !== null) t = t === null ? record.cooldownUntil : Math.min(t, record.cooldownUntil);
  return t;
}

/** The sender's order (lower priority first), then listeners before relays, then by URL. */
export function compareEndpoints(a: PeerEndpoint, b: PeerEndpoint): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.role !== b.role) return a.role === 'listener' ? -1 : 1;
  return a.url < b.url ? -1 : a.url > b.url ? 1 : 0;
}

export function preferredEndpoints(record: PeerRecord): PeerEndpoint[] {
  return [...record.endpoints].sort(compareEndpoints);
}

/** Capabilities we need that the peer did not offer; empty while the exchange has not happened. */
export function missingCapabilities(record: PeerRecord, required: readonly string[] = [REQUIRED_CAPABILITY]): string[] {
  if (record.capabilities === null) return [];
  const offered = new Set(record.capabilities);
  return required.filter((c) => !offered.has(c));
}

/** `peer-status.v1`: the spec's closed operator-local read model (spec digest §f). */
export interface PeerStatusV1 {
  readonly schema: 'peer-status.v1';
  readonly node_id: string;
  readonly display_name: string | null;
  readonly selected_endpoint_url: string | null;
  readonly temperature: PeerTemperature;
  readonly lifecycle: PeerLifecycle;
  readonly quality_status: QualityStatus;
  readonly score: number;
  readonly supported_capabilities: readonly string[];
  readonly missing_capabilities: readonly string[];
  readonly capability_missing_count: number;
  readonly failure_count: number;
  readonly replay_incidents: number;
  readonly cooldown_remaining_ms: number | null;
  /** Null when not blocked, and also when blocked until unblocked by hand (see `temperature`). */
  readonly blocked_remaining_ms: number | null;
  readonly last_failure_reason: string | null;
}

export interface PeerStatusOptions {
  /** Capabilities a session needs; defaults to `core/messaging`. */
  readonly requiredCapabilities?: readonly string[];
  /** The score to show; computed with `scorePeer` when absent. */
  readonly score?: number;
}

/**
 * The quality status, first match wins:
 * blocked (an active block) › benchlisted (BENCHLIST_CONSECUTIVE_FAILURES failures in a row) ›
 * cooling_down (in reconnect backoff) › capability_limited (lacks a required capability, or
 * was refused for one) › degraded (last attempt failed, or score below DEGRADED_BELOW_SCORE) ›
 * healthy. The spec gives no thresholds; these are ours.
 */
export function qualityStatusOf(record: PeerRecord, now: number, score: number, required: readonly string[] = [REQUIRED_CAPABILITY]): QualityStatus {
  if (isBlockedAt(record, now)) return 'blocked';
  if (record.consecutiveFailures >= BENCHLIST_CONSECUTIVE_FAILURES) return 'benchlisted';
  if (isCoolingDownAt(record, now)) return 'cooling_down';
  if (missingCapabilities(record, required).length > 0) return 'capability_limited';
  if (record.capabilities === null && record.capabilityMissingCount > 0) return 'capability_limited';
  if (record.consecutiveFailures > 0 || score < DEGRADED_BELOW_SCORE) return 'degraded';
  return 'healthy';
}

export function toPeerStatus(record: PeerRecord, now: number, options: PeerStatusOptions = {}): PeerStatusV1 {
  const required = options.requiredCapabilities ?? [REQUIRED_CAPABILITY];
  const score = Math.max(0, Math.min(100, Math.round(options.score ?? scorePeer(record, now))));
  const blocked = isBlockedAt(record, now);
  const cooling = isCoolingDownAt(record, now);
  const until = record.block?.until ?? null;
  return {
    schema: 'peer-status.v1',
    node_id: record.nodeId,
    display_name: record.label,
    selected_endpoint_url: record.selectedEndpointUrl ?? preferredEndpoints(record)[0]?.url ?? null,
    temperature: blocked ? 'blocked' : record.temperature === 'blocked' ? 'cold' : record.temperature,
    lifecycle: blocked ? 'blocked' : record.lifecycle === 'blocked' ? 'idle' : record.lifecycle === 'cooldown' && !cooling ? 'idle' : record.lifecycle,
    quality_status: qualityStatusOf(record, now, score, required),
    score,
    supported_capabilities: [...(record.capabilities ?? [])],
    missing_capabilities: missingCapabilities(record, required),
    capability_missing_count: record.capabilityMissingCount,
    failure_count: record.consecutiveFailures,
    replay_incidents: record.replayIncidents,
    cooldown_remaining_ms: cooling && record.cooldownUntil !== null ? Math.ceil(record.cooldownUntil - now) : null,
    blocked_remaining_ms: blocked && until !== null ? Math.ceil(until - now) : null,
    last_failure_reason: record.lastFailureReason,
  };
}
