// What the work scheduler tells credit when validation has decided about one result of one PNode
// (issue 13 §5): the hook `CreditOutboxModule.onValidated(fact)` takes one of these per result —
// per replica, not per task: each PNode that returned a result gets its own receipt, validated or
// not. Invalid, late or unverified results are reported too: they earn nothing, and the PNode's
// count of rejected results comes from their receipts.
import type { CreditClaim, ResultOutcome } from '../../../../src-shared/credit/credit-formula.js';

export interface ValidatedFact {
  /** The PNode that returned the result. */
  readonly pnode: string;
  /** The id the PNode received in its vnode-task (the replica's id), so it can match the receipt to its work. */
  readonly taskId: string;
  /** The project that submitted the task: its key's fingerprint (z…) and name. */
  readonly project: { readonly key: string; readonly name: string };
  readonly outcome: ResultOutcome;
  /** When validation decided, ms since the epoch. */
  readonly validatedAt: number;
  /**
   * This PNode's claim: the CPU time it reported, the orchestrator's benchmark of it (null when
   * not measured; never the PNode's own figure), and the wall time from sending the task to
   * receiving the result, by the orchestrator's clock.
   */
  readonly claim: CreditClaim;
  /** The task's running-time budget (needs.max-ms). */
  readonly budgetMs: number;
  /** The claims of the other replicas that agreed with this result; the award is the lowest (credit-formula.ts). */
  readonly agreeing?: readonly CreditClaim[];
}
