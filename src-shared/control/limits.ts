// The bounds of the volunteer's contribution limits: one place, read by the `set-limits` command's
// validation, the settings file's decoder and the renderer's limits form, so they always agree.
import type { ContributionLimits } from './state.js';

export const PERCENT_MIN = 1;
export const PERCENT_MAX = 100;
export const CORES_MIN = 1;
/** The node's own ceiling for max cores, whatever the machine (the hardware may lower it). */
export const CORES_MAX = 1_024;

function wholeIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

export function isPercent(value: unknown): value is number {
  return wholeIn(value, PERCENT_MIN, PERCENT_MAX);
}

export function isCoreCount(value: unknown): value is number {
  return wholeIn(value, CORES_MIN, CORES_MAX);
}

/** A whole, in-bounds limits object (as stored in settings). */
export function isContributionLimits(value: unknown): value is ContributionLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return isPercent(v['cpuPercent']) && isPercent(v['memoryPercent']) && isCoreCount(v['maxCores']) && typeof v['onlyWhenIdle'] === 'boolean' && typeof v['pauseOnBattery'] === 'boolean';
}
