// Canonical JSON (keys sorted by UTF-16 code units, no whitespace, arrays in order), the form
// capability passports are signed in (spec digest §b.4). Numbers must be safe integers.
import { ProtocolError } from './errors.js';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new ProtocolError('E_PROTO_INVALID', 'canonical JSON allows only safe integers');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  throw new ProtocolError('E_PROTO_INVALID', `canonical JSON cannot hold a ${typeof value}`);
}
