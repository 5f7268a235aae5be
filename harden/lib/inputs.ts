// Input streams for targets: each input is a real capture as is (rarely), a mutated capture (most
// of the time: structural mutations of the decoded value, or byte mutations of its text or CBOR),
// or a generated value (fast-check, shaped like the capture or anything at all).
import type { FuzzInput } from './fuzz.js';
import { type Rng, deriveSeed } from './random.js';
import { ArbitraryStream, bytes as bytesArbitrary, cborValue, jsonValue, shapedObject, text as textArbitrary } from './arbitraries.js';
import { type JsonLike, type JsonMutationPool, mutateJson, toJsonText, vocabulary } from './mutate-json.js';
import { mutateBytes } from './mutate-bytes.js';

export type Maker<I> = (rng: Rng) => I;

/** Picks one maker per input by weight; the input carries the maker's label as its source. */
export function mix<I>(parts: readonly (readonly [weight: number, source: string, make: Maker<I>])[]): (rng: Rng) => FuzzInput<I> {
  const live = parts.filter(([weight]) => weight > 0);
  const weighted = live.map(([weight, source, make]) => [weight, { source, make }] as const);
  return (rng) => {
    const part = rng.weighted(weighted);
    return { value: part.make(rng), source: part.source };
  };
}

export interface ValueStreams {
  readonly pool: JsonMutationPool;
  /** A copy of a capture, unchanged. */
  capture(rng: Rng): JsonLike;
  /** A capture with 1–4 structural mutations. */
  mutated(rng: Rng): JsonLike;
  /** `value` (not a capture) with 1–4 structural mutations, borrowing from the captures' vocabulary. */
  mutate(rng: Rng, value: JsonLike): JsonLike;
  /** A generated object with the captures' keys (some with arbitrary values). */
  shaped(rng: Rng): JsonLike;
  /** Anything at all of the value space. */
  anything(rng: Rng): JsonLike;
  /** The JSON text of a capture with 1–4 byte mutations. */
  mutatedText(rng: Rng): Uint8Array;
  /** Generated text (any UTF-16, JSON texts). */
  generatedText(rng: Rng): string;
}

export interface ValueStreamOptions {
  /** Values may hold byte strings (CBOR paths). */
  readonly bytes?: boolean;
  /** More values to borrow strings, keys and subtrees from. */
  readonly vocabularyFrom?: readonly unknown[];
}

/** Streams of inputs derived from `captures` (JSON values); fast-check streams seeded by `seed`. */
export function valueStreams(seed: number, captures: readonly unknown[], options: ValueStreamOptions = {}): ValueStreams {
  if (captures.length === 0) throw new Error('a value stream needs at least one capture');
  const words = vocabulary([...captures, ...(options.vocabularyFrom ?? [])]);
  const pool: JsonMutationPool = { ...words, bytes: options.bytes === true };
  const leaf = options.bytes ? cborValue : jsonValue;
  const objects = captures.filter((c): c is Record<string, JsonLike> => typeof c === 'object' && c !== null && !Array.isArray(c) && !(c instanceof Uint8Array));
  const keyed = new ArbitraryStream<JsonLike>(shapedObject(words.keys, leaf), deriveSeed(seed, 'shaped'));
  const anything = new ArbitraryStream<JsonLike>(leaf, deriveSeed(seed, 'anything'));
  /** A capture with about a third of its values replaced by generated ones. */
  const nearly = (rng: Rng): JsonLike => {
    const template = rng.pick(objects);
    const out: Record<string, JsonLike> = {};
    for (const key of Object.keys(template)) out[key] = rng.chance(1 / 3) ? anything.next() : (structuredClone(template[key]) as JsonLike);
    return out;
  };
  const texts = new ArbitraryStream<string>(textArbitrary, deriveSeed(seed, 'text'));
  const encoded = captures.map((c) => new TextEncoder().encode(toJsonText(c)));
  return {
    pool,
    capture: (rng) => structuredClone(rng.pick(captures)) as JsonLike,
    mutated: (rng) => mutateJson(rng, rng.pick(captures) as JsonLike, pool),
    mutate: (rng, value) => mutateJson(rng, value, pool),
    shaped: (rng) => (objects.length > 0 && rng.chance(0.5) ? nearly(rng) : keyed.next()),
    anything: () => anything.next(),
    mutatedText: (rng) => mutateBytes(rng, rng.pick(encoded), encoded),
    generatedText: () => texts.next(),
  };
}

export interface ByteStreams {
  capture(rng: Rng): Uint8Array;
  mutated(rng: Rng): Uint8Array;
  generated(rng: Rng): Uint8Array;
}

/** Streams of byte inputs derived from `captures`. */
export function byteStreams(seed: number, captures: readonly Uint8Array[]): ByteStreams {
  const generated = new ArbitraryStream<Uint8Array>(bytesArbitrary, deriveSeed(seed, 'bytes'));
  return {
    capture: (rng) => rng.pick(captures).slice(),
    mutated: (rng) => mutateBytes(rng, rng.pick(captures), captures),
    generated: () => generated.next(),
  };
}

/** JSON.parse that answers undefined for text that is not JSON (the boundary would refuse it there). */
export function parseJsonBytes(input: Uint8Array | string): { ok: true; value: unknown } | { ok: false } {
  try {
    const textValue = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    return { ok: true, value: JSON.parse(textValue) as unknown };
  } catch {
    return { ok: false };
  }
}

/** UTF-8 bytes of JSON text. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(toJsonText(value));
}
