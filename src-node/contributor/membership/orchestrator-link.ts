// A contributor's relationship with one orchestrator (issue 5 §2): dial (a pinned session),
// register, heartbeat at the interval the acks say, keep the lease, and start over when the
// session drops, the lease lapses, or the orchestrator says it does not know us (it restarted).
//
//   idle ──start──▶ connecting ──ack──▶ registered ──lease lapsed──▶ lost ──(redial)──▶ connecting
//                       ▲                   │
//                       └──session closed───┘   (the lease keeps running meanwhile)
//
// The lease, by the PNode's clock, runs from when the acknowledged message was *sent*, so it ends
// before the orchestrator's (which runs from when it was received); see orchestrator.ts.
// Reconnecting backs off with full jitter, never beyond one heartbeat interval once the
// orchestrator has told us it (reconnectBounds): a restarted orchestrator has its PNodes back
// within two intervals (measured by `npm run harden -- faults`).
import { newId } from '../../../src-shared/protocol/ids.js';
import type { ErrorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import { NOT_REGISTERED_CODE, type HeartbeatBody, type PnodeRegisterBody, type TrustLevel } from '../../../src-shared/protocol/messages/membership-bodies.js';
import type { Offer, PnodeDescriptor } from '../../../src-shared/membership/descriptor.js';
import type { OrchestratorView } from '../../../src-shared/control/state.js';
import type { ConnectionManager } from '../../kernel/connection/connection-manager.js';
import type { PeerConnection } from '../../kernel/connection/peer-connection.js';
import { backoffDelayMs, type BackoffBounds } from '../../kernel/peers/backoff.js';
import type { Clock } from '../../kernel/util/clock.js';

export type LinkStatus = 'idle' | 'connecting' | 'registered' | 'lost';

export interface OrchestratorTarget {
  readonly nodeId: string;
  readonly urls: readonly string[];
}

/** What a link needs from the membership module. */
export interface LinkHost {
  readonly connections: ConnectionManager;
  readonly clock: Clock;
  readonly backoff: BackoffBounds;
  readonly registerTimeoutMs: number;
  descriptor(): PnodeDescriptor;
  isPrimary(link: OrchestratorLink): boolean;
  /** The heartbeat request's content, but for req/id, seq and rtt. */
  heartbeatContent(link: OrchestratorLink): Pick<HeartbeatBody, 'primary' | 'contributing' | 'load/permille' | 'memory/available-mb' | 'vnodes'>;
  onRegistered(link: OrchestratorLink, registeredAsPrimary: boolean): void;
  onLost(link: OrchestratorLink): void;
  onChanged(link: OrchestratorLink): void;
  report(link: OrchestratorLink, message: string): void;
}

/** The shortest wait before a retry (full jitter may draw 0). */
const MIN_RETRY_DELAY_MS = 10;
/** Heartbeats awaiting an answer are forgotten after this many leases. */
const PENDING_HEARTBEAT_LEASES = 2;

/**
 * The reconnect backoff towards an orchestrator. Once it has told us its heartbeat interval (we
 * were registered there), the jitter ceiling never exceeds one interval: an orchestrator that
 * restarts (its registry is in memory) then hears from every PNode within one interval of coming
 * back, and has them all registered again within two, however long it was away. The cost is a
 * connection attempt per PNode every half interval on average while it is down (refused at once
 * by its host), and a reconnect wave spread over one interval when it returns — the same rate as
 * the heartbeats it serves anyway. Before the first registration the host's bounds apply as given.
 */
export function reconnectBounds(bounds: BackoffBounds, heartbeatIntervalMs: number | null): BackoffBounds {
  if (heartbeatIntervalMs === null || !(heartbeatIntervalMs > 0)) return bounds;
  const maxMs = Math.min(bounds.maxMs, heartbeatIntervalMs);
  return { minMs: Math.min(bounds.minMs, maxMs), maxMs };
}

export class OrchestratorLink {
  status: LinkStatus = 'idle';
  connection: PeerConnection | null = null;
  registeredAt: number | null = null;
  lastAckAt: number | null = null;
  leaseExpiresAt: number | null = null;
  heartbeatIntervalMs: number | null = null;
  leaseMs: number | null = null;
  heartbeatsAcked = 0;
  trust: TrustLevel | null = null;
  offerAccepted: Offer | null = null;
  lastRttMs: number | null = null;
  private seq = 0;
  private running = false;
  private attempts = 0;
  private pendingRegister: { readonly reqId: string; readonly sentAt: number; readonly primary: boolean } | null = null;
  private readonly pendingHeartbeats = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private registerTimer: NodeJS.Timeout | undefined;
  private pinnedSession: PeerConnection | null = null;
  private dialing = false;

  constructor(
    public target: OrchestratorTarget,
    private readonly host: LinkHost,
  ) {}

  get nodeId(): string {
    return this.target.nodeId;
  }

  /** Started and not stopped: dialling, registered, or waiting to dial again (after a lost lease, too). */
  get active(): boolean {
    return this.running;
  }

  /** The lease is running by our clock (we may still be reconnecting). */
  leaseValid(now = this.host.clock.now()): boolean {
    return this.leaseExpiresAt !== null && this.leaseExpiresAt > now && this.status !== 'lost' && this.status !== 'idle';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempts = 0;
    this.setStatus('connecting');
    void this.dial();
  }

  /** Stops registering and heartbeating; the session is unpinned (the working set may then close it). */
  stop(): void {
    this.running = false;
    this.clearTimers();
    this.pendingRegister = null;
    this.pendingHeartbeats.clear();
    this.unpin();
    this.connection = null;
    this.leaseExpiresAt = null;
    this.registeredAt = null;
    this.setStatus('idle');
  }

  private clearTimers(): void {
    for (const timer of [this.heartbeatTimer, this.leaseTimer, this.retryTimer, this.registerTimer]) if (timer) clearTimeout(timer);
    this.heartbeatTimer = this.leaseTimer = this.retryTimer = this.registerTimer = undefined;
  }

  private unpin(): void {
    if (this.pinnedSession && this.host.connections.get(this.nodeId) === this.pinnedSession) this.host.connections.unpin(this.nodeId);
    this.pinnedSession = null;
  }

  private setStatus(status: LinkStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.host.onChanged(this);
  }

  private async dial(): Promise<void> {
    if (!this.running || this.dialing) return;
    this.dialing = true;
    let connection: PeerConnection;
    try {
      connection = await this.host.connections.connect(this.target.urls, { nodeId: this.nodeId, pin: true });
    } catch (error) {
      this.dialing = false;
      this.host.report(this, `cannot reach the orchestrator: ${error instanceof Error ? error.message : String(error)}`);
      this.scheduleRetry();
      return;
    }
    this.dialing = false;
    if (!this.running) {
      if (this.host.connections.get(this.nodeId) === connection) this.host.connections.unpin(this.nodeId);
      return;
    }
    this.unpin();
    this.pinnedSession = connection;
    this.connection = connection;
    this.register();
  }

  /**
   * The next attempt, after a backoff delay. A lost or failed connection (or an unanswered
   * registration) retries within reconnectBounds(); an orchestrator that refused our registration
   * (full, say) keeps the host's bounds, so a refused crowd does not come back every interval.
   */
  private scheduleRetry(why: 'connection' | 'refused' = 'connection'): void {
    if (!this.running) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const bounds = why === 'connection' ? reconnectBounds(this.host.backoff, this.heartbeatIntervalMs) : this.host.backoff;
    const delay = Math.max(MIN_RETRY_DELAY_MS, backoffDelayMs(this.attempts++, Math.random, bounds));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.connection?.isOpen) this.register();
      else void this.dial();
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends pnode-register with the current descriptor (also to renew it while registered). */
  register(): void {
    if (!this.running) return;
    const connection = this.connection;
    if (!connection?.isOpen) {
      this.scheduleRetry();
      return;
    }
    const now = this.host.clock.now();
    const primary = this.host.isPrimary(this);
    const reqId = newId('reg', now);
    this.pendingRegister = { reqId, sentAt: now, primary };
    const body: PnodeRegisterBody = { 'req/id': reqId, descriptor: this.host.descriptor() as unknown as Record<string, unknown>, primary };
    if (!connection.send('pnode-register', body)) {
      this.scheduleRetry();
      return;
    }
    if (this.registerTimer) clearTimeout(this.registerTimer);
    this.registerTimer = setTimeout(() => {
      this.registerTimer = undefined;
      if (this.pendingRegister?.reqId !== reqId) return;
      this.pendingRegister = null;
      this.host.report(this, `no answer to pnode-register within ${this.host.registerTimeoutMs} ms`);
      // Lost on the way, most likely; the timeout itself spaces these retries out.
      this.scheduleRetry();
    }, this.host.registerTimeoutMs);
    this.registerTimer.unref();
  }

  onRegisterReply(body: PnodeRegisterBody): void {
    const pending = this.pendingRegister;
    if (!pending || body['re/id'] !== pending.reqId) return;
    this.pendingRegister = null;
    if (this.registerTimer) clearTimeout(this.registerTimer);
    this.registerTimer = undefined;
    if (!body.accepted) {
      this.host.report(this, `registration refused: ${body.reason ?? 'no reason given'}`);
      this.scheduleRetry('refused');
      return;
    }
    const now = this.host.clock.now();
    this.attempts = 0;
    this.heartbeatIntervalMs = body['heartbeat-interval-ms']!;
    this.leaseMs = body['lease-ms']!;
    this.trust = body.trust ?? null;
    this.offerAccepted = body['offer/accepted'] ?? null;
    this.lastAckAt = now;
    this.leaseExpiresAt = Math.max(this.leaseExpiresAt ?? 0, pending.sentAt + this.leaseMs);
    if (this.status !== 'registered' || this.registeredAt === null) this.registeredAt = now;
    this.armLease();
    this.scheduleHeartbeat(this.heartbeatIntervalMs);
    this.setStatus('registered');
    this.host.onRegistered(this, pending.primary);
    this.host.onChanged(this);
  }

  onError(body: ErrorBody): void {
    const reId = body['re/id'];
    if (reId === undefined) return;
    if (this.pendingRegister?.reqId === reId) {
      this.pendingRegister = null;
      if (this.registerTimer) clearTimeout(this.registerTimer);
      this.registerTimer = undefined;
      this.host.report(this, `registration refused: ${body.code} ${body.detail}`);
      this.scheduleRetry('refused');
      return;
    }
    if (this.pendingHeartbeats.delete(reId) && body.code === NOT_REGISTERED_CODE) {
      // The orchestrator restarted, or our lease there ended: register again, now.
      this.host.report(this, 'the orchestrator does not know us (restarted?): registering again');
      if (this.status === 'registered') this.setStatus('connecting');
      this.register();
    }
  }

  private scheduleHeartbeat(delayMs: number): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = undefined;
      this.heartbeatNow();
      if (this.heartbeatIntervalMs !== null) this.scheduleHeartbeat(this.heartbeatIntervalMs);
    }, delayMs);
    this.heartbeatTimer.unref();
  }

  /** Sends one heartbeat now (on schedule, or at once when something the orchestrator must know changed). */
  heartbeatNow(): boolean {
    const connection = this.connection;
    if (!this.running || !connection?.isOpen || this.status !== 'registered') return false;
    const now = this.host.clock.now();
    const reqId = newId('hb', now);
    const body: HeartbeatBody = {
      'req/id': reqId,
      seq: ++this.seq,
      ...this.host.heartbeatContent(this),
      ...(this.lastRttMs !== null ? { 'rtt/ms': Math.min(3_600_000, Math.max(0, Math.round(this.lastRttMs))) } : {}),
    };
    if (!connection.send('heartbeat', body)) return false;
    const horizon = now - PENDING_HEARTBEAT_LEASES * (this.leaseMs ?? 0);
    for (const [id, sentAt] of this.pendingHeartbeats) if (sentAt < horizon) this.pendingHeartbeats.delete(id);
    this.pendingHeartbeats.set(reqId, now);
    return true;
  }

  onHeartbeatReply(body: HeartbeatBody): void {
    const reId = body['re/id'];
    if (reId === undefined) return;
    const sentAt = this.pendingHeartbeats.get(reId);
    if (sentAt === undefined) return;
    this.pendingHeartbeats.delete(reId);
    const now = this.host.clock.now();
    this.heartbeatsAcked++;
    this.lastAckAt = now;
    this.lastRttMs = now - sentAt;
    this.leaseMs = body['lease-ms'] ?? this.leaseMs;
    if (this.leaseMs !== null) this.leaseExpiresAt = Math.max(this.leaseExpiresAt ?? 0, sentAt + this.leaseMs);
    const interval = body['heartbeat-interval-ms'];
    if (interval !== undefined && interval !== this.heartbeatIntervalMs) {
      this.heartbeatIntervalMs = interval;
      this.scheduleHeartbeat(interval);
    }
    this.armLease();
    this.host.onChanged(this);
  }

  private armLease(): void {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    if (this.leaseExpiresAt === null) return;
    const delay = Math.max(0, this.leaseExpiresAt - this.host.clock.now());
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = undefined;
      this.onLeaseTimer();
    }, delay + 1);
    this.leaseTimer.unref();
  }

  private onLeaseTimer(): void {
    if (!this.running || this.leaseExpiresAt === null) return;
    if (this.leaseExpiresAt > this.host.clock.now()) return this.armLease();
    // No answer for a whole lease: this orchestrator is lost to us. Its VNodes go (the host does
    // that in onLost); a fresh session and registration follow.
    this.leaseExpiresAt = null;
    this.registeredAt = null;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.pendingHeartbeats.clear();
    this.setStatus('lost');
    this.host.onLost(this);
    const connection = this.connection;
    this.connection = null;
    this.unpin();
    if (connection?.isOpen) connection.close(undefined, 'orchestrator lease lapsed');
    // A retry already on its way (we were reconnecting) stays as it is: postponing it would stretch
    // the wait past the reconnect ceiling.
    if (!this.retryTimer) this.scheduleRetry();
  }

  /** The session closed: keep the lease running and dial again. */
  onDisconnected(connection: PeerConnection): void {
    if (connection !== this.connection && this.connection !== null) return;
    this.connection = null;
    this.pinnedSession = null;
    this.pendingRegister = null;
    if (this.registerTimer) clearTimeout(this.registerTimer);
    this.registerTimer = undefined;
    this.pendingHeartbeats.clear();
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    if (!this.running) return;
    if (this.status === 'registered') this.setStatus('connecting');
    if (this.retryTimer) return; // a retry is on its way already (the lease lapsed, say)
    this.scheduleRetry();
  }

  view(primary: boolean): OrchestratorView {
    return {
      nodeId: this.nodeId,
      url: this.connection?.address ?? this.target.urls[0] ?? '',
      status: this.status === 'idle' ? 'lost' : this.status,
      primary,
      registeredAt: this.registeredAt,
      lastHeartbeatAt: this.lastAckAt,
      leaseExpiresAt: this.leaseExpiresAt,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      heartbeatsAcked: this.heartbeatsAcked,
    };
  }
}
