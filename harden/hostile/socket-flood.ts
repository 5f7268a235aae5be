// The attacker's sockets: many TCP connections from many loopback addresses to one listener, each
// doing one cheap, slow thing, and opened again the moment the listener drops it (for as long as
// the flood runs). Bounded: `addresses × socketsPerAddress` at once, for as long as it runs.
//
//   idle            connect and send nothing
//   slow-headers    a request line, then one header byte a second (slowloris)
//   slow-body       a PUT with its headers and a 4 KiB body announced, then one body byte a second
//   no-hello        a WebSocket upgrade request, then nothing (a peer that never says hello)
//   unauth-upgrade  an upgrade without a token, again and again (the control server)
//   unauth-body     a POST with a huge body and no token, streamed as fast as the socket takes it
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { sleep } from '../faults/wait.js';

export type FloodKind = 'idle' | 'slow-headers' | 'slow-body' | 'no-hello' | 'unauth-upgrade' | 'unauth-body';

export interface FloodSpec {
  readonly port: number;
  readonly addresses: readonly string[];
  readonly socketsPerAddress: number;
  readonly kind: FloodKind;
  /** Request path (upgrades, bodies). */
  readonly path?: string;
  /** Host header (default 127.0.0.1:<port>). */
  readonly host?: string;
  /** Spread the first connections over this long (default 2 s). */
  readonly rampMs?: number;
}

export interface FloodFigures {
  readonly kind: FloodKind;
  readonly addresses: number;
  readonly sockets: number;
  /** Connections made over the whole flood (first ones and reopened ones). */
  readonly opened: number;
  /** Most open at once. */
  readonly peakOpen: number;
  /** Closed by the listener (not by us). */
  readonly dropped: number;
  /** Of those, closed within DROPPED_AT_ONCE_MS of connecting: refused at accept. */
  readonly droppedAtOnce: number;
  /** Connections that could not be made (the attacker's own limits: EMFILE, EADDRNOTAVAIL…). */
  readonly failedToOpen: number;
  /** Bytes the unauth-body sockets got written (to the kernel) before the listener closed them. */
  readonly bodyBytesSent: number;
}

/** A drop this soon after connecting is a refusal at accept. */
export const DROPPED_AT_ONCE_MS = 100;
/** A dropped socket is opened again after this (no hot loop). */
export const REOPEN_DELAY_MS = 50;
/** How often the slow kinds send their next byte. */
export const SLOW_BYTE_INTERVAL_MS = 1_000;
/** What one unauth-body socket announces (and sends at most). */
export const UNAUTH_BODY_BYTES = 256 * 1024 * 1024;
const BODY_CHUNK = Buffer.alloc(64 * 1024, 0x20);

export class SocketFlood {
  private running = false;
  private readonly open = new Set<Socket>();
  /** Every socket not yet closed, connected or not (stop destroys them all). */
  private readonly live = new Set<Socket>();
  private lanes: Promise<void>[] = [];
  private opened = 0;
  private peakOpen = 0;
  private dropped = 0;
  private droppedAtOnce = 0;
  private failedToOpen = 0;
  private bodyBytesSent = 0;

  constructor(readonly spec: FloodSpec) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const total = this.spec.addresses.length * this.spec.socketsPerAddress;
    const ramp = this.spec.rampMs ?? 2_000;
    let k = 0;
    for (const address of this.spec.addresses) {
      for (let i = 0; i < this.spec.socketsPerAddress; i++) {
        const delay = total <= 1 ? 0 : (k++ * ramp) / total;
        this.lanes.push(this.lane(address, delay));
      }
    }
  }

  /** Stops reopening and closes every socket; resolves once all lanes are done. */
  async stop(): Promise<void> {
    this.running = false;
    for (const socket of this.live) socket.destroy();
    await Promise.all(this.lanes);
    this.lanes = [];
  }

  get openNow(): number {
    return this.open.size;
  }

  figures(): FloodFigures {
    return {
      kind: this.spec.kind,
      addresses: this.spec.addresses.length,
      sockets: this.spec.addresses.length * this.spec.socketsPerAddress,
      opened: this.opened,
      peakOpen: this.peakOpen,
      dropped: this.dropped,
      droppedAtOnce: this.droppedAtOnce,
      failedToOpen: this.failedToOpen,
      bodyBytesSent: this.bodyBytesSent,
    };
  }

  private async lane(address: string, delayMs: number): Promise<void> {
    await sleep(delayMs);
    while (this.running) {
      const outcome = await this.once(address);
      if (outcome === 'failed') await sleep(REOPEN_DELAY_MS * 10);
      else await sleep(REOPEN_DELAY_MS);
    }
  }

  /** One connection, from open to close. */
  private once(address: string): Promise<'closed' | 'failed'> {
    return new Promise((resolve) => {
      let connectedAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const socket = connect({ port: this.spec.port, host: '127.0.0.1', localAddress: address });
      this.live.add(socket);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.once('connect', () => {
        if (!this.running) {
          socket.destroy();
          return;
        }
        connectedAt = Date.now();
        this.opened++;
        this.open.add(socket);
        this.peakOpen = Math.max(this.peakOpen, this.open.size);
        timer = this.behave(socket);
      });
      socket.once('close', () => {
        this.live.delete(socket);
        if (timer) clearInterval(timer);
        if (connectedAt === 0) {
          this.failedToOpen++;
          resolve('failed');
          return;
        }
        this.open.delete(socket);
        // What reached the kernel: bytes queued in the socket when it closed never left.
        if (this.spec.kind === 'unauth-body') this.bodyBytesSent += socket.bytesWritten;
        if (this.running) {
          this.dropped++;
          if (Date.now() - connectedAt < DROPPED_AT_ONCE_MS) this.droppedAtOnce++;
        }
        resolve('closed');
      });
    });
  }

  private behave(socket: Socket): NodeJS.Timeout | undefined {
    const { port, path = '/', kind } = this.spec;
    const host = this.spec.host ?? `127.0.0.1:${port}`;
    const upgrade = (): string =>
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    switch (kind) {
      case 'idle':
        return undefined;
      case 'slow-headers': {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nX-`);
        return setInterval(() => socket.write('a'), SLOW_BYTE_INTERVAL_MS);
      }
      case 'slow-body': {
        socket.write(`PUT ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{`);
        return setInterval(() => socket.write(' '), SLOW_BYTE_INTERVAL_MS);
      }
      case 'no-hello':
      case 'unauth-upgrade':
        socket.write(upgrade());
        return undefined;
      case 'unauth-body': {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${UNAUTH_BODY_BYTES}\r\n\r\n`);
        let sent = 0;
        const pump = (): void => {
          while (this.running && !socket.destroyed && sent < UNAUTH_BODY_BYTES) {
            sent += BODY_CHUNK.length;
            if (!socket.write(BODY_CHUNK)) return;
          }
        };
        socket.on('drain', pump);
        pump();
        return undefined;
      }
    }
  }
}
