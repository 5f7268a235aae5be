import { useState, type FormEvent } from 'react';
import { commandProblem } from '../check-command.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { TextField } from './TextField.js';

/** Seed directories: HTTP caches of signed node advertisements. */
export function DirectoriesSettings({ directories, configured = [] }: { directories: readonly string[]; configured?: readonly string[] }) {
  const send = useNode((s) => s.send);
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const command = { command: 'add-directory', url: url.trim() } as const;
    if (commandProblem(command) !== null) {
      setError('Enter an https:// address (http:// only for local tests).');
      return;
    }
    setError(undefined);
    const result = await send(command);
    if (result.ok) setUrl('');
  };

  return (
    <Card title="Seed directories">
      {configured.length > 0 && (
        <>
          <p className="muted">In use, from the network’s description{directories.length > 0 ? '' : ' (nothing else is added here)'}:</p>
          <ul className="item-list">
            {configured.map((directory) => (
              <li key={directory}>
                <code className="wrap">{directory}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {directories.length === 0 ? (
        configured.length === 0 ? <p className="muted">No directories: the node finds peers through its seeds and other peers.</p> : null
      ) : (
        <ul className="item-list">
          {directories.map((directory) => (
            <li key={directory}>
              <code className="wrap">{directory}</code>
              <button type="button" className="button-small" onClick={() => void send({ command: 'remove-directory', url: directory })}>
                Remove<span className="sr-only"> directory {directory}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form form-compact" noValidate onSubmit={(e) => void submit(e)} aria-label="Add a directory">
        <TextField label="Directory address" type="url" value={url} onChange={setUrl} error={error} placeholder="https://directory.example.org" />
        <div className="form-actions">
          <button type="submit">Add directory</button>
        </div>
      </form>
    </Card>
  );
}
