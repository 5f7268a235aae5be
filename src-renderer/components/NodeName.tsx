import { displayName } from '../../src-shared/control/friendly-name.js';
import { CopyButton } from './CopyButton.js';

/**
 * A node as people say it: its label or its friendly name. The full id is one click away (a
 * disclosure that shows it with a copy button), never the first thing on a screen.
 */
export function NodeName({ id, label = null, what = 'node id' }: { id: string; label?: string | null; what?: string }) {
  const name = displayName(id, label);
  return (
    <details className="node-name">
      <summary>
        <span className="node-name-text">{name}</span>
        <span className="sr-only">, show the full {what}</span>
      </summary>
      <span className="node-name-id">
        <code className="wrap">{id}</code> <CopyButton text={id} what={`${what} of ${name}`} />
      </span>
    </details>
  );
}
