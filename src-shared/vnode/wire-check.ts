// Small strict readers for the workload protocol's JSON-subset bodies: closed objects, integers
// in range, bounded strings, canonical base64url. Failures throw ProtocolError E_PROTO_INVALID
// naming the field; the public decoders turn them into Result values.
import { ProtocolError } from '../protocol/errors.js';
import { fromBase64url } from '../protocol/encoding/base64url.js';

export type Fields = Readonly<Record<string, unknown>>;

export function invalid(what: string, detail: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `${what}: ${detail}`);
}

/** A plain object with exactly the allowed keys (the required ones present). */
export function closedObject(value: unknown, what: string, required: readonly string[], optional: readonly string[] = []): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) throw invalid(what, 'must be an object');
  const fields = value as Fields;
  for (const key of required) if (!(key in fields)) throw invalid(what, `is missing "${key}"`);
  for (const key of Object.keys(fields)) if (!required.includes(key) && !optional.includes(key)) throw invalid(what, `has an unknown field "${key}"`);
  return fields;
}

export function integerIn(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw invalid(what, `must be an integer from ${min} to ${max}`);
  return value;
}

const ID_PATTERN = /^[\x21-\x7e]+$/;

/** Printable ASCII without spaces, 1–max characters. */
export function idText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !ID_PATTERN.test(value)) throw invalid(what, `must be 1–${max} printable ASCII characters`);
  return value;
}

/** Canonical unpadded base64url decoding to at most `maxBytes`. */
export function base64urlBytes(value: unknown, what: string, maxBytes: number): Uint8Array {
  if (typeof value !== 'string') throw invalid(what, 'must be base64url text');
  if (value.length > Math.ceil((maxBytes * 4) / 3)) throw invalid(what, `is over ${maxBytes} bytes`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(value);
  } catch (error) {
    throw invalid(what, error instanceof ProtocolError ? error.detail : 'is not base64url');
  }
  if (bytes.length > maxBytes) throw invalid(what, `is over ${maxBytes} bytes`);
  return bytes;
}

/** An array of at most `max` entries. */
export function boundedArray(value: unknown, what: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(what, 'must be an array');
  if (value.length > max) throw invalid(what, `has more than ${max} entries`);
  return value as readonly unknown[];
}
