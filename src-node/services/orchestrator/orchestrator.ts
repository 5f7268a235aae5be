// The orchestrator's logic (issue 5 §3, §4), free of sockets and timers: registrations, heartbeats
// and leases (registry.ts), VNodes and their placement (vnode-table.ts, placement.ts). The runtime
// module feeds it messages and ticks, and gives it a way to send.
//
// No double ownership (issue 5 §4). The rule, in three parts:
//   1. A VNode id is made by one orchestrator and owned by it for the VNode's life; it is never
//      transferred. Two orchestrators therefore never both hold the same VNode.
//   2. A PNode accepts vnode-allocate only from its primary orchestrator (the `primary` flag it
//      sends in every registration and heartbeat), and refuses the others (`not-primary`). When it
//      changes primary, or its lease with an orchestrator runs out by its own clock, it releases
//      that orchestrator's VNodes first. So a PNode holds the VNodes of at most one orchestrator.
//   3. An orchestrator places a VNode elsewhere only once the PNode holding it gave it up (it says
//      so: vnode-status, a heartbeat without it, a heartbeat that is no longer primary) or its
//      lease ended by the orchestrator's clock. The PNode measures its lease from when it *sent*
//      the acknowledged heartbeat, the orchestrator from when it *received* it, so the PNode's
//      lease always runs out first: by the time the orchestrator moves a VNode, the old PNode has
//      already dropped it. (Leases assume clocks that run at nearly the same rate, as leases do.)
// Heartbeats reconcile the rest: a listed VNode this orchestrator did not place there is released.
import { EventEmitter } from 'node:events';
import { ProtocolError, type ErrorCode } from '../../../src-shared/protocol/errors.js';
import { errorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import type { SessionBody, SessionKind } from '../../../src-shared/protocol/messages/kinds.js';
import {
  NOT_REGISTERED_CODE,
  type HeartbeatBody,
  type PnodeRegisterBody,
  type TrustLevel,
  type VNodeAllocateBody,
  type VNodeReleaseBody,
  type VNodeReleaseReason,
  type VNodeStatusBody,
} from '../../../src-shared/protocol/messages/membership-bodies.js';
import { verifyDescriptor, type PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import { cappedCapacity, choosePNode, type PlacementCandidate, type Resources } from '../../../src-shared/membership/placement.js';
import { MAX_OFFER_CORES, MAX_OFFER_MEMORY_MB, MAX_VNODES_PER_PNODE, PNODE_RECORD_GRACE_INTERVALS, leaseMsFor } from '../../../src-shared/membership/membership-profile.js';
import { newId } from '../../../src-shared/protocol/ids.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import type { Clock } from '../../kernel/util/clock.js';
import { PNodeRegistry, type PNodeEntry } from './registry.js';
import { MAX_VNODES, VNodeTable, isHeld, type VNodeRecord } from './vnode-table.js';
import { RateWindow, zeroCounters, type MetricsSnapshot, type OrchestratorCounters } from './metrics.js';
import { placeOf } from './work/independence.js';

/** PNodes one orchestrator registers at most (DESIGN.md §9: 50,000 at a 10 s heartbeat; the connection manager holds as many sessions). */
export const MAX_REGISTERED_PNODES = 50_000;
/**
 * Registered PNodes seen from one address, and from one network prefix (IPv4 /24, IPv6 /48), at
 * most (issue 13 §4): identities are free, addresses are not. A household or an office behind one
 * NAT address fits; a thousand identities from one machine do not.
 */
export const MAX_PNODES_PER_ADDRESS = 4;
export const MAX_PNODES_PER_PREFIX = 64;

export interface RegistrationLimits {
  readonly perAddress: number;
  readonly perPrefix: number;
}

/** Where a registration came from: the session's remote address and id. */
export interface RegistrationSource {
  readonly address: string;
  readonly session: string;
}

/** How the orchestrator reaches PNodes: the runtime's connection manager, or a test double. */
export interface OrchestratorTransport {
  send<K extends SessionKind>(nodeId: string, kind: K, body: SessionBody<K>): boolean;
  isConnected(nodeId: string): boolean;
  sessions(): number;
}

export interface TrustAssessment {
  readonly level: TrustLevel;
  /** Who vouched (an operator or credential id), shown by the admin API. */
  readonly operatorId?: string | null;
}

/**
 * Trusted registration (issue 5 §5) plugs in here: it reads the descriptor's `operator`
 * attestation and answers the trust level. Without a hook every PNode is untrusted.
 */
export type TrustHook = (descriptor: PnodeDescriptor, context: { readonly now: number; readonly trace?: boolean }) => TrustAssessment;

export const UNTRUSTED: TrustHook = () => ({ level: 'untrusted', operatorId: null });

export interface OrchestratorOptions {
  readonly selfNodeId: string;
  readonly clock: Clock;
  readonly crypto: CryptoProvider;
  readonly transport: OrchestratorTransport;
  readonly heartbeatIntervalMs: number;
  /** How long an expired record is kept; default PNODE_RECORD_GRACE_INTERVALS intervals. */
  readonly graceMs?: number;
  readonly trust?: TrustHook;
  readonly maxPnodes?: number;
  readonly registrationLimits?: RegistrationLimits;
  /** Devnets and tests on one machine: PNodes on loopback count as separate addresses (work/independence.ts). */
  readonly devLoopback?: boolean;
}

export interface OrchestratorEvents {
  /** Registry or VNodes changed (for the admin API's watchers and tests). */
  changed: [];
  /** A PNode's lease ended. */
  expired: [nodeId: string];
}

export class Orchestrator extends EventEmitter<OrchestratorEvents> {
  readonly registry: PNodeRegistry;
  readonly vnodes = new VNodeTable();
  readonly counters: OrchestratorCounters = zeroCounters();
  readonly heartbeatIntervalMs: number;
  readonly leaseMs: number;
  readonly graceMs: number;
  readonly startedAt: number;
  private readonly heartbeatRate: RateWindow;
  private readonly trust: TrustHook;
  private placementDirty = false;
  /** The work scheduler's cap on what a PNode may be given before its benchmark (issue 13 §4). */
  private capacityCap: ((entry: PNodeEntry) => Resources | null) | null = null;

  constructor(private readonly options: OrchestratorOptions) {
    super();
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.leaseMs = leaseMsFor(options.heartbeatIntervalMs);
    this.graceMs = options.graceMs ?? PNODE_RECORD_GRACE_INTERVALS * options.heartbeatIntervalMs;
    this.registry = new PNodeRegistry({ clock: options.clock, heartbeatIntervalMs: this.heartbeatIntervalMs, leaseMs: this.leaseMs, graceMs: this.graceMs });
    this.trust = options.trust ?? UNTRUSTED;
    this.startedAt = options.clock.now();
    this.heartbeatRate = new RateWindow(this.startedAt);
  }

  private now(): number {
    return this.options.clock.now();
  }

  private replyError(nodeId: string, kind: string, code: ErrorCode, detail: string, reqId: string | undefined): void {
    this.options.transport.send(nodeId, 'error', errorBody(new ProtocolError(code, `${kind}: ${detail}`), reqId));
  }

  // --- registration and heartbeats --------------------------------------------------------------

  /** Caps what each PNode may be given (null: its claims as measured); placement follows at once. */
  setCapacityCap(cap: ((entry: PNodeEntry) => Resources | null) | null): void {
    this.capacityCap = cap;
    this.refreshCapacity();
  }

  /** A cap changed (a PNode passed its benchmark): placement looks again. */
  refreshCapacity(): void {
    this.markDirty();
    this.emit('changed');
  }

  onRegister(nodeId: string, body: PnodeRegisterBody, from?: RegistrationSource): void {
    const reqId = body['req/id'];
    if (reqId === undefined) return; // a reply: orchestrators do not register anywhere
    const now = this.now();
    const verified = verifyDescriptor(body.descriptor, { crypto: this.options.crypto, now, expectedNodeId: nodeId });
    if (!verified.ok) {
      this.counters.registrationsRefused++;
      this.options.transport.send(nodeId, 'error', errorBody(verified.error, reqId));
      return;
    }
    const descriptor = verified.value;
    const existing = this.registry.get(nodeId);
    if (existing?.state === 'registered' && descriptor['sequence/no'] < existing.descriptor['sequence/no']) {
      this.counters.registrationsRefused++;
      this.replyError(nodeId, 'pnode-register', 'E_ADV_STALE_SEQ', `descriptor sequence ${descriptor['sequence/no']} is older than ${existing.descriptor['sequence/no']}`, reqId);
      return;
    }
    if (!existing && this.registry.size >= (this.options.maxPnodes ?? MAX_REGISTERED_PNODES)) {
      this.counters.registrationsRefused++;
      this.options.transport.send(nodeId, 'pnode-register', { 're/id': reqId, accepted: false, reason: 'registry full' });
      return;
    }
    const place = from ? placeOf({ nodeId, address: from.address, operator: null, session: from.session, devLoopback: this.options.devLoopback === true }) : null;
    if (place) {
      const limits = this.options.registrationLimits ?? { perAddress: MAX_PNODES_PER_ADDRESS, perPrefix: MAX_PNODES_PER_PREFIX };
      const seen = this.registry.registeredAt(place.address, place.prefix);
      const counted = existing?.state === 'registered';
      const sameAddress = counted && existing.address === place.address ? 1 : 0;
      const samePrefix = counted && existing.prefix === place.prefix ? 1 : 0;
      const refusal =
        seen.address - sameAddress >= limits.perAddress
          ? `${limits.perAddress} PNodes are registered from this address already`
          : seen.prefix - samePrefix >= limits.perPrefix
            ? `${limits.perPrefix} PNodes are registered from this network (${place.prefix}) already`
            : null;
      if (refusal !== null) {
        this.counters.registrationsRefused++;
        this.options.transport.send(nodeId, 'pnode-register', { 're/id': reqId, accepted: false, reason: refusal });
        return;
      }
    }
    const assessment = this.trust(descriptor, { now });
    const wasPrimary = existing?.state === 'registered' && existing.primary;
    const { entry } = this.registry.register({
      descriptor,
      primary: body.primary === true,
      trust: assessment.level,
      operatorId: assessment.operatorId ?? null,
      address: place?.address ?? null,
      prefix: place?.prefix ?? null,
      session: place?.session ?? null,
    });
    this.counters.registrations++;
    if (wasPrimary && !entry.primary) this.takeBackAll(entry, 'the PNode made another orchestrator its primary', 'not-primary');
    const capacity = this.capacityOf(entry);
    this.options.transport.send(nodeId, 'pnode-register', {
      're/id': reqId,
      accepted: true,
      'lease-ms': this.leaseMs,
      'heartbeat-interval-ms': this.heartbeatIntervalMs,
      'orchestrator/node-id': this.options.selfNodeId,
      trust: entry.trust,
      'offer/accepted': { cores: capacity.cores, 'memory-mb': capacity.memoryMb },
    });
    this.markDirty();
  }

  onHeartbeat(nodeId: string, body: HeartbeatBody): void {
    const reqId = body['req/id'];
    if (reqId === undefined) return;
    const before = this.registry.get(nodeId);
    const wasPrimary = before?.state === 'registered' && before.primary;
    const wasContributing = before?.state === 'registered' && before.contributing;
    const entry = this.registry.heartbeat(nodeId, body);
    const now = this.now();
    if (!entry) {
      this.counters.heartbeatsUnknown++;
      this.replyError(nodeId, 'heartbeat', NOT_REGISTERED_CODE, 'not registered here: register again', reqId);
      return;
    }
    this.counters.heartbeats++;
    this.heartbeatRate.add(now);
    this.options.transport.send(nodeId, 'heartbeat', { 're/id': reqId, 'lease-ms': this.leaseMs, 'heartbeat-interval-ms': this.heartbeatIntervalMs });
    if (wasPrimary && !entry.primary) this.takeBackAll(entry, 'the PNode made another orchestrator its primary', 'not-primary');
    this.reconcile(entry, body.vnodes ?? [], now);
    if (entry.primary !== wasPrimary || entry.contributing !== wasContributing) this.markDirty();
  }

  /** Heartbeats list the VNodes of ours the PNode holds; the table and the PNode must agree. */
  private reconcile(entry: PNodeEntry, listed: readonly { readonly 'vnode/id': string; readonly state: string }[], now: number): void {
    if (listed.length === 0 && entry.vnodes.size === 0) return;
    const seen = new Set<string>();
    for (const item of listed) {
      const id = item['vnode/id'];
      seen.add(id);
      const record = this.vnodes.get(id);
      if (!record || record.pnode !== entry.nodeId || !isHeld(record)) {
        this.sendRelease(entry.nodeId, id, 'reconcile');
        continue;
      }
      // An accept that never reached us (FIFO makes it rare): the PNode holds it, so it is allocated.
      if (record.state === 'offered') {
        this.vnodes.allocated(record, now);
        this.counters.allocationsAccepted++;
      }
      if (item.state === 'running' && record.state === 'allocated') this.vnodes.running(record, now);
    }
    // Allocated or running here but not listed: the PNode no longer holds it (it restarted, say).
    // An offered one may simply not have reached the PNode when it sent this heartbeat.
    for (const id of [...entry.vnodes]) {
      if (seen.has(id)) continue;
      const record = this.vnodes.get(id);
      if (record && (record.state === 'allocated' || record.state === 'running')) {
        entry.vnodes.delete(id);
        this.vnodes.takeBack(record, 'the PNode no longer lists it', now);
        this.counters.vnodesMoved++;
        this.markDirty();
      }
    }
  }

  // --- VNode messages from PNodes ---------------------------------------------------------------

  onAllocateReply(nodeId: string, body: VNodeAllocateBody): void {
    const reId = body['re/id'];
    if (reId === undefined) {
      // Orchestrators host no VNodes.
      this.replyError(nodeId, 'vnode-allocate', 'E_PROTO_CAP_MISSING', 'this node is an orchestrator and hosts no VNodes', body['req/id']);
      return;
    }
    const now = this.now();
    const record = this.vnodes.byRequestId(reId);
    if (!record || record.state !== 'offered' || record.pnode !== nodeId) {
      // Too late (it timed out and moved on): if the PNode took it, it must let it go.
      if (body.accepted) this.sendRelease(nodeId, body['vnode/id'], 'moved');
      return;
    }
    const entry = this.registry.get(nodeId);
    if (body.accepted) {
      this.vnodes.allocated(record, now);
      this.counters.allocationsAccepted++;
    } else {
      entry?.vnodes.delete(record.id);
      this.vnodes.takeBack(record, `refused by ${nodeId}: ${body.reason ?? 'no reason'}`, now, { skipPnodeMs: this.leaseMs, move: false });
      this.counters.allocationsRefused++;
      this.markDirty();
    }
    this.emit('changed');
  }

  onReleaseReply(nodeId: string, body: VNodeReleaseBody): void {
    if (body['re/id'] === undefined) {
      this.replyError(nodeId, 'vnode-release', 'E_PROTO_CAP_MISSING', 'this node is an orchestrator and hosts no VNodes', body['req/id']);
    }
    // A reply needs nothing more: the table changed when the release was sent.
  }

  onStatus(nodeId: string, body: VNodeStatusBody): void {
    const now = this.now();
    const record = this.vnodes.get(body['vnode/id']);
    if (!record || record.pnode !== nodeId || !isHeld(record)) {
      if (body.state === 'allocated' || body.state === 'running') this.sendRelease(nodeId, body['vnode/id'], 'reconcile');
      return;
    }
    const entry = this.registry.get(nodeId);
    switch (body.state) {
      case 'allocated':
        return;
      case 'running':
        if (record.state === 'offered') this.vnodes.allocated(record, now);
        this.vnodes.running(record, now);
        break;
      case 'released':
      case 'failed':
        entry?.vnodes.delete(record.id);
        this.vnodes.takeBack(record, `${body.state} on ${nodeId}${body.reason ? `: ${body.reason}` : ''}`, now, { failed: body.state === 'failed', skipPnodeMs: this.leaseMs });
        this.counters.vnodesMoved++;
        this.markDirty();
        break;
    }
    this.emit('changed');
  }

  /** Nothing is lost with a session: the lease decides. The PNode only stops being a placement target. */
  /**
   * Checks every registered PNode that carries an attestation again (credentials expire, are
   * revoked, trust roots change); trust follows the answer. A failure is traced only where a PNode
   * loses trust, not on every re-check of one that never had it.
   */
  reassessTrust(): void {
    const now = this.now();
    let changed = false;
    for (const entry of this.registry.all()) {
      if (entry.state !== 'registered' || entry.descriptor.operator === undefined) continue;
      const answer = this.trust(entry.descriptor, { now, trace: entry.trust === 'trusted' });
      const operatorId = answer.operatorId ?? null;
      if (answer.level === entry.trust && operatorId === entry.operatorId) continue;
      entry.trust = answer.level;
      entry.operatorId = operatorId;
      changed = true;
    }
    if (changed) this.emit('changed');
  }

  onSessionClosed(_nodeId: string): void {
    this.emit('changed');
  }

  // --- VNode requests ---------------------------------------------------------------------------

  /** A new reservation to place; E_PROTO_INVALID for sizes out of range or a full table. */
  requestVNode(request: Resources): VNodeRecord {
    const { cores, memoryMb } = request;
    if (!Number.isInteger(cores) || cores < 1 || cores > MAX_OFFER_CORES) throw new ProtocolError('E_PROTO_INVALID', `cores must be a whole number from 1 to ${MAX_OFFER_CORES}`);
    if (!Number.isInteger(memoryMb) || memoryMb < 1 || memoryMb > MAX_OFFER_MEMORY_MB) throw new ProtocolError('E_PROTO_INVALID', 'memory-mb must be a positive whole number');
    if (this.vnodes.size >= MAX_VNODES) throw new ProtocolError('E_PROTO_INVALID', `this orchestrator holds ${MAX_VNODES} VNodes already`);
    const record = this.vnodes.create(cores, memoryMb, this.now());
    this.markDirty();
    this.emit('changed');
    return record;
  }

  /** Ends a VNode on request: the PNode holding it is told to release it. False for an unknown or ended one. */
  releaseVNode(id: string): boolean {
    const record = this.vnodes.get(id);
    if (!record || record.state === 'released' || record.state === 'failed') return false;
    const pnode = record.pnode;
    if (pnode !== null) {
      this.registry.get(pnode)?.vnodes.delete(id);
      this.sendRelease(pnode, id, 'requested');
      this.markDirty();
    }
    this.vnodes.end(record, 'released', 'released on request', this.now());
    this.emit('changed');
    return true;
  }

  private sendRelease(nodeId: string, vnodeId: string, reason: VNodeReleaseReason): void {
    if (this.options.transport.send(nodeId, 'vnode-release', { 'req/id': newId('vr', this.now()), 'vnode/id': vnodeId, reason })) this.counters.releasesSent++;
  }

  private takeBackAll(entry: PNodeEntry, why: string, tell: VNodeReleaseReason | null): void {
    const now = this.now();
    for (const id of [...entry.vnodes]) {
      const record = this.vnodes.get(id);
      entry.vnodes.delete(id);
      if (!record || !isHeld(record)) continue;
      if (tell !== null) this.sendRelease(entry.nodeId, id, tell);
      this.vnodes.takeBack(record, why, now);
      this.counters.vnodesMoved++;
    }
    this.markDirty();
  }

  // --- placement --------------------------------------------------------------------------------

  capacityOf(entry: PNodeEntry): Resources {
    return cappedCapacity(this.offerOf(entry), this.measuredOf(entry), entry.trust);
  }

  private offerOf(entry: PNodeEntry): Resources {
    const offer = { cores: entry.descriptor.offer.cores, memoryMb: entry.descriptor.offer['memory-mb'] };
    const cap = this.capacityCap?.(entry) ?? null;
    return cap ? { cores: Math.min(offer.cores, cap.cores), memoryMb: Math.min(offer.memoryMb, cap.memoryMb) } : offer;
  }

  private measuredOf(entry: PNodeEntry): PlacementCandidate['measured'] {
    const hw = entry.descriptor.hardware;
    return { logicalCores: hw['cpu/logical-cores'], totalMemoryMb: hw['memory/total-mb'], availableMemoryMb: entry.availableMemoryMb };
  }

  usageOf(entry: PNodeEntry): PlacementCandidate['used'] {
    let cores = 0;
    let memoryMb = 0;
    for (const id of entry.vnodes) {
      const record = this.vnodes.get(id);
      if (!record) continue;
      cores += record.cores;
      memoryMb += record.memoryMb;
    }
    return { cores, memoryMb, vnodes: entry.vnodes.size };
  }

  private markDirty(): void {
    this.placementDirty = true;
  }

  /** True when placement should run (new demand or capacity); the module runs it soon after. */
  get needsPlacement(): boolean {
    return this.placementDirty && this.vnodes.pending > 0;
  }

  /** Offers every pending VNode to the best PNode where it fits (see placement.ts). */
  placePending(): number {
    this.placementDirty = false;
    if (this.vnodes.pending === 0) return 0;
    const now = this.now();
    const candidates: Array<PlacementCandidate & { entry: PNodeEntry; usedMut: { cores: number; memoryMb: number; vnodes: number } }> = [];
    for (const entry of this.registry.all()) {
      if (entry.state !== 'registered' || !entry.primary || !entry.contributing) continue;
      if (entry.vnodes.size >= MAX_VNODES_PER_PNODE || !this.options.transport.isConnected(entry.nodeId)) continue;
      const usedMut = { ...this.usageOf(entry) };
      candidates.push({
        entry,
        usedMut,
        nodeId: entry.nodeId,
        trust: entry.trust,
        score: this.registry.score(entry, now),
        loadPermille: entry.loadPermille,
        offer: this.offerOf(entry),
        measured: this.measuredOf(entry),
        used: usedMut,
      });
    }
    let placed = 0;
    for (const record of this.vnodes.pendingRecords()) {
      const eligible = candidates.filter((c) => (record.refusedBy.get(c.nodeId) ?? 0) <= now);
      const chosen = choosePNode(eligible, { cores: record.cores, memoryMb: record.memoryMb });
      if (chosen === null) continue;
      const candidate = candidates.find((c) => c.nodeId === chosen)!;
      const reqId = newId('va', now);
      this.vnodes.offer(record, chosen, reqId, now);
      candidate.entry.vnodes.add(record.id);
      candidate.usedMut.cores += record.cores;
      candidate.usedMut.memoryMb += record.memoryMb;
      candidate.usedMut.vnodes++;
      if (this.options.transport.send(chosen, 'vnode-allocate', { 'req/id': reqId, 'vnode/id': record.id, cores: record.cores, 'memory-mb': record.memoryMb })) {
        this.counters.allocationsSent++;
        placed++;
      } else {
        candidate.entry.vnodes.delete(record.id);
        this.vnodes.takeBack(record, `the session with ${chosen} closed`, now, { skipPnodeMs: this.heartbeatIntervalMs, move: false });
      }
    }
    if (placed > 0) this.emit('changed');
    return placed;
  }

  // --- time -------------------------------------------------------------------------------------

  /** Ends leases, times out unanswered offers, forgets old records; runs placement when needed. */
  tick(): void {
    const now = this.now();
    const { expired, forgotten } = this.registry.sweep();
    for (const entry of expired) {
      this.counters.leaseExpiries++;
      this.takeBackAll(entry, `the lease of ${entry.nodeId} ended`, this.options.transport.isConnected(entry.nodeId) ? 'moved' : null);
      this.emit('expired', entry.nodeId);
    }
    this.counters.forgotten += forgotten.length;
    for (const record of this.vnodes.all()) {
      if (record.state === 'offered' && record.offer && record.offer.at + this.leaseMs <= now) {
        const pnode = record.pnode;
        if (pnode !== null) this.registry.get(pnode)?.vnodes.delete(record.id);
        this.vnodes.takeBack(record, `no answer from ${pnode ?? 'the PNode'}`, now, { skipPnodeMs: this.leaseMs, move: false });
        this.counters.allocationsTimedOut++;
        this.markDirty();
      }
    }
    this.vnodes.purgeEnded(now - this.graceMs);
    if (expired.length > 0 || forgotten.length > 0) this.emit('changed');
    // Refusals expire with time, so pending VNodes get another try on every tick.
    if (this.vnodes.pending > 0) this.markDirty();
    if (this.needsPlacement) this.placePending();
  }

  // --- views ------------------------------------------------------------------------------------

  isConnected(nodeId: string): boolean {
    return this.options.transport.isConnected(nodeId);
  }

  metrics(): MetricsSnapshot {
    return {
      counters: { ...this.counters },
      pnodesByState: this.registry.countByState(),
      vnodesByState: this.vnodes.countByState(),
      heartbeatsPerSecond: this.heartbeatRate.perSecond(this.now()),
      sessions: this.options.transport.sessions(),
      heartbeatIntervalMs: this.heartbeatIntervalMs,
    };
  }
}
