import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { CheckboxField } from './CheckboxField.js';

/** Start the desktop app when you log in; not something a browser tab can change. */
export function LaunchAtLogin({ enabled }: { enabled: boolean | null }) {
  const send = useNode((s) => s.send);
  const busy = useNode((s) => isPending(s, 'set-launch-at-login'));
  return (
    <Card title="Start-up">
      <CheckboxField
        label="Start PNode when I log in"
        checked={enabled === true}
        disabled={enabled === null || busy}
        onChange={(next) => void send({ command: 'set-launch-at-login', enabled: next })}
        hint={enabled === null ? 'Only the desktop app can start at login; this view (a browser, or a headless node) cannot change it.' : 'The app starts in the tray, without opening this window.'}
      />
    </Card>
  );
}
