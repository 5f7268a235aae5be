import { ProtocolError } from '../errors.js';

/** Bitcoin base58 alphabet, as multibase `z` (base58btc) uses it. */
export const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE58_ALPHABET.length; i++) LOOKUP[BASE58_ALPHABET.charCodeAt(i)] = i;

/** Longest text we will decode: did:key fingerprints are 48 characters; this bounds the quadratic loop. */
export const BASE58_MAX_DECODE_LENGTH = 256;

export function toBase58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! << 8;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += BASE58_ALPHABET[digits[i]!]!;
  return out;
}

export function fromBase58(text: string): Uint8Array {
  if (text.length > BASE58_MAX_DECODE_LENGTH) throw new ProtocolError('E_PROTO_INVALID', 'base58 text is too long');
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const bytes: number[] = [];
  for (let i = zeros; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let carry = code < 128 ? LOOKUP[code]! : -1;
    if (carry < 0) throw new ProtocolError('E_PROTO_INVALID', 'base58 text has a character outside the alphabet');
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j]! * 58;
      bytes[j] = carry & 255;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 255);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i]!;
  return out;
}
