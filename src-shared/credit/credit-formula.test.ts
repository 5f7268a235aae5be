import { describe, expect, it } from 'vitest';
import schema from '../protocol/schemas/credit-receipt.v1.schema.json' with { type: 'json' };
import {
  MAX_CREDITED_BENCH_MOPS,
  MAX_CREDITED_CPU_MS,
  MAX_CREDIT_MICRO,
  MICRO_PER_COBBLESTONE,
  REFERENCE_BENCH_MOPS,
  UNMEASURED_BENCH_MOPS,
  computeCredit,
  creditFor,
  type CreditClaim,
} from './credit-formula.js';
import { MAX_RECEIPT_CPU_MS } from './credit-receipt.js';

const DAY_MS = 86_400_000;
const claim = (cpuMs: number, benchMops: number | null = REFERENCE_BENCH_MOPS, wallMs = cpuMs): CreditClaim => ({ cpuMs, benchMops, wallMs });

describe('credit formula (cobblestones, in micro-cobblestones)', () => {
  it('gives 200 cobblestones for a day of CPU on the reference core, as BOINC does', () => {
    const award = computeCredit({ outcome: 'validated', claim: claim(DAY_MS), budgetMs: DAY_MS });
    expect(award.creditMicro).toBe(200 * MICRO_PER_COBBLESTONE);
  });

  it('is proportional to CPU time and to benchmark speed', () => {
    const base = computeCredit({ outcome: 'validated', claim: claim(43_200), budgetMs: 3_600_000 }).creditMicro;
    expect(base).toBe(100_000);
    expect(computeCredit({ outcome: 'validated', claim: claim(86_400), budgetMs: 3_600_000 }).creditMicro).toBe(2 * base);
    expect(computeCredit({ outcome: 'validated', claim: claim(43_200, 3 * REFERENCE_BENCH_MOPS), budgetMs: 3_600_000 }).creditMicro).toBe(3 * base);
    // One second on the reference core: 200e6 / 86,400 µcs, rounded down.
    expect(creditFor(1_000, REFERENCE_BENCH_MOPS)).toBe(Math.floor(200e6 / 86_400));
  });

  it('earns nothing for a result that is invalid, late or unverified', () => {
    for (const outcome of ['invalid', 'late', 'unverified'] as const) {
      const award = computeCredit({ outcome, claim: claim(60_000), budgetMs: 3_600_000 });
      expect(award.creditMicro, outcome).toBe(0);
      expect(award.creditedCpuMs).toBe(60_000);
    }
  });

  it('caps a lying benchmark at the fastest credited core', () => {
    const honest = computeCredit({ outcome: 'validated', claim: claim(60_000, MAX_CREDITED_BENCH_MOPS), budgetMs: 3_600_000 });
    const lying = computeCredit({ outcome: 'validated', claim: claim(60_000, 1e12), budgetMs: 3_600_000 });
    expect(lying).toEqual(honest);
    expect(lying.creditedBenchMops).toBe(MAX_CREDITED_BENCH_MOPS);
  });

  it('credits an unmeasured PNode at a quarter of the reference speed', () => {
    const award = computeCredit({ outcome: 'validated', claim: claim(60_000, null), budgetMs: 3_600_000 });
    expect(award.creditedBenchMops).toBe(UNMEASURED_BENCH_MOPS);
    expect(award.creditMicro).toBe(creditFor(60_000, UNMEASURED_BENCH_MOPS));
  });

  it('caps claimed CPU time by the task budget, by the wall time the orchestrator saw, and at a day', () => {
    expect(computeCredit({ outcome: 'validated', claim: claim(10_000_000, 1_000, 10_000_000), budgetMs: 60_000 }).creditedCpuMs).toBe(60_000);
    expect(computeCredit({ outcome: 'validated', claim: claim(50_000, 1_000, 2_000), budgetMs: 60_000 }).creditedCpuMs).toBe(2_000);
    expect(computeCredit({ outcome: 'validated', claim: claim(5 * DAY_MS, 1_000, 5 * DAY_MS), budgetMs: 5 * DAY_MS }).creditedCpuMs).toBe(MAX_CREDITED_CPU_MS);
    expect(computeCredit({ outcome: 'validated', claim: claim(4_000, 1_000, 2_000), budgetMs: 60_000, cores: 2 }).creditedCpuMs).toBe(4_000);
  });

  it('grants the lowest claim among the replicas that agreed: an inflating PNode gains nothing', () => {
    const honest = claim(10_000, 2_000);
    const inflated = claim(59_000, 2_000, 59_000);
    const forLiar = computeCredit({ outcome: 'validated', claim: inflated, budgetMs: 60_000, agreeing: [honest] });
    const forHonest = computeCredit({ outcome: 'validated', claim: honest, budgetMs: 60_000, agreeing: [inflated] });
    expect(forLiar.creditMicro).toBe(creditFor(10_000, 2_000));
    expect(forHonest.creditMicro).toBe(creditFor(10_000, 2_000));
    // A slower machine that agreed did the same work: its lower speed and longer time weigh the same.
    const slow = claim(20_000, 1_000);
    expect(computeCredit({ outcome: 'validated', claim: honest, budgetMs: 60_000, agreeing: [slow] }).creditMicro).toBe(creditFor(10_000, 2_000));
  });

  it('reads nonsense numbers as nothing', () => {
    for (const cpuMs of [Number.NaN, -5, Number.POSITIVE_INFINITY]) {
      expect(computeCredit({ outcome: 'validated', claim: claim(cpuMs, 1_000, 1_000), budgetMs: 60_000 }).creditMicro).toBe(0);
    }
    expect(computeCredit({ outcome: 'validated', claim: claim(1_000, -1), budgetMs: 60_000 }).creditMicro).toBe(0);
  });

  it('never exceeds MAX_CREDIT_MICRO, and the receipt schema holds the same limits', () => {
    const most = computeCredit({ outcome: 'validated', claim: claim(10 * DAY_MS, 1e9, 10 * DAY_MS), budgetMs: 10 * DAY_MS });
    expect(most.creditMicro).toBe(MAX_CREDIT_MICRO);
    expect(MAX_CREDIT_MICRO * 1).toBeLessThan(2 ** 32);
    const p = schema.properties;
    expect(p['credit/micro'].maximum).toBe(MAX_CREDIT_MICRO);
    expect(p['bench/mops'].maximum).toBe(MAX_CREDITED_BENCH_MOPS);
    expect(p['credited/cpu-ms'].maximum).toBe(MAX_CREDITED_CPU_MS);
    expect(p['cpu/ms'].maximum).toBe(MAX_RECEIPT_CPU_MS);
  });
});
