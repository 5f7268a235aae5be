import { useState, type FormEvent } from 'react';
import { MAX_LABEL_LENGTH } from '../../src-shared/control/commands.js';
import type { SeedView } from '../../src-shared/control/state.js';
import { commandProblem } from '../check-command.js';
import { shortId } from '../format.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { NodeIdText } from './NodeIdText.js';
import { TextField } from './TextField.js';

/** Static seeds: nodes this one always tries first to find the network. */
export function SeedsSettings({ seeds }: { seeds: readonly SeedView[] }) {
  const send = useNode((s) => s.send);
  const [nodeId, setNodeId] = useState('');
  const [url, setUrl] = useState('');
  const [label, setLabel] = useState('');
  const [errors, setErrors] = useState<{ nodeId?: string; url?: string; label?: string }>({});

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const trimmedLabel = label.trim();
    const command = { command: 'add-seed', nodeId: nodeId.trim(), url: url.trim(), ...(trimmedLabel !== '' ? { label: trimmedLabel } : {}) } as const;
    const problem = commandProblem(command);
    if (problem !== null) {
      setErrors({
        ...(problem.includes('"nodeId"') ? { nodeId: 'Enter the seed’s node id (node:did:key:z…).' } : {}),
        ...(problem.includes('"url"') ? { url: 'Enter a wss:// (or ws:// for local tests) address.' } : {}),
        ...(problem.includes('"label"') ? { label: `A label is at most ${MAX_LABEL_LENGTH} characters.` } : {}),
      });
      return;
    }
    setErrors({});
    const result = await send(command);
    if (result.ok) {
      setNodeId('');
      setUrl('');
      setLabel('');
    }
  };

  return (
    <Card title="Seeds">
      {seeds.length === 0 ? (
        <p className="muted">No static seeds. The node uses seed directories and peers it remembers.</p>
      ) : (
        <ul className="item-list">
          {seeds.map((seed) => (
            <li key={seed.nodeId}>
              <div>
                {seed.label && <strong>{seed.label} </strong>}
                <NodeIdText id={seed.nodeId} />
                <div className="muted small">{seed.url}</div>
              </div>
              <button type="button" className="button-small" onClick={() => void send({ command: 'remove-seed', nodeId: seed.nodeId })}>
                Remove<span className="sr-only"> seed {seed.label ?? shortId(seed.nodeId)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form form-compact" noValidate onSubmit={(e) => void submit(e)} aria-label="Add a seed">
        <TextField label="Seed node id" value={nodeId} onChange={setNodeId} error={errors.nodeId} placeholder="node:did:key:z…" />
        <TextField label="Seed address" type="url" value={url} onChange={setUrl} error={errors.url} placeholder="wss://seed.example.org:7443" />
        <TextField label="Label (optional)" value={label} onChange={setLabel} error={errors.label} maxLength={MAX_LABEL_LENGTH} />
        <div className="form-actions">
          <button type="submit">Add seed</button>
        </div>
      </form>
    </Card>
  );
}
