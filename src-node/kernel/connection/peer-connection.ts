// One authenticated, encrypted session with a peer over a WebSocket. Built by dialing
// (openOutbound) or accepting (acceptInbound): the two signed handshake messages travel as JSON
// text, then every message is a sealed binary frame (DESIGN.md §5). A refusal during the
// handshake is sent as a JSON `error` message before the close, where the channel allows.
import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import { ProtocolError, isErrorCode, errorClassOf, type ErrorCode } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { decodeSessionMessage, encodeSessionMessage, type SessionMessage } from '../../../src-shared/protocol/messages/session-message.js';
import type { SessionBody, SessionKind } from '../../../src-shared/protocol/messages/kinds.js';
import { errorBody } from '../../../src-shared/protocol/messages/core-bodies.js';
import { type DialOptions, type EstablishedSession, type HandshakeContext, answerHello, startHandshake } from '../session/handshake-flow.js';
import type { SessionIntent } from '../session/handshake.js';
import { dial, type DialOptions as TransportDialOptions } from '../transport/ws-dialer.js';
import { CLOSE_GOING_AWAY, CLOSE_NORMAL, CLOSE_TRY_AGAIN_LATER, closeCodeFor, closeReason, closeSocket, errorCodeForClose } from '../transport/close-codes.js';
import { HELLO_WAIT_TIMEOUT_MS } from '../transport/limits.js';

export type ConnectionDirection = 'inbound' | 'outbound';

/** Unreadable or out-of-contract messages tolerated on one session before it is closed (R006 NFR-009). */
export const MAX_BAD_MESSAGES_PER_SESSION = 5;
/** A peer that does not read: once this much is queued to it, the session ends. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Frames kept for a session whose owner has not started it yet (a node whose modules are still
 * starting); a peer that sends more meanwhile is cut off. The rate limiter's burst is 40.
 */
export const MAX_FRAMES_BEFORE_START = 256;

export interface ConnectionCloseInfo {
  /** The protocol code when the session ended on a protocol failure. */
  readonly code?: ErrorCode | undefined;
  readonly reason: string;
  /** Who ended it. */
  readonly by: 'local' | 'remote';
  /** Ended because its node was full (close code 1013, try again later): not a failure of either side. */
  readonly busy?: boolean;
}

export interface PeerConnectionEvents {
  message: [message: SessionMessage];
  /** A message that could not be used; the session goes on (until too many). */
  'bad-message': [error: ProtocolError];
  close: [info: ConnectionCloseInfo];
}

function rawBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** The JSON `error` message we send in the clear before closing a refused handshake. */
export function handshakeErrorText(error: ProtocolError): string {
  return JSON.stringify({ 'msg/kind': 'error', body: { code: error.code, class: error.errorClass, detail: error.detail.slice(0, 1024) } });
}

/** A peer's refusal during the handshake, if `text` is one. */
export function parseHandshakeError(text: string): ProtocolError | undefined {
  try {
    const value = JSON.parse(text) as { 'msg/kind'?: unknown; body?: { code?: unknown; detail?: unknown } };
    if (value?.['msg/kind'] !== 'error' || !isErrorCode(value.body?.code)) return undefined;
    const detail = typeof value.body?.detail === 'string' ? value.body.detail.slice(0, 1024) : '';
    return new ProtocolError(value.body.code, `peer refused: ${detail}`);
  } catch {
    return undefined;
  }
}

function refuseHandshake(socket: WebSocket, error: ProtocolError): void {
  if (socket.readyState === socket.OPEN) {
    socket.send(handshakeErrorText(error));
    closeSocket(socket, closeCodeFor(error.code), closeReason(`${error.code} ${error.detail}`));
  } else {
    socket.terminate();
  }
}

export class PeerConnection extends EventEmitter<PeerConnectionEvents> {
  readonly peerNodeId: string;
  readonly establishedAt: number;
  private closed = false;
  private badMessages = 0;
  /** Frames that arrive before the owner has started us (the peer may send right after the ack; a node holds them until its modules have started). */
  private pending: Array<[RawData, boolean]> | undefined = [];
  private pendingClose: ConnectionCloseInfo | undefined;
  framesIn = 0;
  framesOut = 0;
  /** Bytes of sealed session messages sent (WebSocket and TCP framing aside): the simulation's traffic figure. */
  bytesOut = 0;

