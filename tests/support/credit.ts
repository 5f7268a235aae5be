// Test helper: credit receipts signed by a real orchestrator identity, numbered in sequence.
import { computeCredit, type ResultOutcome } from '../../src-shared/credit/credit-formula.js';
import { type CreditReceipt, type ReceiptInput, issueCreditReceipt } from '../../src-shared/credit/credit-receipt.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import type { ValidatedFact } from '../../src-node/services/orchestrator/credit/validated-fact.js';
import { testIdentity } from './identities.js';

export const TEST_PROJECT = { key: testIdentity(0x50).keyPublic, name: 'Test project' };
export const TEST_EPOCH = 'seq:01JTESTEPOCH000000000000001';

export interface ReceiptSource {
  readonly orchestrator: NodeIdentity;
  /** The next receipt in sequence (cpuMs of work at 1,000 MOPS). */
  next(change?: Partial<ReceiptInput> & { cpuMs?: number }): CreditReceipt;
  /** A receipt with exactly this number (and epoch). */
  numbered(sequence: number, change?: Partial<ReceiptInput>): CreditReceipt;
}

export function receiptSource(orchestrator: NodeIdentity, pnode: string, start: { epoch?: string; now?: () => number } = {}): ReceiptSource {
  let sequence = 0;
  const now = start.now ?? (() => Date.parse('2026-11-21T12:00:00Z'));
  const make = (n: number, change: Partial<ReceiptInput> & { cpuMs?: number } = {}): CreditReceipt => {
    const cpuMs = change.cpuMs ?? 43_200;
    const outcome: ResultOutcome = change.outcome ?? 'validated';
    return issueCreditReceipt(
      {
        pnode,
        project: TEST_PROJECT,
        taskId: `att:task${n}`,
        outcome,
        validatedAt: now(),
        cpuMs,
        award: computeCredit({ outcome, claim: { cpuMs, benchMops: 1_000, wallMs: cpuMs }, budgetMs: 3_600_000 }),
        epoch: start.epoch ?? TEST_EPOCH,
        sequence: n,
        ...change,
      },
      orchestrator.signer,
    );
  };
  return {
    orchestrator,
    next: (change) => make(++sequence, change),
    numbered: (n, change) => make(n, change),
  };
}

/** A fact as the scheduler would report it. */
export function validatedFact(pnode: string, taskId: string, change: Partial<ValidatedFact> = {}): ValidatedFact {
  return {
    pnode,
    taskId,
    project: TEST_PROJECT,
    outcome: 'validated',
    validatedAt: Date.parse('2026-11-21T12:00:00Z'),
    claim: { cpuMs: 43_200, benchMops: 1_000, wallMs: 45_000 },
    budgetMs: 3_600_000,
    ...change,
  };
}
