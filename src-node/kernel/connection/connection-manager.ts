// The connection manager (js-libp2p's split is the model): owns every live session of a node.
// It accepts inbound sessions, dials (one dial per peer at a time), keeps one session per node-id,
// runs keepalive and the capability exchange on each session, applies the per-node-id rate limit,
// routes messages by kind, and — for a contributor — keeps the peer working set (hot peers,
// live-session cap, reconnect with backoff) by following the pure policy in peers/working-set.ts.
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { SessionBody, SessionKind } from '../../../src-shared/protocol/messages/kinds.js';
import type { SessionMessage } from '../../../src-shared/protocol/messages/session-message.js';
import type { HandshakeContext } from '../session/handshake-flow.js';
import type { SessionIntent } from '../session/handshake.js';
import type { DialOptions as TransportDialOptions } from '../transport/ws-dialer.js';
import type { InboundConnectionInfo } from '../transport/ws-listener.js';
import { CLOSE_TRY_AGAIN_LATER, closeSocket } from '../transport/close-codes.js';
import { addressKey } from '../transport/address-key.js';
import { SlotTable } from '../transport/slot-table.js';
import { sessionPathOf } from '../transport/stream-transports.js';
import { endpointTransport } from '../../../src-shared/protocol/dht-endpoint.js';
import type { PeerStore } from '../peers/peer-store.js';
import type { PeerRateLimiter } from '../peers/rate-limiter.js';
import { planWorkingSet, type SessionView, type WorkingSetLimits } from '../peers/working-set.js';
import type { PeerPolicy } from '../peers/allowlist.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import { acceptInbound, openOutbound, type ConnectionCloseInfo, type PeerConnection } from './peer-connection.js';
import { Keepalive, type KeepaliveTiming } from './keepalive.js';
import type { CapabilityAdvertiser } from './capability-advertisement.js';

/** How often the working set is re-planned even without events (cooldowns expire quietly). */
export const WORKING_SET_PLAN_INTERVAL_MS = 5_000;
/**
 * Inbound sessions a service node (orchestrator, directory) holds at most: the 50,000 PNodes an
 * orchestrator is built to serve (DESIGN.md §9). Each is a file descriptor: the process's
 * RLIMIT_NOFILE must allow as many.
 */
export const DEFAULT_MAX_INBOUND_SERVICE_SESSIONS = 50_000;
/** Inbound sessions a contributor accepts before the working set trims them. */
export const DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS = 16;
/**
 * Inbound sessions from one address (IPv4) or /64 (IPv6), issue 15 §2: on a service, room for a
 * large NAT (a campus of PNodes) while one address with many identities cannot take the rest…
 */
export const DEFAULT_MAX_INBOUND_SERVICE_SESSIONS_PER_ADDRESS = 1_024;
/** …and on a contributor, half its inbound sessions. */
export const DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS_PER_ADDRESS = 8;

export type MessageHandler<K extends SessionKind> = (connection: PeerConnection, body: SessionBody<K>) => void;

export interface ConnectionManagerOptions {
  readonly ctx: HandshakeContext;
  readonly transport: TransportDialOptions;
  readonly peers: PeerStore;
  readonly rateLimiter: PeerRateLimiter;
  readonly advertiser: CapabilityAdvertiser;
  readonly policy?: PeerPolicy;
  readonly keepalive?: KeepaliveTiming;
  /** Contributors keep a working set; services only accept and serve. */
  readonly workingSet?: WorkingSetLimits | null;
  readonly maxInbound?: number;
  readonly maxInboundPerAddress?: number;
  /** Record inbound peers in the peer store (a service with thousands of clients does not). */
  readonly recordInbound?: boolean;
  readonly planIntervalMs?: number;
}

export interface ConnectionManagerEvents {
  connected: [connection: PeerConnection];
  disconnected: [connection: PeerConnection, info: ConnectionCloseInfo];
  message: [connection: PeerConnection, message: SessionMessage];
  changed: [];
  /**
   * A session about to be closed because this node is full (the working set's live limit), still
   * open: a listener may send its peer where else to go (peer exchange does, as gossipsub's prune
   * does), and the close follows at once.
   */
  'turning-away': [connection: PeerConnection];
}

interface Live {
  readonly connection: PeerConnection;
  readonly keepalive: Keepalive;
  pins: number;
  /** When the session came up (the working set protects the longest-connected inbound one). */
  readonly connectedAt: number;
}

