import { ProtocolError } from '../errors.js';

const HEX_DIGITS = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
  return out;
}

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})*$/;

/** Strict: an even number of hex digits, nothing else. */
export function fromHex(text: string): Uint8Array {
  if (!HEX_PATTERN.test(text)) throw new ProtocolError('E_PROTO_INVALID', 'not an even-length hex string');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
