// WebSocket close codes for protocol rejections: 4001…4011 follow the order of the eleven codes,
// so a peer (or a packet capture) sees why without a readable error message.
import { ERROR_CODES, type ErrorCode } from '../../src-shared/protocol/errors.js';

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
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
