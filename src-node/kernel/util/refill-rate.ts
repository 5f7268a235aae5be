// A refill rate as an exact fraction: `tokens` every `everyMs` milliseconds, both integers. A token
// bucket counts in units of 1/everyMs token, so one millisecond adds exactly `tokens` units and a
// token costs exactly `everyMs`: no rounding error builds up, however many small refills there are
// (in floating point, ten refills of 0.1 token make 0.9999999999999999, and a peer sending at
// exactly its rate would be refused).
//
// Rates are configured per second as plain numbers (20, 0.1, 240 / 60). The fraction is the first
// continued-fraction convergent within RATE_RELATIVE_PRECISION of the number: exact for every rate
// that is a ratio of small integers, and off by less than a billionth otherwise.

export interface RefillRate {
  /** Tokens added every `everyMs` milliseconds; a positive safe integer. */
  readonly tokens: number;
  /** A positive safe integer, in lowest terms with `tokens`. */
  readonly everyMs: number;
}

/** How far a rate's fraction may be from the number it was given as. */
export const RATE_RELATIVE_PRECISION = 1e-9;
/** Largest denominator tried for a rate per second: one token every ~31 years at the slowest. */
export const RATE_MAX_DENOMINATOR = 1_000_000_000;
/** Continued-fraction terms tried at most (a double needs fewer than 40). */
const MAX_TERMS = 64;
const MS_PER_SECOND = 1000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** `perSecond` as an exact fraction of tokens per milliseconds; RangeError when it cannot be one. */
export function refillRate(perSecond: number): RefillRate {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a refill rate must be a positive finite number of tokens per second (got ${perSecond})`);
  // Convergents p/q of perSecond: h/k is the latest, hPrev/kPrev the one before.
  let [hPrev, h, kPrev, k] = [0, 1, 1, 0];
  let rest = perSecond;
  for (let term = 0; term < MAX_TERMS; term++) {
    const a = Math.floor(rest);
    const [hNext, kNext] = [a * h + hPrev, a * k + kPrev];
    if (kNext > RATE_MAX_DENOMINATOR || !Number.isSafeInteger(hNext)) break;
    [hPrev, h, kPrev, k] = [h, hNext, k, kNext];
    if (Math.abs(h / k - perSecond) <= perSecond * RATE_RELATIVE_PRECISION) break;
    const fraction = rest - a;
    if (fraction === 0) break;
    rest = 1 / fraction;
  }
  if (k === 0 || h === 0 || Math.abs(h / k - perSecond) > perSecond * RATE_RELATIVE_PRECISION) {
    throw new RangeError(`a refill rate of ${perSecond} tokens per second is out of range`);
  }
  // h tokens per k seconds = h tokens per 1000·k ms, in lowest terms.
  const everyMs = k * MS_PER_SECOND;
  const divisor = gcd(h, everyMs);
  return { tokens: h / divisor, everyMs: everyMs / divisor };
}
