// Structural mutation of real captures, at the level of the decoded JSON value: key renames,
// deleted and added keys, type swaps, boundary numbers, unicode edge cases, long strings, deep
// nesting, grown and shrunk arrays, and subtrees spliced in from other captures. The values stay
// in the space a peer can actually send (what JSON.parse or the CBOR decoder can produce), with
// one extension for CBOR paths: byte strings.
import type { Rng } from './random.js';

export type JsonLike = null | boolean | number | string | Uint8Array | JsonLike[] | { [key: string]: JsonLike };

/** Numbers on the edges our decoders care about (safe-integer range, 2^32 for CBOR, -0, floats). */
export const BOUNDARY_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 2, 7, 8, 31, 32, 33, 63, 64, 65, 100, 127, 128, 255, 256, 1000, 1001, 1023, 1024, 1025, 4095, 4096, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1,
  2 ** 32, 2 ** 32 + 1, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) + 1, -(2 ** 53), 2 ** 64, 1e21, 1e308, -1e308, 5e-324, 0.5, -0.5, 1.5, 3.14159,
  Number.MAX_VALUE,
];

/** Text that upsets unicode handling: lone surrogates, BOM, NUL, bidi overrides, combining marks, astral code points. */
export const UNICODE_EDGES: readonly string[] = [
  '\uD800',
  '\uDC00',
  '\uDBFF\uDFFF',
  '\uFFFD',
  '\uFEFF',
  '\uFFFF',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200B',
  '\u200D',
  '\u202E',
  '\u2028',
  '\u2029',
  'e\u0301',
  '\u0130',
  '\u00df',
  '\u{1F600}',
  '\u{10FFFF}',
  '\u{1D4B3}',
  '%',
  '%zz',
  '%00',
  '%2F',
  '\\',
  '"',
  '/',
  '~1',
  '..',
  '../..',
  '\n',
  '\r\n',
  ' ',
];

/** Keys an attacker might try: prototype names, separators, lookalikes, empty and very long. */
export const WEIRD_KEYS: readonly string[] = ['', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '/', '~', 'a/b', '\u0000', '\uD800', '\u200B', ' ', 'k'.repeat(4096)];

/** Strings that look almost right: times, ids, URLs, hashes and encodings one step off. */
export const NEAR_MISS_STRINGS: readonly string[] = [
  '',
  '2026-11-21T12:00:00Z',
  '2026-11-21T12:00:00.000Z',
  '2026-11-21T12:00:00+01:00',
  '2026-02-30T25:61:61Z',
  '2026-11-21 12:00:00',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  'node:did:key:z',
  'node:did:key:z6Mk',
  'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  'node:did:key:z11111111111111111111111111111111111111111111',
  'participant:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
  'wss://example.com:7443/peer',
  'ws://127.0.0.1:1/peer',
  'wss://user:pass@example.com/peer',
  'wss://example.com/peer?x=1#f',
  'http://[::1]:80/',
  'https://example.com/adv',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'sha256:' + '0'.repeat(64),
  'sha256:' + 'A'.repeat(64),
  'AAAA',
  'AA==',
  'A',
  '_-_-',
  'ed25519',
  'ED25519',
  'pnode/1',
  'pnode/2',
  'wss',
  'core/messaging',
  'true',
  'null',
  '0',
  '-1',
  'NaN',
];

function typeOf(value: unknown): 'null' | 'boolean' | 'number' | 'string' | 'bytes' | 'array' | 'object' {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'boolean' | 'number' | 'string' | 'object';
}

/** Deepest value the mutations build (JSON.stringify gives up near 10,000 levels; decoders stop far earlier). */
export const MAX_MUTATION_DEPTH = 2_000;
/** Most nodes one growth adds, and the longest text a repetition makes: far past every limit, yet no input costs the harness gigabytes. */
export const MAX_GROWTH_NODES = 20_000;
export const MAX_REPEATED_TEXT = 300_000;

/** Nodes of a value (containers and leaves), counted up to `cap`. */
export function nodeCount(value: unknown, cap = MAX_GROWTH_NODES + 1): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count < cap) {
    const item = stack.pop();
    count++;
    if (typeof item === 'object' && item !== null && !(item instanceof Uint8Array)) for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push(child);
  }
  return count;
}

function isContainer(value: unknown): value is JsonLike[] | Record<string, JsonLike> {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array);
}

