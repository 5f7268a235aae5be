// The fuzzing core: a target is a real decoder, gate or network surface plus a way to make its
// inputs; the runner feeds it N seeded inputs and counts what happened to each.
//
// - An outcome is what the code answered: "ok", an error code (E_…), an HTTP status with its code,
//   a command error code. Targets catch the error type their code is meant to throw and turn it
//   into its code; anything else that escapes `run` is a crash.
// - A violation is an answer that must never happen even without a crash (a mutated signed
//   artifact accepted with a signing input we never signed, a tampered frame that decrypts).
// - A hang is an input left unanswered; a slow answer is one that came after the target's
//   per-input limit. Both must be 0 in `npm run harden`; the smoke tests in `npm test` wait longer
//   before calling an input hung and print slow answers without failing on them (a busy machine is
//   slow, not broken).
// - Surfaces (HTTP, WebSocket) are health-checked after every batch: a valid request must still
//   be served.
// Crashes, hangs, slow answers, violations and failed health checks must all be 0.
import { performance } from 'node:perf_hooks';
import { Rng, deriveSeed, scaled } from './random.js';
import { collectGarbage } from './memory.js';

export type InputSource = string;

export interface FuzzInput<I> {
  readonly value: I;
  /** Where it came from: "generated", "mutated", "mutated+resigned", "capture", ... */
  readonly source: InputSource;
}

export interface Verdict {
  readonly outcome: string;
  /** Set when the answer breaks an invariant (counted as a violation). */
  readonly violation?: string;
}

export type Outcome = string | Verdict;

export interface FuzzSession<I> {
  /** The input number `index`, drawn from `rng` only (so a seed replays it). */
  next(rng: Rng, index: number): FuzzInput<I>;
  run(input: I): Outcome | Promise<Outcome>;
  /** Throws when the surface no longer serves a valid request; run after every batch. */
  healthCheck?(): Promise<void> | void;
  close?(): Promise<void> | void;
  /** A JSON-able dump of an input, for findings. */
  show?(input: I): unknown;
}

export interface FuzzTarget {
  readonly name: string;
  /** The real code it drives. */
  readonly drives: string;
  /** Where its inputs come from. */
  readonly sources: string;
  /** Inputs at scale 1 (the issue asks for at least 100,000 per decoder and gate). */
  readonly inputs: number;
  /** An input taking longer than this is a hang. */
  readonly timeLimitMs: number;
  /** Inputs in flight at once (network surfaces). */
  readonly concurrency?: number;
  /** Inputs between health checks. */
  readonly batch?: number;
  open(context: FuzzContext): Promise<FuzzSession<unknown>>;
}

export interface FuzzContext {
  readonly seed: number;
  /** A scratch folder the target may use. */
  readonly workDir: string;
  /** The run's scale (inputs run / inputs at scale 1), for targets that size other work by it. */
  readonly scale: number;
  /**
   * How long a health check waits for the valid request it makes: the target's limit in `npm run
   * harden`, the give-up time when one is given (the smoke tests' patience).
   */
  readonly healthWaitMs: number;
}

export interface Finding {
  readonly kind: 'crash' | 'hang' | 'slow' | 'violation' | 'health';
  readonly index: number;
  readonly source: string;
  readonly message: string;
  readonly input?: unknown;
}

export interface TargetReport {
  readonly name: string;
  readonly drives: string;
  readonly sources: string;
  readonly seed: number;
  readonly inputs: number;
  readonly bySource: Readonly<Record<string, number>>;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly crashes: number;
  /** Inputs with no answer within the give-up time. */
  readonly hangs: number;
  /** Inputs answered, but after the target's time limit: a speed figure. */
  readonly slow: number;
  readonly violations: number;
  readonly healthChecks: number;
  readonly healthFailures: number;
  readonly maxMs: number;
  readonly meanUs: number;
  /** Heap after a GC at the end minus heap after a GC once the target was set up, MiB. */
  readonly heapGrowthMb: number;
  readonly seconds: number;
  /** The first findings of each kind (inputs included), for regression tests. */
  readonly findings: readonly Finding[];
}

