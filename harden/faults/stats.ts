// Summaries of timing samples for the fault scenarios' tables: pure functions.

export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

const EMPTY: Summary = { n: 0, mean: 0, p50: 0, p95: 0, max: 0 };

/** The value at quantile `q` (0…1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return EMPTY;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  return { n: sorted.length, mean, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted[sorted.length - 1]! };
}

/** The gaps between consecutive times (ascending input). */
export function gaps(times: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(times[i]! - times[i - 1]!);
  return out;
}

export interface IntervalFigures {
  /** Gaps measured. */
  readonly n: number;
  readonly meanMs: number;
  /** |gap − expected| / expected, in percent. */
  readonly meanDeviationPct: number;
  readonly p95DeviationPct: number;
  readonly maxDeviationPct: number;
}

/** How far the gaps between `times` stray from `expectedMs`. */
export function intervalFigures(times: readonly number[], expectedMs: number): IntervalFigures {
  const between = gaps(times);
  const deviations = between.map((g) => (Math.abs(g - expectedMs) / expectedMs) * 100);
  const d = summarize(deviations);
  return { n: between.length, meanMs: summarize(between).mean, meanDeviationPct: d.mean, p95DeviationPct: d.p95, maxDeviationPct: d.max };
}
