import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { MAX_BACKUP_LENGTH, MAX_PASSPHRASE_LENGTH } from '../../src-shared/control/commands.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { TextField } from './TextField.js';

/** Restore an identity from a backup: pasted or read from a file, with its passphrase. */
export function ImportIdentity() {
  const send = useNode((s) => s.send);
  const importing = useNode((s) => isPending(s, 'import-identity'));
  const [backup, setBackup] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [errors, setErrors] = useState<{ backup?: string; passphrase?: string }>({});
  const [done, setDone] = useState('');
  const textId = useId();
  const fileId = useId();

  const readFile = (event: ChangeEvent<HTMLInputElement>): void => {
    const file = event.target.files?.[0];
    if (!file) return;
    if (file.size > MAX_BACKUP_LENGTH) {
      setErrors({ backup: 'That file is too large to be an identity backup.' });
      return;
    }
    file.text().then(
      (text) => {
        setBackup(text);
        setErrors({});
      },
      () => setErrors({ backup: 'The file could not be read.' }),
    );
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const next: typeof errors = {};
    const text = backup.trim();
    if (text === '') next.backup = 'Paste the backup or choose its file.';
    else if (text.length > MAX_BACKUP_LENGTH) next.backup = 'That is too long to be an identity backup.';
    if (passphrase === '') next.passphrase = 'Enter the passphrase the backup was made with.';
    setErrors(next);
    setDone('');
    if (next.backup || next.passphrase) return;
    const result = await send({ command: 'import-identity', backup: text, passphrase });
    if (result.ok) {
      setBackup('');
      setPassphrase('');
      setDone('Identity restored.');
    }
  };

  return (
    <Card title="Import identity">
      <p className="muted">Replaces this node’s identity with the one in the backup.</p>
      <form className="form form-compact" noValidate onSubmit={(e) => void submit(e)} aria-label="Import identity">
        <div className={`field${errors.backup ? ' field-invalid' : ''}`}>
          <label htmlFor={textId}>Backup text</label>
          <textarea
            id={textId}
            rows={4}
            value={backup}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={errors.backup ? true : undefined}
            aria-describedby={errors.backup ? `${textId}-error` : undefined}
            onChange={(e) => setBackup(e.target.value)}
          />
          {errors.backup && (
            <p id={`${textId}-error`} className="field-error">
              {errors.backup}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={fileId}>…or choose the backup file</label>
          <input id={fileId} type="file" accept=".json,application/json,text/plain" onChange={readFile} />
        </div>
        <TextField label="Backup passphrase" type="password" autoComplete="current-password" value={passphrase} onChange={setPassphrase} error={errors.passphrase} maxLength={MAX_PASSPHRASE_LENGTH} />
        <div className="form-actions">
          <button type="submit" disabled={importing}>
            {importing ? 'Importing…' : 'Import identity'}
          </button>
          <span role="status" className="form-status">
            {done}
          </span>
        </div>
      </form>
    </Card>
  );
}
