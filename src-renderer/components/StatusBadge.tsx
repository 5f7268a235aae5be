import type { ContributionStatus } from '../../src-shared/control/state.js';
import { CONTRIBUTION_STATUS_LABEL } from '../labels.js';

/** The contribution status as a coloured word (the word carries the meaning, not the colour). */
export function StatusBadge({ status }: { status: ContributionStatus }) {
  return <span className={`badge status-${status}`}>{CONTRIBUTION_STATUS_LABEL[status]}</span>;
}
