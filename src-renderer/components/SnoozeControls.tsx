import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { minutesUntilTomorrowAt } from '../format.js';
import type { ContributionView } from '../../src-shared/control/state.js';
import { MAX_SNOOZE_MINUTES } from '../../src-shared/control/commands.js';

/** "Until tomorrow" means until this hour, local time. */
export const SNOOZE_TOMORROW_HOUR = 8;
export const SNOOZE_HOUR_MINUTES = 60;

/**
 * Snooze for an hour or until tomorrow morning, or resume now. The snooze's end is said by the
 * status line beside it, not here again; offered only while contribution is on.
 */
export function SnoozeControls({ contribution }: { contribution: ContributionView }) {
  const send = useNode((s) => s.send);
  const busy = useNode((s) => isPending(s, 'snooze') || isPending(s, 'resume'));
  const snoozed = contribution.status === 'snoozed' || contribution.snoozedUntil !== null;
  const snooze = (minutes: number): void => {
    void send({ command: 'snooze', minutes: Math.min(MAX_SNOOZE_MINUTES, Math.max(1, minutes)) });
  };
  if (!contribution.enabled) return null;
  return (
    <div className="snooze" role="group" aria-label="Snooze">
      <div className="button-row">
        {snoozed ? (
          <button type="button" className="button-primary" disabled={busy} onClick={() => void send({ command: 'resume' })}>
            Resume now
          </button>
        ) : (
          <>
            <button type="button" disabled={busy} onClick={() => snooze(SNOOZE_HOUR_MINUTES)}>
              Snooze 1 hour
            </button>
            <button type="button" disabled={busy} onClick={() => snooze(minutesUntilTomorrowAt(SNOOZE_TOMORROW_HOUR, Date.now()))}>
              Snooze until tomorrow {String(SNOOZE_TOMORROW_HOUR).padStart(2, '0')}:00
            </button>
          </>
        )}
      </div>
    </div>
  );
}
