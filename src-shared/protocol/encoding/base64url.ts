import { ProtocolError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** RFC 4648 §5 base64url without padding. */
export function toBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Strict decoder: unpadded base64url only, and the unused low bits of the last character must be
 * zero, so every byte string has exactly one accepted text form.
 */
export function fromBase64url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new ProtocolError('E_PROTO_INVALID', 'base64url text has an impossible length');
  const values = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? LOOKUP[code]! : -1;
    if (value < 0) throw new ProtocolError('E_PROTO_INVALID', 'base64url text has a character outside the alphabet');
    values[i] = value;
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < text.length; i += 4) {
    const n = (values[i]! << 18) | (values[i + 1]! << 12) | (values[i + 2]! << 6) | values[i + 3]!;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = text.length - i;
  if (rest === 2) {
    if ((values[i + 1]! & 15) !== 0) throw new ProtocolError('E_PROTO_INVALID', 'base64url text is not canonical');
    out[o] = (values[i]! << 2) | (values[i + 1]! >> 4);
  } else if (rest === 3) {
    if ((values[i + 2]! & 3) !== 0) throw new ProtocolError('E_PROTO_INVALID', 'base64url text is not canonical');
    const n = (values[i]! << 10) | (values[i + 1]! << 4) | (values[i + 2]! >> 2);
    out[o] = n >> 8;
    out[o + 1] = n & 255;
  }
  return out;
}