export class ConnectionManager extends EventEmitter<ConnectionManagerEvents> {
  private readonly live = new Map<string, Live>();
  private readonly dialing = new Map<string, Promise<PeerConnection>>();
  private readonly handlers = new Map<SessionKind, MessageHandler<SessionKind>>();
  /** Peers whose last session ended by keepalive loss: the next session "restores" them. */
  private readonly lostPeers = new Set<string>();
  /** Inbound sessions, per source address and in all (pending handshakes are the listener's, counted apart). */
  private readonly inboundSlots: SlotTable<PeerConnection>;
  /**
   * False until the node's modules have registered their handlers (beginDispatch): sessions adopted
   * before then keep their messages (each PeerConnection buffers them) instead of losing the ones
   * no handler is there for yet. A node listens before its modules start, so without this an
   * orchestrator restarting under a crowd of reconnecting PNodes dropped their registrations.
   */
  private dispatching = false;
  private readonly waitingForDispatch: PeerConnection[] = [];
  private planTimer: NodeJS.Timeout | undefined;
  private planQueued = false;
  private stopped = false;
  private readonly ctx: HandshakeContext;

  constructor(private readonly options: ConnectionManagerOptions) {
    super();
    this.ctx = options.ctx;
    this.setMaxListeners(64);
    const contributor = Boolean(options.workingSet);
    this.inboundSlots = new SlotTable<PeerConnection>({
      total: options.maxInbound ?? (contributor ? DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS : DEFAULT_MAX_INBOUND_SERVICE_SESSIONS),
      perAddress: options.maxInboundPerAddress ?? (contributor ? DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS_PER_ADDRESS : DEFAULT_MAX_INBOUND_SERVICE_SESSIONS_PER_ADDRESS),
      evictAtTotalCap: false,
    });
  }

  get selfId(): string {
    return this.ctx.identity.nodeId;
  }

