import type { ContributionView } from '../../src-shared/control/state.js';
import { describeSuspendReason, orderedReasons } from '../suspend-reasons.js';

/** "Why not contributing": each reason the node gave, in words. */
export function SuspendReasons({ contribution, now }: { contribution: ContributionView; now: number }) {
  const reasons = orderedReasons(contribution.suspendReasons);
  if (reasons.length === 0) return <p className="muted">Nothing is holding it back.</p>;
  return (
    <ul className="reasons">
      {reasons.map((reason) => (
        <li key={reason}>{describeSuspendReason(reason, contribution, now)}</li>
      ))}
    </ul>
  );
}
