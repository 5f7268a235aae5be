import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../control/state.js';
import { RUNNING_CONDITIONS, coreSlots, inRunPhase, isUserActive, localDay, memoryBudgetMb, pauseReasons, runMsPerCycle, taskFootprintMb } from './conditions.js';
import { TASK_OVERHEAD_MB } from './limits.js';

describe('pause reasons', () => {
  it('none while contributing, idle and on mains', () => {
    expect(pauseReasons(RUNNING_CONDITIONS, DEFAULT_LIMITS)).toEqual([]);
  });

  it('the toggle and the snooze always pause', () => {
    expect(pauseReasons({ ...RUNNING_CONDITIONS, contributing: false, snoozed: true }, DEFAULT_LIMITS)).toEqual(['contribution-off', 'snoozed']);
  });

  it('battery and user activity pause only when the limits say so', () => {
    const busyLaptop = { ...RUNNING_CONDITIONS, onBattery: true, userActive: true };
    expect(pauseReasons(busyLaptop, { onlyWhenIdle: false, pauseOnBattery: false })).toEqual([]);
    expect(pauseReasons(busyLaptop, { onlyWhenIdle: true, pauseOnBattery: false })).toEqual(['user-active']);
    expect(pauseReasons(busyLaptop, { onlyWhenIdle: true, pauseOnBattery: true })).toEqual(['on-battery', 'user-active']);
  });

  it('the user is active within three minutes of the last input; unknown counts as idle', () => {
    expect(isUserActive(0)).toBe(true);
    expect(isUserActive(179)).toBe(true);
    expect(isUserActive(180)).toBe(false);
    expect(isUserActive(null)).toBe(false);
  });
});

describe('the duty cycle', () => {
  it('runs for cpuPercent of each period', () => {
    expect(runMsPerCycle(30)).toBe(300);
    expect(runMsPerCycle(100)).toBe(1000);
    expect(runMsPerCycle(0)).toBe(10);
    expect(runMsPerCycle(150)).toBe(1000);
    expect(runMsPerCycle(25, 200)).toBe(50);
  });

  it('is in its running part for the first cpuPercent of every cycle', () => {
    expect(inRunPhase(1000, 1000, 30)).toBe(true);
    expect(inRunPhase(1299, 1000, 30)).toBe(true);
    expect(inRunPhase(1300, 1000, 30)).toBe(false);
    expect(inRunPhase(1999, 1000, 30)).toBe(false);
    expect(inRunPhase(2000, 1000, 30)).toBe(true);
    expect(inRunPhase(5_555, 1000, 100)).toBe(true);
  });
});

describe('capacity', () => {
  it('memory budget is the share of total memory; a task holds its need plus overhead', () => {
    expect(memoryBudgetMb(16_384, 25)).toBe(4096);
    expect(taskFootprintMb(64)).toBe(64 + TASK_OVERHEAD_MB);
  });

  it('cores: the limit, never more than the machine has, at least one', () => {
    expect(coreSlots(4, 8)).toBe(4);
    expect(coreSlots(16, 8)).toBe(8);
    expect(coreSlots(0, 8)).toBe(1);
  });

  it('days are local calendar days', () => {
    const noon = new Date(2026, 10, 21, 12, 0, 0).getTime();
    expect(localDay(noon)).toBe('2026-11-21');
    expect(localDay(new Date(2026, 10, 21, 23, 59, 59).getTime())).toBe('2026-11-21');
    expect(localDay(new Date(2026, 10, 22, 0, 0, 0).getTime())).toBe('2026-11-22');
  });
});
