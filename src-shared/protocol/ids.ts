// ULID-style identifiers (48-bit time + 80-bit randomness, Crockford base32), as the spec's
// examples use them: `hs:01JQNODEHS001`-like values with a kind prefix.
import { randomBytes } from './encoding/bytes.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_TIME_CHARS = 10;
const ULID_RANDOM_BYTES = 10;

export function ulid(nowMs: number = Date.now()): string {
  let time = '';
  let t = Math.floor(nowMs);
  for (let i = 0; i < ULID_TIME_CHARS; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(ULID_RANDOM_BYTES);
  let bits = 0;
  let value = 0;
  let tail = '';
  for (const byte of random) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      tail += CROCKFORD[(value >> (bits - 5)) & 31]!;
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return time + tail;
}

/** `adv:01J…`, `hs:01J…`, `nonce:01J…`, `msg:01J…`, … */
export function newId(kind: string, nowMs?: number): string {
  return `${kind}:${ulid(nowMs)}`;
}
