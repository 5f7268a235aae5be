import { connectionLabel } from '../labels.js';
import { useNode } from '../store/store-context.js';
import { formatClockTime } from '../format.js';

/** Says plainly when the UI cannot reach its node, and offers to try again now. */
export function ConnectionBanner() {
  const connection = useNode((s) => s.connection);
  const retry = useNode((s) => s.retryConnection);
  if (connection.kind === 'connected') return null;
  if (connection.kind === 'no-token') {
    return (
      <div className="banner banner-error" role="alert">
        <strong>{connectionLabel(connection)}.</strong> This page needs the address printed by <code>pnode node --ui</code>{' '}
        (it ends in <code>#token=…</code>). Open that address again to connect.
      </div>
    );
  }
  if (connection.kind === 'connecting') {
    return (
      <div className="banner banner-info" role="status">
        {connectionLabel(connection)}
        {connection.attempt > 1 ? ` (attempt ${connection.attempt})` : ''}
      </div>
    );
  }
  const next =
    connection.retryAt === null
      ? 'It will try again when this window is shown.'
      : `Next try at ${formatClockTime(connection.retryAt, connection.retryAt)}${connection.attempt > 1 ? ` (attempt ${connection.attempt + 1})` : ''}.`;
  return (
    <div className="banner banner-error" role="alert">
      <span>
        <strong>{connectionLabel(connection)}:</strong> {connection.reason}. {next}
      </span>
      <button type="button" className="button-small" onClick={retry}>
        Retry now
      </button>
    </div>
  );
}
