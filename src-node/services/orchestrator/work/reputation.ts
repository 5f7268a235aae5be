// A PNode's standing (issue 13 §4), from what the job store remembers of it: validated results
// (on the accepted side of a task), its streak (validated since its last lie) and its lies (on the
// losing side). BOINC's adaptive replication, with one rule added against identities made by the
// thousand:
//   new          fewer than ESTABLISHED_AFTER validated results in a row. Its results count only
//                with the agreement of an independent established PNode (the judge's rule).
//   established  a streak of ESTABLISHED_AFTER: it may confirm a new PNode's result.
//   reliable     a streak of RELIABLE_AFTER and never a lie: it may run a task alone (adaptive
//                replication), except for the SPOT_CHECK_FRACTION of such tasks that are checked.
// A trusted PNode (operator-attested) starts reliable; one lie demotes it for good (it is then
// judged by its record like any other). A lie resets the streak, so standing drops hard: back to
// new. LIES_BEFORE_BAN lies ban it: no more work.
import type { ReputationRow } from '../jobs/job-store.js';

export const ESTABLISHED_AFTER = 5;
export const RELIABLE_AFTER = 50;
export const LIES_BEFORE_BAN = 2;

export type Standing = 'new' | 'established' | 'reliable';

export interface Record {
  readonly validated: number;
  readonly streak: number;
  readonly lies: number;
}

export const NO_RECORD: Record = { validated: 0, streak: 0, lies: 0 };

export function standingOf(record: Record | undefined, trusted: boolean): Standing {
  const r = record ?? NO_RECORD;
  if (trusted && r.lies === 0) return 'reliable';
  if (r.lies === 0 && r.streak >= RELIABLE_AFTER) return 'reliable';
  if (r.streak >= ESTABLISHED_AFTER) return 'established';
  return 'new';
}

export function isEstablished(standing: Standing): boolean {
  return standing !== 'new';
}

export function isBanned(record: Record | undefined): boolean {
  return (record?.lies ?? 0) >= LIES_BEFORE_BAN;
}

/** The record after a task's decision: validated results extend the streak, a lie resets it. */
export function applyDelta(record: Record | undefined, delta: { readonly validated: number; readonly lies: number }): Record {
  const r = record ?? NO_RECORD;
  return { validated: r.validated + delta.validated, lies: r.lies + delta.lies, streak: delta.lies > 0 ? 0 : r.streak + delta.validated };
}

export function recordOf(row: ReputationRow): Record {
  return { validated: row.validated, streak: row.streak, lies: row.lies };
}
