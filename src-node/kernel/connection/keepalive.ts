// Keepalive on one session (spec digest §f): a ping every interval; no pong for the timeout
// (three intervals by default) means the peer is lost: `keepalive/lost` is traced and the session
// closed so the connection manager reconnects. Pongs give the RTT that feeds the peer score.
// The verdict waits for one turn of the event loop's I/O: timers run before sockets are read, so
// after this process was itself frozen (a starved or suspended machine) the peer's messages may be
// sitting unread, and it is not the peer that went silent.
import { KEEPALIVE_INTERVAL_MS, KEEPALIVE_TIMEOUT_MS } from '../../../src-shared/protocol/profile.js';
import { makePing, makePong } from '../../../src-shared/protocol/messages/core-bodies.js';
import type { SessionMessage } from '../../../src-shared/protocol/messages/session-message.js';
import type { Clock } from '../util/clock.js';
import type { TraceSink } from '../trace/trace-sink.js';
import type { PeerConnection } from './peer-connection.js';

/** Pings awaiting their pong; older ones are forgotten (their pong then counts only as liveness). */
export const MAX_OUTSTANDING_PINGS = 8;

export interface KeepaliveTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveTiming = { intervalMs: KEEPALIVE_INTERVAL_MS, timeoutMs: KEEPALIVE_TIMEOUT_MS };

export interface KeepaliveOptions {
  readonly timing?: KeepaliveTiming;
  readonly clock: Clock;
  readonly trace?: TraceSink | undefined;
  readonly onRtt?: (rttMs: number) => void;
  /** Called once when the peer is declared lost, just before the session is closed. */
  readonly onLost?: () => void;
}

export class Keepalive {
  private readonly timing: KeepaliveTiming;
  private timer: NodeJS.Timeout | undefined;
  /** A check at the moment the timeout runs out, when that comes before the next tick. */
  private lossTimer: NodeJS.Timeout | undefined;
  /** A loss verdict waiting for the I/O already there to be read. */
  private verdict: NodeJS.Immediate | undefined;
  private lastHeard: number;
  private readonly outstanding = new Map<string, number>();
  private lost = false;

  constructor(
    private readonly connection: PeerConnection,
    private readonly options: KeepaliveOptions,
  ) {
    this.timing = options.timing ?? DEFAULT_KEEPALIVE;
    this.lastHeard = options.clock.now();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.timing.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.lossTimer) clearTimeout(this.lossTimer);
    this.lossTimer = undefined;
    if (this.verdict) clearImmediate(this.verdict);
    this.verdict = undefined;
  }

  /** Any authenticated message proves the peer is alive; ping and pong are answered and measured here. */
  handle(message: SessionMessage): boolean {
    const now = this.options.clock.now();
    this.lastHeard = now;
    if (message.kind === 'ping') {
      this.connection.send('pong', makePong(message.body, now));
      return true;
    }
    if (message.kind === 'pong') {
      const sentAt = this.outstanding.get(message.body.nonce);
      if (sentAt !== undefined) {
        this.outstanding.delete(message.body.nonce);
        this.options.onRtt?.(Math.max(0, now - sentAt));
      }
      return true;
    }
    return false;
  }

  private silentTooLong(now: number): boolean {
    return now - this.lastHeard >= this.timing.timeoutMs;
  }

  /** The peer seems silent for the timeout: judge once the I/O already there has been read. */
  private judgeSoon(): void {
    if (this.verdict || this.lost) return;
    this.verdict = setImmediate(() => {
      this.verdict = undefined;
      if (!this.connection.isOpen) return this.stop();
      const at = this.options.clock.now();
      if (!this.checkLost(at)) this.armLossCheck(at);
    });
  }

  /** Declares the peer lost if it has been silent for the timeout; true if it was. */
  private checkLost(now: number): boolean {
    if (this.lost || !this.silentTooLong(now)) return false;
    this.lost = true;
    this.stop();
    this.options.trace?.emit('keepalive/lost', {
      peer: this.connection.peerNodeId,
      detail: { 'silent-ms': now - this.lastHeard, 'timeout-ms': this.timing.timeoutMs },
    });
    this.options.onLost?.();
    this.connection.close('E_TRANSPORT_UNAVAILABLE', `keepalive lost: no answer for ${now - this.lastHeard} ms`);
    return true;
  }

  /**
   * When the timeout runs out before the next tick, a check at that moment: ticks alone would
   * notice a silent peer up to one interval late (at 120 s rather than 90 s by default).
   */
  private armLossCheck(now: number): void {
    const due = this.lastHeard + this.timing.timeoutMs - now;
    if (due >= this.timing.intervalMs || this.lossTimer) return;
    this.lossTimer = setTimeout(() => {
      this.lossTimer = undefined;
      if (!this.connection.isOpen) return this.stop();
      const at = this.options.clock.now();
      if (this.silentTooLong(at)) this.judgeSoon();
      else this.armLossCheck(at);
    }, Math.max(0, due));
    this.lossTimer.unref();
  }

  private tick(): void {
    if (!this.connection.isOpen) return this.stop();
    const now = this.options.clock.now();
    if (this.silentTooLong(now)) return this.judgeSoon();
    this.armLossCheck(now);
    const ping = makePing(now);
    if (this.outstanding.size >= MAX_OUTSTANDING_PINGS) {
      const oldest = this.outstanding.keys().next().value;
      if (oldest !== undefined) this.outstanding.delete(oldest);
    }
    this.outstanding.set(ping.nonce, now);
    this.connection.send('ping', ping);
  }
}
