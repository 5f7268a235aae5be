// Bodies of the core session messages of our profile that the spec leaves unshaped (digest §f, §10.7):
// ping, pong and error. Bodies are closed objects: an unknown field is a contract violation.
import { ERROR_CLASSES, ERROR_CODES, type ErrorClass, type ErrorCode, type ProtocolError } from '../errors.js';
import { newId } from '../ids.js';
import { formatTimestamp } from '../time.js';
import { bodyError } from './body-codec.js';

/** Longest `nonce` a ping or pong may carry. */
export const MAX_PING_NONCE_LENGTH = 128;
/** Longest `detail` an error message may carry (characters); `errorBody` truncates to it. */
export const MAX_ERROR_DETAIL_LENGTH = 1024;

/** `ping` and `pong`: a pong echoes the nonce of the ping it answers; `ts` is the sender's time. */
export interface PingBody {
  readonly nonce: string;
  readonly ts: string;
}
export type PongBody = PingBody;

/** `error`: one of the eleven codes, its class, a human detail, and the request it answers if any. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly class: ErrorClass;
  readonly detail: string;
  readonly 're/id'?: string;
}

export const PING_BODY_SCHEMA = {
  type: 'object',
  required: ['nonce', 'ts'],
  properties: {
    nonce: { type: 'string', minLength: 1, maxLength: MAX_PING_NONCE_LENGTH },
    ts: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['code', 'class', 'detail'],
  properties: {
    code: { enum: [...ERROR_CODES] },
    class: { enum: Object.values(ERROR_CLASSES) },
    detail: { type: 'string', maxLength: MAX_ERROR_DETAIL_LENGTH },
    're/id': { type: 'string', minLength: 1, maxLength: 64 },
  },
  additionalProperties: false,
} as const;

/** The class must be the code's own class (digest §h). */
export function checkErrorBody(body: ErrorBody): void {
  if (ERROR_CLASSES[body.code] !== body.class) {
    throw bodyError('error', ['class'], `must be ${JSON.stringify(ERROR_CLASSES[body.code])} for code ${body.code}`);
  }
}

export function makePing(nowMs: number): PingBody {
  return { nonce: newId('nonce', nowMs), ts: formatTimestamp(nowMs) };
}

export function makePong(ping: PingBody, nowMs: number): PongBody {
  return { nonce: ping.nonce, ts: formatTimestamp(nowMs) };
}

/** True when `pong` answers `ping`. */
export function isPongFor(ping: PingBody, pong: PongBody): boolean {
  return pong.nonce === ping.nonce;
}

/** The `error` body that reports a ProtocolError to the peer. */
export function errorBody(error: ProtocolError, replyTo?: string): ErrorBody {
  const detail = [...error.detail].slice(0, MAX_ERROR_DETAIL_LENGTH).join('');
  return { code: error.code, class: error.errorClass, detail, ...(replyTo !== undefined ? { 're/id': replyTo } : {}) };
}
