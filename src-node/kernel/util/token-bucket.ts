// The one token bucket: `capacity` tokens at most (the burst after a quiet spell), refilled at
// `perSecond`. Pure: the caller passes the time (ms) to every call; no timers, no clock of its own.
//
// Integer arithmetic: the level is kept in units of 1/everyMs token (refill-rate.ts), so a refill
// and a take are additions and subtractions of safe integers, and a bucket that is drawn exactly
// at its rate is never refused for a rounding error.
//
// Time only moves forward: the bucket remembers the latest time it has seen, and an earlier `now`
// (a clock stepped back) adds nothing — it neither mints tokens nor takes any away. A fractional
// `now` counts by whole milliseconds (the fractions are not lost: the next call counts from the
// same whole millisecond).
import { type RefillRate, refillRate } from './refill-rate.js';

export interface TokenBucketOptions {
  /** Tokens held at most: the burst allowed after a quiet spell. At least 1. */
  readonly capacity: number;
  /** Sustained refill, tokens per second. */
  readonly perSecond: number;
}

/** A bucket's options checked and turned into integer units once, to be shared by many buckets. */
export interface TokenBucketSpec extends TokenBucketOptions {
  readonly rate: RefillRate;
  /** The capacity in units (1/rate.everyMs token). */
  readonly fullUnits: number;
}

/** Checks `options` and works out the units once; RangeError when the bucket could not be exact. */
export function tokenBucketSpec(options: TokenBucketOptions | TokenBucketSpec): TokenBucketSpec {
  if ('fullUnits' in options) return options;
  const { capacity, perSecond } = options;
  if (!(capacity >= 1) || !Number.isFinite(capacity)) throw new RangeError(`a token bucket holds at least 1 token (capacity ${capacity})`);
  const rate = refillRate(perSecond);
  // A fractional capacity is rounded down to a whole unit: a bucket never holds more than asked.
  const fullUnits = Math.floor(capacity * rate.everyMs);
  if (!Number.isSafeInteger(fullUnits + rate.tokens)) throw new RangeError(`a token bucket of ${capacity} tokens at ${perSecond}/s is too large to count exactly`);
  return Object.freeze({ capacity, perSecond, rate, fullUnits });
}

/** ⌊a / b⌋ for non-negative safe integers, exact where a float division could round up. */
function wholeQuotient(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b > a ? q - 1 : q;
}

export class TokenBucket {
  readonly spec: TokenBucketSpec;
  private units: number;
  private seenAt: number;

  /** A full bucket at `now`. */
  constructor(options: TokenBucketOptions | TokenBucketSpec, now: number) {
    if (!Number.isFinite(now)) throw new RangeError(`a token bucket needs a finite time (got ${now})`);
    this.spec = tokenBucketSpec(options);
    this.units = this.spec.fullUnits;
    this.seenAt = Math.floor(now);
  }

  get capacity(): number {
    return this.spec.capacity;
  }

  get perSecond(): number {
    return this.spec.perSecond;
  }

  /** The latest time this bucket has seen (ms); it never goes back. */
  get updatedAt(): number {
    return this.seenAt;
  }

  /** Tokens in the bucket at `now`, fractions included (for ratios and for showing). */
  tokens(now: number): number {
    this.refill(now);
    return this.units / this.spec.rate.everyMs;
  }

  /** Whole tokens that can be taken at `now`. */
  available(now: number): number {
    this.refill(now);
    return wholeQuotient(this.units, this.spec.rate.everyMs);
  }

  /** True when the bucket is at its capacity: it is then just like a new one. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.units >= this.spec.fullUnits;
  }

  /** Takes `n` tokens at `now` if all are there; otherwise takes none and answers false. */
  take(n: number, now: number): boolean {
    return this.takeOrWait(n, now) === 0;
  }

  /**
   * Takes `n` tokens at `now` and answers 0, or takes none and answers timeUntil(n, now): a take
   * and the retry hint for its refusal in one step.
   */
  takeOrWait(n: number, now: number): number {
    const wait = this.timeUntil(n, now);
    if (wait === 0) this.units -= n * this.spec.rate.everyMs;
    return wait;
  }

  /**
   * Milliseconds from `now` until `n` tokens are there: 0 when they are now, Infinity when `n` is
   * more than the bucket holds (it never will).
   */
  timeUntil(n: number, now: number): number {
    const need = this.unitsFor(n);
    this.refill(now);
    if (need > this.spec.fullUnits) return Number.POSITIVE_INFINITY;
    if (need <= this.units) return 0;
    return Math.ceil((need - this.units) / this.spec.rate.tokens);
  }

  private unitsFor(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`tokens are taken in whole non-negative numbers (got ${n})`);
    const need = n * this.spec.rate.everyMs;
    // Past the capacity the exact figure does not matter: any such need is never met.
    return Number.isSafeInteger(need) ? need : Number.POSITIVE_INFINITY;
  }

  private refill(now: number): void {
    const at = Math.floor(now);
    // The same time, an earlier one, or not a time at all: nothing to add.
    if (!Number.isFinite(at) || at <= this.seenAt) return;
    const elapsed = at - this.seenAt;
    this.seenAt = at;
    const missing = this.spec.fullUnits - this.units;
    if (missing <= 0) return;
    // Compare before multiplying: a long quiet spell fills the bucket without a huge product.
    const msToFull = Math.ceil(missing / this.spec.rate.tokens);
    this.units = elapsed >= msToFull ? this.spec.fullUnits : this.units + elapsed * this.spec.rate.tokens;
  }
}
