import { connectionLabel } from '../labels.js';
import { useNode } from '../store/store-context.js';
import { formatClockTime } from '../format.js';

/** Says plainly when the UI cannot reach its node, and offers to try again now. */
export function ConnectionBanner() {
  const connection = useNode((s) => s.connection);
  const retry = useNode((s) => s.retryConnection);
  const hasState = useNode((s) => s.node !== null);
  // Without a link (or with a wrong one) the whole page says so: no banner on top of it.
  if (connection.kind === 'connected' || connection.kind === 'no-token') return null;
  if (connection.kind === 'refused') {
    return hasState ? (
      <div className="banner banner-error" role="alert">
        <strong>{connectionLabel(connection)}.</strong> The node no longer accepts this page. Open the dashboard address the node printed
        when it started.
      </div>
    ) : null;
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
