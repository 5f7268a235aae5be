import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ACTIVITY_ENTRIES } from '../../../src-shared/control/activity-view.js';
import { IDLE_MACHINE, availabilityOf } from '../../../src-shared/control/contribution.js';
import { DEFAULT_LIMITS } from '../../../src-shared/control/state.js';
import { ACTIVITY_FOLD_MS, EMPTY_LOG, pageOf, withHappening } from './activity-log.js';
import { ACTIVITY_FILE, ActivityStore, decodeActivityLog } from './activity-store.js';
import { availabilityHappenings } from './activity-module.js';

const T = 1_800_000_000_000;
const clock = { now: () => T };

describe('the volunteer’s log', () => {
  it('folds a spell of tasks into one entry, summing CPU time, and starts a new one after a pause', () => {
    let log = EMPTY_LOG;
    for (let i = 0; i < 5; i++) log = withHappening(log, { kind: 'task-finished', at: T + i * 1_000, foldKey: 'Mandelbrot demo', detail: { workload: 'Mandelbrot demo', cpuMs: 100 } });
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]).toMatchObject({ id: 1, count: 5, at: T, lastAt: T + 4_000, detail: { cpuMs: 500 } });
    log = withHappening(log, { kind: 'contribution-paused', at: T + 5_000 });
    log = withHappening(log, { kind: 'task-finished', at: T + 6_000, foldKey: 'Mandelbrot demo', detail: { cpuMs: 1 } });
    expect(log.entries.map((e) => [e.kind, e.count])).toEqual([['task-finished', 5], ['contribution-paused', 1], ['task-finished', 1]]);
    // Past the fold window: a new entry, even with nothing in between.
    log = withHappening(log, { kind: 'task-finished', at: T + 6_000 + ACTIVITY_FOLD_MS + 1, foldKey: 'Mandelbrot demo', detail: { cpuMs: 1 } });
    expect(log.entries).toHaveLength(4);
  });

  it('never folds one-off happenings, nor repeats of another project', () => {
    let log = EMPTY_LOG;
    log = withHappening(log, { kind: 'joined', at: T });
    log = withHappening(log, { kind: 'joined', at: T + 1 });
    log = withHappening(log, { kind: 'result-validated', at: T + 2, foldKey: 'A', detail: { credit: 5 } });
    log = withHappening(log, { kind: 'result-validated', at: T + 3, foldKey: 'B', detail: { credit: 7 } });
    expect(log.entries.map((e) => e.count)).toEqual([1, 1, 1, 1]);
  });

  it('keeps the newest MAX_ACTIVITY_ENTRIES and pages newest first', () => {
    let log = EMPTY_LOG;
    for (let i = 0; i < MAX_ACTIVITY_ENTRIES + 10; i++) log = withHappening(log, { kind: 'snoozed', at: T + i, detail: { until: T + i } });
    expect(log.entries).toHaveLength(MAX_ACTIVITY_ENTRIES);
    expect(log.entries[0]!.id).toBe(11);
    const first = pageOf(log, undefined, 3);
    expect(first.entries.map((e) => e.id)).toEqual([MAX_ACTIVITY_ENTRIES + 10, MAX_ACTIVITY_ENTRIES + 9, MAX_ACTIVITY_ENTRIES + 8]);
    const last = pageOf(log, 13, 10);
    expect(last.entries.map((e) => e.id)).toEqual([12, 11]);
    expect(last.nextBefore).toBeNull();
  });

  it('tells joined, left, paused, resumed, snoozed, snooze over and limits changed from availability', () => {
    const state = (fields: Partial<Parameters<typeof availabilityOf>[0]>, now = T) =>
      availabilityOf({ joined: true, contributionEnabled: true, snoozedUntil: null, limits: DEFAULT_LIMITS, ...fields }, IDLE_MACHINE, now);
    const kinds = (next: ReturnType<typeof state>, previous: ReturnType<typeof state>, now = T) => availabilityHappenings(next, previous, now).map((h) => h.kind);
    expect(kinds(state({}), state({ joined: false }))).toEqual(['joined']);
    expect(kinds(state({ joined: false }), state({}))).toEqual(['left']);
    expect(kinds(state({ contributionEnabled: false }), state({}))).toEqual(['contribution-paused']);
    expect(kinds(state({ snoozedUntil: T + 60_000 }), state({}))).toEqual(['snoozed']);
    // Resumed by hand before the end; ran out at the end.
    expect(kinds(state({}), state({ snoozedUntil: T + 60_000 }))).toEqual(['contribution-resumed']);
    expect(kinds(state({ snoozedUntil: T + 60_000 }, T + 60_000), state({ snoozedUntil: T + 60_000 }), T + 60_000)).toEqual(['snooze-ended']);
    const changed = availabilityHappenings(state({ limits: { ...DEFAULT_LIMITS, cpuPercent: 80 } }), state({}), T);
    expect(changed).toEqual([{ kind: 'limits-changed', at: T, detail: { cpuPercent: 80, 'cpuPercent.was': DEFAULT_LIMITS.cpuPercent } }]);
  });
});

describe('the log on disk', () => {
  it('survives a restart, written with the entries it had', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-activity-'));
    const store = new ActivityStore(dir, clock);
    await store.load();
    store.update((log) => withHappening(log, { kind: 'joined', at: T }));
    store.update((log) => withHappening(log, { kind: 'snoozed', at: T + 1, detail: { until: T + 60_000 } }));
    await store.close();
    const again = new ActivityStore(dir, clock);
    await again.load();
    expect(again.get().entries.map((e) => e.kind)).toEqual(['joined', 'snoozed']);
    expect(again.get().nextId).toBe(3);
  });

  it('sets a corrupt file aside and starts again; skips malformed entries of a good one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-activity-'));
    writeFileSync(join(dir, ACTIVITY_FILE), '{not json');
    const warnings: string[] = [];
    const store = new ActivityStore(dir, clock);
    await store.load((_error, aside) => warnings.push(aside));
    expect(store.get().entries).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(statSync(warnings[0]!).isFile()).toBe(true);
    const decoded = decodeActivityLog({
      schema: 'pnode-activity-log.v1',
      nextId: 1,
      entries: [
        { id: 2, kind: 'joined', at: T, lastAt: T, count: 1, detail: { x: 'y'.repeat(10_000), nested: { no: 1 } } },
        { id: 2, kind: 'left', at: T, lastAt: T, count: 1, detail: {} },
        { id: 3, kind: 'exploded', at: T, lastAt: T, count: 1, detail: {} },
        { id: 4, kind: 'left', at: -1, lastAt: T, count: 1, detail: {} },
        { id: 5, kind: 'left', at: T, lastAt: T, count: 1, detail: {} },
      ],
    });
    expect(decoded.entries.map((e) => e.id)).toEqual([2, 5]);
    expect(decoded.nextId).toBe(6);
    expect(String(decoded.entries[0]!.detail['x']).length).toBe(512);
    expect(decoded.entries[0]!.detail['nested']).toBeUndefined();
    expect(readFileSync(warnings[0]!, 'utf8')).toBe('{not json');
  });
});
