import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RATE_RELATIVE_PRECISION, refillRate } from './refill-rate.js';

describe('a refill rate as an exact fraction', () => {
  it('turns the rates the project configures into exact fractions in lowest terms', () => {
    expect(refillRate(20)).toEqual({ tokens: 1, everyMs: 50 });
    expect(refillRate(3)).toEqual({ tokens: 3, everyMs: 1000 });
    expect(refillRate(0.1)).toEqual({ tokens: 1, everyMs: 10_000 });
    expect(refillRate(240 / 60)).toEqual({ tokens: 1, everyMs: 250 });
    expect(refillRate(0.01 / 60)).toEqual({ tokens: 1, everyMs: 6_000_000 });
    expect(refillRate(1 / 3)).toEqual({ tokens: 1, everyMs: 3000 });
    expect(refillRate(1e12)).toEqual({ tokens: 1e9, everyMs: 1 });
  });

  it('refuses a rate that is not a positive finite number, or too small to count', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-12, 1e300]) expect(() => refillRate(bad)).toThrow(RangeError);
  });

  it('is within RATE_RELATIVE_PRECISION of any rate from one token a second per hour to a billion a second', () => {
    fc.assert(
      fc.property(fc.double({ min: 1 / 3600, max: 1e9, noNaN: true }), (perSecond) => {
        const { tokens, everyMs } = refillRate(perSecond);
        expect(Number.isSafeInteger(tokens) && tokens > 0).toBe(true);
        expect(Number.isSafeInteger(everyMs) && everyMs > 0).toBe(true);
        expect(Math.abs((tokens * 1000) / everyMs - perSecond)).toBeLessThanOrEqual(perSecond * RATE_RELATIVE_PRECISION);
      }),
    );
  });

  it('is exact for every ratio of small integers (a count per so many seconds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 3_600 }), (count, seconds) => {
        const { tokens, everyMs } = refillRate(count / seconds);
        // tokens / everyMs == count / (1000 · seconds), compared as integers.
        expect(tokens * 1000 * seconds).toBe(count * everyMs);
      }),
    );
  });
});
