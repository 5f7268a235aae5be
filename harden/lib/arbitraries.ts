// Generated inputs: fast-check arbitraries of the value spaces our decoders read (JSON values,
// CBOR values with byte strings, raw bytes, text, and objects shaped like a real artifact: its keys
// with arbitrary values). fast-check draws them from a seed in batches, so a run is reproducible.
import fc from 'fast-check';
import { deriveSeed } from './random.js';
import type { JsonLike } from './mutate-json.js';

/** Values drawn per fast-check call. */
export const SAMPLE_BATCH = 256;

/** An endless, seeded stream of values from one arbitrary. */
export class ArbitraryStream<T> {
  private buffer: T[] = [];
  private batch = 0;

  constructor(
    private readonly arbitrary: fc.Arbitrary<T>,
    private readonly seed: number,
  ) {}

  next(): T {
    if (this.buffer.length === 0) {
      this.buffer = fc.sample(this.arbitrary, { seed: deriveSeed(this.seed, `batch-${this.batch++}`) | 0, numRuns: SAMPLE_BATCH }).reverse();
    }
    return this.buffer.pop()!;
  }
}

/** Any JSON value (floats, unicode, nesting). */
export const jsonValue: fc.Arbitrary<JsonLike> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonLike>;

/** What a CBOR decoder can hand back: JSON values plus byte strings and large integers. */
export const cborValue: fc.Arbitrary<JsonLike> = fc.letrec<{ value: JsonLike }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Arbitrary bytes, mostly short. */
export const bytes: fc.Arbitrary<Uint8Array> = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 2048 }));

/** Arbitrary text: any UTF-16, lone surrogates included. */
export const text: fc.Arbitrary<string> = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }));

/** Keys in one generated object at most (real artifacts have about a dozen). */
const MAX_SHAPED_KEYS = 10;

/** Objects with some of `keys` (the real artifact's keys) holding arbitrary values, now and then an extra key. */
export function shapedObject(keys: readonly string[], leaf: fc.Arbitrary<JsonLike> = jsonValue): fc.Arbitrary<Record<string, JsonLike>> {
  if (keys.length === 0) return fc.dictionary(fc.string(), leaf, { maxKeys: 6 });
  return fc
    .tuple(fc.dictionary(fc.constantFrom(...keys), leaf, { minKeys: 0, maxKeys: Math.min(keys.length, MAX_SHAPED_KEYS) }), fc.option(fc.tuple(fc.string({ maxLength: 12 }), leaf), { freq: 5 }))
    .map(([record, extra]) => (extra ? { ...record, [extra[0]]: extra[1] } : record));
}
