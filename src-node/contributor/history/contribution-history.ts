// The contribution history on disk: <dataDir>/contribution-history.json, written atomically (temp
// file, fsync, rename) after every change, coalesced (one write in flight, one more if it changed
// meanwhile). A crash loses at most the changes of that last write; receipts are replayed from the
// ledger after `receiptsThrough` on start, so credit and validations are never lost or counted
// twice. A corrupt file is set aside, never lost, and counting starts again.
import { join } from 'node:path';
import { HISTORY_DAYS, HISTORY_HOURS } from '../../../src-shared/control/credit-view.js';
import { type CorruptFileError, jsonText } from '../../kernel/storage/atomic-file.js';
import { CoalescedFileWriter, readStateFile } from '../../kernel/storage/state-file.js';
import type { Clock } from '../../kernel/util/clock.js';
import { type HistoryData, type Totals, emptyHistory, pruned } from './history-buckets.js';

export const HISTORY_FILE = 'contribution-history.json';
export const HISTORY_SCHEMA = 'pnode-contribution-history.v1';
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function decodeTotals(raw: unknown): Totals {
  const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return { cpuMs: count(v['cpuMs']), tasksDone: count(v['tasksDone']), tasksValidated: count(v['tasksValidated']), tasksRejected: count(v['tasksRejected']), credit: count(v['credit']) };
}

function pairs(raw: unknown, limit: number): Array<[unknown, unknown]> {
  return Array.isArray(raw) ? (raw.slice(-limit).filter((p) => Array.isArray(p) && p.length === 2) as Array<[unknown, unknown]>) : [];
}

/** The history a file holds (anything malformed in it is read as nothing). */
export function decodeHistory(raw: unknown, now: number): HistoryData {
  const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (v['schema'] !== HISTORY_SCHEMA) return emptyHistory(now);
  const hours = new Map<number, Totals>();
  for (const [start, totals] of pairs(v['hours'], HISTORY_HOURS + 1)) if (typeof start === 'number' && Number.isSafeInteger(start)) hours.set(start, decodeTotals(totals));
  const days = new Map<string, Totals>();
  for (const [day, totals] of pairs(v['days'], HISTORY_DAYS + 1)) if (typeof day === 'string' && DAY_PATTERN.test(day)) days.set(day, decodeTotals(totals));
  const since = count(v['since']);
  return pruned({ since: since > 0 ? since : now, revision: count(v['revision']), receiptsThrough: count(v['receiptsThrough']), total: decodeTotals(v['total']), hours, days }, now);
}

export function encodeHistory(data: HistoryData): string {
  return jsonText({
    schema: HISTORY_SCHEMA,
    since: data.since,
    revision: data.revision,
    receiptsThrough: data.receiptsThrough,
    total: data.total,
    hours: [...data.hours],
    days: [...data.days],
  });
}

export class ContributionHistoryStore {
  readonly path: string;
  private data: HistoryData;
  private readonly writer: CoalescedFileWriter;
  /** Whether load() found a file (a first start seeds the totals from older counters). */
  existed = false;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.path = join(dataDir, HISTORY_FILE);
    this.data = emptyHistory(clock.now());
    this.writer = new CoalescedFileWriter(this.path, () => encodeHistory(this.data), onError);
  }

  async load(onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<void> {
    const raw = await readStateFile(this.path, this.clock.now(), onCorrupt);
    this.existed = raw !== undefined;
    this.data = decodeHistory(raw, this.clock.now());
  }

  get(): HistoryData {
    return this.data;
  }

  /** Replaces the history with `change(current)` and writes it. */
  update(change: (data: HistoryData) => HistoryData): void {
    const next = change(this.data);
    if (next === this.data) return;
    this.data = next;
    this.save();
  }

  private save(): void {
    this.writer.changed();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
