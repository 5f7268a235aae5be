// A well-behaved peer that watches a node while others attack it: a real session (real handshake,
// real sealing) that sends a ping every HEALTHY_PING_INTERVAL_MS and times the pong. Its RTTs and
// its lost pings say whether the node kept serving honest peers.
import { performance } from 'node:perf_hooks';
import { makePing } from '../../src-shared/protocol/messages/core-bodies.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { openOutbound, type PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';

/** How often the healthy peer pings. */
export const HEALTHY_PING_INTERVAL_MS = 100;
/** A ping unanswered this long is counted lost. */
export const HEALTHY_PING_LOST_MS = 5_000;

interface Ping {
  /** performance.now() when sent. */
  readonly sentAt: number;
  /** Wall clock when sent (for windows). */
  readonly wallAt: number;
  rttMs: number | null;
}

/** Opens a session to `url` as `identity`, outside any runtime. */
export async function openSession(identity: NodeIdentity, url: string, expectedNodeId?: string, localAddress?: string): Promise<PeerConnection> {
  const connection = await openOutbound(
    { crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache() },
    { url, expectedNodeId, transport: { policy: { insecureLoopback: true }, ...(localAddress !== undefined ? { localAddress } : {}) } },
  );
  connection.start();
  return connection;
}

export class HealthyPeer {
  private readonly pings = new Map<string, Ping>();
  private timer: NodeJS.Timeout | undefined;
  closedAt: number | null = null;
  closeReason: string | null = null;

  private constructor(readonly connection: PeerConnection) {
    connection.on('message', (message: SessionMessage) => {
      if (message.kind !== 'pong') return;
      const ping = this.pings.get(message.body.nonce);
      if (ping && ping.rttMs === null) ping.rttMs = performance.now() - ping.sentAt;
    });
    connection.once('close', (info) => {
      this.closedAt = Date.now();
      this.closeReason = info.reason;
    });
  }

  static async open(identity: NodeIdentity, url: string, expectedNodeId?: string): Promise<HealthyPeer> {
    return new HealthyPeer(await openSession(identity, url, expectedNodeId));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.ping(), HEALTHY_PING_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.connection.terminate();
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  private ping(): void {
    const body = makePing(Date.now());
    if (this.connection.send('ping', body)) this.pings.set(body.nonce, { sentAt: performance.now(), wallAt: Date.now(), rttMs: null });
  }

  /** RTTs of the pings sent in [from, to) (wall clock), answered ones only. */
  rtts(from = 0, to = Number.POSITIVE_INFINITY): number[] {
    return [...this.pings.values()].filter((p) => p.wallAt >= from && p.wallAt < to && p.rttMs !== null).map((p) => p.rttMs!);
  }

  /** Pings sent in [from, to) with no pong within HEALTHY_PING_LOST_MS (only those old enough to tell). */
  lost(from = 0, to = Number.POSITIVE_INFINITY): number {
    const horizon = Date.now() - HEALTHY_PING_LOST_MS;
    return [...this.pings.values()].filter((p) => p.wallAt >= from && p.wallAt < to && p.wallAt < horizon && (p.rttMs === null || p.rttMs > HEALTHY_PING_LOST_MS)).length;
  }

  sent(from = 0, to = Number.POSITIVE_INFINITY): number {
    return [...this.pings.values()].filter((p) => p.wallAt >= from && p.wallAt < to).length;
  }
}
