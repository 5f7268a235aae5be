// The orchestrator's registry of PNodes (issue 5 §3): soft state, rebuilt from registrations after
// a restart. A registration opens a lease of LEASE_MISSED_HEARTBEATS intervals; each heartbeat
// renews it. A lease that runs out leaves the record `expired` for a grace period (a heartbeat
// then hears "not registered" and the PNode registers again), after which it is forgotten.
// No I/O: time comes from the clock, and the caller acts on what sweep() reports.
import type { PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import type { HeartbeatBody, TrustLevel } from '../../../src-shared/protocol/messages/membership-bodies.js';
import { peerScore } from '../../kernel/peers/score.js';
import { LEASE_MISSED_HEARTBEATS } from '../../../src-shared/membership/membership-profile.js';
import type { Clock } from '../../kernel/util/clock.js';

export type PNodeState = 'registered' | 'expired';

/** PNodes whose work penalties are remembered at most (as many as one orchestrator registers). */
export const MAX_PENALIZED_PNODES = 20_000;

export interface PNodeEntry {
  readonly nodeId: string;
  state: PNodeState;
  descriptor: PnodeDescriptor;
  trust: TrustLevel;
  /** Who vouched for a trusted PNode (the trust hook's answer), or null. */
  operatorId: string | null;
  /** This orchestrator is the PNode's primary: the only one whose allocations it accepts. */
  primary: boolean;
  contributing: boolean;
  loadPermille: number | null;
  availableMemoryMb: number | null;
  /** Heartbeat round trip the PNode reported (advisory). */
  rttMs: number | null;
  readonly firstSeenAt: number;
  registeredAt: number;
  lastHeartbeatAt: number | null;
  leaseExpiresAt: number;
  expiredAt: number | null;
  heartbeats: number;
  /** Heartbeats that never came (gaps between heartbeats, and whole leases lost). */
  missed: number;
  leaseExpiries: number;
  lastSeq: number;
  /** Registered time in earlier registrations; the current one counts from registeredAt. */
  registeredMsBefore: number;
  /** VNodes offered to, allocated on, or running on this PNode. */
  readonly vnodes: Set<string>;
  /**
   * Where it registered from (issue 13 §4): the address and network prefix as independence keys
   * them (work/independence.ts), and the session it registered over. Null for a registration
   * that came without them (tests driving the orchestrator directly).
   */
  address: string | null;
  prefix: string | null;
  session: string | null;
}

export interface RegistryOptions {
  readonly clock: Clock;
  readonly heartbeatIntervalMs: number;
  readonly leaseMs: number;
  readonly graceMs: number;
}

export interface RegistrationInput {
  readonly descriptor: PnodeDescriptor;
  readonly primary: boolean;
  readonly trust: TrustLevel;
  readonly operatorId: string | null;
  readonly address?: string | null;
  readonly prefix?: string | null;
  readonly session?: string | null;
}

export interface SweepResult {
  /** Leases that ended in this sweep (their VNodes must be placed elsewhere). */
  readonly expired: PNodeEntry[];
  /** Records dropped after their grace period. */
  readonly forgotten: string[];
}

export class PNodeRegistry {
  private readonly entries = new Map<string, PNodeEntry>();
  private registered = 0;
  /** Work penalties (issue 7 §3): score points taken off a PNode whose results lost a quorum, by node-id. */
  private readonly penalties = new Map<string, number>();
  /** Registered PNodes by address key and by prefix key (the per-address registration limits count them). */
  private readonly byAddress = new Map<string, Set<string>>();
  private readonly byPrefix = new Map<string, Set<string>>();

  constructor(private readonly options: RegistryOptions) {}

  get size(): number {
    return this.entries.size;
  }

  get registeredCount(): number {
    return this.registered;
  }

  get(nodeId: string): PNodeEntry | undefined {
    return this.entries.get(nodeId);
  }

  all(): IterableIterator<PNodeEntry> {
    return this.entries.values();
  }

  /** Registered PNodes seen from this address key, and from this prefix key. */
  registeredAt(address: string, prefix: string): { address: number; prefix: number } {
    return { address: this.byAddress.get(address)?.size ?? 0, prefix: this.byPrefix.get(prefix)?.size ?? 0 };
  }

  private index(entry: PNodeEntry, add: boolean): void {
    const update = (map: Map<string, Set<string>>, key: string | null) => {
      if (key === null) return;
      let set = map.get(key);
      if (add) {
        if (!set) map.set(key, (set = new Set()));
        set.add(entry.nodeId);
      } else if (set) {
        set.delete(entry.nodeId);
        if (set.size === 0) map.delete(key);
      }
    };
    update(this.byAddress, entry.address);
    update(this.byPrefix, entry.prefix);
  }

  countByState(): Record<PNodeState, number> {
    return { registered: this.registered, expired: this.entries.size - this.registered };
  }

  /**
   * Opens or renews the PNode's registration. A live registration keeps its VNodes and counters;
   * an expired one starts afresh (its VNodes were already taken back).
   */
  register(input: RegistrationInput): { entry: PNodeEntry; renewed: boolean } {
    const now = this.options.clock.now();
    const nodeId = input.descriptor['node/id'];
    const existing = this.entries.get(nodeId);
    const hardware = input.descriptor.hardware;
    if (existing) {
      const renewed = existing.state === 'registered';
      if (renewed) this.index(existing, false);
      existing.address = input.address ?? null;
      existing.prefix = input.prefix ?? null;
      existing.session = input.session ?? null;
      this.index(existing, true);
      if (!renewed) {
        existing.state = 'registered';
        existing.registeredAt = now;
        existing.expiredAt = null;
        existing.lastHeartbeatAt = null;
        existing.lastSeq = -1;
        this.registered++;
      }
      existing.descriptor = input.descriptor;
      existing.trust = input.trust;
      existing.operatorId = input.operatorId;
      existing.primary = input.primary;
      existing.availableMemoryMb = hardware['memory/available-mb'];
      existing.leaseExpiresAt = now + this.options.leaseMs;
      return { entry: existing, renewed };
    }
    const entry: PNodeEntry = {
      nodeId,
      state: 'registered',
      descriptor: input.descriptor,
      trust: input.trust,
      operatorId: input.operatorId,
      primary: input.primary,
      contributing: false,
      loadPermille: null,
      availableMemoryMb: hardware['memory/available-mb'],
      rttMs: null,
      firstSeenAt: now,
      registeredAt: now,
      lastHeartbeatAt: null,
      leaseExpiresAt: now + this.options.leaseMs,
      expiredAt: null,
      heartbeats: 0,
      missed: 0,
      leaseExpiries: 0,
      lastSeq: -1,
      registeredMsBefore: 0,
      vnodes: new Set(),
      address: input.address ?? null,
      prefix: input.prefix ?? null,
      session: input.session ?? null,
    };
    this.entries.set(nodeId, entry);
    this.index(entry, true);
    this.registered++;
    return { entry, renewed: false };
  }

  /**
   * Renews the lease of a registered PNode from its heartbeat; undefined when the PNode holds no
   * live registration here (the caller answers "not registered").
   */
  heartbeat(nodeId: string, body: HeartbeatBody): PNodeEntry | undefined {
    const entry = this.entries.get(nodeId);
    if (!entry || entry.state !== 'registered') return undefined;
    const now = this.options.clock.now();
    const interval = this.options.heartbeatIntervalMs;
    const since = entry.lastHeartbeatAt ?? entry.registeredAt;
    // A gap of k intervals means k − 1 heartbeats never came (rounded, so jitter is not a miss).
    entry.missed += Math.max(0, Math.floor((now - since + interval / 2) / interval) - 1);
    entry.heartbeats++;
    entry.lastHeartbeatAt = now;
    entry.leaseExpiresAt = now + this.options.leaseMs;
    entry.lastSeq = body.seq ?? entry.lastSeq;
    entry.primary = body.primary ?? entry.primary;
    entry.contributing = body.contributing ?? entry.contributing;
    if (body['load/permille'] !== undefined) entry.loadPermille = body['load/permille'];
    if (body['memory/available-mb'] !== undefined) entry.availableMemoryMb = body['memory/available-mb'] ?? entry.descriptor.hardware['memory/available-mb'];
    if (body['rtt/ms'] !== undefined) entry.rttMs = body['rtt/ms'];
    return entry;
  }

  /** Ends the leases that ran out and forgets records whose grace period is over. */
  sweep(): SweepResult {
    const now = this.options.clock.now();
    const expired: PNodeEntry[] = [];
    const forgotten: string[] = [];
    for (const entry of this.entries.values()) {
      if (entry.state === 'registered' && entry.leaseExpiresAt <= now) {
        entry.state = 'expired';
        entry.expiredAt = now;
        entry.leaseExpiries++;
        entry.missed += LEASE_MISSED_HEARTBEATS;
        entry.registeredMsBefore += Math.max(0, now - entry.registeredAt);
        this.registered--;
        this.index(entry, false);
        expired.push(entry);
      } else if (entry.state === 'expired' && entry.expiredAt !== null && entry.expiredAt + this.options.graceMs <= now) {
        this.entries.delete(entry.nodeId);
        forgotten.push(entry.nodeId);
      }
    }
    return { expired, forgotten };
  }

  /** The peer score (0–100) placement ranks by: reported RTT, heartbeats kept vs missed, time registered. */
  score(entry: PNodeEntry, now = this.options.clock.now()): number {
    const current = entry.state === 'registered' ? Math.max(0, now - entry.registeredAt) : 0;
    const penalty = this.penalties.get(entry.nodeId) ?? 0;
    return Math.max(0, peerScore({
      rttMs: entry.rttMs,
      successes: entry.heartbeats,
      failures: entry.missed,
      connectedMs: entry.registeredMsBefore + current,
      observedMs: Math.max(0, now - entry.firstSeenAt),
    }) - penalty);
  }

  /**
   * Lowers a PNode's score (what placement ranks by) by `points`, for work it got wrong (the work
   * scheduler: a result that lost a quorum). Kept by node-id, across registrations, for at most
   * MAX_PENALIZED_PNODES PNodes (the oldest penalty goes first). Returns the PNode's total penalty.
   */
  penalize(nodeId: string, points: number): number {
    const total = (this.penalties.get(nodeId) ?? 0) + Math.max(0, points);
    this.penalties.delete(nodeId);
    this.penalties.set(nodeId, total);
    if (this.penalties.size > MAX_PENALIZED_PNODES) this.penalties.delete(this.penalties.keys().next().value!);
    return total;
  }

  /** Score points a PNode has lost to penalize(). */
  penalty(nodeId: string): number {
    return this.penalties.get(nodeId) ?? 0;
  }
}
