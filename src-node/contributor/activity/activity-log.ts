// The volunteer's log as data (issue 14 §2): entries newest last, bounded, and the rule that folds
// repeats together. Pure: the store (activity-store.ts) keeps it on disk, the module
// (activity-module.ts) feeds it from the owners' events.
import { MAX_ACTIVITY_ENTRIES, type ActivityDetail, type ActivityEntry, type ActivityKind } from '../../../src-shared/control/activity-view.js';

/** Repeats within this long of the last one fold into the same entry (one spell of work). */
export const ACTIVITY_FOLD_MS = 15 * 60 * 1000;
/** How far back (in entries) a repeat looks for the entry to fold into. */
export const ACTIVITY_FOLD_LOOKBACK = 6;

/** Kinds whose repeats fold: the burst-y ones. Everything else is one entry per happening. */
const FOLDING: ReadonlySet<ActivityKind> = new Set(['task-started', 'task-finished', 'task-failed', 'result-validated', 'result-rejected', 'orchestrator-connected']);
/** Numbers that add up when repeats fold; other detail keys take the latest value. */
const SUMMED: ReadonlySet<string> = new Set(['cpuMs', 'credit']);

export interface ActivityLogData {
  /** Oldest first. */
  readonly entries: readonly ActivityEntry[];
  readonly nextId: number;
  readonly revision: number;
}

export const EMPTY_LOG: ActivityLogData = { entries: [], nextId: 1, revision: 0 };

export interface ActivityHappening {
  readonly kind: ActivityKind;
  readonly at: number;
  readonly detail?: ActivityDetail;
  /** Repeats fold only with an entry of the same key (e.g. the same project); default: the kind alone. */
  readonly foldKey?: string;
}

function foldKeyOf(entry: ActivityEntry): string {
  const key = entry.detail['fold'];
  return typeof key === 'string' ? key : '';
}

function merged(entry: ActivityEntry, happening: ActivityHappening): ActivityEntry {
  const detail: Record<string, string | number | boolean | null> = { ...entry.detail };
  for (const [key, value] of Object.entries(happening.detail ?? {})) {
    const before = detail[key];
    detail[key] = SUMMED.has(key) && typeof value === 'number' && typeof before === 'number' ? before + value : value;
  }
  return { ...entry, lastAt: Math.max(entry.lastAt, happening.at), count: entry.count + 1, detail };
}

/**
 * The log with `happening` in it: folded into a recent entry of the same kind and key when the kind
 * folds and that entry's last repeat is within ACTIVITY_FOLD_MS, else appended (the oldest entries
 * drop off past `limit`).
 */
export function withHappening(log: ActivityLogData, happening: ActivityHappening, limit = MAX_ACTIVITY_ENTRIES): ActivityLogData {
  const foldKey = happening.foldKey ?? '';
  if (FOLDING.has(happening.kind)) {
    const start = Math.max(0, log.entries.length - ACTIVITY_FOLD_LOOKBACK);
    for (let i = log.entries.length - 1; i >= start; i--) {
      const entry = log.entries[i]!;
      // Anything that is not work (a pause, a snooze) ends the spell: later work starts a new entry.
      if (!FOLDING.has(entry.kind)) break;
      if (entry.kind !== happening.kind || foldKeyOf(entry) !== foldKey) continue;
      if (happening.at - entry.lastAt > ACTIVITY_FOLD_MS) break;
      const entries = [...log.entries];
      entries[i] = merged(entry, happening);
      return { ...log, entries, revision: log.revision + 1 };
    }
  }
  const entry: ActivityEntry = {
    id: log.nextId,
    kind: happening.kind,
    at: happening.at,
    lastAt: happening.at,
    count: 1,
    detail: { ...(happening.detail ?? {}), ...(foldKey !== '' ? { fold: foldKey } : {}) },
  };
  const entries = [...log.entries, entry];
  return { entries: entries.length > limit ? entries.slice(entries.length - limit) : entries, nextId: log.nextId + 1, revision: log.revision + 1 };
}

/** Newest first: the `limit` entries with ids below `before` (all when before is undefined). */
export function pageOf(log: ActivityLogData, before: number | undefined, limit: number): { entries: ActivityEntry[]; nextBefore: number | null } {
  const out: ActivityEntry[] = [];
  for (let i = log.entries.length - 1; i >= 0 && out.length < limit; i--) {
    const entry = log.entries[i]!;
    if (before === undefined || entry.id < before) out.push(entry);
  }
  const last = out[out.length - 1];
  const more = last !== undefined && log.entries.some((entry) => entry.id < last.id);
  return { entries: out, nextBefore: more ? last.id : null };
}
