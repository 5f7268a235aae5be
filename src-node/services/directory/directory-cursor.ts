// Feed cursors of the seed directory (`GET /adv?since=<cursor>`). The spec digest (§e) fixes only
// that cursors are opaque strings in the `cur:…` style; ours are
//
//   cur:<epoch: 10 Crockford base32 chars><position: 10 Crockford base32 chars>
//
// The position is the store position of the last item the client has seen (every PUT takes a new,
// monotonic position). The epoch names the store's log: a directory whose data was wiped gets a
// new epoch, so an old cursor is refused (400) instead of silently skipping the new rows.
import { randomBytes } from 'node:crypto';

export const CURSOR_PREFIX = 'cur:';
/** Crockford base32 (no I, L, O, U), as in ULIDs. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const EPOCH_CHARS = 10;
export const POSITION_CHARS = 10;
/** 10 base32 characters hold 50 bits. */
export const MAX_POSITION = 2 ** (5 * POSITION_CHARS) - 1;
const CURSOR_PATTERN = new RegExp(`^${CURSOR_PREFIX}[${ALPHABET}]{${EPOCH_CHARS + POSITION_CHARS}}$`);
const EPOCH_PATTERN = new RegExp(`^[${ALPHABET}]{${EPOCH_CHARS}}$`);

function encodeBase32(value: number, chars: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function decodeBase32(text: string): number {
  let value = 0;
  for (const char of text) value = value * 32 + ALPHABET.indexOf(char);
  return value;
}

/** A fresh random epoch for a new log. */
export function newEpoch(): string {
  const bytes = randomBytes(EPOCH_CHARS);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}

export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_PATTERN.test(value);
}

export function encodeCursor(epoch: string, position: number): string {
  if (!Number.isSafeInteger(position) || position < 0 || position > MAX_POSITION) throw new RangeError(`cursor position out of range: ${position}`);
  return `${CURSOR_PREFIX}${epoch}${encodeBase32(position, POSITION_CHARS)}`;
}

/** The cursor's epoch and position, or undefined when it is not a cursor at all. */
export function decodeCursor(text: string): { epoch: string; position: number } | undefined {
  if (!CURSOR_PATTERN.test(text)) return undefined;
  const body = text.slice(CURSOR_PREFIX.length);
  return { epoch: body.slice(0, EPOCH_CHARS), position: decodeBase32(body.slice(EPOCH_CHARS)) };
}
