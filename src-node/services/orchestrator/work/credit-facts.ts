// From a result the scheduler validated to the fact credit issues a receipt for (issue 13 §5,
// docs/CREDIT.md): the PNode, the id its vnode-task carried (the replica's), the project by key and
// name, and the claims — its own and those of the results that agreed — with the benchmark score
// turned into million operations per second. Pure: the module calls the credit outbox with it.
import type { CreditClaim } from '../../../../src-shared/credit/credit-formula.js';
import type { ValidatedFact as CreditFact } from '../credit/validated-fact.js';
import { benchmarkMops } from './benchmark.js';
import type { ResultClaim, ValidatedResult } from './work-scheduler.js';

/** The longest project name a credit receipt carries (credit-receipt.v1's project/name). */
export const MAX_RECEIPT_PROJECT_NAME = 64;

/** A project's name as a receipt may carry it: no control characters, at most 64 characters, never empty. */
export function receiptProjectName(name: string | undefined, key: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = Array.from((name ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim())
    .slice(0, MAX_RECEIPT_PROJECT_NAME)
    .join('')
    .trim();
  return clean.length > 0 ? clean : Array.from(key).slice(0, MAX_RECEIPT_PROJECT_NAME).join('');
}

function creditClaim(claim: ResultClaim): CreditClaim {
  return { cpuMs: claim.cpuMs, benchMops: claim.benchmarkScore === null ? null : benchmarkMops(claim.benchmarkScore), wallMs: claim.wallMs };
}

/** The credit fact of one validated result; `projectName` as the orchestrator knows the project (undefined: not listed any more). */
export function creditFactOf(result: ValidatedResult, projectName: string | undefined): CreditFact {
  return {
    pnode: result.pnode,
    taskId: result.replica,
    project: { key: result.project, name: receiptProjectName(projectName, result.project) },
    outcome: 'validated',
    validatedAt: result.validatedAt,
    claim: creditClaim(result),
    budgetMs: result.budgetMs,
    agreeing: result.agreeing.map(creditClaim),
  };
}