  constructor(
    readonly socket: WebSocket,
    readonly session: EstablishedSession,
    readonly direction: ConnectionDirection,
    private readonly ctx: HandshakeContext,
    /** The URL we dialed, or the remote address of an inbound connection. */
    readonly address: string,
  ) {
    super();
    this.peerNodeId = session.peerNodeId;
    this.establishedAt = ctx.clock.now();
    socket.on('message', (data, isBinary) => {
      if (!this.pending) return this.onFrame(data, isBinary);
      if (this.pending.length < MAX_FRAMES_BEFORE_START) this.pending.push([data, isBinary]);
      else this.close('E_TRANSPORT_REJECTED', `more than ${MAX_FRAMES_BEFORE_START} messages before the node was ready`);
    });
    socket.on('close', (code, reason) => {
      if (this.closed) return;
      this.closed = true;
      session.channel.close();
      const text = reason.toString('utf8');
      const info: ConnectionCloseInfo = { code: errorCodeForClose(code), reason: text || `closed by peer (${code})`, by: 'remote', ...(code === CLOSE_TRY_AGAIN_LATER ? { busy: true } : {}) };
      if (this.pending) this.pendingClose = info;
      else this.emit('close', info);
    });
  }

  /** Call once the listeners are attached: delivers what arrived meanwhile, then everything live. */
  start(): void {
    const queued = this.pending;
    if (!queued) return;
    this.pending = undefined;
    const closedMeanwhile = this.pendingClose;
    this.pendingClose = undefined;
    for (const [data, isBinary] of queued) {
      // Frames sent before a close still count (a peer's last `error` message, say).
      if (this.closed && !closedMeanwhile) break;
      this.deliver(data, isBinary);
    }
    if (closedMeanwhile) this.emit('close', closedMeanwhile);
  }

  get isOpen(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  get peerCapabilities(): readonly string[] {
    return this.session.peerCapabilities;
  }

  /** Seals and sends one message; false when the session is no longer open. */
  send<K extends SessionKind>(kind: K, body: SessionBody<K>): boolean {
    if (!this.isOpen || !this.session.channel.canSeal) return false;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close('E_TRANSPORT_UNAVAILABLE', 'peer is not reading (send buffer full)');
      return false;
    }
    const frame = this.session.channel.seal(encodeSessionMessage(kind, body));
    this.socket.send(frame, { binary: true });
    this.framesOut++;
    this.bytesOut += frame.length;
    return true;
  }

  /** Ends the session: with a protocol code, the peer is told why (an `error` message, then the close code). */
  close(code?: ErrorCode, detail = ''): void {
    if (this.closed) return;
    this.closed = true;
    if (code) {
      const error = new ProtocolError(code, detail);
      this.ctx.trace?.emit('error/occurred', { peer: this.peerNodeId, detail: errorDetail(error, { 'session/id': this.session.sessionId }) });
      try {
        if (this.socket.readyState === this.socket.OPEN && this.session.channel.canSeal) {
          this.socket.send(this.session.channel.seal(encodeSessionMessage('error', errorBody(error))), { binary: true });
        }
      } catch {
        // The channel may be spent; the close code still tells the peer.
      }
      closeSocket(this.socket, closeCodeFor(code), closeReason(`${code} ${detail}`));
    } else {
      closeSocket(this.socket, CLOSE_NORMAL, closeReason(detail || 'normal'));
    }
    this.session.channel.close();
    this.emit('close', { code, reason: detail || 'closed', by: 'local' });
  }

  /** Ends the session because this node is full (close code 1013): the peer should try another node, and this one later. */
  closeBusy(detail: string): void {
    if (this.closed) return;
    this.closed = true;
    closeSocket(this.socket, CLOSE_TRY_AGAIN_LATER, closeReason(detail));
    this.session.channel.close();
    this.emit('close', { reason: detail, by: 'local', busy: true });
  }

  /** Drops the socket without a goodbye (process exit paths, tests that simulate a crash). */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.terminate();
    this.session.channel.close();
    this.emit('close', { reason: 'terminated', by: 'local' });
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (!this.closed) this.deliver(data, isBinary);
  }

  private deliver(data: RawData, isBinary: boolean): void {
    if (!isBinary) {
      this.close('E_PROTO_INVALID', 'a text message after the handshake (session messages are binary)');
      return;
    }
    this.framesIn++;
    const opened = this.session.channel.open(rawBytes(data));
    if (!opened.ok) {
      // Tampered, replayed, reordered or dropped: the counters no longer line up. Fatal.
      this.close(opened.error.code, `frame failed to decrypt: ${opened.error.detail}`);
      return;
    }
    const decoded = decodeSessionMessage(opened.value, { crypto: this.ctx.crypto, now: this.ctx.clock.now(), peerNodeId: this.session.peerNodeId });
    if (!decoded.ok) {
      this.badMessages++;
      this.emit('bad-message', decoded.error);
      if (this.badMessages >= MAX_BAD_MESSAGES_PER_SESSION) {
        this.close(decoded.error.code, `too many bad messages (${this.badMessages}); last: ${decoded.error.detail}`);
      } else if (this.isOpen) {
        this.send('error', errorBody(decoded.error));
      }
      return;
    }
    this.emit('message', decoded.value);
  }
}

