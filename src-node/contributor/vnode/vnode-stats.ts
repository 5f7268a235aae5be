// What the volunteer has donated: tasks done and CPU time, today and in total, per VNode and for
// the whole host, kept across restarts in <dataDir>/vnode-stats.json (atomic writes, coalesced).
// "Today" is the local calendar day; counters roll over when the day changes. A corrupt file is
// set aside, never lost, and counting starts again.
import { join } from 'node:path';
import { localDay } from '../../../src-shared/vnode/conditions.js';
import { type CorruptFileError, jsonText } from '../../kernel/storage/atomic-file.js';
import { CoalescedFileWriter, readStateFile } from '../../kernel/storage/state-file.js';
import type { Clock } from '../../kernel/util/clock.js';

export const VNODE_STATS_FILE = 'vnode-stats.json';
export const VNODE_STATS_SCHEMA = 'pnode-vnode-stats.v1';
/** VNodes remembered (the most recently active); older ones fold into the host total only. */
export const MAX_REMEMBERED_VNODES = 64;

export interface UsageCounters {
  readonly tasksDone: number;
  readonly tasksFailed: number;
  readonly cpuMsToday: number;
  readonly cpuMsTotal: number;
  /** The local day cpuMsToday counts. */
  readonly day: string;
}

export interface VNodeRecord extends UsageCounters {
  readonly vnodeId: string;
  readonly orchestrator: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly since: number;
  readonly lastActive: number;
  readonly released: boolean;
}

const ZERO = { tasksDone: 0, tasksFailed: 0, cpuMsToday: 0, cpuMsTotal: 0 };

/** The counters as of `day`: today's CPU time restarts on a new day. */
export function rolled<T extends UsageCounters>(counters: T, day: string): T {
  return counters.day === day ? counters : { ...counters, cpuMsToday: 0, day };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : fallback;
}

function decodeCounters(raw: unknown, day: string): UsageCounters {
  const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return { tasksDone: count(v['tasksDone']), tasksFailed: count(v['tasksFailed']), cpuMsToday: count(v['cpuMsToday']), cpuMsTotal: count(v['cpuMsTotal']), day: text(v['day'], day) };
}

function decodeRecord(raw: unknown, day: string): VNodeRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const v = raw as Record<string, unknown>;
  if (typeof v['vnodeId'] !== 'string' || v['vnodeId'].length === 0) return null;
  return {
    ...decodeCounters(v, day),
    vnodeId: v['vnodeId'],
    orchestrator: text(v['orchestrator'], 'unknown'),
    cores: Math.max(1, count(v['cores'])),
    memoryMb: count(v['memoryMb']),
    since: count(v['since']),
    lastActive: count(v['lastActive']),
    released: v['released'] === true,
  };
}

export class VNodeStatsStore {
  readonly path: string;
  private totals: UsageCounters;
  private readonly vnodes = new Map<string, VNodeRecord>();
  // After close() the data dir may already be gone (a stopped node's cleanup): counts change in
  // memory only.
  private readonly writer: CoalescedFileWriter;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.path = join(dataDir, VNODE_STATS_FILE);
    this.totals = { ...ZERO, day: this.today() };
    this.writer = new CoalescedFileWriter(this.path, () => jsonText({ schema: VNODE_STATS_SCHEMA, total: this.totals, vnodes: [...this.vnodes.values()] }), onError);
  }

  private today(): string {
    return localDay(this.clock.now());
  }

  /** Loads the file; a corrupt one is renamed aside and reported through `onCorrupt`. */
  async load(onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<void> {
    const raw = await readStateFile(this.path, this.clock.now(), onCorrupt);
    const day = this.today();
    const v = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    this.totals = decodeCounters(v['total'], day);
    this.vnodes.clear();
    const list = Array.isArray(v['vnodes']) ? (v['vnodes'] as unknown[]) : [];
    for (const item of list.slice(0, MAX_REMEMBERED_VNODES)) {
      const record = decodeRecord(item, day);
      if (record) this.vnodes.set(record.vnodeId, record);
    }
  }

  total(): UsageCounters {
    return rolled(this.totals, this.today());
  }

  get(vnodeId: string): VNodeRecord | undefined {
    const record = this.vnodes.get(vnodeId);
    return record ? rolled(record, this.today()) : undefined;
  }

  all(): VNodeRecord[] {
    const day = this.today();
    return [...this.vnodes.values()].map((r) => rolled(r, day));
  }

  /** Records an allocation (a new VNode, or one coming back under the same id). */
  allocate(fields: { vnodeId: string; orchestrator: string; cores: number; memoryMb: number }): VNodeRecord {
    const now = this.clock.now();
    const previous = this.get(fields.vnodeId);
    const record: VNodeRecord = { ...(previous ?? { ...ZERO, day: this.today() }), ...fields, since: now, lastActive: now, released: false };
    this.vnodes.delete(fields.vnodeId);
    this.vnodes.set(fields.vnodeId, record);
    this.prune();
    this.save();
    return record;
  }

  release(vnodeId: string): void {
    const record = this.get(vnodeId);
    if (!record || record.released) return;
    this.vnodes.set(vnodeId, { ...record, released: true, lastActive: this.clock.now() });
    this.save();
  }

  /** Counts a finished task: its CPU time always, and a done or failed task (cancelled ones count only their CPU). */
  addTask(vnodeId: string, cpuMs: number, outcome: 'done' | 'failed' | 'cancelled'): void {
    const day = this.today();
    const add = <T extends UsageCounters>(c: T): T => {
      const r = rolled(c, day);
      return {
        ...r,
        tasksDone: r.tasksDone + (outcome === 'done' ? 1 : 0),
        tasksFailed: r.tasksFailed + (outcome === 'failed' ? 1 : 0),
        cpuMsToday: r.cpuMsToday + Math.round(cpuMs),
        cpuMsTotal: r.cpuMsTotal + Math.round(cpuMs),
      };
    };
    this.totals = add(this.totals);
    const record = this.vnodes.get(vnodeId);
    if (record) this.vnodes.set(vnodeId, { ...add(record), lastActive: this.clock.now() });
    this.save();
  }

  /** Writes the current counters (coalesced: one write in flight, one more if changed meanwhile). */
  private save(): void {
    this.writer.changed();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Writes what is pending and no more after it: the host has stopped. */
  close(): Promise<void> {
    return this.writer.close();
  }

  private prune(): void {
    if (this.vnodes.size <= MAX_REMEMBERED_VNODES) return;
    const oldest = [...this.vnodes.values()].filter((r) => r.released).sort((a, b) => a.lastActive - b.lastActive);
    for (const record of oldest) {
      if (this.vnodes.size <= MAX_REMEMBERED_VNODES) break;
      this.vnodes.delete(record.vnodeId);
    }
  }
}
