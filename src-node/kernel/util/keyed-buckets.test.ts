import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KEYED_BUCKETS_EVICTION_SCAN, KEYED_BUCKETS_PINNED_RETRY_MS, KeyedBuckets } from './keyed-buckets.js';

const T0 = 1_700_000_000_000;
/** 4 tokens, one every 100 ms. */
const PER_KEY = { capacity: 4, perSecond: 10 } as const;

function drain<S>(buckets: KeyedBuckets<S>, key: string, now: number): void {
  for (let i = 0; i < PER_KEY.capacity; i++) expect(buckets.take(key, now).ok).toBe(true);
  expect(buckets.take(key, now)).toMatchObject({ ok: false, limit: 'key' });
}

describe('keyed token buckets', () => {
  it('keeps keys apart and says how long a refused key waits', () => {
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys: 10 });
    drain(buckets, 'a', T0);
    expect(buckets.take('a', T0 + 40)).toEqual({ ok: false, limit: 'key', retryAfterMs: 60 });
    expect(buckets.take('b', T0).ok).toBe(true);
    expect(buckets.take('a', T0 + 100).ok).toBe(true);
    expect(buckets.take('x', T0, PER_KEY.capacity + 1)).toEqual({ ok: false, limit: 'key', retryAfterMs: Number.POSITIVE_INFINITY });
  });

  it('holds at most maxKeys keys, forgetting full buckets first', () => {
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys: 3 });
    drain(buckets, 'a', T0);
    buckets.take('b', T0);
    buckets.take('c', T0);
    // 100 ms on, b and c are full again: forgetting them changes nothing; a is still short.
    expect(buckets.take('d', T0 + 100).ok).toBe(true);
    expect(buckets.size).toBe(2);
    expect(buckets.get('a')).toBeDefined();
    expect(buckets.get('b')).toBeUndefined();
    expect(buckets.get('c')).toBeUndefined();
  });

  it('pushes out a drawn-down key that is not limited, the least recently used, only when none is full', () => {
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys: 3 });
    buckets.take('a', T0);
    buckets.take('b', T0);
    buckets.take('c', T0);
    buckets.take('a', T0); // a is now the most recently used
    expect(buckets.take('d', T0).ok).toBe(true);
    expect([...['a', 'b', 'c', 'd']].filter((key) => buckets.get(key) !== undefined)).toEqual(['a', 'c', 'd']);
  });

  it('never lets a flood of new keys push out a limited key: the newcomers are refused instead', () => {
    const maxKeys = 100;
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys });
    for (let i = 0; i < maxKeys; i++) drain(buckets, `victim${i}`, T0);
    for (let i = 0; i < 10 * maxKeys; i++) expect(buckets.take(`newcomer${i}`, T0)).toEqual({ ok: false, limit: 'keys', retryAfterMs: 100 });
    expect(buckets.size).toBe(maxKeys);
    for (let i = 0; i < maxKeys; i++) expect(buckets.take(`victim${i}`, T0)).toMatchObject({ ok: false, limit: 'key' });
    // Once a victim has a token again it is no longer limited, and a newcomer may take its place.
    expect(buckets.take('newcomer', T0 + 100).ok).toBe(true);
    expect(buckets.size).toBe(maxKeys);
  });

  it('examines at most evictionScan keys per newcomer, and looks further along at the next one', () => {
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys: 10, evictionScan: 3 });
    for (let i = 0; i < 3; i++) drain(buckets, `limited${i}`, T0);
    for (let i = 0; i < 7; i++) buckets.take(`light${i}`, T0);
    // At T0 the first three examined are all limited: the newcomer is refused.
    expect(buckets.take('first', T0)).toMatchObject({ ok: false, limit: 'keys' });
    expect(buckets.size).toBe(10);
    // They went to the back: the next newcomer examines light keys, full again 100 ms on.
    expect(buckets.take('second', T0 + 100).ok).toBe(true);
    expect(buckets.size).toBe(8);
    for (let i = 0; i < 3; i++) expect(buckets.get(`limited${i}`)).toBeDefined();
  });

  it('keeps keys their policy pins, full or not, through sweeps and floods', () => {
    const buckets = new KeyedBuckets<{ banned: boolean }>({ perKey: PER_KEY, maxKeys: 2, pinned: (state) => state.banned });
    const admitted = buckets.admit('banned', T0);
    expect(admitted.ok).toBe(true);
    if (admitted.ok) admitted.entry.state = { banned: true };
    buckets.take('other', T0);
    buckets.take('other', T0);
    expect(buckets.sweep(T0 + 3_600_000)).toBe(1);
    expect(buckets.get('banned')?.state).toEqual({ banned: true });
    drain(buckets, 'drained', T0 + 3_600_000);
    expect(buckets.take('newcomer', T0 + 3_600_000)).toEqual({ ok: false, limit: 'keys', retryAfterMs: 100 });
    // With only pinned keys in the way, the newcomer is told to come back later.
    const pinnedOnly = new KeyedBuckets<true>({ perKey: PER_KEY, maxKeys: 1, pinned: () => true });
    const entry = pinnedOnly.admit('p', T0);
    if (entry.ok) entry.entry.state = true;
    expect(pinnedOnly.take('q', T0 + 3_600_000)).toEqual({ ok: false, limit: 'keys', retryAfterMs: KEYED_BUCKETS_PINNED_RETRY_MS });
    expect(pinnedOnly.delete('p')).toBe(true);
    expect(pinnedOnly.take('q', T0 + 3_600_000).ok).toBe(true);
  });

  it('sweeps every full, unpinned bucket and nothing else', () => {
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys: 10 });
    drain(buckets, 'busy', T0);
    buckets.take('quiet', T0);
    expect(buckets.sweep(T0 + 100)).toBe(1);
    expect(buckets.get('busy')).toBeDefined();
    expect(buckets.sweep(T0 + 400)).toBe(1);
    expect(buckets.size).toBe(0);
  });

  it('draws from the shared bucket too, so a limit holds in total as well as per key', () => {
    const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys: 100, global: { capacity: 10, perSecond: 20 } });
    for (let i = 0; i < 10; i++) expect(buckets.take(`k${i % 5}`, T0).ok).toBe(true);
    expect(buckets.take('k9', T0)).toEqual({ ok: false, limit: 'global', retryAfterMs: 50 });
    // A refusal by either bucket takes from neither.
    expect(buckets.get('k9')?.bucket.available(T0)).toBe(PER_KEY.capacity);
    expect(buckets.take('k9', T0 + 50).ok).toBe(true);
    drain(buckets, 'k9', T0 + 1_000);
    expect(buckets.take('k8', T0 + 1_000).ok).toBe(true);
  });

  it('refuses options that cannot hold a key', () => {
    expect(() => new KeyedBuckets({ perKey: PER_KEY, maxKeys: 0 })).toThrow(RangeError);
    expect(() => new KeyedBuckets({ perKey: PER_KEY, maxKeys: 1, evictionScan: 0 })).toThrow(RangeError);
    expect(() => new KeyedBuckets({ perKey: { capacity: 0, perSecond: 1 }, maxKeys: 1 })).toThrow(RangeError);
    expect(new KeyedBuckets({ perKey: PER_KEY, maxKeys: 1 }).evictionScan).toBe(KEYED_BUCKETS_EVICTION_SCAN);
  });
});

