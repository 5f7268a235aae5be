// Credit for one result (issue 13 §5), after BOINC's cobblestone: a unit of work is CPU time
// weighted by how fast the computer is, as a benchmark measured it. One cobblestone is 1/200 of a
// day of CPU time on a reference core that does REFERENCE_BENCH_MOPS million operations per second
// (BOINC: 1 GFLOPS by Whetstone). Credit is an integer in micro-cobblestones (µcs) so that it
// travels in signed CBOR and JSON bodies without floats; the UI divides by 1,000,000.
//
//   credited CPU ms  = min(reported CPU ms, task budget ms, observed wall ms × cores, MAX_CREDITED_CPU_MS)
//   credited speed   = min(benchmark MOPS, MAX_CREDITED_BENCH_MOPS)   (UNMEASURED_BENCH_MOPS when none)
//   claim (µcs)      = floor(credited CPU ms × credited speed / MS_MOPS_PER_MICRO_COBBLESTONE)
//   award (µcs)      = the lowest claim among the replicas that agreed on the result (this one
//                      included), and 0 for a result that is not validated
//
// MS_MOPS_PER_MICRO_COBBLESTONE = (86,400,000 ms × 1,000 MOPS) / (200 cobblestones × 1,000,000 µcs)
// = 432: a day of CPU on the reference core earns 200 cobblestones, as in BOINC.
//
// Why each cap. The CPU time is the PNode's own report, and the benchmark may be a PNode's lie:
// the budget and the wall time the orchestrator saw (from sending the task to getting the result)
// bound what a PNode can claim to have spent; the benchmark is the orchestrator's measurement,
// capped at a plausible core; and the replicas of one task did the same work, so granting the
// lowest claim among those that agreed (BOINC's rule for two replicas) means a PNode that inflates
// its claim gains nothing as long as one honest replica agreed with it. Invalid, late and
// unverified results earn nothing.

/** Million operations per second of the reference core (BOINC: 1 GFLOPS). */
export const REFERENCE_BENCH_MOPS = 1_000;
/** A core faster than this is not believed: a lying benchmark cannot inflate credit past it. */
export const MAX_CREDITED_BENCH_MOPS = 16_000;
/** The speed credited to a PNode the orchestrator has not measured: a quarter of the reference. */
export const UNMEASURED_BENCH_MOPS = 250;
/** CPU time credited for one result, at most: one day. */
export const MAX_CREDITED_CPU_MS = 86_400_000;
/** ms × MOPS per micro-cobblestone (see the header). */
export const MS_MOPS_PER_MICRO_COBBLESTONE = 432;
/** Micro-cobblestones in a cobblestone. */
export const MICRO_PER_COBBLESTONE = 1_000_000;
/** The most one result can earn: a day at the fastest credited core (3,200 cobblestones). */
export const MAX_CREDIT_MICRO = Math.floor((MAX_CREDITED_CPU_MS * MAX_CREDITED_BENCH_MOPS) / MS_MOPS_PER_MICRO_COBBLESTONE);
/** The unit the integers count, as the contract names it. */
export const CREDIT_UNIT = 'micro-cobblestone';

/** What validation decided about one result. Only `validated` earns credit. */
export type ResultOutcome = 'validated' | 'invalid' | 'late' | 'unverified';
export const RESULT_OUTCOMES: readonly ResultOutcome[] = ['validated', 'invalid', 'late', 'unverified'];

/** One replica's claim, as the orchestrator saw it. */
export interface CreditClaim {
  /** CPU time the PNode reported for its result. */
  readonly cpuMs: number;
  /** The orchestrator's benchmark of that PNode (never the PNode's own claim); null: not measured. */
  readonly benchMops: number | null;
  /** From sending the task to receiving the result, by the orchestrator's clock. */
  readonly wallMs: number;
}

export interface CreditInput {
  readonly outcome: ResultOutcome;
  /** This PNode's claim. */
  readonly claim: CreditClaim;
  /** The task's running-time budget (needs.max-ms). */
  readonly budgetMs: number;
  /** Cores the task could use (work VNodes have one). */
  readonly cores?: number;
  /** The claims of the other replicas that agreed with this result (quorum); none for a result accepted alone. */
  readonly agreeing?: readonly CreditClaim[];
}

export interface CreditAward {
  /** Micro-cobblestones; 0 unless validated. */
  readonly creditMicro: number;
  /** The CPU time the claim was credited for, after the caps. */
  readonly creditedCpuMs: number;
  /** The speed the claim was credited at, after the cap. */
  readonly creditedBenchMops: number;
}

/** A count from an untrusted number: a non-negative integer, 0 for anything else. */
function whole(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function creditedBench(benchMops: number | null): number {
  if (benchMops === null) return UNMEASURED_BENCH_MOPS;
  return Math.min(whole(benchMops), MAX_CREDITED_BENCH_MOPS);
}

export function creditedCpuMs(claim: CreditClaim, budgetMs: number, cores: number): number {
  return Math.min(whole(claim.cpuMs), whole(budgetMs), whole(claim.wallMs) * Math.max(1, whole(cores)), MAX_CREDITED_CPU_MS);
}

/** µcs for CPU time at a speed (both already capped). Exact in doubles: the product stays below 2^53. */
export function creditFor(cpuMs: number, benchMops: number): number {
  return Math.floor((whole(cpuMs) * whole(benchMops)) / MS_MOPS_PER_MICRO_COBBLESTONE);
}

function claimCredit(claim: CreditClaim, budgetMs: number, cores: number): number {
  return creditFor(creditedCpuMs(claim, budgetMs, cores), creditedBench(claim.benchMops));
}

/** The credit one result earns (pure; the header states the formula). */
export function computeCredit(input: CreditInput): CreditAward {
  const cores = input.cores ?? 1;
  const cpu = creditedCpuMs(input.claim, input.budgetMs, cores);
  const bench = creditedBench(input.claim.benchMops);
  if (input.outcome !== 'validated') return { creditMicro: 0, creditedCpuMs: cpu, creditedBenchMops: bench };
  let award = creditFor(cpu, bench);
  for (const other of input.agreeing ?? []) award = Math.min(award, claimCredit(other, input.budgetMs, cores));
  return { creditMicro: Math.min(award, MAX_CREDIT_MICRO), creditedCpuMs: cpu, creditedBenchMops: bench };
}