export interface RunOptions {
  readonly seed: number;
  readonly scale: number;
  readonly workDir: string;
  /** Overrides the scaled count (the smoke tests use a fixed count). */
  readonly count?: number;
  /** Findings kept per kind. */
  readonly keepFindings?: number;
  /**
   * How long an async input may stay unanswered before it is given up on as a hang (default
   * ASYNC_GIVE_UP_FACTOR times the target's limit). The smoke tests pass their patience.
   */
  readonly giveUpMs?: number;
}

const DEFAULT_BATCH = 1_000;
const FINDINGS_PER_KIND = 10;
/** An async input still unanswered after this many times its limit is given up on (and is a hang). */
const ASYNC_GIVE_UP_FACTOR = 4;

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2_000) + (error.stack ? `\n${error.stack.split('\n').slice(1, 6).join('\n')}` : '');
  return String(error).slice(0, 2_000);
}

function safeShow(session: FuzzSession<unknown>, value: unknown): unknown {
  try {
    return session.show ? session.show(value) : showValue(value);
  } catch (error) {
    return `(cannot show: ${describeError(error)})`;
  }
}

/** A JSON-able view of any input: byte strings as hex, long text cut. */
export function showValue(value: unknown, depth = 0): unknown {
  if (value instanceof Uint8Array) return { hex: Buffer.from(value.subarray(0, 65_536)).toString('hex'), length: value.length };
  if (typeof value === 'string') return value.length > 65_536 ? `${value.slice(0, 65_536)}…(${value.length})` : value;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Object.is(value, -0)) return '-0';
  if (value === null || typeof value !== 'object') return value;
  if (depth > 40) return '(deeper)';
  if (Array.isArray(value)) return value.slice(0, 2_000).map((v) => showValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).slice(0, 2_000)) Object.defineProperty(out, key, { value: showValue((value as Record<string, unknown>)[key], depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Errors thrown outside any `run` (a timer, a socket handler) while a target runs: counted as its crashes. */
class Stray {
  errors: unknown[] = [];
  private readonly onError = (error: unknown): void => {
    this.errors.push(error);
  };

  install(): void {
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
  }

  remove(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }
}

function timeout(ms: number): { promise: Promise<'hang'>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function isPromise(value: unknown): value is Promise<Outcome> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Runs one target: `count` seeded inputs (or its scaled count), every outcome tallied. */
export async function runFuzzTarget(target: FuzzTarget, options: RunOptions): Promise<TargetReport> {
  const count = options.count ?? scaled(target.inputs, options.scale, 50);
  const keep = options.keepFindings ?? FINDINGS_PER_KIND;
  const rng = new Rng(deriveSeed(options.seed, target.name));
  const gc = collectGarbage();
  const started = performance.now();
  const session = await target.open({ seed: deriveSeed(options.seed, `${target.name}/setup`), workDir: options.workDir, scale: count / target.inputs, healthWaitMs: options.giveUpMs ?? target.timeLimitMs });
  gc();
  const heapBefore = process.memoryUsage().heapUsed;

  const bySource: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const findings: Finding[] = [];
  const kept: Record<Finding['kind'], number> = { crash: 0, hang: 0, slow: 0, violation: 0, health: 0 };
  const giveUpMs = options.giveUpMs ?? target.timeLimitMs * ASYNC_GIVE_UP_FACTOR;
  let crashes = 0;
  let hangs = 0;
  let slow = 0;
  let violations = 0;
  let healthChecks = 0;
  let healthFailures = 0;
  let maxMs = 0;
  let totalMs = 0;
  const note = (finding: Finding, withInput: unknown): void => {
    if (kept[finding.kind] >= keep) return;
    kept[finding.kind]++;
    findings.push(withInput === undefined ? finding : { ...finding, input: safeShow(session, withInput) });
  };
  const tally = (outcome: string): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  const record = (index: number, input: FuzzInput<unknown>, result: Outcome | 'hang' | { crash: unknown }, ms: number): void => {
    bySource[input.source] = (bySource[input.source] ?? 0) + 1;
    if (ms > maxMs) maxMs = ms;
    totalMs += ms;
    if (result === 'hang') {
      hangs++;
      tally('(hang)');
      note({ kind: 'hang', index, source: input.source, message: `no answer within ${giveUpMs} ms` }, input.value);
      return;
    }
    if (ms > target.timeLimitMs) {
      slow++;
      note({ kind: 'slow', index, source: input.source, message: `took ${ms.toFixed(1)} ms (limit ${target.timeLimitMs} ms)` }, input.value);
    }
    if (typeof result === 'object' && 'crash' in result) {
      crashes++;
      tally('(crash)');
      note({ kind: 'crash', index, source: input.source, message: describeError(result.crash) }, input.value);
      return;
    }
    const verdict = typeof result === 'string' ? { outcome: result } : result;
    tally(verdict.outcome);
    if (verdict.violation !== undefined) {
      violations++;
      note({ kind: 'violation', index, source: input.source, message: verdict.violation }, input.value);
    }
  };

  const stray = new Stray();
  stray.install();
  let strayCounted = 0;
  const countStrays = (index: number): void => {
    while (strayCounted < stray.errors.length) {
      crashes++;
      tally('(uncaught)');
      note({ kind: 'crash', index, source: 'uncaught', message: describeError(stray.errors[strayCounted]) }, undefined);
      strayCounted++;
    }
  };

  const runOne = async (index: number): Promise<void> => {
    const input = session.next(rng, index);
    const t0 = performance.now();
    let result: Outcome | 'hang' | { crash: unknown };
    try {
      const answer = session.run(input.value);
      if (isPromise(answer)) {
        const limit = timeout(giveUpMs);
        try {
          result = await Promise.race([answer, limit.promise]);
        } finally {
          limit.cancel();
        }
        answer.catch(() => undefined);
      } else {
        result = answer;
      }
    } catch (error) {
      result = { crash: error };
    }
    record(index, input, result, performance.now() - t0);
  };

  const batch = target.batch ?? (session.healthCheck ? DEFAULT_BATCH : count);
  const concurrency = Math.max(1, target.concurrency ?? 1);
  try {
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      if (concurrency === 1) {
        for (let index = start; index < end; index++) {
          await runOne(index);
          if (stray.errors.length > strayCounted) countStrays(index);
        }
      } else {
        let nextIndex = start;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (nextIndex < end) await runOne(nextIndex++);
          }),
        );
      }
      if (session.healthCheck) {
        healthChecks++;
        try {
          await session.healthCheck();
        } catch (error) {
          healthFailures++;
          note({ kind: 'health', index: end - 1, source: 'health-check', message: describeError(error) }, undefined);
        }
      }
      countStrays(end - 1);
    }
  } finally {
    try {
      await session.close?.();
    } finally {
      // Give late socket events a turn to surface before the handlers go.
      await new Promise((resolve) => setImmediate(resolve));
      countStrays(count - 1);
      stray.remove();
    }
  }
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  return {
    name: target.name,
    drives: target.drives,
    sources: target.sources,
    seed: options.seed,
    inputs: count,
    bySource,
    outcomes,
    crashes,
    hangs,
    slow,
    violations,
    healthChecks,
    healthFailures,
    maxMs,
    meanUs: count > 0 ? (totalMs * 1000) / count : 0,
    heapGrowthMb: (heapAfter - heapBefore) / 2 ** 20,
    seconds: (performance.now() - started) / 1000,
    findings,
  };
}

/** True when a report has nothing that must be 0 and is not. */
export function isClean(report: TargetReport): boolean {
  return report.crashes === 0 && report.hangs === 0 && report.slow === 0 && report.violations === 0 && report.healthFailures === 0;
}
