import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TokenBucket, tokenBucketSpec } from './token-bucket.js';

const T0 = 1_700_000_000_000;

function drain(bucket: TokenBucket, now: number): number {
  let taken = 0;
  while (taken <= bucket.capacity && bucket.take(1, now)) taken += 1;
  return taken;
}

describe('the token bucket', () => {
  it('starts full, lets its capacity through at once, then refuses', () => {
    const bucket = new TokenBucket({ capacity: 40, perSecond: 20 }, T0);
    expect(bucket.isFull(T0)).toBe(true);
    expect(bucket.available(T0)).toBe(40);
    expect(drain(bucket, T0)).toBe(40);
    expect(bucket.take(1, T0)).toBe(false);
    expect(bucket.tokens(T0)).toBe(0);
  });

  it('refills at its rate, a token at a time', () => {
    const bucket = new TokenBucket({ capacity: 40, perSecond: 20 }, T0);
    drain(bucket, T0);
    expect(bucket.take(1, T0 + 49)).toBe(false);
    expect(bucket.take(1, T0 + 50)).toBe(true);
    expect(bucket.take(1, T0 + 50)).toBe(false);
    expect(bucket.tokens(T0 + 75)).toBe(0.5);
    // A refill that would overshoot stops at the capacity.
    expect(bucket.take(1, T0 + 3_000)).toBe(true);
    expect(bucket.tokens(T0 + 3_052)).toBe(40);
  });

  it('never refuses a caller drawing exactly at its rate, even where floating point would drift', () => {
    // 0.1 token a second, refilled in steps of 1 s: ten floating-point steps make 0.9999999999999999.
    const slow = new TokenBucket({ capacity: 1, perSecond: 0.1 }, T0);
    expect(slow.take(1, T0)).toBe(true);
    for (let round = 1; round <= 50; round++) {
      for (let step = 1; step < 10; step++) expect(slow.take(1, T0 + (round - 1) * 10_000 + step * 1000)).toBe(false);
      expect(slow.take(1, T0 + round * 10_000)).toBe(true);
    }
    // Three a second: a token every 333⅓ ms, so three every second exactly, forever.
    const thirds = new TokenBucket({ capacity: 3, perSecond: 3 }, T0);
    drain(thirds, T0);
    for (let second = 1; second <= 1000; second++) expect(drain(thirds, T0 + second * 1000)).toBe(3);
  });

  it('says how long until n tokens are there, and Infinity for more than it holds', () => {
    const bucket = new TokenBucket({ capacity: 6, perSecond: 0.1 }, T0);
    expect(bucket.timeUntil(6, T0)).toBe(0);
    drain(bucket, T0);
    expect(bucket.timeUntil(1, T0)).toBe(10_000);
    expect(bucket.timeUntil(1, T0 + 2_500)).toBe(7_500);
    expect(bucket.timeUntil(2, T0 + 2_500)).toBe(17_500);
    expect(bucket.timeUntil(7, T0 + 2_500)).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.take(7, T0 + 1e9)).toBe(false);
    expect(bucket.timeUntil(0, T0)).toBe(0);
    expect(bucket.take(0, T0)).toBe(true);
  });

  it('takes or says how long to wait in one step', () => {
    const bucket = new TokenBucket({ capacity: 2, perSecond: 20 }, T0);
    expect(bucket.takeOrWait(2, T0)).toBe(0);
    expect(bucket.takeOrWait(1, T0 + 20)).toBe(30);
    expect(bucket.takeOrWait(1, T0 + 50)).toBe(0);
    expect(bucket.takeOrWait(3, T0 + 50)).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.tokens(T0 + 50)).toBe(0);
  });

  it('takes all n tokens or none', () => {
    const bucket = new TokenBucket({ capacity: 10, perSecond: 1 }, T0);
    expect(bucket.take(7, T0)).toBe(true);
    expect(bucket.take(4, T0)).toBe(false);
    expect(bucket.available(T0)).toBe(3);
  });

  it('mints no tokens and takes none away when the clock steps back', () => {
    const bucket = new TokenBucket({ capacity: 40, perSecond: 20 }, T0);
    drain(bucket, T0);
    expect(bucket.take(1, T0 - 60_000)).toBe(false);
    expect(bucket.updatedAt).toBe(T0);
    expect(bucket.take(1, T0 + 49)).toBe(false);
    expect(bucket.take(1, T0 + 50)).toBe(true);
    // A bucket refilled earlier keeps what it had when asked at an earlier time.
    expect(bucket.tokens(T0 + 500)).toBe(9);
    expect(bucket.tokens(T0)).toBe(9);
  });

  it('ignores a time that is not a finite number', () => {
    const bucket = new TokenBucket({ capacity: 2, perSecond: 1 }, T0);
    drain(bucket, T0);
    expect(bucket.take(1, Number.POSITIVE_INFINITY)).toBe(false);
    expect(bucket.take(1, Number.NaN)).toBe(false);
    expect(bucket.updatedAt).toBe(T0);
    expect(bucket.take(1, T0 + 1000)).toBe(true);
    expect(() => new TokenBucket({ capacity: 2, perSecond: 1 }, Number.NaN)).toThrow(RangeError);
  });

  it('counts whole milliseconds of a fractional time without losing the fractions', () => {
    const bucket = new TokenBucket({ capacity: 1, perSecond: 1000 }, T0 + 0.7);
    expect(bucket.take(1, T0 + 0.7)).toBe(true);
    expect(bucket.take(1, T0 + 0.9)).toBe(false);
    expect(bucket.take(1, T0 + 1.2)).toBe(true);
  });

  it('fills up after any quiet spell without overflowing, at the largest rates too', () => {
    const huge = new TokenBucket({ capacity: 1e12, perSecond: 1e12 }, T0);
    expect(huge.take(1e12, T0)).toBe(true);
    expect(huge.available(T0 + 1)).toBe(1e9);
    expect(huge.isFull(T0 + 1000)).toBe(true);
    const small = new TokenBucket({ capacity: 3, perSecond: 20 }, 0);
    drain(small, 0);
    expect(small.available(Number.MAX_SAFE_INTEGER)).toBe(3);
  });

  it('rounds a fractional capacity down to whole units', () => {
    const bucket = new TokenBucket({ capacity: 2.5, perSecond: 0.5 }, T0);
    expect(bucket.tokens(T0)).toBe(2.5);
    expect(bucket.available(T0)).toBe(2);
    expect(bucket.take(2, T0)).toBe(true);
    expect(bucket.timeUntil(1, T0)).toBe(1000);
  });

  it('refuses options it cannot count exactly, and a take that is not a whole number of tokens', () => {
    expect(() => new TokenBucket({ capacity: 0.5, perSecond: 1 }, T0)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: Number.POSITIVE_INFINITY, perSecond: 1 }, T0)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, perSecond: 0 }, T0)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1e15, perSecond: 0.001 }, T0)).toThrow(RangeError);
    const bucket = new TokenBucket({ capacity: 2, perSecond: 1 }, T0);
    for (const bad of [-1, 0.5, Number.NaN]) expect(() => bucket.take(bad, T0)).toThrow(RangeError);
  });

  it('lets many buckets share one checked spec', () => {
    const spec = tokenBucketSpec({ capacity: 5, perSecond: 2 });
    const a = new TokenBucket(spec, T0);
    const b = new TokenBucket(spec, T0);
    expect(a.spec).toBe(b.spec);
    a.take(5, T0);
    expect(b.available(T0)).toBe(5);
  });
});

