import { plainError } from '../plain-errors.js';
import { useNode } from '../store/store-context.js';

/** The last command that failed: what happened and what to do, the node's own words in a details line. */
export function ErrorBanner() {
  const error = useNode((s) => s.lastError);
  const dismiss = useNode((s) => s.dismissError);
  if (error === null) return null;
  const plain = plainError(error);
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-text">
        <p>
          <strong>{plain.summary}</strong> {plain.fix}
        </p>
        <details className="details-line">
          <summary>Details</summary>
          <p className="small">{plain.details}</p>
        </details>
      </div>
      <button type="button" className="button-small" onClick={dismiss} aria-label="Dismiss the error message">
        Dismiss
      </button>
    </div>
  );
}