  /** The node's modules have started: sessions adopted so far get their messages now, later ones at once. */
  beginDispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    for (const connection of this.waitingForDispatch.splice(0)) connection.start();
  }

  /** Starts the working-set loop (contributors who joined). */
  start(): void {
    if (!this.options.workingSet || this.planTimer || this.stopped) return;
    this.planTimer = setInterval(() => this.plan(), this.options.planIntervalMs ?? WORKING_SET_PLAN_INTERVAL_MS);
    this.planTimer.unref();
    this.schedulePlan();
  }

  /** Stops keeping a working set (the volunteer left): no more dialing; unpinned peer sessions close. */
  pause(): void {
    if (this.planTimer) clearInterval(this.planTimer);
    this.planTimer = undefined;
    for (const entry of [...this.live.values()]) {
      if (entry.pins === 0 && entry.connection.direction === 'outbound') this.retire(entry, 'left the network');
    }
  }

  get workingSetActive(): boolean {
    return this.planTimer !== undefined;
  }

  /** Registers the handler of one message kind (one per kind). */
  handle<K extends SessionKind>(kind: K, handler: MessageHandler<K>): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for ${kind} is already registered`);
    this.handlers.set(kind, handler as MessageHandler<SessionKind>);
  }

  connections(): PeerConnection[] {
    return [...this.live.values()].map((l) => l.connection);
  }

  get(nodeId: string): PeerConnection | undefined {
    return this.live.get(nodeId)?.connection;
  }

  isDialing(nodeId: string): boolean {
    return this.dialing.has(nodeId);
  }

  send<K extends SessionKind>(nodeId: string, kind: K, body: SessionBody<K>): boolean {
    return this.live.get(nodeId)?.connection.send(kind, body) ?? false;
  }

  /** Inbound sessions now: in all, and from the source of `address` (for figures and tests). */
  inboundSessions(address?: string): number {
    return address === undefined ? this.inboundSlots.size : this.inboundSlots.count(addressKey(address));
  }

  /**
   * For the transport listener: run the handshake on a new inbound socket. While it runs the
   * socket is the listener's (a pending slot); it takes a session slot only once it is a session,
   * so silent sockets cannot crowd sessions out. A source already at its session cap (or a full
   * node) is refused before any handshake work, and checked again once the session exists.
   */
  acceptSocket(socket: WebSocket, info: InboundConnectionInfo): void {
    const key = info.addressKey;
    if (this.stopped || !this.inboundSlots.hasRoomFor(key)) {
      info.leavePending();
      closeSocket(socket, CLOSE_TRY_AGAIN_LATER, this.stopped ? 'node is stopping' : 'busy: too many sessions');
      return;
    }
    acceptInbound(this.ctx, socket, { remoteAddress: info.remoteAddress }).then(
      (connection) => {
        info.leavePending();
        this.adopt(connection, false, key);
      },
      () => {
        // Refused (coded, traced by the handshake) or abandoned: nothing to keep.
        info.leavePending();
      },
    );
  }

  /**
   * Dials a peer (or returns its live session). `pin` keeps the session out of the working set's
   * reach (orchestrator sessions); release it with `unpin`.
   */
  async connect(
    urls: readonly string[],
    options: { nodeId?: string | undefined; intent?: SessionIntent; pin?: boolean } = {},
  ): Promise<PeerConnection> {
    const existing = options.nodeId ? this.live.get(options.nodeId) : undefined;
    if (existing?.connection.isOpen) {
      if (options.pin) existing.pins++;
      return existing.connection;
    }
    const key = options.nodeId ?? `url:${urls.join(',')}`;
    let pending = this.dialing.get(key);
    if (!pending) {
      pending = this.dialEndpoints(urls, options.nodeId, options.intent);
      this.dialing.set(key, pending);
      const clear = (): void => {
        this.dialing.delete(key);
      };
      pending.then(clear, clear);
    }
    const connection = await pending;
    if (options.pin) {
      const entry = this.live.get(connection.peerNodeId);
      if (entry) entry.pins++;
    }
    return connection;
  }

  unpin(nodeId: string): void {
    const entry = this.live.get(nodeId);
    if (entry && entry.pins > 0) entry.pins--;
    this.schedulePlan();
  }

  private async dialEndpoints(urls: readonly string[], nodeId: string | undefined, intent: SessionIntent | undefined): Promise<PeerConnection> {
    if (this.stopped) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'node is stopping');
    if (urls.length === 0) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `no endpoint known for ${nodeId ?? 'the peer'}`);
    // Endpoints of a transport this node lacks (dht:// on a node without the DHT) are skipped, not failed.
    const transports = this.options.transport.streams?.available() ?? ['wss'];
    const usable = urls.filter((url) => transports.includes(endpointTransport(url)));
    if (usable.length === 0) {
      const error = new ProtocolError('E_TRANSPORT_UNAVAILABLE', `no endpoint of ${nodeId ?? 'the peer'} uses a transport this node has (${transports.join(', ')})`);
      if (nodeId) this.options.peers.dialFailed(nodeId, `${error.code} ${error.detail}`);
      throw error;
    }
    urls = usable;
    let last: ProtocolError = new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'no endpoint answered');
    for (const url of urls) {
      if (nodeId) this.options.peers.dialStarted(nodeId, url);
      this.emit('changed');
      const resolvedIntent = intent ?? (nodeId && this.lostPeers.has(nodeId) ? 'reconnect' : 'peer-connect');
      try {
        const connection = await openOutbound(this.ctx, { url, expectedNodeId: nodeId, intent: resolvedIntent, transport: this.options.transport });
        return this.adopt(connection, true);
      } catch (error) {
        last = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', error instanceof Error ? error.message : String(error));
        // A failed dial counts against the peer's reliability and starts its backoff, but never as a
        // protocol violation: whoever answered at the address has not proven to be that peer.
        if (nodeId) this.options.peers.dialFailed(nodeId, `${last.code} ${last.detail}`);
        this.ctx.trace?.emit('error/occurred', { peer: nodeId, detail: errorDetail(last, { url, phase: 'dial' }) });
      }
    }
    this.emit('changed');
    throw last;
  }

  /** Takes an established session into the live set, resolving duplicates the same way on both ends. */
  private adopt(connection: PeerConnection, outbound: boolean, inboundKey?: string): PeerConnection {
    const peer = connection.peerNodeId;
    if (this.stopped) {
      connection.close(undefined, 'node is stopping');
      return connection;
    }
    const existing = this.live.get(peer);
    if (existing && existing.connection.isOpen) {
      if (this.keepsExisting(existing.connection, connection)) {
        connection.close(undefined, 'duplicate session');
        return existing.connection;
      }
      this.retire(existing, 'replaced by a newer session');
    }
    if (inboundKey !== undefined && !this.inboundSlots.admit(inboundKey, connection).admitted) {
      // Handshakes that ran side by side may finish past the cap the accept-time check saw.
      connection.close('E_TRANSPORT_UNAVAILABLE', 'busy: too many sessions');
      return connection;
    }
    const keepalive = new Keepalive(connection, {
      timing: this.options.keepalive,
      clock: this.ctx.clock,
      trace: this.ctx.trace,
      onRtt: (ms) => this.options.peers.rttSample(peer, ms),
      onLost: () => this.lostPeers.add(peer),
    });
    const entry: Live = { connection, keepalive, pins: 0, connectedAt: this.ctx.clock.now() };
    this.live.set(peer, entry);
    connection.on('message', (message) => this.onMessage(entry, message));
    connection.on('bad-message', (error) => {
      this.ctx.trace?.emit('error/occurred', { peer, detail: errorDetail(error, { phase: 'session' }) });
      this.options.peers.protocolViolation(peer, error.code, error.detail);
    });
    connection.on('close', (info) => this.onClose(entry, info));
    // Only a peer we dialed becomes tried (issue 15 §1); an inbound session proves its identity, not its address.
    if (outbound) this.options.peers.dialSucceeded(peer);
    else if (this.options.recordInbound !== false) this.options.peers.inboundAccepted(peer, connection.address);
    const path = sessionPathOf(connection.socket);
    this.ctx.trace?.emit('peer/connected', {
      peer,
      detail: {
        direction: connection.direction,
        address: connection.address,
        'session/id': connection.session.sessionId,
        transport: path.transport,
        ...(path.holepunch ? { holepunch: path.holepunch } : {}),
        ...(path.remote ? { remote: path.remote } : {}),
      },
    });
    if (this.lostPeers.delete(peer)) this.ctx.trace?.emit('keepalive/restored', { peer, detail: { 'session/id': connection.session.sessionId } });
    if (this.dispatching) connection.start();
    else this.waitingForDispatch.push(connection);
    keepalive.start();
    connection.send('capability-advertisement.v1', this.options.advertiser.advertisement(this.ctx.clock.now()));
    this.emit('connected', connection);
    this.emit('changed');
    this.schedulePlan();
    return connection;
  }

  /** Both ends keep the same session: a reconnect from the same side wins; else the lower node-id's dial. */
  private keepsExisting(existing: PeerConnection, incoming: PeerConnection): boolean {
    const initiatorOf = (c: PeerConnection): string => (c.direction === 'outbound' ? this.selfId : c.peerNodeId);
    const a = initiatorOf(existing);
    const b = initiatorOf(incoming);
    if (a === b) return false;
    return a < b;
  }

  private retire(entry: Live, reason: string, busy = false): void {
    entry.keepalive.stop();
    this.inboundSlots.release(entry.connection);
    this.live.delete(entry.connection.peerNodeId);
    if (busy) {
      this.emit('turning-away', entry.connection);
      entry.connection.closeBusy(reason);
    } else entry.connection.close(undefined, reason);
  }

  private onMessage(entry: Live, message: SessionMessage): void {
    const { connection } = entry;
    const peer = connection.peerNodeId;
    const decision = this.options.rateLimiter.take(peer, this.ctx.clock.now());
    if (decision.verdict === 'drop') {
      this.options.peers.protocolViolation(peer, 'E_PROTO_INVALID', `flooding: ${decision.reason}`);
      connection.close('E_TRANSPORT_REJECTED', `rate limit: ${decision.reason}`);
      return;
    }
    if (decision.verdict === 'slow') {
      // Backpressure: stop reading this peer's socket for a while; TCP pushes back on the sender.
      connection.socket.pause();
      const timer = setTimeout(() => connection.socket.resume(), decision.waitMs);
      timer.unref();
    }
    if (entry.keepalive.handle(message)) return;
    switch (message.kind) {
      case 'capability-advertisement.v1': {
        const capabilities = (message.body['capabilities/core'] as string[] | undefined) ?? [];
        this.options.peers.capabilitiesExchanged(peer, capabilities);
        this.ctx.trace?.emit('capability/exchanged', { peer, detail: { capabilities, 'advertisement/id': String(message.body['advertisement/id']) } });
        break;
      }
      case 'error':
        this.ctx.trace?.emit('error/occurred', { peer, detail: { code: message.body.code, class: message.body.class, message: message.body.detail, by: 'peer' } });
        break;
      default:
        break;
    }
    const handler = this.handlers.get(message.kind);
    if (handler) {
      try {
        handler(connection, message.body);
      } catch (error) {
        const failure = error instanceof ProtocolError ? error : new ProtocolError('E_PROTO_INVALID', error instanceof Error ? error.message : String(error));
        this.ctx.trace?.emit('error/occurred', { peer, detail: errorDetail(failure, { kind: message.kind, phase: 'handler' }) });
      }
    }
    this.emit('message', connection, message);
  }

  private onClose(entry: Live, info: ConnectionCloseInfo): void {
    entry.keepalive.stop();
    this.inboundSlots.release(entry.connection);
    const peer = entry.connection.peerNodeId;
    if (this.live.get(peer) === entry) this.live.delete(peer);
    // A session we retired (the working set's over-limit close) left the live set before its close
    // came: the peer store must still hear of it, or the peer stays "connected" there and is never
    // dialed again. A session replaced by a newer one to the same peer is not the peer's end.
    if (!this.live.has(peer)) {
      const lost = info.code === 'E_TRANSPORT_UNAVAILABLE' || (info.by === 'remote' && info.code !== undefined) || this.lostPeers.has(peer);
      this.options.peers.sessionClosed(peer, { lost, busy: info.by === 'remote' && info.busy === true, reason: info.reason });
      this.options.rateLimiter.reset(peer);
    }
    this.ctx.trace?.emit('peer/disconnected', { peer, detail: { reason: info.reason, by: info.by, ...(info.code ? { code: info.code } : {}) } });
    // A session replaced by a newer one to the same peer is not a disconnection of the peer.
    if (this.live.has(peer)) return;
    this.emit('disconnected', entry.connection, info);
    this.emit('changed');
    this.schedulePlan();
  }

  /** Re-plans the working set soon (coalesced). */
  schedulePlan(): void {
    if (!this.options.workingSet || !this.planTimer || this.planQueued || this.stopped) return;
    this.planQueued = true;
    setImmediate(() => {
      this.planQueued = false;
      this.plan();
    });
  }

  /** One step of the working-set policy: dial what it asks for, close what it asks to close. */
  plan(): void {
    const limits = this.options.workingSet;
    if (!limits || !this.planTimer || this.stopped) return;
    const now = this.ctx.clock.now();
    const sessions: SessionView[] = [];
    for (const [nodeId, entry] of this.live) {
      if (entry.pins > 0) continue;
      sessions.push({ nodeId: nodeId as NodeId, state: 'connected', direction: entry.connection.direction, connectedAt: entry.connectedAt });
    }
    for (const nodeId of this.dialing.keys()) {
      if (!nodeId.startsWith('url:') && !this.live.has(nodeId)) sessions.push({ nodeId: nodeId as NodeId, state: 'dialing', direction: 'outbound' });
    }
    const policy = this.options.policy;
    const plan = planWorkingSet({
      records: this.options.peers.all(),
      sessions,
      now,
      limits,
      ...(policy ? { isAllowed: (id: string) => policy.isAllowed(id) } : {}),
    });
    this.options.peers.applyHotSet(plan.hot);
    for (const close of plan.close) {
      const entry = this.live.get(close.nodeId);
      // Over the limit, the peer is told this node is full (1013), so it dials another, and this one later.
      if (entry && entry.pins === 0) this.retire(entry, `working set: ${close.reason}`, close.reason === 'over-limit');
    }
    for (const dial of plan.dial) {
      if (this.dialing.has(dial.nodeId) || this.live.has(dial.nodeId)) continue;
      this.connect(
        dial.endpoints.map((e) => e.url),
        { nodeId: dial.nodeId },
      ).catch(() => undefined);
    }
  }

  /** Closes every session (node shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.planTimer) clearInterval(this.planTimer);
    const closing = [...this.live.values()].map(
      (entry) =>
        new Promise<void>((resolve) => {
          entry.keepalive.stop();
          if (!entry.connection.isOpen) return resolve();
          entry.connection.socket.once('close', () => resolve());
          entry.connection.close(undefined, 'node shutting down');
          setTimeout(() => {
            entry.connection.socket.terminate();
            resolve();
          }, 1_000).unref();
        }),
    );
    await Promise.all(closing);
    this.live.clear();
  }
}
