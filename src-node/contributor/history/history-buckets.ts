// The contribution history's buckets, pure: what the node gave per local hour (the last
// HISTORY_HOURS) and per local day (the last HISTORY_DAYS), and in all. Time comes in as
// milliseconds; hours and days are the machine's local ones (days as localDay names them), so a
// chart reads like the volunteer's clock. An hour bucket is keyed by the instant its local hour
// began: across a DST change the repeated hour is two buckets and the skipped one none, and every
// bucket is one real hour long.
//
// CPU time is spread over the hours and days a task ran in, in proportion to the time it spent in
// each (the parts add up to the whole exactly); a task counts as done, and a receipt as validated
// or rejected, in the bucket of the moment it happened.
import { HISTORY_DAYS, HISTORY_HOURS, HISTORY_WEEK_DAYS, type ContributionTotals, type DayBucket, type HourBucket, type ReceiptSummary, ZERO_TOTALS } from '../../../src-shared/control/credit-view.js';
import { localDay } from '../../../src-shared/vnode/conditions.js';

export const HOUR_MS = 60 * 60_000;
/** A task's CPU time is spread over at most this much of its span (the end of it): a month. */
export const MAX_SPREAD_MS = (HISTORY_DAYS + 1) * 24 * HOUR_MS;

export type Totals = ContributionTotals;

export interface HistoryData {
  /** When counting began. */
  readonly since: number;
  /** Grows with every change. */
  readonly revision: number;
  /** The ledger index of the last receipt counted (receipts are replayed from the ledger after it). */
  readonly receiptsThrough: number;
  readonly total: Totals;
  /** By the instant the local hour began. */
  readonly hours: ReadonlyMap<number, Totals>;
  /** By local day (YYYY-MM-DD). */
  readonly days: ReadonlyMap<string, Totals>;
}

export function emptyHistory(since: number): HistoryData {
  return { since, revision: 0, receiptsThrough: 0, total: ZERO_TOTALS, hours: new Map(), days: new Map() };
}

/** The first millisecond of the local hour `ms` falls in. */
export function hourStart(ms: number): number {
  const d = new Date(ms);
  return ms - (d.getMinutes() * 60_000 + d.getSeconds() * 1_000 + d.getMilliseconds());
}

/** The first millisecond of the local day after the one `ms` falls in. */
export function nextDayStart(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** The local day `back` days before the one `ms` falls in (calendar days, whatever their length). */
export function dayBefore(ms: number, back: number): string {
  const d = new Date(ms);
  return localDay(new Date(d.getFullYear(), d.getMonth(), d.getDate() - back, 12).getTime());
}

export function addTotals(a: Totals, b: Partial<Totals>): Totals {
  return {
    cpuMs: a.cpuMs + (b.cpuMs ?? 0),
    tasksDone: a.tasksDone + (b.tasksDone ?? 0),
    tasksValidated: a.tasksValidated + (b.tasksValidated ?? 0),
    tasksRejected: a.tasksRejected + (b.tasksRejected ?? 0),
    credit: a.credit + (b.credit ?? 0),
  };
}

/**
 * Splits `amount` over [start, end) at the boundaries `next(t)` gives (the first boundary after
 * t), in proportion to time; the parts are integers that add up to `amount`. A zero-length span
 * puts everything at `end`.
 */
export function spread(start: number, end: number, amount: number, next: (t: number) => number): Array<[at: number, part: number]> {
  const from = Math.max(start, end - MAX_SPREAD_MS);
  if (!(end > from) || amount <= 0) return amount > 0 ? [[end, amount]] : [];
  const span = end - from;
  const parts: Array<[number, number]> = [];
  let t = from;
  let given = 0;
  while (t < end) {
    const boundary = Math.min(next(t), end);
    const upTo = boundary >= end ? amount : Math.floor((amount * (boundary - from)) / span);
    if (upTo > given) parts.push([t, upTo - given]);
    given = upTo;
    t = boundary > t ? boundary : end;
  }
  return parts;
}

function addAt<K>(buckets: Map<K, Totals>, key: K, change: Partial<Totals>): void {
  buckets.set(key, addTotals(buckets.get(key) ?? ZERO_TOTALS, change));
}

/** Drops hour and day buckets outside the windows that end at `now` (and any excess a clock jump left). */
export function pruned(data: HistoryData, now: number): HistoryData {
  const firstHour = hourStart(hourStart(now) - (HISTORY_HOURS - 1) * HOUR_MS);
  const firstDay = dayBefore(now, HISTORY_DAYS - 1);
  const hours = [...data.hours].filter(([start]) => start >= firstHour).sort(([a], [b]) => a - b).slice(-(HISTORY_HOURS + 1));
  const days = [...data.days].filter(([day]) => day >= firstDay).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).slice(-(HISTORY_DAYS + 1));
  return { ...data, hours: new Map(hours), days: new Map(days) };
}

