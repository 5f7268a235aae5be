// Helpers shared by the target definitions: defaults, and turning the expected error type of a
// decoder into its outcome code (anything else thrown is left to escape: the runner counts it as
// a crash).
import { ProtocolError, type Result } from '../../src-shared/protocol/errors.js';
import type { FuzzContext, FuzzSession, FuzzTarget } from '../lib/fuzz.js';
import { type Captures, captures } from '../lib/captures.js';

/** The floor: every decoder and gate sees at least this many inputs at scale 1. */
export const FULL_INPUTS = 100_000;
/** In-process decoders answer in microseconds; a millisecond-scale answer is suspicious, a second is a hang. */
export const IN_PROCESS_LIMIT_MS = 1_000;

export interface TargetSpec {
  readonly name: string;
  readonly drives: string;
  readonly sources: string;
  readonly inputs?: number;
  readonly timeLimitMs?: number;
  readonly concurrency?: number;
  readonly batch?: number;
  open(context: FuzzContext, captures: Captures): Promise<FuzzSession<unknown>> | FuzzSession<unknown>;
}

/** A target with the usual defaults (100,000 inputs, 1 s per input), opened over the seed's captures. */
export function defineTarget(spec: TargetSpec): FuzzTarget {
  return {
    name: spec.name,
    drives: spec.drives,
    sources: spec.sources,
    inputs: spec.inputs ?? FULL_INPUTS,
    timeLimitMs: spec.timeLimitMs ?? IN_PROCESS_LIMIT_MS,
    ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
    ...(spec.batch !== undefined ? { batch: spec.batch } : {}),
    async open(context) {
      return spec.open(context, await captures(context.seed));
    },
  };
}

/** "ok", or the code of the failure. */
export function resultOutcome(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.error.code;
}

/** Runs `fn`: "ok", or the code of a ProtocolError it throws (anything else escapes). */
export function protocolOutcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
}

/** A session whose inputs are drawn by `next` and answered by `run`. */
export function session<I>(next: FuzzSession<I>['next'], run: FuzzSession<I>['run'], extra: Partial<FuzzSession<I>> = {}): FuzzSession<unknown> {
  return { next, run, ...extra } as FuzzSession<unknown>;
}
