import { useId, useState, type FormEvent } from 'react';
import { commandProblem } from '../check-command.js';
import { shortId } from '../format.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { NodeIdText } from './NodeIdText.js';
import { Switch } from './Switch.js';
import { TextField } from './TextField.js';

/** Open or allowlist-only: whom this node accepts sessions from. */
export function AllowlistSettings({ enabled, entries }: { enabled: boolean; entries: readonly string[] }) {
  const send = useNode((s) => s.send);
  const switching = useNode((s) => isPending(s, 'set-allowlist-mode'));
  const [nodeId, setNodeId] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const hintId = useId();

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const command = { command: 'allowlist-add', nodeId: nodeId.trim() } as const;
    if (commandProblem(command) !== null) {
      setError('Enter a node id (node:did:key:z…).');
      return;
    }
    setError(undefined);
    const result = await send(command);
    if (result.ok) setNodeId('');
  };

  return (
    <Card title="Allowlist">
      <Switch
        label="Allowlist only"
        checked={enabled}
        disabled={switching}
        describedBy={hintId}
        onChange={(next) => void send({ command: 'set-allowlist-mode', enabled: next })}
      />
      <p id={hintId} className="hint">
        {enabled ? 'Only the nodes listed below may open sessions with this node.' : 'Open: any node may connect (the usual setting).'}
      </p>
      {entries.length === 0 ? (
        <p className="muted">The allowlist is empty.</p>
      ) : (
        <ul className="item-list">
          {entries.map((entry) => (
            <li key={entry}>
              <NodeIdText id={entry} copy />
              <button type="button" className="button-small" onClick={() => void send({ command: 'allowlist-remove', nodeId: entry })}>
                Remove<span className="sr-only"> {shortId(entry)} from the allowlist</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form form-compact" noValidate onSubmit={(e) => void submit(e)} aria-label="Add to the allowlist">
        <TextField label="Node id to allow" value={nodeId} onChange={setNodeId} error={error} placeholder="node:did:key:z…" />
        <div className="form-actions">
          <button type="submit">Add</button>
        </div>
      </form>
    </Card>
  );
}
