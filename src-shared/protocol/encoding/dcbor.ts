// Deterministic CBOR (RFC 8949 §4.2.1 core deterministic encoding) for the JSON subset we sign,
// plus byte strings for session payloads. cbor-x does the byte writing; it never sorts keys and
// writes integers >= 2^32 as floats, so `toEncodable` sorts every map by encoded key bytes (via Map)
// and turns large integers into BigInt, which cbor-x writes in the correct 8-byte form.
import { Encoder } from 'cbor-x';
import { Tokenizer, Type, type Token, decode as cborgDecode } from 'cborg';
import { ProtocolError } from '../errors.js';
import { bytesEqual, compareBytes, isWellFormedText, utf8 } from './bytes.js';

export type CborValue = null | boolean | number | string | Uint8Array | readonly CborValue[] | CborObject;
export interface CborObject {
  readonly [key: string]: CborValue;
}

/** Deepest nesting accepted in either direction; artifacts nest 4 levels, messages a few more. */
export const DCBOR_MAX_DEPTH = 32;

const UINT32_LIMIT = 2 ** 32;

// `useTag259ForMaps` is honoured by cbor-x but missing from its typings.
const ENCODER_OPTIONS = {
  useRecords: false,
  variableMapSize: true,
  useTag259ForMaps: false,
  tagUint8Array: false,
  // Never let cbor-x pick a compact non-integer form for us: floats are rejected before encoding.
  useFloat32: 0,
};
const encoder = new Encoder(ENCODER_OPTIONS as ConstructorParameters<typeof Encoder>[0]);

type Encodable = null | boolean | number | bigint | string | Uint8Array | Encodable[] | Map<string, Encodable>;

function describePath(path: readonly (string | number)[]): string {
  let out = '$';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  return out;
}

function invalid(path: readonly (string | number)[], what: string): ProtocolError {
  return new ProtocolError('E_PROTO_INVALID', `${what} at ${describePath(path)}`);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

interface SortableKey {
  key: string;
  bytes: Uint8Array;
}

/** Encoded-key order for text keys: shorter UTF-8 first (the head grows with length), then bytewise. */
function compareKeys(a: SortableKey, b: SortableKey): number {
  return a.bytes.length - b.bytes.length || compareBytes(a.bytes, b.bytes);
}

function toEncodable(value: unknown, path: (string | number)[], depth: number): Encodable {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'string':
      if (!isWellFormedText(value)) throw invalid(path, 'text with a lone surrogate');
      return value;
    case 'number':
      if (!Number.isInteger(value)) throw invalid(path, 'a float (floats are not allowed in deterministic payloads)');
      if (!Number.isSafeInteger(value)) throw invalid(path, 'an integer outside the safe range');
      if (Object.is(value, -0)) return 0;
      return value >= UINT32_LIMIT || value < -UINT32_LIMIT ? BigInt(value) : value;
    case 'object':
      break;
    default:
      throw invalid(path, `a value of type ${typeof value}`);
  }
  if (depth >= DCBOR_MAX_DEPTH) throw invalid(path, `nesting deeper than ${DCBOR_MAX_DEPTH}`);
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    const out: Encodable[] = new Array<Encodable>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw invalid([...path, i], 'an array hole');
      path.push(i);
      out[i] = toEncodable(value[i], path, depth + 1);
      path.pop();
    }
    return out;
  }
  if (!isPlainObject(value)) throw invalid(path, 'a non-plain object');
  const keys = Object.keys(value);
  if (Object.getOwnPropertySymbols(value).length > 0) throw invalid(path, 'a symbol-keyed property');
  const sortable: SortableKey[] = keys.map((key) => {
    if (!isWellFormedText(key)) throw invalid(path, 'a key with a lone surrogate');
    return { key, bytes: utf8(key) };
  });
  sortable.sort(compareKeys);
  const map = new Map<string, Encodable>();
  for (const { key } of sortable) {
    const entry = value[key];
    if (entry === undefined) throw invalid([...path, key], 'an undefined value');
    path.push(key);
    map.set(key, toEncodable(entry, path, depth + 1));
    path.pop();
  }
  return map;
}

/** Deterministic CBOR bytes of a JSON-like value; throws E_PROTO_INVALID naming the offending path. */
export function encodeDeterministic(value: unknown): Uint8Array {
  const encodable = toEncodable(value, [], 0);
  const out = encoder.encode(encodable) as Uint8Array;
  // cbor-x reuses its buffer between calls: hand out a private copy.
  return new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

const DECODE_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: true,
  rejectDuplicateMapKeys: true,
  useMaps: false,
  tags: [],
} as const;

const TEXT_DECODER = new TextDecoder('utf-8');

/** `text` decoded with every leading UTF-8 byte order mark kept as U+FEFF (a TextDecoder drops the first). */
function decodeKeepingBom(text: Uint8Array): string {
  let at = 0;
  while (text[at] === 0xef && text[at + 1] === 0xbb && text[at + 2] === 0xbf) at += 3;
  return '\uFEFF'.repeat(at / 3) + TEXT_DECODER.decode(text.subarray(at));
}

/**
 * cborg's tokenizer, except that a text string starting with the UTF-8 byte order mark keeps it:
 * cborg decodes text with a TextDecoder, which drops a leading U+FEFF, so such text decoded to
 * other text and its deterministic encoding (which we write and sign) was refused as "not in
 * deterministic form".
 */
class TextPreservingTokenizer extends Tokenizer {
  override next(): Token {
    const start = this.pos();
    const token = super.next();
    if (token.type === Type.string && token.encodedLength !== undefined) {
      const minor = this.data[start]! & 31;
      const head = minor < 24 ? 1 : 1 + 2 ** (minor - 24);
      const text = this.data.subarray(start + head, start + token.encodedLength);
      if (text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf) token.value = decodeKeepingBom(text);
    }
    return token;
  }
}

function fromDecoded(value: unknown, path: (string | number)[]): CborValue {
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw invalid(path, 'an integer outside the safe range');
    }
    return Number(value);
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value as CborValue;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      value[i] = fromDecoded(value[i], path);
      path.pop();
    }
    return value as CborValue[];
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    path.push(key);
    record[key] = fromDecoded(record[key], path);
    path.pop();
  }
  return record as CborObject;
}

/**
 * Strict decode: one well-formed item, no tags, no indefinite lengths, no duplicate keys, no floats,
 * and the bytes must be exactly the deterministic encoding of the result (so a value has one form).
 */
export function decodeDeterministic(bytes: Uint8Array): CborValue {
  let decoded: unknown;
  try {
    decoded = cborgDecode(bytes, { ...DECODE_OPTIONS, tokenizer: new TextPreservingTokenizer(bytes, DECODE_OPTIONS) });
  } catch (error) {
    const reason = error instanceof RangeError ? 'nesting too deep' : error instanceof Error ? error.message : 'unknown';
    throw new ProtocolError('E_PROTO_INVALID', `malformed CBOR (${reason})`);
  }
  const value = fromDecoded(decoded, []);
  const again = encodeDeterministic(value);
  if (!bytesEqual(again, bytes)) throw new ProtocolError('E_PROTO_INVALID', 'CBOR is not in deterministic form');
  return value;
}