export interface OutboundOptions {
  readonly url: string;
  /** The node we expect at the URL (from a seed list or an advertisement). */
  readonly expectedNodeId?: string | undefined;
  readonly intent?: SessionIntent | undefined;
  readonly terms?: DialOptions['terms'];
  readonly transport: TransportDialOptions;
  /** How long to wait for the ack; defaults to the pending-hello timeout (30 s). */
  readonly ackTimeoutMs?: number;
}

/** Dials, sends the hello and waits for the ack; rejects with a ProtocolError and closes on any failure. */
export async function openOutbound(ctx: HandshakeContext, options: OutboundOptions): Promise<PeerConnection> {
  const socket = await dial(options.url, options.transport);
  const initiator = startHandshake(ctx, { recipient: options.expectedNodeId, intent: options.intent, terms: options.terms });
  return new Promise<PeerConnection>((resolve, reject) => {
    let settled = false;
    const ackTimeoutMs = Math.min(options.ackTimeoutMs ?? Infinity, initiator.expiresAt - initiator.sentAt);
    const timer = setTimeout(() => finish(new ProtocolError('E_HS_UNKNOWN_REF', `no ack within ${ackTimeoutMs} ms`)), ackTimeoutMs);
    timer.unref();
    function finish(result: ProtocolError | PeerConnection): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      if (result instanceof ProtocolError) {
        if (socket.readyState === socket.OPEN) closeSocket(socket, closeCodeFor(result.code), closeReason(`${result.code} ${result.detail}`));
        else socket.terminate();
        reject(result);
      } else {
        resolve(result);
      }
    }
    function onMessage(data: RawData, isBinary: boolean): void {
      if (isBinary) return finish(new ProtocolError('E_PROTO_INVALID', 'a binary message before the ack'));
      const text = rawBytes(data);
      const refusal = parseHandshakeError(Buffer.from(text).toString('utf8'));
      if (refusal) {
        ctx.trace?.emit('handshake/rejected', { peer: options.expectedNodeId, detail: errorDetail(refusal, { by: 'peer' }) });
        return finish(refusal);
      }
      const accepted = initiator.acceptAck(Buffer.from(text).toString('utf8'));
      if (!accepted.ok) {
        if (socket.readyState === socket.OPEN) socket.send(handshakeErrorText(accepted.error));
        return finish(accepted.error);
      }
      const connection = new PeerConnection(socket, accepted.value, 'outbound', ctx, options.url);
      finish(connection);
    }
    function onClose(code: number, reason: Buffer): void {
      const byCode = errorCodeForClose(code);
      finish(new ProtocolError(byCode ?? 'E_TRANSPORT_REJECTED', `peer closed during the handshake (${code} ${reason.toString('utf8')})`));
    }
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.send(initiator.helloText);
  });
}

export interface InboundOptions {
  readonly remoteAddress: string;
  readonly intent?: SessionIntent | undefined;
  readonly helloTimeoutMs?: number;
}

/** Waits for the hello, answers with the ack; on failure sends the coded refusal and closes. */
export function acceptInbound(ctx: HandshakeContext, socket: WebSocket, options: InboundOptions): Promise<PeerConnection> {
  return new Promise<PeerConnection>((resolve, reject) => {
    let settled = false;
    const timeoutMs = options.helloTimeoutMs ?? HELLO_WAIT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.off('message', onMessage);
      closeSocket(socket, CLOSE_GOING_AWAY, 'no hello');
      reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `no hello within ${timeoutMs} ms from ${options.remoteAddress}`));
    }, timeoutMs);
    timer.unref();
    function onMessage(data: RawData, isBinary: boolean): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      if (isBinary) {
        const error = new ProtocolError('E_PROTO_INVALID', 'the first message must be a JSON hello');
        ctx.trace?.emit('handshake/rejected', { detail: errorDetail(error, { mode: 'hello' }) });
        refuseHandshake(socket, error);
        return reject(error);
      }
      const answered = answerHello(ctx, Buffer.from(rawBytes(data)).toString('utf8'), { intent: options.intent });
      if (!answered.ok) {
        refuseHandshake(socket, answered.error);
        return reject(answered.error);
      }
      socket.send(answered.value.ackText);
      resolve(new PeerConnection(socket, answered.value.session, 'inbound', ctx, options.remoteAddress));
    }
    function onClose(): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${options.remoteAddress} closed before its hello`));
    }
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}

export { errorClassOf };
