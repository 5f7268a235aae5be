// The contributor's membership (issue 5 §2, §4) as a runtime module: registers with one or more
// orchestrators, heartbeats to each, keeps one of them as its primary (the only one whose VNode
// allocations it accepts), fails over to another registered one when the primary's lease runs
// out, and hosts the VNodes the primary allocates. Registers only while the volunteer has joined;
// heartbeats say `contributing` = joined, contribution on, not snoozed, and no other module (the
// VNode host: on battery, user active) holding it back. Turning contribution off (or leaving)
// releases the VNodes held here; a pause keeps them and only stops new placements.
//
// Primary choice: the first orchestrator to register becomes primary and stays so (no flapping)
// until its lease lapses by our clock; then the first registered one in configuration order takes
// over. Before the switch, the old primary's VNodes are released here (see vnode-reservations.ts and the
// no-double-ownership rule in orchestrator/orchestrator.ts).
import { EventEmitter } from 'node:events';
import type { NodeState, StateSection, SuspendReason } from '../../../src-shared/control/state.js';
import { mayCompute, type AvailabilityState } from '../../../src-shared/control/contribution.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorBody, type ErrorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import type { JsonObject } from '../../../src-shared/protocol/artifacts.js';
import type { HeartbeatBody, VNodeAllocateBody, VNodeRefusalReason, VNodeReleaseBody } from '../../../src-shared/protocol/messages/membership-bodies.js';
import { PNODE_DESCRIPTOR_SCHEMA, offerFor, signDescriptor, unsignedDescriptor, type Offer, type PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import { signArtifact } from '../../../src-shared/protocol/signing.js';
import { DESCRIPTOR_REFRESH_FRACTION, DESCRIPTOR_TTL_MS, HEARTBEAT_INTERVAL_MS, MAX_MEMBERSHIP_TEXT_LENGTH, leaseMsFor } from '../../../src-shared/membership/membership-profile.js';
import type { HardwareSummary } from '../../../src-shared/hardware/hardware-summary.js';
import type { LoadSample } from '../../../src-shared/hardware/load-sample.js';
import { RECONNECT_BACKOFF_MIN_MS } from '../../../src-shared/protocol/profile.js';
import type { BackoffBounds } from '../../kernel/peers/backoff.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import { OrchestratorLink, type LinkHost, type OrchestratorTarget } from './orchestrator-link.js';
import { VNodeReservations, type HeldVNode } from './vnode-reservations.js';
import type { VNodeHostModule } from '../vnode/vnode-module.js';
import type { AvailabilityFeed } from '../availability/availability.js';
import type { HardwareSource } from '../hardware/hardware-module.js';

export const MEMBERSHIP_MODULE = 'membership';
/**
 * Reconnect backoff towards an orchestrator: 1 s doubling, with full jitter, up to two default
 * leases (60 s) rather than the peers' 5 min. Once an orchestrator has said its heartbeat interval,
 * the ceiling is at most that interval (reconnectBounds in orchestrator-link.ts), so a restarted
 * orchestrator has its PNodes registered again within two heartbeat intervals.
 */
export const ORCHESTRATOR_BACKOFF: BackoffBounds = { minMs: RECONNECT_BACKOFF_MIN_MS, maxMs: 2 * leaseMsFor(HEARTBEAT_INTERVAL_MS) };
/** How long a pnode-register may go unanswered before it is sent again. */
export const REGISTER_TIMEOUT_MS = 10_000;
/** A load sample is reused by heartbeats within this window (one reading per round, not per orchestrator). */
export const LOAD_SAMPLE_REUSE_MS = 1_000;

/**
 * Trusted registration (issue 5 §5): given the descriptor before its signature (and without an
 * `operator` slot), the operator attestation to put in that slot, or undefined for none.
 */
export type OperatorAttestor = (unsigned: JsonObject) => JsonObject | undefined;

export type MembershipComponents = Pick<KernelComponents, 'identity' | 'connections' | 'clock' | 'traces' | 'ui' | 'warn' | 'version'> & {
  /** Whether the volunteer lets the node compute now, and the limits (the offer). */
  readonly availability: AvailabilityFeed;
  readonly hardware: HardwareSource;
  /** The VNode host that takes the VNodes placed here; without one, only the reservations are kept. */
  readonly vnodes?: Pick<VNodeHostModule, 'host'> | undefined;
};

export interface MembershipModuleOptions {
  readonly orchestrators: readonly OrchestratorTarget[];
  readonly backoff?: BackoffBounds;
  readonly registerTimeoutMs?: number;
  /** Trusted registration (issue 5 §5): the operator attestation to carry in the descriptor. */
  readonly operatorAttestation?: () => JsonObject | undefined;
  /**
   * A further say on each allocation, after the membership rules passed (the VNode host module's
   * own limits, say): a refusal reason, or null to accept.
   */
  readonly admit?: (vnode: { readonly vnodeId: string; readonly orchestrator: string; readonly cores: number; readonly memoryMb: number }) => VNodeRefusalReason | null;
}

export interface MembershipEvents {
  /**
   * No orchestrator holds a lease for this PNode any more (after at least one did): the last
   * lease ran out. Not emitted when the volunteer leaves or the node stops. The host wires it to
   * NodeControl.notify('orchestrators-lost', …).
   */
  'orchestrators-lost': [];
  'orchestrator-registered': [nodeId: string];
  'primary-changed': [nodeId: string | null];
  /** A reservation was accepted here (the VNode host module starts its slot on it). */
  'vnode-allocated': [vnode: HeldVNode];
  /** A reservation ended here (released or failed). */
  'vnode-released': [vnode: HeldVNode];
}

export class MembershipModule extends EventEmitter<MembershipEvents> implements RuntimeModule, ControlSource, LinkHost {
  readonly name = MEMBERSHIP_MODULE;
  readonly vnodes = new VNodeReservations();
  private readonly links = new Map<string, OrchestratorLink>();
  private started = false;
  private primaryId: string | null = null;
  private active = false;
  private stopped = false;
  private lastContributing = false;
  private lastEnabled = true;
  private lastOffer: Offer | null = null;
  private cachedDescriptor: { descriptor: PnodeDescriptor; offer: Offer; detectedAt: string; madeAt: number } | null = null;
  private loadSample: { sample: LoadSample; at: number } | null = null;
  private attestor: OperatorAttestor | null = null;
  private registeredCount = 0;
  readonly backoff: BackoffBounds;
  readonly registerTimeoutMs: number;

  private readonly onAvailability = (): void => this.reevaluate();
  private readonly onHardware = (): void => this.reevaluate();
  private readonly onHostChanged = (): void => this.reevaluate();

  constructor(
    private readonly components: MembershipComponents,
    private readonly options: MembershipModuleOptions,
  ) {
    super();
    requireComponents(this.name, components, ['identity', 'connections', 'clock', 'traces', 'ui', 'warn', 'version', 'availability', 'hardware']);
    this.backoff = options.backoff ?? ORCHESTRATOR_BACKOFF;
    this.registerTimeoutMs = options.registerTimeoutMs ?? REGISTER_TIMEOUT_MS;
    for (const target of mergeTargets(options.orchestrators)) this.links.set(target.nodeId, new OrchestratorLink(target, this));
  }

  get connections() {
    return this.components.connections;
  }

  get clock() {
    return this.components.clock;
  }

  /** The primary orchestrator's node-id, or null. */
  get primary(): string | null {
    return this.primaryId;
  }

  link(nodeId: string): OrchestratorLink | undefined {
    return this.links.get(nodeId);
  }

  // --- lifecycle ----------------------------------------------------------------------------------

  start(): void {
    this.started = true;
    const connections = this.components.connections;
    connections.handle('pnode-register', (c, body) => {
      if (body['re/id'] !== undefined) this.links.get(c.peerNodeId)?.onRegisterReply(body);
      else c.send('error', notAnOrchestrator('pnode-register', body['req/id']));
    });
    connections.handle('heartbeat', (c, body) => {
      if (body['re/id'] !== undefined) this.links.get(c.peerNodeId)?.onHeartbeatReply(body);
      else c.send('error', notAnOrchestrator('heartbeat', body['req/id']));
    });
    connections.handle('vnode-allocate', (c, body) => this.onAllocate(c, body));
    connections.handle('vnode-release', (c, body) => this.onRelease(c, body));
    connections.handle('vnode-status', () => undefined);
    connections.on('message', (c, message) => {
      if (message.kind === 'error') this.links.get(c.peerNodeId)?.onError(message.body as ErrorBody);
    });
    connections.on('disconnected', (c) => this.links.get(c.peerNodeId)?.onDisconnected(c));
    this.components.availability.on('changed', this.onAvailability);
    this.components.hardware.on('changed', this.onHardware);
    this.components.vnodes?.host.on('changed', this.onHostChanged);
    const availability = this.components.availability.current();
    this.lastContributing = this.contributing(availability);
    this.lastEnabled = availability.contributionEnabled;
    this.lastOffer = this.offer(availability);
    if (availability.joined) this.activate();
  }

  stop(): void {
    this.stopped = true;
    this.components.availability.off('changed', this.onAvailability);
    this.components.hardware.off('changed', this.onHardware);
    this.components.vnodes?.host.off('changed', this.onHostChanged);
    this.deactivate('the node is stopping');
  }

  /** Replaces the orchestrators (from a network descriptor or discovery); links to removed ones end. */
  setOrchestrators(targets: readonly OrchestratorTarget[]): void {
    const merged = mergeTargets(targets);
    const keep = new Set(merged.map((t) => t.nodeId));
    for (const [nodeId, link] of this.links) {
      if (keep.has(nodeId)) continue;
      this.releaseOf(nodeId, 'the orchestrator was removed');
      link.stop();
      this.links.delete(nodeId);
      if (this.primaryId === nodeId) this.choosePrimary();
    }
    for (const target of merged) {
      const existing = this.links.get(target.nodeId);
      if (existing) existing.target = target;
      else {
        const link = new OrchestratorLink(target, this);
        this.links.set(target.nodeId, link);
        if (this.active) link.start();
      }
    }
    this.changed();
  }

  private activate(): void {
    if (this.active) return;
    this.active = true;
    for (const link of this.links.values()) link.start();
  }

  private deactivate(why: string): void {
    if (!this.active) return;
    this.active = false;
    this.notifyReleased(this.vnodes.releaseAll(null, why, this.clock.now()));
    for (const link of this.links.values()) link.stop();
    this.setPrimary(null);
    // Leaving or stopping is not losing the orchestrators: no 'orchestrators-lost'.
    this.registeredCount = 0;
    this.changed();
  }

  /** Settings changed (join/leave, contribution, snooze, limits) or the hardware was detected again. */
  private reevaluate(): void {
    if (!this.started || this.stopped) return;
    const settings = this.components.availability.current();
    if (!settings.joined) {
      this.deactivate('the volunteer left the network');
      return;
    }
    this.activate();
    const now = this.clock.now();
    const contributing = this.contributing(settings);
    const offer = this.offer(settings);
    let tell = false;
    // Turning contribution off gives the VNodes back; a pause (snooze, the VNode host's battery or
    // activity rules) keeps them, paused by the host, and only stops new placements.
    if (settings.contributionEnabled !== this.lastEnabled) {
      this.lastEnabled = settings.contributionEnabled;
      if (!settings.contributionEnabled) this.notifyReleased(this.vnodes.releaseAll(null, 'contribution turned off', now));
    }
    if (contributing !== this.lastContributing) {
      this.lastContributing = contributing;
      tell = true;
    }
    const offerChanged = !this.lastOffer || offer.cores !== this.lastOffer.cores || offer['memory-mb'] !== this.lastOffer['memory-mb'];
    const hardwareChanged = this.cachedDescriptor !== null && this.cachedDescriptor.detectedAt !== this.hardware()['detected-at'];
    if (offerChanged) {
      this.lastOffer = offer;
      this.notifyReleased(this.vnodes.fitTo(offer, 'the contribution limits were lowered', now));
    }
    this.reapFailed(now);
    if (offerChanged || hardwareChanged) {
      this.cachedDescriptor = null;
      for (const link of this.links.values()) if (link.status === 'registered') link.register();
    } else if (tell) {
      for (const link of this.links.values()) link.heartbeatNow();
    }
    this.changed();
  }

  // --- what we say ------------------------------------------------------------------------------

  private hardware(): HardwareSummary {
    return this.components.hardware.current();
  }

  /**
   * Joined, contribution on, not snoozed, and the machine not holding it back (battery, activity):
   * what heartbeats say as `contributing`. The VNode host's 'limits' does not count: queued tasks
   * wait for room, and its allocate() refuses what does not fit.
   */
  contributing(availability: AvailabilityState = this.components.availability.current()): boolean {
    return mayCompute(availability);
  }

  offer(availability: Pick<AvailabilityState, 'limits'> = this.components.availability.current()): Offer {
    return offerFor(this.hardware(), availability.limits);
  }

  /** The signed descriptor, made again when the offer or hardware changed or half its lifetime passed. */
  descriptor(): PnodeDescriptor {
    const now = this.clock.now();
    const hardware = this.hardware();
    const offer = this.offer();
    const cached = this.cachedDescriptor;
    if (
      cached &&
      cached.offer.cores === offer.cores &&
      cached.offer['memory-mb'] === offer['memory-mb'] &&
      cached.detectedAt === hardware['detected-at'] &&
      now - cached.madeAt < DESCRIPTOR_TTL_MS * DESCRIPTOR_REFRESH_FRACTION
    ) {
      return cached.descriptor;
    }
    if (this.attestor) {
      const unsigned = unsignedDescriptor({ nodeId: this.components.identity.nodeId, hardware, offer, softwareVersion: this.components.version, now }) as unknown as JsonObject;
      const attestation = this.attestor(unsigned);
      const signed = signArtifact(PNODE_DESCRIPTOR_SCHEMA, attestation ? { ...unsigned, operator: attestation } : unsigned, this.components.identity.signer) as unknown as PnodeDescriptor;
      this.cachedDescriptor = { descriptor: signed, offer, detectedAt: hardware['detected-at'], madeAt: now };
      return signed;
    }
    const operator = this.options.operatorAttestation?.();
    const descriptor = signDescriptor(
      { nodeId: this.components.identity.nodeId, hardware, offer, softwareVersion: this.components.version, now, ...(operator ? { operator } : {}) },
      this.components.identity.signer,
    );
    this.cachedDescriptor = { descriptor, offer, detectedAt: hardware['detected-at'], madeAt: now };
    return descriptor;
  }

  /**
   * Trusted registration's hand-off (issue 5 §5): from now on descriptors carry the attestation
   * `attestor` makes (none for null). The next descriptor is signed at once and every registered
   * orchestrator gets it, so it sees the new trust promptly.
   */
  setOperatorAttestation(attestor: OperatorAttestor | null): void {
    this.attestor = attestor;
    this.cachedDescriptor = null;
    // Registered links, and links whose registration is on its way (its descriptor may be the old one).
    for (const link of this.links.values()) if (link.status === 'registered' || (link.status === 'connecting' && link.connection?.isOpen)) link.register();
  }

  isPrimary(link: OrchestratorLink): boolean {
    return this.primaryId === null || this.primaryId === link.nodeId;
  }

  heartbeatContent(link: OrchestratorLink): Pick<HeartbeatBody, 'primary' | 'contributing' | 'load/permille' | 'memory/available-mb' | 'vnodes'> {
    const now = this.clock.now();
    if (!this.loadSample || now - this.loadSample.at >= LOAD_SAMPLE_REUSE_MS) {
      const sample = this.components.hardware.sampleLoad();
      this.loadSample = { sample, at: now };
    }
    return {
      primary: this.primaryId === link.nodeId,
      contributing: this.contributing(),
      'load/permille': this.loadSample.sample['load/permille'],
      'memory/available-mb': this.loadSample.sample['memory/available-mb'],
      vnodes: this.vnodes.listFor(link.nodeId),
    };
  }

  // --- link events ------------------------------------------------------------------------------

  onRegistered(link: OrchestratorLink, registeredAsPrimary: boolean): void {
    if (this.primaryId === null) this.setPrimary(link.nodeId);
    else if (registeredAsPrimary !== (this.primaryId === link.nodeId)) link.heartbeatNow();
    this.recount();
    this.emit('orchestrator-registered', link.nodeId);
  }

  onLost(link: OrchestratorLink): void {
    this.releaseOf(link.nodeId, 'the lease with the orchestrator ran out');
    if (this.primaryId === link.nodeId) this.choosePrimary();
    this.recount();
    this.components.traces.emit('error/occurred', {
      peer: link.nodeId,
      detail: { code: 'E_TRANSPORT_UNAVAILABLE', class: 'transport/unavailable', message: 'orchestrator lost: no heartbeat answered within the lease', phase: 'membership' },
    });
  }

  onChanged(_link: OrchestratorLink): void {
    this.recount();
    this.changed();
  }

  report(link: OrchestratorLink, message: string): void {
    this.components.warn(`membership: ${link.nodeId.slice(0, 24)}…: ${message}`);
  }

  private choosePrimary(): void {
    const now = this.clock.now();
    const next = [...this.links.values()].find((l) => l.status === 'registered' && l.leaseValid(now));
    this.setPrimary(next?.nodeId ?? null);
  }

  private setPrimary(nodeId: string | null): void {
    const old = this.primaryId;
    if (old === nodeId) return;
    // Rule 2: the old primary's VNodes go before anyone else may allocate.
    if (old !== null) this.releaseOf(old, 'the primary orchestrator changed');
    this.primaryId = nodeId;
    this.emit('primary-changed', nodeId);
    if (nodeId !== null) this.links.get(nodeId)?.heartbeatNow();
    if (old !== null) this.links.get(old)?.heartbeatNow();
    this.changed();
  }

  /** Orchestrators holding a lease for us (a reconnecting one still counts until its lease runs out). */
  private recount(): void {
    const now = this.clock.now();
    const registered = [...this.links.values()].filter((l) => l.leaseValid(now)).length;
    const before = this.registeredCount;
    this.registeredCount = registered;
    if (before > 0 && registered === 0) this.emit('orchestrators-lost');
  }

  // --- VNodes -----------------------------------------------------------------------------------

  private onAllocate(connection: PeerConnection, body: VNodeAllocateBody): void {
    const reqId = body['req/id'];
    if (reqId === undefined) return; // a reply: contributors allocate nothing
    const from = connection.peerNodeId;
    const now = this.clock.now();
    const request = { vnodeId: body['vnode/id'], cores: body.cores!, memoryMb: body['memory-mb']!, from };
    const link = this.links.get(from);
    const primary = link && link.status === 'registered' && link.leaseValid(now) ? this.primaryId : null;
    const decision = this.vnodes.decide(request, { primary, contributing: this.active && this.contributing(), offer: this.offer() });
    const vetoed = decision.accepted && !decision.duplicate ? this.admit({ vnodeId: request.vnodeId, orchestrator: from, cores: request.cores, memoryMb: request.memoryMb }) : null;
    if (!decision.accepted || vetoed !== null) {
      const reason = decision.accepted ? vetoed! : decision.reason;
      connection.send('vnode-allocate', { 're/id': reqId, 'vnode/id': request.vnodeId, accepted: false, reason });
      return;
    }
    if (!decision.duplicate) this.emit('vnode-allocated', this.vnodes.accept(request, now));
    connection.send('vnode-allocate', { 're/id': reqId, 'vnode/id': request.vnodeId, accepted: true });
    // Running real work is a later issue: the reservation starts at once.
    if (this.vnodes.start(request.vnodeId, now)) connection.send('vnode-status', { 'vnode/id': request.vnodeId, state: 'running' });
    this.changed();
  }

  /**
   * The last word on an allocation the membership rules accepted: the `admit` option when given,
   * else the VNode host module (issue 7), whose allocate() takes the VNode within the volunteer's
   * limits; without either, the reservation alone.
   */
  private admit(vnode: { readonly vnodeId: string; readonly orchestrator: string; readonly cores: number; readonly memoryMb: number }): VNodeRefusalReason | null {
    if (this.options.admit) return this.options.admit(vnode);
    const host = this.components.vnodes?.host;
    if (!host) return null;
    const taken = host.allocate(vnode);
    return taken.ok ? null : 'exceeds-offer';
  }

  /** VNodes the VNode host module reports failed end here too, and their orchestrator hears it. */
  private reapFailed(now: number): void {
    if (this.options.admit || this.vnodes.size === 0) return;
    const host = this.components.vnodes?.host;
    if (!host) return;
    const failed: HeldVNode[] = [];
    for (const view of host.views()) {
      if (view.state !== 'failed' || !this.vnodes.get(view.vnodeId)) continue;
      const ended = this.vnodes.release(view.vnodeId, view.pausedReason ?? 'failed in the VNode host', now, undefined, 'failed');
      if (ended) failed.push(ended);
    }
    this.notifyReleased(failed);
  }

  /** The VNode host module lets a released VNode go (its tasks are cancelled, its sandbox ended). */
  private hostRelease(vnodeId: string): void {
    if (this.options.admit) return;
    const host = this.components.vnodes?.host;
    if (host) void host.release(vnodeId).catch(() => undefined);
  }

  private onRelease(connection: PeerConnection, body: VNodeReleaseBody): void {
    const reqId = body['req/id'];
    if (reqId === undefined) return;
    const released = this.vnodes.release(body['vnode/id'], `released by the orchestrator (${body.reason ?? 'no reason'})`, this.clock.now(), connection.peerNodeId);
    connection.send('vnode-release', { 're/id': reqId, 'vnode/id': body['vnode/id'], state: released ? 'released' : 'unknown' });
    if (released) {
      this.hostRelease(released.vnodeId);
      this.emit('vnode-released', released);
      this.changed();
    }
  }

  private releaseOf(orchestrator: string, why: string): void {
    this.notifyReleased(this.vnodes.releaseAll(orchestrator, why, this.clock.now()));
  }

  /** Tells each VNode's orchestrator it was released, where a session is open (best effort). */
  private notifyReleased(released: readonly HeldVNode[]): void {
    for (const vnode of released) {
      this.hostRelease(vnode.vnodeId);
      this.emit('vnode-released', vnode);
      this.components.connections.send(vnode.orchestrator, 'vnode-status', {
        'vnode/id': vnode.vnodeId,
        state: vnode.state === 'failed' ? 'failed' : 'released',
        ...(vnode.reason ? { reason: vnode.reason.slice(0, MAX_MEMBERSHIP_TEXT_LENGTH) } : {}),
      });
    }
    if (released.length > 0) this.changed();
  }

  // --- control state ----------------------------------------------------------------------------

  private changed(): void {
    if (this.started) this.components.ui.stateChanged('orchestrators');
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    const now = this.clock.now();
    return {
      orchestrators: [...this.links.values()].map((l) => l.view(l.nodeId === this.primaryId)),
      // With a VNode host, it shows the VNodes (it knows their tasks); else the reservations do.
      ...(this.components.vnodes ? {} : { vnodes: this.vnodes.views(now) }),
    };
  }

  /** 'no-orchestrator' while joined and no orchestrator holds a registration for us. */
  suspendReasons(): SuspendReason[] {
    const registered = [...this.links.values()].some((l) => l.status === 'registered');
    return this.components.availability.current().joined && !registered ? ['no-orchestrator'] : [];
  }

  /** True while an orchestrator holds a registration for us. */
  get registered(): boolean {
    return [...this.links.values()].some((l) => l.status === 'registered');
  }

  /** True while no orchestrator holds a registration for us but one is being (re)dialled: a session should come. */
  get reconnecting(): boolean {
    return !this.registered && [...this.links.values()].some((l) => l.active);
  }
}

/** One target per node-id, URLs merged in order. */
export function mergeTargets(targets: readonly OrchestratorTarget[]): OrchestratorTarget[] {
  const byId = new Map<string, string[]>();
  for (const target of targets) {
    const urls = byId.get(target.nodeId) ?? [];
    for (const url of target.urls) if (!urls.includes(url)) urls.push(url);
    byId.set(target.nodeId, urls);
  }
  return [...byId].map(([nodeId, urls]) => ({ nodeId, urls }));
}

/** The `error` a contributor answers orchestrator-only requests with. */
export function notAnOrchestrator(kind: string, reqId: string | undefined): ErrorBody {
  return errorBody(new ProtocolError('E_PROTO_CAP_MISSING', `${kind}: this node is not an orchestrator`), reqId);
}
