// The benchmark (issue 13 §4): a PNode's hardware claims are capped by measurement. Before it gets
// more than a minimal VNode (one core, WORK_VNODE_MEMORY_MB) or any project's work, a PNode runs
// one short benchmark task: the real WASI program workloads/primes-wasi counting the primes in a
// random window of BENCHMARK_SPAN numbers near 2^30 (trial division: a steady, single-core load of
// a few tens of ms). The orchestrator knows the answer (a sieve, in a few ms), so a wrong one is a
// lie; the window is random, so the answer cannot be looked up. The score is numbers per second as
// the orchestrator timed the run from sending it to the result, so a PNode cannot claim to be
// faster than it answered; it is kept with the PNode's reputation and is what credit scales by.
import { wasiOutputDigest } from '../../../../src-shared/vnode/wasi-output.js';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { WasiWorkload } from '../../../../src-shared/vnode/wasi-workload.js';
import { countPrimesReference } from '../../../kernel/workloads/demo/primes.js';

/** Numbers one benchmark tests. */
export const BENCHMARK_SPAN = 20_000;
/** The window starts at a random number in [BENCHMARK_FROM, BENCHMARK_TO). */
export const BENCHMARK_FROM = 2 ** 29;
export const BENCHMARK_TO = 2 ** 30;
/** Its running-time budget: a PNode too slow for this gets no work. */
export const BENCHMARK_MAX_MS = 30_000;
export const BENCHMARK_MEMORY_MB = 1;
/** A benchmark is good for this long; then the PNode runs another. */
export const BENCHMARK_VALID_MS = 7 * 24 * 60 * 60_000;
/** Failed benchmarks (wrong, failed or late) after which a PNode gets no more work from this orchestrator (until it restarts). */
export const MAX_BENCHMARK_FAILURES = 3;
/**
 * Trial divisions the benchmark program makes per number it tests, on average over its window
 * range (≈ 817 measured near 2^29–2^30: most of the work is the primes' full runs up to the square
 * root). Turns a score into the million operations per second credit scales by.
 */
export const BENCHMARK_OPS_PER_NUMBER = 800;
/** The benchmark module's name under workloads/. */
export const BENCHMARK_WORKLOAD = 'primes-wasi';

export interface BenchmarkTask {
  readonly workload: WasiWorkload;
  /** The digest an honest result has. */
  readonly expected: ContentHash;
  readonly lo: number;
}

function le32(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return out;
}

/** A benchmark task with a random window (`random` in [0, 1)). */
export function benchmarkTask(module: { hash: ContentHash; size: number }, random: () => number, seed: string): BenchmarkTask {
  const lo = BENCHMARK_FROM + Math.floor(random() * (BENCHMARK_TO - BENCHMARK_FROM - BENCHMARK_SPAN));
  const hi = lo + BENCHMARK_SPAN;
  const count = countPrimesReference(lo, hi);
  return {
    lo,
    expected: wasiOutputDigest(0, le32([count]), []),
    workload: {
      kind: 'wasi',
      moduleHash: module.hash,
      moduleSize: module.size,
      args: [],
      stdin: le32([lo, hi]),
      files: [],
      outputs: [],
      outputCap: 4,
      stderrCap: 256,
      randomSeed: seed,
      needs: { memoryMb: BENCHMARK_MEMORY_MB, maxMs: BENCHMARK_MAX_MS, cores: 1 },
    },
  };
}

/** Numbers tested per second, from the time the orchestrator saw the run take. */
export function benchmarkScore(elapsedMs: number): number {
  return Math.max(1, Math.floor((BENCHMARK_SPAN * 1000) / Math.max(1, elapsedMs)));
}

/** A score as million operations per second (credit-formula.ts's benchMops), at least 1. */
export function benchmarkMops(score: number): number {
  return Math.max(1, Math.floor((score * BENCHMARK_OPS_PER_NUMBER) / 1_000_000));
}