function copyLeaf(value: unknown): unknown {
  return value instanceof Uint8Array ? value.slice() : value;
}

/** A deep copy (byte strings copied too); iterative, so any depth is fine. */
export function cloneJson<T>(value: T): T {
  if (!isContainer(value)) return copyLeaf(value) as T;
  const empty = (v: JsonLike[] | Record<string, JsonLike>): JsonLike[] | Record<string, JsonLike> => (Array.isArray(v) ? new Array<JsonLike>(v.length) : {});
  const root = empty(value);
  const stack: Array<[JsonLike[] | Record<string, JsonLike>, JsonLike[] | Record<string, JsonLike>]> = [[value, root]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    const keys = Array.isArray(from) ? from.map((_, i) => i) : Object.keys(from);
    for (const key of keys) {
      const item = (from as Record<string | number, JsonLike>)[key];
      let copy: JsonLike;
      if (isContainer(item)) {
        copy = empty(item);
        stack.push([item, copy]);
      } else {
        copy = copyLeaf(item) as JsonLike;
      }
      if (Array.isArray(to)) to[key as number] = copy;
      else setOwn(to, key as string, copy);
    }
  }
  return root as T;
}

/**
 * JSON text of a value, like JSON.stringify but iterative, so any depth works (JSON.stringify
 * throws RangeError a few thousand levels down). Byte strings become arrays of numbers.
 */
export function toJsonText(value: unknown): string {
  const out: string[] = [];
  type Frame = { readonly close: string; readonly items: Array<[string | null, unknown]>; index: number };
  const open = (item: unknown): Frame | null => {
    if (item instanceof Uint8Array) {
      out.push(JSON.stringify(Array.from(item)));
      return null;
    }
    if (Array.isArray(item)) {
      out.push('[');
      return { close: ']', items: item.map((v) => [null, v]), index: 0 };
    }
    if (typeof item === 'object' && item !== null) {
      out.push('{');
      return { close: '}', items: Object.keys(item).map((k) => [k, (item as Record<string, unknown>)[k]]), index: 0 };
    }
    out.push(item === undefined || (typeof item === 'number' && !Number.isFinite(item)) ? 'null' : JSON.stringify(item));
    return null;
  };
  const stack: Frame[] = [];
  const first = open(value);
  if (first) stack.push(first);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index >= frame.items.length) {
      out.push(frame.close);
      stack.pop();
      continue;
    }
    const [key, item] = frame.items[frame.index]!;
    if (frame.index > 0) out.push(',');
    frame.index++;
    if (key !== null) out.push(`${JSON.stringify(key)}:`);
    const child = open(item);
    if (child) stack.push(child);
  }
  return out.join('');
}