// Random traffic: a few regular keys and a stream of one-off newcomers, the clock mostly still.
const stepArb = fc.record({
  key: fc.oneof(fc.integer({ min: 0, max: 7 }).map((k) => `regular${k}`), fc.constant('newcomer')),
  dt: fc.oneof(fc.constant(0), fc.integer({ min: -200, max: 300 })),
  n: fc.integer({ min: 0, max: 5 }),
});
const trafficArb = fc.record({ maxKeys: fc.integer({ min: 1, max: 6 }), evictionScan: fc.integer({ min: 1, max: 8 }), steps: fc.array(stepArb, { maxLength: 300 }) });

describe('keyed token buckets, on random traffic', () => {
  it('never hold more than maxKeys keys and never push out a limited key', () => {
    fc.assert(
      fc.property(trafficArb, ({ maxKeys, evictionScan, steps }) => {
        const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys, evictionScan });
        const known = new Set<string>();
        let now = T0;
        let fresh = 0;
        for (const step of steps) {
          now += step.dt;
          const key = step.key === 'newcomer' ? `newcomer${fresh++}` : step.key;
          const limitedBefore = [...known].filter((k) => {
            const entry = buckets.get(k);
            return entry !== undefined && entry.bucket.timeUntil(1, now) > 0;
          });
          buckets.take(key, now, step.n);
          if (buckets.get(key)) known.add(key);
          expect(buckets.size).toBeLessThanOrEqual(maxKeys);
          for (const k of limitedBefore) expect(buckets.get(k)).toBeDefined();
        }
      }),
    );
  });

  it('never let through more in total than the shared bucket allows', () => {
    fc.assert(
      fc.property(trafficArb, ({ maxKeys, evictionScan, steps }) => {
        const buckets = new KeyedBuckets({ perKey: PER_KEY, maxKeys, evictionScan, global: { capacity: 6, perSecond: 5 } });
        let now = T0;
        let [earliest, latest] = [T0, T0];
        let fresh = 0;
        let total = 0;
        for (const step of steps) {
          now += step.dt;
          [earliest, latest] = [Math.min(earliest, now), Math.max(latest, now)];
          const key = step.key === 'newcomer' ? `newcomer${fresh++}` : step.key;
          if (buckets.take(key, now, step.n).ok) total += step.n;
          // 6 at once, then one every 200 ms of the time the shared bucket can have seen pass.
          expect(total).toBeLessThanOrEqual(6 + Math.floor((latest - earliest) / 200));
        }
      }),
    );
  });
});