// Random histories: a bucket's shape, then steps that move the clock (sometimes back) and take.
const shapeArb = fc.record({
  capacity: fc.integer({ min: 1, max: 1000 }),
  perSecond: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0.001, max: 1000, noNaN: true })),
});
const stepArb = fc.record({ dt: fc.oneof(fc.integer({ min: -50, max: 150 }), fc.integer({ min: -5_000, max: 20_000 })), n: fc.integer({ min: 0, max: 50 }) });
const historyArb = fc.record({ shape: shapeArb, steps: fc.array(stepArb, { maxLength: 200 }) });

describe('the token bucket, on random histories', () => {
  it('never holds more than its capacity nor fewer than zero tokens', () => {
    fc.assert(
      fc.property(historyArb, ({ shape, steps }) => {
        const bucket = new TokenBucket(shape, T0);
        let now = T0;
        for (const { dt, n } of steps) {
          now += dt;
          bucket.take(n, now);
          const tokens = bucket.tokens(now);
          expect(tokens).toBeGreaterThanOrEqual(0);
          expect(tokens).toBeLessThanOrEqual(shape.capacity);
        }
      }),
    );
  });

  it('never lets through more than its capacity plus what its rate refilled, over any stretch of time', () => {
    fc.assert(
      fc.property(historyArb, ({ shape, steps }) => {
        const bucket = new TokenBucket(shape, T0);
        const { rate, fullUnits } = bucket.spec;
        // In exact units: what went through between the i-th and the j-th take is at most a full
        // bucket plus the refill over the time the bucket saw pass between them.
        const taken: Array<{ at: number; units: number }> = [];
        let now = T0;
        for (const { dt, n } of steps) {
          now += dt;
          if (bucket.take(n, now)) taken.push({ at: bucket.updatedAt, units: n * rate.everyMs });
        }
        for (let i = 0; i < taken.length; i++) {
          let sum = 0;
          for (let j = i; j < taken.length; j++) {
            sum += taken[j]!.units;
            expect(sum).toBeLessThanOrEqual(fullUnits + (taken[j]!.at - taken[i]!.at) * rate.tokens);
          }
        }
      }),
    );
  });

  it('refills monotonically: with nothing taken, later never holds less', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 100 }), (shape, drawn, gaps) => {
        const bucket = new TokenBucket(shape, T0);
        bucket.take(Math.min(drawn, shape.capacity), T0);
        let now = T0;
        let before = bucket.tokens(now);
        for (const gap of gaps) {
          now += gap;
          const after = bucket.tokens(now);
          expect(after).toBeGreaterThanOrEqual(before);
          before = after;
        }
      }),
    );
  });

  it('mints nothing when the clock goes backwards', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 1e9 }), ({ shape, steps }, back) => {
        const bucket = new TokenBucket(shape, T0);
        let now = T0;
        for (const { dt, n } of steps) {
          now += dt;
          bucket.take(n, now);
        }
        const latest = bucket.updatedAt;
        const held = bucket.tokens(latest);
        expect(bucket.tokens(latest - back)).toBe(held);
        expect(bucket.updatedAt).toBe(latest);
      }),
    );
  });

  it('keeps its word: n tokens are there exactly when timeUntil says, not a millisecond before', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 50 }), ({ shape, steps }, n) => {
        const bucket = new TokenBucket(shape, T0);
        let now = T0;
        for (const { dt, n: taken } of steps) {
          now += dt;
          bucket.take(taken, now);
        }
        now = bucket.updatedAt;
        const wait = bucket.timeUntil(n, now);
        if (n > shape.capacity) {
          expect(wait).toBe(Number.POSITIVE_INFINITY);
          return;
        }
        if (wait > 0) expect(bucket.available(now + wait - 1)).toBeLessThan(n);
        expect(bucket.take(n, now + wait)).toBe(true);
      }),
    );
  });
});
