// User activity for the node's "only when idle" and "pause on battery" (issue 7): sampled from
// powerMonitor by main.ts, cleaned here, and forwarded only when it changed.
import type { UserActivity } from './node-host.js';

/** How often the shell samples idle time and the power source. */
export const USER_ACTIVITY_POLL_MS = 15_000;
/** Idle times beyond a day say nothing more. */
export const MAX_IDLE_SECONDS = 24 * 60 * 60;

/** A raw sample made safe: whole seconds within 0..MAX_IDLE_SECONDS, a real boolean. */
export function userActivity(idleSeconds: unknown, onBattery: unknown): UserActivity {
  const idle = typeof idleSeconds === 'number' && Number.isFinite(idleSeconds) ? Math.min(MAX_IDLE_SECONDS, Math.max(0, Math.floor(idleSeconds))) : 0;
  return { idleSeconds: idle, onBattery: onBattery === true };
}

export interface ActivityReporter {
  /** Samples now and reports when the sample differs from the last one reported. */
  sample(): void;
}

export function createActivityReporter(read: () => UserActivity, report: (activity: UserActivity) => void): ActivityReporter {
  let last: UserActivity | null = null;
  return {
    sample() {
      const next = read();
      if (last !== null && last.idleSeconds === next.idleSeconds && last.onBattery === next.onBattery) return;
      last = next;
      report(next);
    },
  };
}
