// Reconnect backoff (DESIGN.md §7): exponential from RECONNECT_BACKOFF_MIN_MS, doubling per
// attempt, capped at RECONNECT_BACKOFF_MAX_MS, with full jitter so that peers which lost the same
// node at the same moment do not all come back at the same moment.
import { RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_MIN_MS } from '../../../src-shared/protocol/profile.js';

/** A uniform random number in [0, 1). Injected so tests can pin the jitter. */
export type RandomSource = () => number;

export interface BackoffBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

export const RECONNECT_BACKOFF: BackoffBounds = { minMs: RECONNECT_BACKOFF_MIN_MS, maxMs: RECONNECT_BACKOFF_MAX_MS };

/** Past this many doublings every ceiling is the maximum anyway; it keeps 2^attempt finite. */
const MAX_DOUBLINGS = 52;

/**
 * The jitter ceiling for an attempt: min(max, min · 2^attempt). Attempt 0 is the first retry
 * after the first failure. Negative or fractional attempts count as the integer below (at least 0).
 */
export function backoffCeilingMs(attempt: number, bounds: BackoffBounds = RECONNECT_BACKOFF): number {
  const n = Number.isFinite(attempt) ? Math.min(MAX_DOUBLINGS, Math.max(0, Math.floor(attempt))) : attempt > 0 ? MAX_DOUBLINGS : 0;
  return Math.min(bounds.maxMs, bounds.minMs * 2 ** n);
}

/**
 * Full jitter: a delay drawn uniformly from [0, ceiling), in whole milliseconds.
 * `random` is clamped into [0, 1) so a faulty source can never give a delay past the ceiling.
 */
export function backoffDelayMs(attempt: number, random: RandomSource = Math.random, bounds: BackoffBounds = RECONNECT_BACKOFF): number {
  const ceiling = backoffCeilingMs(attempt, bounds);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * ceiling);
}
