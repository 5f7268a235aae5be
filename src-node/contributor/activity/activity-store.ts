// The volunteer's log on disk: <dataDir>/activity-log.json, written atomically (temp file, fsync,
// rename) after each change, coalesced (one write in flight, one more if it changed meanwhile), so
// it survives a restart. Bounded by MAX_ACTIVITY_ENTRIES. A corrupt file is set aside, never lost,
// and the log starts again; malformed entries in an otherwise good file are skipped.
import { join } from 'node:path';
import { ACTIVITY_KINDS, MAX_ACTIVITY_ENTRIES, type ActivityEntry, type ActivityKind } from '../../../src-shared/control/activity-view.js';
import { type CorruptFileError, jsonText } from '../../kernel/storage/atomic-file.js';
import { CoalescedFileWriter, readStateFile } from '../../kernel/storage/state-file.js';
import type { Clock } from '../../kernel/util/clock.js';
import { EMPTY_LOG, type ActivityLogData } from './activity-log.js';

export const ACTIVITY_FILE = 'activity-log.json';
export const ACTIVITY_SCHEMA = 'pnode-activity-log.v1';
/** Longest text kept in an entry's detail (reasons, names). */
export const MAX_DETAIL_TEXT = 512;
/** Detail keys an entry keeps. */
const MAX_DETAIL_KEYS = 16;

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function decodeEntry(raw: unknown): ActivityEntry | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const v = raw as Record<string, unknown>;
  const id = count(v['id']);
  const at = count(v['at']);
  const lastAt = count(v['lastAt']);
  const times = count(v['count']);
  const kind = v['kind'];
  if (id === null || id === 0 || at === null || lastAt === null || times === null || times === 0) return null;
  if (typeof kind !== 'string' || !(ACTIVITY_KINDS as readonly string[]).includes(kind)) return null;
  const detail: Record<string, string | number | boolean | null> = {};
  const rawDetail = v['detail'];
  if (typeof rawDetail === 'object' && rawDetail !== null && !Array.isArray(rawDetail)) {
    for (const [key, value] of Object.entries(rawDetail).slice(0, MAX_DETAIL_KEYS)) {
      if (key.length > 64) continue;
      if (typeof value === 'string') detail[key] = value.slice(0, MAX_DETAIL_TEXT);
      else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || value === null) detail[key] = value;
    }
  }
  return { id, kind: kind as ActivityKind, at, lastAt, count: times, detail };
}

/** The log a file holds: entries in id order, each id once, at most MAX_ACTIVITY_ENTRIES. */
export function decodeActivityLog(raw: unknown): ActivityLogData {
  const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (v['schema'] !== ACTIVITY_SCHEMA || !Array.isArray(v['entries'])) return EMPTY_LOG;
  const entries: ActivityEntry[] = [];
  let lastId = 0;
  for (const item of v['entries'].slice(-MAX_ACTIVITY_ENTRIES)) {
    const entry = decodeEntry(item);
    if (entry === null || entry.id <= lastId) continue;
    entries.push(entry);
    lastId = entry.id;
  }
  const nextId = Math.max(count(v['nextId']) ?? 1, lastId + 1);
  return { entries, nextId, revision: count(v['revision']) ?? 0 };
}

export function encodeActivityLog(log: ActivityLogData): string {
  return jsonText({ schema: ACTIVITY_SCHEMA, nextId: log.nextId, revision: log.revision, entries: log.entries });
}

export class ActivityStore {
  readonly path: string;
  private data: ActivityLogData = EMPTY_LOG;
  private readonly writer: CoalescedFileWriter;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.path = join(dataDir, ACTIVITY_FILE);
    this.writer = new CoalescedFileWriter(this.path, () => encodeActivityLog(this.data), onError);
  }

  async load(onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<void> {
    this.data = decodeActivityLog(await readStateFile(this.path, this.clock.now(), onCorrupt));
  }

  get(): ActivityLogData {
    return this.data;
  }

  update(change: (data: ActivityLogData) => ActivityLogData): void {
    if (this.writer.isClosed) return;
    const next = change(this.data);
    if (next === this.data) return;
    this.data = next;
    this.writer.changed();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
