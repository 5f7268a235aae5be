import { COMMAND_LABEL } from '../labels.js';
import { useNode } from '../store/store-context.js';

/** The last command that failed, with the node's message. */
export function ErrorBanner() {
  const error = useNode((s) => s.lastError);
  const dismiss = useNode((s) => s.dismissError);
  if (error === null) return null;
  return (
    <div className="banner banner-error" role="alert">
      <span>
        <strong>Could not {COMMAND_LABEL[error.command] ?? error.command}:</strong> {error.message}
        {error.protocolCode ? ` (${error.protocolCode})` : ''}
      </span>
      <button type="button" className="button-small" onClick={dismiss} aria-label="Dismiss the error message">
        Dismiss
      </button>
    </div>
  );
}
