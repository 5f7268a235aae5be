// "Why is this computer not contributing?" in plain words, one sentence per reason.
import type { ContributionView, SuspendReason } from '../src-shared/control/state.js';
import { formatClockTime } from './format.js';

export const SUSPEND_REASON_ORDER: readonly SuspendReason[] = [
  'not-joined',
  'contribution-off',
  'snoozed',
  'on-battery',
  'user-active',
  'limits',
  'no-orchestrator',
];

export function describeSuspendReason(reason: SuspendReason, contribution: Pick<ContributionView, 'snoozedUntil'>, now: number): string {
  switch (reason) {
    case 'not-joined':
      return 'You have not joined the network yet.';
    case 'contribution-off':
      return 'Contribution is switched off.';
    case 'snoozed':
      return contribution.snoozedUntil === null
        ? 'Snoozed.'
        : `Snoozed until ${formatClockTime(contribution.snoozedUntil, now)}.`;
    case 'on-battery':
      return 'This computer is running on battery, and your limits pause work on battery.';
    case 'user-active':
      return 'You are using this computer, and your limits allow work only when it is idle.';
    case 'limits':
      return 'Your limits leave no room for work right now (CPU, memory or cores).';
    case 'no-orchestrator':
      return 'No orchestrator is reachable, so there is nobody to hand out work.';
    default:
      return `Paused by the node (${String(reason)}).`;
  }
}

/** The reasons in a stable, most-actionable-first order, each once. */
export function orderedReasons(reasons: readonly SuspendReason[]): SuspendReason[] {
  const known = SUSPEND_REASON_ORDER.filter((reason) => reasons.includes(reason));
  const newer = reasons.filter((reason, index) => !SUSPEND_REASON_ORDER.includes(reason) && reasons.indexOf(reason) === index);
  return [...known, ...newer];
}
