// The control contract's view of credit and contribution history (issue 13 §5, issue 14 §1).
// Kept apart from state.ts so the UI finds the whole contract for these screens in one place.
//
// What a UI gets, and how to keep it current:
//   state.credit               totals from the signed receipts in the node's ledger, the counts
//                              (pending validation / validated / rejected), and the newest
//                              RECENT_RECEIPTS_IN_STATE receipts as summaries.
//   state.contributionHistory  today / the last 7 days / all time (CPU time given, tasks done,
//                              validated, rejected, credit), `revision`, which grows whenever any
//                              bucket changes, and `hour`, the local hour the buckets end with.
//   get-history                the buckets for the charts: HISTORY_HOURS hour buckets (local hours,
//                              oldest first, the current hour last) and HISTORY_DAYS day buckets
//                              (local days); fetch it again when revision or hour changes.
//   list-receipts              pages through the receipts the ledger keeps in full, newest first
//                              ({before: index, limit} → {receipts, nextBefore}).
//   get-receipt                one receipt in full: the signed artifact as received, checked again.
// All amounts are integers: credit in micro-cobblestones (divide by MICRO_PER_COBBLESTONE to show
// cobblestones), CPU time in milliseconds, times in milliseconds since the epoch.
import type { ResultOutcome } from '../credit/credit-formula.js';

export { CREDIT_UNIT, MICRO_PER_COBBLESTONE, type ResultOutcome } from '../credit/credit-formula.js';

/** Receipts shown in the state snapshot (the rest through list-receipts). */
export const RECENT_RECEIPTS_IN_STATE = 5;
/** The most receipts one list-receipts answers with. */
export const MAX_RECEIPTS_PAGE = 100;
/** Hour buckets kept and shown: the last day. */
export const HISTORY_HOURS = 24;
/** Day buckets kept and shown: the last 30 local days. */
export const HISTORY_DAYS = 30;
/** Days summed for the "this week" total (today and the six before). */
export const HISTORY_WEEK_DAYS = 7;
/** Longest receipt id a command accepts (`rcpt:` and a ULID is 31). */
export const MAX_RECEIPT_ID_LENGTH = 64;

/** One receipt as the lists show it. */
export interface ReceiptSummary {
  /** Its position in the ledger: 1 for the first receipt this node ever stored. */
  readonly index: number;
  readonly receiptId: string;
  readonly orchestrator: string;
  readonly projectKey: string;
  readonly projectName: string;
  readonly taskId: string;
  readonly outcome: ResultOutcome;
  /** Micro-cobblestones. */
  readonly credit: number;
  /** CPU time the PNode reported for the result. */
  readonly cpuMs: number;
  readonly validatedAt: number;
  readonly receivedAt: number;
}

export interface CreditView {
  readonly unit: 'micro-cobblestone';
  /** All credit ever received, in micro-cobblestones (kept across ledger rotation). */
  readonly total: number;
  /** Results of this PNode validated (receipts saying so). */
  readonly validated: number;
  /** Results rejected: invalid, late or unverified (receipts saying so; they earn nothing). */
  readonly rejected: number;
  /** Results this PNode returned that no receipt has answered yet. */
  readonly pending: number;
  /** Receipts in the ledger, all time. */
  readonly receipts: number;
  /** Receipts orchestrators numbered that never arrived. */
  readonly gaps: number;
  /** Receipts of this PNode's orchestrators refused since the node started (forged, replayed, for another PNode, …; each traced). */
  readonly refused: number;
  readonly lastReceiptAt: number | null;
  /** Newest first. */
  readonly recent: readonly ReceiptSummary[];
}

/** get-receipt's answer. */
export interface ReceiptDetail {
  readonly summary: ReceiptSummary;
  /** The credit-receipt.v1 exactly as stored (JSON). */
  readonly receipt: Readonly<Record<string, unknown>>;
  /** The signature and rules checked again now (false: the stored copy no longer verifies). */
  readonly verified: boolean;
  readonly problem: string | null;
}

/** list-receipts' answer: newest first; pass nextBefore as `before` for the next page (null: no more). */
export interface ReceiptPage {
  readonly receipts: readonly ReceiptSummary[];
  readonly nextBefore: number | null;
}

export interface ContributionTotals {
  /** CPU time VNodes used here (every task, whatever its outcome). */
  readonly cpuMs: number;
  /** Tasks that ran to a result here. */
  readonly tasksDone: number;
  readonly tasksValidated: number;
  readonly tasksRejected: number;
  /** Micro-cobblestones. */
  readonly credit: number;
}

export interface HourBucket extends ContributionTotals {
  /** The local hour's first millisecond. */
  readonly start: number;
}

export interface DayBucket extends ContributionTotals {
  /** The local day, YYYY-MM-DD. */
  readonly day: string;
}

export interface ContributionHistoryView {
  readonly today: ContributionTotals;
  readonly last7Days: ContributionTotals;
  readonly allTime: ContributionTotals;
  /** When counting began (the first start of a node with this feature). */
  readonly since: number | null;
  /** Grows with every change of any bucket. */
  readonly revision: number;
  /** The first millisecond of the local hour the buckets end with. When it or revision changes, fetch get-history again. */
  readonly hour: number;
}

/** get-history's answer. */
export interface ContributionHistoryDetail extends ContributionHistoryView {
  /** HISTORY_HOURS buckets, oldest first; the last is the current hour. */
  readonly hours: readonly HourBucket[];
  /** HISTORY_DAYS buckets, oldest first; the last is today. */
  readonly days: readonly DayBucket[];
}

export const ZERO_TOTALS: ContributionTotals = { cpuMs: 0, tasksDone: 0, tasksValidated: 0, tasksRejected: 0, credit: 0 };

export const EMPTY_CREDIT_VIEW: CreditView = {
  unit: 'micro-cobblestone',
  total: 0,
  validated: 0,
  rejected: 0,
  pending: 0,
  receipts: 0,
  gaps: 0,
  refused: 0,
  lastReceiptAt: null,
  recent: [],
};

export const EMPTY_HISTORY_VIEW: ContributionHistoryView = { today: ZERO_TOTALS, last7Days: ZERO_TOTALS, allTime: ZERO_TOTALS, since: null, revision: 0, hour: 0 };
