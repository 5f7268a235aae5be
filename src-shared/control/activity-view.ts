// The control contract's volunteer log (issue 14 §2): what happened to this PNode, in the order a
// volunteer tells it — joined, paused, snoozed, limits changed, work started and finished, results
// validated or rejected, credit received, trusted registration approved or revoked. The node keeps
// it (persisted and bounded, so it survives a restart); the protocol trace stays apart, behind the
// UI's "technical details".
//
//   state.activity   the newest RECENT_ACTIVITY_IN_STATE entries (newest first) and `revision`.
//   list-activity    pages through the whole log, newest first ({before: id, limit} → {entries, nextBefore}).
//
// Repeats of the same thing within a short spell (tasks of one burst of work, receipts) are one
// entry with a `count`, so a busy hour does not push "joined" out of the log.

export const ACTIVITY_KINDS = [
  'joined',
  'left',
  'contribution-paused',
  'contribution-resumed',
  'snoozed',
  'snooze-ended',
  'limits-changed',
  'orchestrator-connected',
  'orchestrator-lost',
  'task-started',
  'task-finished',
  'task-failed',
  'result-validated',
  'result-rejected',
  'trusted-approved',
  'trusted-revoked',
  'network-renewed',
] as const;

export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** Entries the state snapshot carries (the rest through list-activity). */
export const RECENT_ACTIVITY_IN_STATE = 40;
/** Entries the node keeps; older ones drop off. */
export const MAX_ACTIVITY_ENTRIES = 1_000;
/** The most entries one list-activity answers with. */
export const MAX_ACTIVITY_PAGE = 200;

/** Facts of an entry: only JSON primitives; which keys a kind carries is said beside each kind below. */
export type ActivityDetail = Readonly<Record<string, string | number | boolean | null>>;

/**
 * One thing that happened. `detail` keys by kind:
 *   snoozed                 until (ms)
 *   limits-changed          for each changed limit: its name (new value) and `<name>.was` (old value)
 *   orchestrator-*          orchestrator (node id)
 *   task-started            workload (a name), orchestrator
 *   task-finished           workload, cpuMs (summed over the entry's count)
 *   task-failed             workload, status, reason (the last one's)
 *   result-validated        project, credit (µcs, summed), cpuMs (summed)
 *   result-rejected         project, outcome (invalid | late | unverified)
 *   trusted-revoked         reason
 */
export interface ActivityEntry {
  /** Grows by one per new entry, never reused: the key for paging. */
  readonly id: number;
  readonly kind: ActivityKind;
  /** When it first happened. */
  readonly at: number;
  /** When it last happened (the same as `at` unless repeats were folded in). */
  readonly lastAt: number;
  /** How many times it happened (repeats within a spell fold into one entry). */
  readonly count: number;
  readonly detail: ActivityDetail;
}

export interface ActivityView {
  /** Newest first. */
  readonly recent: readonly ActivityEntry[];
  /** Entries the node holds in all. */
  readonly total: number;
  /** Grows with every change. */
  readonly revision: number;
}

/** list-activity's answer: newest first; pass nextBefore as `before` for the next page (null: no more). */
export interface ActivityPage {
  readonly entries: readonly ActivityEntry[];
  readonly nextBefore: number | null;
}

export const EMPTY_ACTIVITY_VIEW: ActivityView = { recent: [], total: 0, revision: 0 };