/** The history after a task ran from `startedAt` to `finishedAt` using `cpuMs` (done: it ended with a result). */
export function withTask(data: HistoryData, task: { readonly startedAt: number; readonly finishedAt: number; readonly cpuMs: number; readonly done: boolean }, now: number): HistoryData {
  const cpuMs = Math.max(0, Math.round(task.cpuMs));
  const hours = new Map(data.hours);
  const days = new Map(data.days);
  for (const [at, part] of spread(task.startedAt, task.finishedAt, cpuMs, (t) => hourStart(t) + HOUR_MS)) addAt(hours, hourStart(at), { cpuMs: part });
  for (const [at, part] of spread(task.startedAt, task.finishedAt, cpuMs, nextDayStart)) addAt(days, localDay(at), { cpuMs: part });
  if (task.done) {
    addAt(hours, hourStart(task.finishedAt), { tasksDone: 1 });
    addAt(days, localDay(task.finishedAt), { tasksDone: 1 });
  }
  const total = addTotals(data.total, { cpuMs, tasksDone: task.done ? 1 : 0 });
  return pruned({ ...data, revision: data.revision + 1, total, hours, days }, now);
}

/** The history after receipt `index` (received at `at`) said validated or not, with its credit. */
export function withReceipt(data: HistoryData, receipt: { readonly index: number; readonly at: number; readonly validated: boolean; readonly credit: number }, now: number): HistoryData {
  if (receipt.index <= data.receiptsThrough) return data;
  const change: Partial<Totals> = receipt.validated ? { tasksValidated: 1, credit: receipt.credit } : { tasksRejected: 1 };
  const hours = new Map(data.hours);
  const days = new Map(data.days);
  addAt(hours, hourStart(receipt.at), change);
  addAt(days, localDay(receipt.at), change);
  return pruned({ ...data, revision: data.revision + 1, receiptsThrough: receipt.index, total: addTotals(data.total, change), hours, days }, now);
}

/** The ledger's totals of the receipts up to index `entries` (what a history may have missed). */
export interface ReceiptTotals {
  readonly entries: number;
  readonly credit: number;
  readonly validated: number;
  readonly rejected: number;
}

/**
 * The history once it has counted every receipt up to `upTo.entries`, the ledger's totals there.
 * For receipts the ledger no longer holds (rotated away while the history's file lagged behind, or
 * stored before the history existed): the history's receipt totals are the ledger's up to its
 * receiptsThrough, so the difference is what it missed. Their times are gone with them, so they
 * count in all time only, not in an hour or a day.
 */
export function withReceiptsUpTo(data: HistoryData, upTo: ReceiptTotals, now: number): HistoryData {
  if (upTo.entries <= data.receiptsThrough) return data;
  const missed: Partial<Totals> = {
    credit: Math.max(0, upTo.credit - data.total.credit),
    tasksValidated: Math.max(0, upTo.validated - data.total.tasksValidated),
    tasksRejected: Math.max(0, upTo.rejected - data.total.tasksRejected),
  };
  return pruned({ ...data, revision: data.revision + 1, receiptsThrough: upTo.entries, total: addTotals(data.total, missed) }, now);
}

/**
 * The history after what the ledger stored past its receiptsThrough (a crash between the ledger's
 * append and the history's write): the receipts rotated away since, by their totals, then the ones
 * the ledger holds, each in its hour.
 */
export function withLedgerSince(data: HistoryData, rotatedAway: ReceiptTotals | undefined, held: readonly ReceiptSummary[], now: number): HistoryData {
  let caughtUp = rotatedAway ? withReceiptsUpTo(data, rotatedAway, now) : data;
  for (const receipt of held) caughtUp = withReceipt(caughtUp, receiptCount(receipt), now);
  return caughtUp;
}

/** What the history counts of a stored receipt. */
export function receiptCount(receipt: ReceiptSummary): { index: number; at: number; validated: boolean; credit: number } {
  return { index: receipt.index, at: receipt.receivedAt, validated: receipt.outcome === 'validated', credit: receipt.credit };
}

/** HISTORY_HOURS hour buckets ending with the current hour, oldest first (zeros where nothing happened). */
export function hourBuckets(data: HistoryData, now: number): HourBucket[] {
  const current = hourStart(now);
  const out: HourBucket[] = [];
  for (let back = HISTORY_HOURS - 1; back >= 0; back--) {
    const start = hourStart(current - back * HOUR_MS);
    out.push({ start, ...(data.hours.get(start) ?? ZERO_TOTALS) });
  }
  return out;
}

/** HISTORY_DAYS day buckets ending with today, oldest first. */
export function dayBuckets(data: HistoryData, now: number): DayBucket[] {
  const out: DayBucket[] = [];
  for (let back = HISTORY_DAYS - 1; back >= 0; back--) {
    const day = dayBefore(now, back);
    out.push({ day, ...(data.days.get(day) ?? ZERO_TOTALS) });
  }
  return out;
}

/** Today, the last HISTORY_WEEK_DAYS days, and all time. */
export function summary(data: HistoryData, now: number): { today: Totals; last7Days: Totals; allTime: Totals } {
  let week = ZERO_TOTALS;
  for (let back = 0; back < HISTORY_WEEK_DAYS; back++) week = addTotals(week, data.days.get(dayBefore(now, back)) ?? ZERO_TOTALS);
  return { today: data.days.get(localDay(now)) ?? ZERO_TOTALS, last7Days: week, allTime: data.total };
}
