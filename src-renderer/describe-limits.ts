// Contribution limits in one sentence, for people deciding whether to join.
import type { ContributionLimits } from '../src-shared/control/state.js';

export function describeLimits(limits: ContributionLimits): string {
  const cores = limits.maxCores === 1 ? '1 core' : `${limits.maxCores} cores`;
  const conditions = [limits.onlyWhenIdle ? 'only while you are not using the computer' : null, limits.pauseOnBattery ? 'paused on battery' : null].filter(
    (part): part is string => part !== null,
  );
  return `at most ${limits.cpuPercent} % of ${cores} and ${limits.memoryPercent} % of the memory${conditions.length > 0 ? `, ${conditions.join(' and ')}` : ''}.`;
}
