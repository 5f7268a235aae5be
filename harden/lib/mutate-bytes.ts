// Byte-level mutation of real captures: bit flips, byte insertion and deletion, truncation,
// splicing with another capture, repeated chunks, and bytes chosen to upset the formats we parse
// (CBOR heads with huge lengths, indefinite lengths, float and tag heads; JSON punctuation; broken
// UTF-8). Mutations stack: one input may get several.
import type { Rng } from './random.js';

/** Bytes that sit on format boundaries: CBOR major types and their length codes, JSON punctuation, UTF-8 lead bytes. */
export const INTERESTING_BYTES: readonly number[] = [
  0x00, 0x01, 0x0a, 0x0d, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x22, 0x2c, 0x2d, 0x30, 0x3a, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5f, 0x60, 0x7b, 0x7d,
  0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xd8, 0xe0, 0xed, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfe, 0xff,
];

/** Short sequences that break decoders: huge CBOR lengths, indefinite items, bad UTF-8, JSON tokens. */
export const INTERESTING_CHUNKS: readonly Uint8Array[] = [
  Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // byte string of 2^64-1 bytes
  Uint8Array.of(0x7a, 0x7f, 0xff, 0xff, 0xff), // text of 2^31-1 bytes
  Uint8Array.of(0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00), // array of 2^32 items
  Uint8Array.of(0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // map of 2^63-1 pairs
  Uint8Array.of(0x9f, 0x01, 0xff), // indefinite array
  Uint8Array.of(0xbf, 0x61, 0x61, 0x01, 0xff), // indefinite map
  Uint8Array.of(0xfb, 0x7f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), // NaN
  Uint8Array.of(0xf9, 0x7c, 0x00), // half-precision infinity
  Uint8Array.of(0xc2, 0x49, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00), // bignum tag
  Uint8Array.of(0xd8, 0x18, 0x41, 0x00), // tag 24, embedded CBOR
  Uint8Array.of(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // uint 2^64-1
  Uint8Array.of(0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // nint -2^63
  Uint8Array.of(0xf7), // undefined
  Uint8Array.of(0x18, 0x05), // non-shortest uint
  Uint8Array.of(0xc0, 0xe0, 0x80), // overlong and stray continuation bytes (UTF-8)
  Uint8Array.of(0xed, 0xa0, 0x80), // an encoded surrogate (UTF-8)
  Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF (UTF-8)
  Uint8Array.of(0xef, 0xbb, 0xbf), // BOM
  new TextEncoder().encode('\\u0000'),
  new TextEncoder().encode('\\ud800'),
  new TextEncoder().encode('"__proto__":{"x":1},'),
  new TextEncoder().encode('1e400'),
  new TextEncoder().encode('-0'),
  new TextEncoder().encode('9007199254740993'),
  new TextEncoder().encode('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['),
  new TextEncoder().encode('}}}]]]'),
  new TextEncoder().encode('%00%ff%c0%af%'),
];

/** The longest run a repetition makes (the result is capped again by mutateBytes' maxBytes). */
const MAX_REPEATED_BYTES = 300_000;

export type ByteMutator = (rng: Rng, input: Uint8Array, pool: readonly Uint8Array[]) => Uint8Array;

function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function position(rng: Rng, input: Uint8Array, inclusiveEnd = true): number {
  return rng.int(input.length + (inclusiveEnd ? 1 : 0));
}

/** A short span length, biased towards 1. */
function span(rng: Rng, max: number): number {
  if (max <= 0) return 0;
  return Math.min(max, rng.weighted([
    [6, 1],
    [3, rng.range(2, 8)],
    [1, rng.range(9, 256)],
  ]));
}

export const BYTE_MUTATORS: Readonly<Record<string, ByteMutator>> = {
  'flip-bit': (rng, input) => {
    if (input.length === 0) return Uint8Array.of(rng.int(256));
    const out = input.slice();
    const at = rng.int(out.length);
    out[at] = out[at]! ^ (1 << rng.int(8));
    return out;
  },
  'set-byte': (rng, input) => {
    if (input.length === 0) return Uint8Array.of(rng.pick(INTERESTING_BYTES));
    const out = input.slice();
    out[rng.int(out.length)] = rng.chance(0.6) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
    return out;
  },
  'nudge-byte': (rng, input) => {
    if (input.length === 0) return Uint8Array.of(1);
    const out = input.slice();
    const at = rng.int(out.length);
    out[at] = (out[at]! + rng.pick([1, -1, 2, -2, 16, -16, 32, -32])) & 0xff;
    return out;
  },
  insert: (rng, input) => {
    const at = position(rng, input);
    const fill = rng.chance(0.5) ? Uint8Array.of(rng.pick(INTERESTING_BYTES)) : rng.bytes(span(rng, 16));
    return concat(input.subarray(0, at), fill, input.subarray(at));
  },
  'insert-chunk': (rng, input) => {
    const at = position(rng, input);
    return concat(input.subarray(0, at), rng.pick(INTERESTING_CHUNKS), input.subarray(at));
  },
  delete: (rng, input) => {
    if (input.length === 0) return input;
    const at = position(rng, input, false);
    const n = span(rng, input.length - at);
    return concat(input.subarray(0, at), input.subarray(at + n));
  },
  truncate: (rng, input) => input.slice(0, position(rng, input, false)),
  'cut-head': (rng, input) => input.slice(1 + rng.int(Math.max(1, Math.min(input.length, 16)))),
  duplicate: (rng, input) => {
    if (input.length === 0) return input;
    const at = position(rng, input, false);
    const n = span(rng, input.length - at);
    return concat(input.subarray(0, at + n), input.subarray(at, at + n), input.subarray(at + n));
  },
  repeat: (rng, input) => {
    if (input.length === 0) return input;
    const at = position(rng, input, false);
    const n = Math.max(1, span(rng, Math.min(64, input.length - at)));
    const times = Math.min(rng.pick([2, 3, 16, 100, 1000]), Math.max(1, Math.floor(MAX_REPEATED_BYTES / n)));
    const chunk = input.subarray(at, at + n);
    return concat(input.subarray(0, at), ...Array.from({ length: times }, () => chunk), input.subarray(at));
  },
  splice: (rng, input, pool) => {
    const other = pool.length > 0 ? rng.pick(pool) : input;
    return concat(input.subarray(0, position(rng, input)), other.subarray(position(rng, other)));
  },
  overwrite: (rng, input, pool) => {
    if (input.length === 0) return input;
    const other = pool.length > 0 ? rng.pick(pool) : input;
    if (other.length === 0) return input;
    const out = input.slice();
    const from = rng.int(other.length);
    const to = rng.int(out.length);
    const n = Math.min(span(rng, 32), other.length - from, out.length - to);
    out.set(other.subarray(from, from + n), to);
    return out;
  },
  swap: (rng, input) => {
    if (input.length < 2) return input;
    const out = input.slice();
    const a = rng.int(out.length);
    const b = rng.int(out.length);
    [out[a], out[b]] = [out[b]!, out[a]!];
    return out;
  },
  deep: (rng, input) => {
    // Deep nesting: CBOR arrays or maps of one, or JSON brackets, thousands of levels down.
    const at = position(rng, input);
    const unit = rng.pick([0x81, 0xa1, 0x5b, 0x7b]);
    const depth = rng.pick([33, 100, 1_000, 10_000, 60_000]);
    return concat(input.subarray(0, at), new Uint8Array(depth).fill(unit), input.subarray(at));
  },
  append: (rng, input) => concat(input, rng.chance(0.5) ? rng.pick(INTERESTING_CHUNKS) : rng.bytes(span(rng, 32))),
  'random-tail': (rng, input) => concat(input.subarray(0, position(rng, input)), rng.bytes(rng.range(1, 64))),
};

const MUTATOR_NAMES = Object.keys(BYTE_MUTATORS);

/** 1–4 stacked byte mutations of `input` (1 most often); the result is capped at `maxBytes`. */
export function mutateBytes(rng: Rng, input: Uint8Array, pool: readonly Uint8Array[] = [], maxBytes = 1 << 20): Uint8Array {
  let out = input;
  const rounds = rng.weighted([
    [8, 1],
    [4, 2],
    [2, 3],
    [1, 4],
  ]);
  for (let i = 0; i < rounds; i++) {
    out = BYTE_MUTATORS[rng.pick(MUTATOR_NAMES)]!(rng, out, pool);
    if (out.length > maxBytes) out = out.slice(0, maxBytes);
  }
  return out;
}