/** Nesting depth of a value, counted up to `cap`. */
export function depthOf(value: unknown, cap = MAX_MUTATION_DEPTH + 1): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (deepest >= cap) return deepest;
    if (!isContainer(item)) continue;
    for (const child of Array.isArray(item) ? item : Object.values(item)) if (isContainer(child)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Sets an own, enumerable property, even `__proto__` (as JSON.parse does). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

interface Slot {
  readonly parent: JsonLike[] | Record<string, JsonLike> | null;
  readonly key: string | number | null;
  readonly value: JsonLike;
  readonly depth: number;
}

/** Every node of the tree (the root has no parent), up to a bound. */
function slots(root: JsonLike, max = 4096): Slot[] {
  const out: Slot[] = [{ parent: null, key: null, value: root, depth: 0 }];
  for (let i = 0; i < out.length && out.length < max; i++) {
    const { value, depth } = out[i]!;
    if (Array.isArray(value)) value.forEach((item, index) => out.push({ parent: value, key: index, value: item, depth: depth + 1 }));
    else if (typeOf(value) === 'object') {
      const record = value as Record<string, JsonLike>;
      for (const key of Object.keys(record)) out.push({ parent: record, key, value: record[key]!, depth: depth + 1 });
    }
  }
  return out;
}

/** Every string and key in the captures: the vocabulary mutations borrow from. */
export function vocabulary(values: readonly unknown[]): { strings: string[]; keys: string[]; subtrees: JsonLike[] } {
  const strings = new Set<string>();
  const keys = new Set<string>();
  const subtrees: JsonLike[] = [];
  for (const value of values) {
    for (const slot of slots(value as JsonLike, 2048)) {
      if (typeof slot.value === 'string' && slot.value.length <= 256) strings.add(slot.value);
      if (typeof slot.key === 'string') keys.add(slot.key);
      if (slot.depth > 0 && subtrees.length < 4096) subtrees.push(slot.value);
    }
  }
  return { strings: [...strings], keys: [...keys], subtrees };
}

export interface JsonMutationPool {
  readonly strings: readonly string[];
  readonly keys: readonly string[];
  readonly subtrees: readonly JsonLike[];
  /** Allow byte strings (values decoded from CBOR may hold them; JSON ones cannot). */
  readonly bytes?: boolean;
}

function randomString(rng: Rng, pool: JsonMutationPool): string {
  return rng.weighted<() => string>([
    [4, () => rng.pick(NEAR_MISS_STRINGS)],
    [4, () => (pool.strings.length > 0 ? rng.pick(pool.strings) : 'x')],
    [2, () => rng.pick(UNICODE_EDGES)],
    [1, () => 'x'.repeat(rng.pick([63, 64, 65, 127, 128, 129, 255, 256, 257, 1024, 1025, 4096, 65536]))],
  ])();
}

/** A value of any type, biased towards edge cases. */
export function randomLeaf(rng: Rng, pool: JsonMutationPool): JsonLike {
  return rng.weighted<() => JsonLike>([
    [1, () => null],
    [1, () => rng.chance(0.5)],
    [3, () => rng.pick(BOUNDARY_NUMBERS)],
    [4, () => randomString(rng, pool)],
    [1, () => []],
    [1, () => ({})],
    [1, () => (pool.subtrees.length > 0 ? cloneJson(rng.pick(pool.subtrees)) : null)],
    [pool.bytes ? 1 : 0, () => rng.bytes(rng.pick([0, 1, 16, 32, 33, 64]))],
  ])();
}

/** The same value as another type (a number as text, an object as a list, ...). */
function swapType(rng: Rng, value: JsonLike, pool: JsonMutationPool): JsonLike {
  switch (typeOf(value)) {
    case 'null':
      return rng.pick<JsonLike>([0, '', false, 'null', [], {}]);
    case 'boolean':
      return rng.pick<JsonLike>([value ? 1 : 0, String(value), null, [value]]);
    case 'number':
      return rng.pick<JsonLike>([String(value), value !== 0, null, [value], { value }]);
    case 'string': {
      const text = value as string;
      const asNumber = Number(text);
      return rng.pick<JsonLike>([Number.isFinite(asNumber) ? asNumber : text.length, text.length > 0, null, [text], { [text.slice(0, 16)]: text }]);
    }
    case 'bytes':
      return rng.pick<JsonLike>([Array.from(value as Uint8Array), '', null]);
    case 'array':
      return rng.pick<JsonLike>([Object.fromEntries((value as JsonLike[]).map((v, i) => [String(i), v])), (value as JsonLike[])[0] ?? null, toJsonText(value), (value as JsonLike[]).length]);
    default:
      return rng.pick<JsonLike>([Object.values(value as Record<string, JsonLike>), toJsonText(value), null, randomLeaf(rng, pool)]);
  }
}

function tweakNumber(rng: Rng, value: number): number {
  return rng.pick([value + 1, value - 1, -value, value * 2, value * 1000, value + 0.5, value / 3, Math.floor(value / 2), rng.pick(BOUNDARY_NUMBERS)]);
}

function tweakString(rng: Rng, value: string, pool: JsonMutationPool): string {
  const at = rng.int(value.length + 1);
  return rng.weighted<() => string>([
    [3, () => value.slice(0, at) + rng.pick(UNICODE_EDGES) + value.slice(at)],
    [2, () => value.slice(0, at)],
    [2, () => value.slice(0, at) + value.slice(at + 1)],
    [2, () => (value.length > 0 ? value.slice(0, at) + String.fromCharCode(value.charCodeAt(Math.min(at, value.length - 1)) ^ (1 << rng.int(7))) + value.slice(at + 1) : 'x')],
    [1, () => value.toUpperCase()],
    [1, () => ` ${value} `],
    [1, () => value.repeat(Math.min(rng.pick([2, 10, 1000]), Math.max(1, Math.floor(MAX_REPEATED_TEXT / Math.max(1, value.length)))))],
    [2, () => randomString(rng, pool)],
  ])();
}

function nest(rng: Rng, value: JsonLike): JsonLike {
  const depth = Math.min(rng.pick([8, 31, 32, 33, 64, 100, 1000, 3000]), Math.max(0, MAX_MUTATION_DEPTH - depthOf(value)));
  const asObject = rng.chance(0.5);
  let out = value;
  for (let i = 0; i < depth; i++) out = asObject ? { a: out } : [out];
  return out;
}

function grow(rng: Rng, list: JsonLike[], pool: JsonMutationPool): JsonLike[] {
  const item = list.length > 0 ? rng.pick(list) : randomLeaf(rng, pool);
  const size = Math.max(list.length, Math.min(rng.pick([2, 16, 17, 32, 33, 64, 65, 100, 101, 257, 1001]), Math.floor(MAX_GROWTH_NODES / nodeCount(item))));
  const copies = rng.chance(0.5);
  return Array.from({ length: size }, (_, i) => (copies ? cloneJson(item) : i < list.length ? list[i]! : cloneJson(item)));
}

function renameKey(rng: Rng, key: string, pool: JsonMutationPool): string {
  return rng.weighted<() => string>([
    [3, () => (pool.keys.length > 0 ? rng.pick(pool.keys) : key)],
    [2, () => rng.pick(WEIRD_KEYS)],
    [2, () => tweakString(rng, key, pool)],
    [1, () => key.replace('/', '-')],
    [1, () => key.toUpperCase()],
  ])();
}

/** Replaces `slot` in its parent (or answers the new root). */
function put(slot: Slot, value: JsonLike, root: JsonLike): JsonLike {
  if (slot.parent === null) return value;
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else setOwn(slot.parent, slot.key as string, value);
  return root;
}

/** One structural mutation somewhere in a copy of `value`. */
export function mutateJsonOnce(rng: Rng, value: JsonLike, pool: JsonMutationPool): JsonLike {
  return mutateInPlace(rng, cloneJson(value), pool);
}

/** One structural mutation somewhere in `root` itself (answers the new root). */
function mutateInPlace(rng: Rng, root: JsonLike, pool: JsonMutationPool): JsonLike {
  const all = slots(root);
  const slot = rng.pick(all);
  const kind = typeOf(slot.value);
  const options: (readonly [number, () => JsonLike])[] = [
    [3, () => put(slot, randomLeaf(rng, pool), root)],
    [2, () => put(slot, swapType(rng, slot.value, pool), root)],
    [1, () => (slot.depth + depthOf(slot.value) < MAX_MUTATION_DEPTH ? put(slot, nest(rng, slot.value), root) : root)],
    [1, () => put(slot, pool.subtrees.length > 0 ? cloneJson(rng.pick(pool.subtrees)) : null, root)],
  ];
  if (kind === 'number') options.push([5, () => put(slot, tweakNumber(rng, slot.value as number), root)]);
  if (kind === 'string') options.push([6, () => put(slot, tweakString(rng, slot.value as string, pool), root)]);
  if (kind === 'array') {
    const list = slot.value as JsonLike[];
    options.push(
      [2, () => put(slot, grow(rng, list, pool), root)],
      [2, () => put(slot, list.slice(0, rng.int(list.length + 1)), root)],
      [1, () => put(slot, [...list, randomLeaf(rng, pool)], root)],
      [1, () => put(slot, [...list].reverse(), root)],
    );
  }
  if (kind === 'object') {
    const record = slot.value as Record<string, JsonLike>;
    const keys = Object.keys(record);
    if (keys.length > 0) {
      options.push(
        [4, () => {
          delete record[rng.pick(keys)];
          return root;
        }],
        [4, () => {
          const old = rng.pick(keys);
          const moved = record[old]!;
          delete record[old];
          setOwn(record, renameKey(rng, old, pool), moved);
          return root;
        }],
      );
    }
    options.push([3, () => {
      setOwn(record, renameKey(rng, keys.length > 0 ? rng.pick(keys) : 'x', pool), randomLeaf(rng, pool));
      return root;
    }]);
  }
  return rng.weighted(options)();
}

/** 1–4 stacked structural mutations. */
export function mutateJson(rng: Rng, value: JsonLike, pool: JsonMutationPool): JsonLike {
  let out = cloneJson(value);
  const rounds = rng.weighted([
    [8, 1],
    [4, 2],
    [2, 3],
    [1, 4],
  ]);
  for (let i = 0; i < rounds; i++) out = mutateInPlace(rng, out, pool);
  return out;
}
