// Local hours and days: run in a zone with DST (US Eastern: 2026-03-08 02:00 → 03:00,
// 2026-11-01 02:00 → 01:00). The test process is its own fork, so TZ is ours to set.
process.env['TZ'] = 'America/New_York';

import { describe, expect, it } from 'vitest';
import { HISTORY_DAYS, HISTORY_HOURS, ZERO_TOTALS } from '../../../src-shared/control/credit-view.js';
import { localDay } from '../../../src-shared/vnode/conditions.js';
import { HOUR_MS, dayBefore, dayBuckets, emptyHistory, hourBuckets, hourStart, nextDayStart, pruned, spread, summary, withLedgerSince, withReceipt, withReceiptsUpTo, withTask } from './history-buckets.js';

/** A local wall-clock time in the test zone. */
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const T0 = local(2026, 6, 10, 12);

describe('local hours and days', () => {
  it('runs in a zone with DST (or the cases below prove nothing)', () => {
    expect(new Date(local(2026, 1, 15)).getTimezoneOffset()).toBe(300);
    expect(new Date(local(2026, 7, 15)).getTimezoneOffset()).toBe(240);
  });

  it('finds the start of the local hour and of the next local day', () => {
    expect(hourStart(local(2026, 6, 10, 14, 37) + 12_345)).toBe(local(2026, 6, 10, 14));
    expect(nextDayStart(local(2026, 6, 10, 23, 59))).toBe(local(2026, 6, 11));
    // The day DST begins is 23 hours long, the day it ends 25.
    expect(nextDayStart(local(2026, 3, 8, 1)) - local(2026, 3, 8)).toBe(23 * HOUR_MS);
    expect(nextDayStart(local(2026, 11, 1, 1)) - local(2026, 11, 1)).toBe(25 * HOUR_MS);
  });

  it('counts calendar days back whatever their length', () => {
    expect(dayBefore(local(2026, 3, 9, 0, 30), 1)).toBe('2026-03-08');
    expect(dayBefore(local(2026, 3, 9, 0, 30), 2)).toBe('2026-03-07');
    expect(dayBefore(local(2026, 11, 2, 0, 10), 1)).toBe('2026-11-01');
    expect(dayBefore(local(2026, 3, 1), 1)).toBe('2026-02-28');
  });

  it('gives 24 buckets one real hour apart across the night DST ends, the repeated 1 o’clock twice', () => {
    const now = local(2026, 11, 1, 12, 30);
    const hours = hourBuckets(emptyHistory(now), now);
    expect(hours).toHaveLength(HISTORY_HOURS);
    expect(hours.at(-1)!.start).toBe(hourStart(now));
    for (let i = 1; i < hours.length; i++) expect(hours[i]!.start - hours[i - 1]!.start).toBe(HOUR_MS);
    const oneOClock = hours.filter((h) => new Date(h.start).getHours() === 1);
    expect(oneOClock).toHaveLength(2);
  });

  it('gives 24 buckets across the night DST begins, with no 2 o’clock', () => {
    const now = local(2026, 3, 8, 12, 30);
    const hours = hourBuckets(emptyHistory(now), now);
    expect(hours.map((h) => new Date(h.start).getHours())).not.toContain(2);
    for (let i = 1; i < hours.length; i++) expect(hours[i]!.start - hours[i - 1]!.start).toBe(HOUR_MS);
  });

  it('gives 30 consecutive local days ending with today', () => {
    const now = local(2026, 3, 20, 9);
    const days = dayBuckets(emptyHistory(now), now);
    expect(days).toHaveLength(HISTORY_DAYS);
    expect(days.at(-1)!.day).toBe('2026-03-20');
    expect(days[0]!.day).toBe('2026-02-19');
    expect(new Set(days.map((d) => d.day)).size).toBe(HISTORY_DAYS);
  });
});

describe('spreading CPU time', () => {
  it('splits in proportion to the time spent in each part, adding up exactly', () => {
    const parts = spread(local(2026, 6, 10, 10, 30), local(2026, 6, 10, 11, 30), 3_601, (t) => hourStart(t) + HOUR_MS);
    expect(parts.map(([, part]) => part)).toEqual([1_800, 1_801]);
    const odd = spread(local(2026, 6, 10, 9, 50), local(2026, 6, 10, 12, 20), 997, (t) => hourStart(t) + HOUR_MS);
    expect(odd).toHaveLength(4);
    expect(odd.reduce((sum, [, part]) => sum + part, 0)).toBe(997);
  });

  it('puts everything at the end of a zero-length or backwards span', () => {
    expect(spread(T0, T0, 50, (t) => t + HOUR_MS)).toEqual([[T0, 50]]);
    expect(spread(T0 + 5, T0, 50, (t) => t + HOUR_MS)).toEqual([[T0, 50]]);
    expect(spread(T0, T0 + 10, 0, (t) => t + HOUR_MS)).toEqual([]);
  });
});

