import { describe, expect, it } from 'vitest';
import { computeCredit } from '../../../../src-shared/credit/credit-formula.js';
import { BENCHMARK_OPS_PER_NUMBER, benchmarkMops } from './benchmark.js';
import { MAX_RECEIPT_PROJECT_NAME, creditFactOf, receiptProjectName } from './credit-facts.js';
import type { ValidatedResult } from './work-scheduler.js';

const KEY = 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

function result(change: Partial<ValidatedResult> = {}): ValidatedResult {
  return {
    task: 'task:1',
    batch: 'batch:1',
    project: KEY,
    pnode: 'node:did:key:zPNode',
    replica: 'att:replica1',
    cpuMs: 1_200,
    benchmarkScore: 500_000,
    validatedAt: 1_700_000_000_000,
    wallMs: 1_500,
    budgetMs: 60_000,
    agreeing: [{ cpuMs: 900, benchmarkScore: null, wallMs: 1_000 }],
    ...change,
  };
}

describe('credit facts of validated results', () => {
  it('credits the replica id the PNode ran, as validated, with the benchmark in MOPS and the agreeing claims', () => {
    const fact = creditFactOf(result(), 'Primes');
    expect(fact).toEqual({
      pnode: 'node:did:key:zPNode',
      taskId: 'att:replica1',
      project: { key: KEY, name: 'Primes' },
      outcome: 'validated',
      validatedAt: 1_700_000_000_000,
      claim: { cpuMs: 1_200, benchMops: (500_000 * BENCHMARK_OPS_PER_NUMBER) / 1_000_000, wallMs: 1_500 },
      budgetMs: 60_000,
      agreeing: [{ cpuMs: 900, benchMops: null, wallMs: 1_000 }],
    });
    // The award is the lowest claim among those that agreed: here the unmeasured one's.
    const award = computeCredit({ outcome: fact.outcome, claim: fact.claim, budgetMs: fact.budgetMs, agreeing: fact.agreeing! });
    const alone = computeCredit({ outcome: fact.outcome, claim: fact.claim, budgetMs: fact.budgetMs });
    expect(award.creditMicro).toBeGreaterThan(0);
    expect(award.creditMicro).toBeLessThan(alone.creditMicro);
  });

  it('a benchmark score is at least 1 MOPS', () => {
    expect(benchmarkMops(1)).toBe(1);
    expect(benchmarkMops(1_250_000)).toBe(1_000);
  });

  it('a project name fits the receipt: control characters out, 64 characters at most, the key when nothing is left', () => {
    expect(receiptProjectName('Prime\u0000hunt\n', KEY)).toBe('Prime hunt');
    expect(Array.from(receiptProjectName('é'.repeat(100), KEY))).toHaveLength(MAX_RECEIPT_PROJECT_NAME);
    expect(receiptProjectName('\u0001\u0002', KEY)).toBe(KEY);
    expect(receiptProjectName(undefined, KEY)).toBe(KEY);
  });
});
