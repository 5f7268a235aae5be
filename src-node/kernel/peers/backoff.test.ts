import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_MIN_MS } from '../../../src-shared/protocol/profile.js';
import { backoffCeilingMs, backoffDelayMs } from './backoff.js';

describe('reconnect backoff', () => {
  it('starts at RECONNECT_BACKOFF_MIN_MS and doubles per attempt', () => {
    expect(backoffCeilingMs(0)).toBe(RECONNECT_BACKOFF_MIN_MS);
    expect(backoffCeilingMs(1)).toBe(2 * RECONNECT_BACKOFF_MIN_MS);
    expect(backoffCeilingMs(2)).toBe(4 * RECONNECT_BACKOFF_MIN_MS);
    expect(backoffCeilingMs(8)).toBe(256 * RECONNECT_BACKOFF_MIN_MS);
  });

  it('stops doubling at RECONNECT_BACKOFF_MAX_MS', () => {
    expect(backoffCeilingMs(8)).toBeLessThan(RECONNECT_BACKOFF_MAX_MS);
    expect(backoffCeilingMs(9)).toBe(RECONNECT_BACKOFF_MAX_MS);
    expect(backoffCeilingMs(1_000)).toBe(RECONNECT_BACKOFF_MAX_MS);
    expect(backoffCeilingMs(Number.POSITIVE_INFINITY)).toBe(RECONNECT_BACKOFF_MAX_MS);
  });

  it('treats negative, fractional and NaN attempts as the integer below, at least 0', () => {
    expect(backoffCeilingMs(-3)).toBe(RECONNECT_BACKOFF_MIN_MS);
    expect(backoffCeilingMs(1.9)).toBe(2 * RECONNECT_BACKOFF_MIN_MS);
    expect(backoffCeilingMs(Number.NaN)).toBe(RECONNECT_BACKOFF_MIN_MS);
  });

  it('draws the delay uniformly from [0, ceiling) with full jitter', () => {
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(3, () => 0.5)).toBe(4 * RECONNECT_BACKOFF_MIN_MS);
    expect(backoffDelayMs(3, () => 0.999999)).toBe(8 * RECONNECT_BACKOFF_MIN_MS - 1);
  });

  it('keeps a faulty random source inside the bounds', () => {
    expect(backoffDelayMs(0, () => 1)).toBeLessThan(RECONNECT_BACKOFF_MIN_MS);
    expect(backoffDelayMs(0, () => 7)).toBeLessThan(RECONNECT_BACKOFF_MIN_MS);
    expect(backoffDelayMs(0, () => -1)).toBe(0);
    expect(backoffDelayMs(0, () => Number.NaN)).toBe(0);
  });

  it('honours other bounds', () => {
    expect(backoffCeilingMs(3, { minMs: 10, maxMs: 50 })).toBe(50);
    expect(backoffCeilingMs(2, { minMs: 10, maxMs: 50 })).toBe(40);
  });

  it('never exceeds the ceiling, and the ceiling never falls as attempts grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(backoffCeilingMs(attempt));
        expect(backoffCeilingMs(attempt + 1)).toBeGreaterThanOrEqual(backoffCeilingMs(attempt));
        expect(backoffCeilingMs(attempt)).toBeLessThanOrEqual(RECONNECT_BACKOFF_MAX_MS);
      }),
    );
  });
});
