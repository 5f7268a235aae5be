// WebSocket close codes for protocol rejections: 4001…4011 follow the order of the eleven codes,
// so a peer (or a packet capture) sees why without a readable error message.
import type { WebSocket } from 'ws';
import { ERROR_CODES, type ErrorCode } from '../../../src-shared/protocol/errors.js';
import { CLOSE_HANDSHAKE_TIMEOUT_MS } from './limits.js';

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
/** RFC 6455 1013: the server is busy (too many sessions); try again later. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
const PROTOCOL_CLOSE_BASE = 4001;
/** ws limits the close reason to 123 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123;

export function closeCodeFor(code: ErrorCode): number {
  return PROTOCOL_CLOSE_BASE + ERROR_CODES.indexOf(code);
}

export function errorCodeForClose(closeCode: number): ErrorCode | undefined {
  return ERROR_CODES[closeCode - PROTOCOL_CLOSE_BASE];
}

export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return text;
  return bytes.subarray(0, MAX_CLOSE_REASON_BYTES - 3).toString('utf8').replace(/\uFFFD$/, '') + '...';
}

/**
 * Closes `socket` with a close frame, and drops the TCP connection if the peer has not answered it
 * within `timeoutMs` (CLOSE_HANDSHAKE_TIMEOUT_MS): a peer we give up on for stalling would hold
 * the connection for ws's own 30 s otherwise.
 */
export function closeSocket(socket: WebSocket, code: number, reason: string, timeoutMs = CLOSE_HANDSHAKE_TIMEOUT_MS): void {
  socket.close(code, reason);
  if (socket.readyState === socket.CLOSED) return;
  const timer = setTimeout(() => socket.terminate(), timeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
