// WebSocket framing by hand (RFC 6455), for peers that misbehave below what the `ws` library lets
// a client do: stop half-way through an upgrade request or a frame, never answer a close. Client
// frames are masked, server frames are not. Only what the stall scenarios need: no extensions,
// no fragmentation of our own, payloads of any length.
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
/** RFC 6455 §1.3: the GUID the accept key is derived with. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Header bytes of an upgrade response we read at most before giving up on it. */
const MAX_UPGRADE_RESPONSE_BYTES = 16 * 1024;

export interface Frame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** One frame (FIN set): masked as a client sends it, or unmasked as a server does. */
export function encodeFrame(opcode: number, payload: Uint8Array, masked: boolean): Buffer {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + (masked ? 4 : 0));
  header[0] = 0x80 | (opcode & 0x0f);
  header[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) header.writeUInt16BE(length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const body = Buffer.from(payload);
  if (masked) {
    const key = randomBytes(4);
    key.copy(header, 2 + extended);
    for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!;
  }
  return Buffer.concat([header, body]);
}

/** The value of Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKeyFor(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** Reads frames out of a byte stream that may split them anywhere. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private next(): Frame | undefined {
    const b = this.buffered;
    if (b.length < 2) return undefined;
    const masked = (b[1]! & 0x80) !== 0;
    const code = b[1]! & 0x7f;
    let offset = 2;
    let length = code;
    if (code === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (code === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const maskAt = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return undefined;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ b[maskAt + (i & 3)]!;
    this.buffered = b.subarray(offset + length);
    return { opcode: b[0]! & 0x0f, payload };
  }
}

/** A TCP connection to 127.0.0.1:`port` (from `localAddress`, when given), once connected. */
export function connectTcp(port: number, host = '127.0.0.1', localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, ...(localAddress !== undefined ? { localAddress } : {}) });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The upgrade request for `path`, with a fresh key. */
export function upgradeRequest(path: string, port: number): { readonly text: string; readonly key: string } {
  const key = randomBytes(16).toString('base64');
  const text =
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return { text, key };
}

/**
 * A client connection driven by hand. It records when the other end sent a close frame and when
 * the TCP connection ended; it never answers a close (a stalled peer would not).
 */
export class RawClient {
  readonly frames: Frame[] = [];
  closeFrameAt: number | null = null;
  closeCode: number | null = null;
  closedAt: number | null = null;
  private readonly reader = new FrameReader();
  private readonly closed: Promise<void>;
  private upgraded = false;
  private header: Buffer = Buffer.alloc(0);
  private upgradeWaiter: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;

  constructor(readonly socket: Socket) {
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        this.upgradeWaiter?.reject(new Error('the connection closed during the upgrade'));
        resolve();
      }),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static async open(port: number, localAddress?: string): Promise<RawClient> {
    return new RawClient(await connectTcp(port, '127.0.0.1', localAddress));
  }

  /** The first moment the node said it was done with us: a close frame, or the end of TCP. */
  get droppedAt(): number | null {
    if (this.closeFrameAt === null) return this.closedAt;
    if (this.closedAt === null) return this.closeFrameAt;
    return Math.min(this.closeFrameAt, this.closedAt);
  }

  /** Sends the upgrade request and resolves with the HTTP status of the answer (101 on success). */
  upgrade(path: string, port: number): Promise<number> {
    const { text } = upgradeRequest(path, port);
    return new Promise<number>((resolve, reject) => {
      this.upgradeWaiter = { resolve, reject };
      this.socket.write(text);
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends a whole masked frame. */
  send(opcode: number, payload: Uint8Array): void {
    this.write(encodeFrame(opcode, payload, true));
  }

  /** Sends only the first `share` (0…1) of a masked frame's bytes, and nothing more. */
  sendPartial(opcode: number, payload: Uint8Array, share: number): number {
    const frame = encodeFrame(opcode, payload, true);
    const cut = Math.max(1, Math.min(frame.length - 1, Math.floor(frame.length * share)));
    this.write(frame.subarray(0, cut));
    return cut;
  }

  /** Resolves once a frame matching `accept` arrives (or the connection ends: undefined). */
  async nextFrame(accept: (frame: Frame) => boolean, timeoutMs: number): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; Date.now() < deadline && this.closedAt === null; ) {
      for (; seen < this.frames.length; seen++) if (accept(this.frames[seen]!)) return this.frames[seen];
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.frames.find(accept);
  }

  whenClosed(): Promise<void> {
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (!this.upgraded) {
      this.header = Buffer.concat([this.header, chunk]);
      const end = this.header.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.header.length > MAX_UPGRADE_RESPONSE_BYTES) this.socket.destroy();
        return;
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(this.header.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      this.upgraded = status === 101;
      const rest = this.header.subarray(end + 4);
      this.header = Buffer.alloc(0);
      this.upgradeWaiter?.resolve(status);
      this.upgradeWaiter = undefined;
      if (!this.upgraded) return;
      if (rest.length === 0) return;
      chunk = rest;
    }
    for (const frame of this.reader.push(chunk)) {
      this.frames.push(frame);
      if (frame.opcode === OPCODE_CLOSE && this.closeFrameAt === null) {
        this.closeFrameAt = Date.now();
        this.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : null;
      }
    }
  }
}

/** What a stalling server does with a node that dials it. */
export type StallServerMode =
  /** Accepts TCP and never answers the upgrade request. */
  | 'silent'
  /** Completes the upgrade, then never sends the handshake ack. */
  | 'no-ack'
  /** Completes the upgrade; after the hello, sends half of a text frame and stops. */
  | 'partial-ack';

export interface StallServer {
  readonly port: number;
  readonly url: string;
  /** When each accepted connection ended (in order of acceptance; null while open). */
  readonly connections: Array<{ readonly openedAt: number; closedAt: number | null }>;
  close(): Promise<void>;
}

/** A peer endpoint on loopback that stalls whoever dials it, in the given way. */
export async function startStallServer(mode: StallServerMode, path = '/peer'): Promise<StallServer> {
  const sockets = new Set<Socket>();
  const connections: Array<{ readonly openedAt: number; closedAt: number | null }> = [];
  const server: Server = createServer((socket) => {
    const record = { openedAt: Date.now(), closedAt: null as number | null };
    connections.push(record);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      record.closedAt = Date.now();
      sockets.delete(socket);
    });
    if (mode === 'silent') {
      socket.resume(); // read and drop whatever comes, so the end of the connection is seen
      return;
    }
    let header = '';
    let upgraded = false;
    let sentPartial = false;
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) {
        // The hello arrived (or part of it): answer with the start of a frame that never ends.
        if (mode === 'partial-ack' && !sentPartial) {
          sentPartial = true;
          const frame = encodeFrame(OPCODE_TEXT, Buffer.from(JSON.stringify({ padding: 'x'.repeat(512) })), false);
          socket.write(frame.subarray(0, Math.floor(frame.length / 2)));
        }
        return;
      }
      header += chunk.toString('latin1');
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) return;
      const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(header.slice(0, end))?.[1] ?? '';
      upgraded = true;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKeyFor(key)}\r\n\r\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `ws://127.0.0.1:${port}${path}`,
    connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
