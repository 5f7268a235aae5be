// When a VNode host may compute and how much (issue 7 §2): the pure rules behind pausing and
// throttling, fed by the volunteer's limits and the machine's state.
import type { ContributionLimits, SuspendReason } from '../control/state.js';
import { DUTY_CYCLE_PERIOD_MS, TASK_OVERHEAD_MB, USER_IDLE_THRESHOLD_S } from './limits.js';

/** The inputs that can pause the host, pushed by the runtime and the desktop shell. */
export interface HostConditions {
  /** Joined and the contribution toggle is on. */
  readonly contributing: boolean;
  readonly snoozed: boolean;
  /** Someone is using the computer (recent input). */
  readonly userActive: boolean;
  readonly onBattery: boolean;
}

export const RUNNING_CONDITIONS: HostConditions = { contributing: true, snoozed: false, userActive: false, onBattery: false };

/** Why the host must not compute now under these conditions and limits; empty: it may. */
export function pauseReasons(conditions: HostConditions, limits: Pick<ContributionLimits, 'onlyWhenIdle' | 'pauseOnBattery'>): SuspendReason[] {
  const reasons: SuspendReason[] = [];
  if (!conditions.contributing) reasons.push('contribution-off');
  if (conditions.snoozed) reasons.push('snoozed');
  if (limits.pauseOnBattery && conditions.onBattery) reasons.push('on-battery');
  if (limits.onlyWhenIdle && conditions.userActive) reasons.push('user-active');
  return reasons;
}

/** Seconds since the last input → active or not; unknown idle time counts as idle (no user to disturb). */
export function isUserActive(idleSeconds: number | null, thresholdS: number = USER_IDLE_THRESHOLD_S): boolean {
  return idleSeconds !== null && Number.isFinite(idleSeconds) && idleSeconds < thresholdS;
}

/** Time of each cycle a task runs, ms (the rest of the cycle it is suspended). */
export function runMsPerCycle(cpuPercent: number, periodMs: number = DUTY_CYCLE_PERIOD_MS): number {
  const share = Math.min(100, Math.max(1, Math.round(cpuPercent)));
  return Math.round((periodMs * share) / 100);
}

/** Whether a duty cycle that started at `cycleStart` is in its running part at `now`. */
export function inRunPhase(now: number, cycleStart: number, cpuPercent: number, periodMs: number = DUTY_CYCLE_PERIOD_MS): boolean {
  const run = runMsPerCycle(cpuPercent, periodMs);
  if (run >= periodMs) return true;
  const position = (((now - cycleStart) % periodMs) + periodMs) % periodMs;
  return position < run;
}

/** Memory the volunteer lets tasks use, MiB. */
export function memoryBudgetMb(totalMemoryMb: number, memoryPercent: number): number {
  return Math.floor((totalMemoryMb * Math.min(100, Math.max(1, memoryPercent))) / 100);
}

/** What a running task with this need holds against the budget, MiB. */
export function taskFootprintMb(needMemoryMb: number): number {
  return needMemoryMb + TASK_OVERHEAD_MB;
}

/** Tasks that may run at once: the volunteer's core limit, never more than the machine has. */
export function coreSlots(maxCores: number, logicalCores: number): number {
  return Math.max(1, Math.min(Math.floor(maxCores), Math.max(1, Math.floor(logicalCores))));
}

/** The local calendar day of `ms` as YYYY-MM-DD ("today" for CPU time donated today). */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
