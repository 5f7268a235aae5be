// A tiny measuring helper for bench/*.bench.ts: run an operation after a warm-up for a bounded
// time (or count), then print ops/s and µs/op in an aligned table, and ratios between rows.
// Figures are for comparing within one run (DESIGN.md §8), not for asserting.
import { cpus, platform, arch, totalmem } from 'node:os';

export interface MeasureOptions {
  /** Time spent running before measuring, in ms (scaled by PNODE_BENCH_SCALE). */
  readonly warmupMs?: number;
  /** Time spent measuring, in ms (scaled by PNODE_BENCH_SCALE). */
  readonly timeMs?: number;
  /** Stop measuring after this many operations even if time remains. */
  readonly maxOps?: number;
  /** The clock, in ns; process.hrtime.bigint unless a test brings its own. */
  readonly clock?: () => bigint;
}

export interface Measurement {
  readonly name: string;
  /** Operations run in the measured stretch. */
  readonly ops: number;
  readonly seconds: number;
  /** The median rate of the measured rounds: one noisy moment does not move it. */
  readonly opsPerSecond: number;
  readonly microsPerOp: number;
  /** (fastest round - slowest round) / median, as a fraction: how noisy the figure is. */
  readonly spread: number;
}

export const DEFAULT_WARMUP_MS = 200;
export const DEFAULT_TIME_MS = 1_000;
/** The measured time is split into this many rounds; the median round gives the figure. */
export const ROUNDS = 5;
/** A batch of calls between two clock reads aims at this long, so reading the clock costs little. */
const TARGET_BATCH_NS = 200_000;
const MAX_BATCH = 1 << 16;

/** PNODE_BENCH_SCALE=0.05 makes every bench run 20× shorter (smoke runs); default 1. */
export function timeScale(): number {
  const raw = process.env['PNODE_BENCH_SCALE'];
  const scale = raw === undefined ? 1 : Number(raw);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Results are folded in here so the optimiser cannot drop the measured work. */
let sink = 0;
function consume(value: unknown): void {
  if (value instanceof Uint8Array) sink = (sink + value.length + (value[0] ?? 0)) | 0;
  else if (typeof value === 'number') sink = (sink + value) | 0;
  else if (typeof value === 'boolean') sink = (sink + (value ? 1 : 0)) | 0;
  else if (value !== undefined && value !== null) sink = (sink + 1) | 0;
}

/** Returns a value that depends on every measured result (print it or ignore it). */
export function sinkValue(): number {
  return sink;
}

function runFor(fn: () => unknown, budgetNs: bigint, maxOps: number, batch: number, clock: () => bigint): { ops: number; ns: bigint } {
  let ops = 0;
  const start = clock();
  let now = start;
  while (now - start < budgetNs && ops < maxOps) {
    const n = Math.min(batch, maxOps - ops);
    for (let i = 0; i < n; i++) consume(fn());
    ops += n;
    now = clock();
  }
  return { ops, ns: now - start };
}

/** Runs `fn` repeatedly: a warm-up, then a measured stretch bounded by time and count. */
export function measure(name: string, fn: () => unknown, options: MeasureOptions = {}): Measurement {
  const scale = timeScale();
  const clock = options.clock ?? process.hrtime.bigint;
  const maxOps = options.maxOps ?? Number.MAX_SAFE_INTEGER;
  const warmupNs = BigInt(Math.max(1, Math.round((options.warmupMs ?? DEFAULT_WARMUP_MS) * scale * 1e6)));
  const timeNs = BigInt(Math.max(1, Math.round((options.timeMs ?? DEFAULT_TIME_MS) * scale * 1e6)));

  // Warm-up, one call at a time, which also tells how many calls make a batch.
  const warm = runFor(fn, warmupNs, maxOps, 1, clock);
  const perOpNs = warm.ops > 0 ? Number(warm.ns) / warm.ops : TARGET_BATCH_NS;
  const batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(TARGET_BATCH_NS / Math.max(perOpNs, 1))));

  const rates: number[] = [];
  let ops = 0;
  let ns = 0n;
  const roundNs = timeNs / BigInt(ROUNDS) || 1n;
  for (let round = 0; round < ROUNDS && ops < maxOps; round++) {
    const run = runFor(fn, roundNs, Math.ceil((maxOps - ops) / (ROUNDS - round)), batch, clock);
    if (run.ops === 0) continue;
    ops += run.ops;
    ns += run.ns;
    rates.push(run.ops / (Number(run.ns) / 1e9));
  }
  rates.sort((a, b) => a - b);
  const median = rates.length === 0 ? 0 : rates[Math.floor(rates.length / 2)]!;
  const spread = rates.length < 2 || median === 0 ? 0 : (rates[rates.length - 1]! - rates[0]!) / median;
  const seconds = Number(ns) / 1e9;
  return { name, ops, seconds, opsPerSecond: median, microsPerOp: median === 0 ? Infinity : 1e6 / median, spread };
}

function grouped(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function micros(value: number): string {
  if (value >= 100) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** Prints rows as an aligned table: operation, ops/s, µs/op, round-to-round spread, operations run. */
export function formatTable(title: string, rows: readonly Measurement[]): string {
  const header = ['operation', 'ops/s', 'µs/op', 'spread', 'ops run'];
  const cells = rows.map((r) => [r.name, grouped(r.opsPerSecond), micros(r.microsPerOp), `±${Math.round((r.spread * 100) / 2)}%`, grouped(r.ops)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ');
  const rule = widths.map((w) => '-'.repeat(w)).join('   ');
  return [`${title}`, line(header), rule, ...cells.map(line), ''].join('\n');
}

export function printTable(title: string, rows: readonly Measurement[]): void {
  process.stdout.write(`${formatTable(title, rows)}\n`);
}

/** `label: 18.4× (a 27,100 ops/s vs b 1,470 ops/s)`: how many times faster `a` ran than `b`. */
export function formatRatio(label: string, a: Measurement, b: Measurement): string {
  const ratio = a.opsPerSecond / b.opsPerSecond;
  const digits = ratio >= 10 ? 1 : 2;
  return `${label}: ${ratio.toFixed(digits)}× (${grouped(a.opsPerSecond)} vs ${grouped(b.opsPerSecond)} ops/s)`;
}

export function printRatio(label: string, a: Measurement, b: Measurement): void {
  process.stdout.write(`${formatRatio(label, a, b)}\n`);
}

/** One line naming the machine and runtime, so figures from different runs are not confused. */
export function printEnvironment(): void {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  process.stdout.write(`node ${process.version} on ${platform()}/${arch()}, ${cpu} ×${cpus().length}, ${memory}; scale ${timeScale()}\n\n`);
}