describe('the history', () => {
  it('counts a task’s CPU in the hours and days it ran in, and the task when it ended', () => {
    const start = local(2026, 6, 10, 23, 30);
    const end = local(2026, 6, 11, 0, 30);
    const now = end + 60_000;
    const data = withTask(emptyHistory(T0), { startedAt: start, finishedAt: end, cpuMs: 3_600, done: true }, now);
    const hours = hourBuckets(data, now);
    expect(hours.at(-2)).toMatchObject({ start: local(2026, 6, 10, 23), cpuMs: 1_800, tasksDone: 0 });
    expect(hours.at(-1)).toMatchObject({ start: local(2026, 6, 11, 0), cpuMs: 1_800, tasksDone: 1 });
    const days = dayBuckets(data, now);
    expect(days.at(-2)).toMatchObject({ day: '2026-06-10', cpuMs: 1_800, tasksDone: 0 });
    expect(days.at(-1)).toMatchObject({ day: '2026-06-11', cpuMs: 1_800, tasksDone: 1 });
    expect(data.total).toEqual({ ...ZERO_TOTALS, cpuMs: 3_600, tasksDone: 1 });
    // A task that failed gives its CPU time but is not done.
    const failed = withTask(data, { startedAt: now - 1_000, finishedAt: now, cpuMs: 900, done: false }, now);
    expect(failed.total).toMatchObject({ cpuMs: 4_500, tasksDone: 1 });
    expect(failed.revision).toBe(data.revision + 1);
  });

  it('counts each receipt once, by its ledger index, validated with its credit or rejected', () => {
    let data = emptyHistory(T0);
    data = withReceipt(data, { index: 1, at: T0, validated: true, credit: 500 }, T0);
    data = withReceipt(data, { index: 2, at: T0, validated: false, credit: 0 }, T0);
    const again = withReceipt(data, { index: 2, at: T0, validated: true, credit: 500 }, T0);
    expect(again).toBe(data);
    expect(data.total).toEqual({ ...ZERO_TOTALS, tasksValidated: 1, tasksRejected: 1, credit: 500 });
    expect(data.receiptsThrough).toBe(2);
    expect(summary(data, T0).today).toEqual(data.total);
  });

  it('makes up, in all time only, the receipts the ledger rotated away before the history counted them', () => {
    let data = emptyHistory(T0);
    data = withReceipt(data, { index: 1, at: T0, validated: true, credit: 500 }, T0);
    // The ledger has since stored receipts 2–9 and rotated away 1–6: 6 receipts, 5 validated, 2,600 µcs.
    const upTo6 = { entries: 6, credit: 2_600, validated: 5, rejected: 1 };
    const caughtUp = withReceiptsUpTo(data, upTo6, T0);
    expect(caughtUp.total).toEqual({ ...ZERO_TOTALS, tasksValidated: 5, tasksRejected: 1, credit: 2_600 });
    expect(caughtUp.receiptsThrough).toBe(6);
    expect(caughtUp.days.get(localDay(T0))).toEqual(data.days.get(localDay(T0)));
    // Counted already (or an older view of the ledger): nothing changes.
    expect(withReceiptsUpTo(caughtUp, upTo6, T0)).toBe(caughtUp);
    expect(withReceiptsUpTo(caughtUp, { entries: 3, credit: 1_000, validated: 3, rejected: 0 }, T0)).toBe(caughtUp);
    // Then the receipts it holds, each in its hour.
    const held = [7, 8, 9].map((index) => ({ index, receiptId: `r${index}`, orchestrator: 'o', projectKey: 'p', projectName: 'P', taskId: `t${index}`, outcome: 'validated' as const, credit: 100, cpuMs: 1, validatedAt: T0, receivedAt: T0 + HOUR_MS }));
    const all = withLedgerSince(data, upTo6, held, T0 + HOUR_MS);
    expect(all.total).toEqual({ ...ZERO_TOTALS, tasksValidated: 8, tasksRejected: 1, credit: 2_900 });
    expect(all.receiptsThrough).toBe(9);
    expect(all.hours.get(hourStart(T0 + HOUR_MS))).toEqual({ ...ZERO_TOTALS, tasksValidated: 3, credit: 300 });
  });

  it('sums today, the last 7 days and all time', () => {
    let data = emptyHistory(T0);
    for (let back = 0; back < 10; back++) {
      const at = local(2026, 6, 10 - back, 8);
      data = withTask(data, { startedAt: at, finishedAt: at, cpuMs: 1_000, done: true }, T0);
    }
    const totals = summary(data, T0);
    expect(totals.today).toMatchObject({ cpuMs: 1_000, tasksDone: 1 });
    expect(totals.last7Days).toMatchObject({ cpuMs: 7_000, tasksDone: 7 });
    expect(totals.allTime).toMatchObject({ cpuMs: 10_000, tasksDone: 10 });
  });

  it('keeps only the last 24 hours and 30 days as time moves on; the all-time totals stay', () => {
    let data = emptyHistory(T0);
    data = withTask(data, { startedAt: T0, finishedAt: T0, cpuMs: 5, done: true }, T0);
    const nextDay = T0 + 24 * HOUR_MS;
    expect(pruned(data, nextDay).hours.size).toBe(0);
    expect(pruned(data, nextDay).days.get(localDay(T0))?.cpuMs).toBe(5);
    const later = T0 + 31 * 24 * HOUR_MS;
    const old = pruned(data, later);
    expect(old.days.size).toBe(0);
    expect(old.total.cpuMs).toBe(5);
    expect(hourBuckets(old, later).every((h) => h.cpuMs === 0)).toBe(true);
    // A clock that jumped back leaves buckets "in the future"; they stay bounded.
    let jumpy = emptyHistory(T0);
    for (let i = 0; i < 100; i++) jumpy = withTask(jumpy, { startedAt: T0 + i * HOUR_MS, finishedAt: T0 + i * HOUR_MS, cpuMs: 1, done: true }, T0);
    expect(jumpy.hours.size).toBeLessThanOrEqual(HISTORY_HOURS + 1);
    expect(jumpy.days.size).toBeLessThanOrEqual(HISTORY_DAYS + 1);
    expect(jumpy.total.cpuMs).toBe(100);
  });
});
