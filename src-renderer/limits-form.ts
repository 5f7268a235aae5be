// The limits form's rules: the same bounds the node applies to `set-limits` (commands.ts), with
// max cores also bounded by the logical cores the hardware reports, when it reports them.
import type { ContributionLimits } from '../src-shared/control/state.js';

import { CORES_MAX, CORES_MIN, PERCENT_MAX, PERCENT_MIN } from '../src-shared/control/limits.js';

export interface LimitsDraft {
  readonly cpuPercent: string;
  readonly memoryPercent: string;
  readonly maxCores: string;
  readonly onlyWhenIdle: boolean;
  readonly pauseOnBattery: boolean;
}

export type LimitsErrors = Partial<Record<'cpuPercent' | 'memoryPercent' | 'maxCores', string>>;

export function draftOf(limits: ContributionLimits): LimitsDraft {
  return {
    cpuPercent: String(limits.cpuPercent),
    memoryPercent: String(limits.memoryPercent),
    maxCores: String(limits.maxCores),
    onlyWhenIdle: limits.onlyWhenIdle,
    pauseOnBattery: limits.pauseOnBattery,
  };
}

export function coresCeiling(logicalCores: number | null): number {
  return logicalCores === null ? CORES_MAX : Math.min(CORES_MAX, Math.max(CORES_MIN, logicalCores));
}

function wholeNumber(text: string, min: number, max: number, what: string): number | string {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return `${what} must be a whole number from ${min} to ${max}.`;
  const value = Number(trimmed);
  if (value < min || value > max) return `${what} must be from ${min} to ${max}.`;
  return value;
}

/** The limits to send, or what is wrong with each field. */
export function checkLimits(draft: LimitsDraft, logicalCores: number | null): { ok: true; limits: ContributionLimits } | { ok: false; errors: LimitsErrors } {
  const cpu = wholeNumber(draft.cpuPercent, PERCENT_MIN, PERCENT_MAX, 'CPU share');
  const memory = wholeNumber(draft.memoryPercent, PERCENT_MIN, PERCENT_MAX, 'Memory share');
  const ceiling = coresCeiling(logicalCores);
  let cores = wholeNumber(draft.maxCores, CORES_MIN, ceiling, 'Max cores');
  if (typeof cores === 'string' && logicalCores !== null && /^\d+$/.test(draft.maxCores.trim()) && Number(draft.maxCores.trim()) > ceiling) {
    cores = `This computer has ${logicalCores} logical ${logicalCores === 1 ? 'core' : 'cores'}; offer at most ${ceiling}.`;
  }
  const errors: LimitsErrors = {
    ...(typeof cpu === 'string' ? { cpuPercent: cpu } : {}),
    ...(typeof memory === 'string' ? { memoryPercent: memory } : {}),
    ...(typeof cores === 'string' ? { maxCores: cores } : {}),
  };
  if (typeof cpu === 'string' || typeof memory === 'string' || typeof cores === 'string') return { ok: false, errors };
  return {
    ok: true,
    limits: { cpuPercent: cpu, memoryPercent: memory, maxCores: cores, onlyWhenIdle: draft.onlyWhenIdle, pauseOnBattery: draft.pauseOnBattery },
  };
}
