import { useEffect, useState, type FormEvent } from 'react';
import { MAX_PASSPHRASE_LENGTH, MIN_PASSPHRASE_LENGTH } from '../../src-shared/control/commands.js';
import { backupFileName, backupTextOf } from '../backup-text.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { TextField } from './TextField.js';

interface Download {
  readonly url: string;
  readonly name: string;
}

/** Passphrase twice; the node seals the identity with it, and the backup is offered as a file. */
export function ExportIdentity({ nodeId }: { nodeId: string | null }) {
  const send = useNode((s) => s.send);
  const exporting = useNode((s) => isPending(s, 'export-identity'));
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<{ passphrase?: string; again?: string }>({});
  const [download, setDownload] = useState<Download | null>(null);

  // The Blob URL lives as long as the link is shown.
  useEffect(() => (download ? () => URL.revokeObjectURL(download.url) : undefined), [download]);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const next: typeof errors = {};
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) next.passphrase = `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`;
    else if (passphrase.length > MAX_PASSPHRASE_LENGTH) next.passphrase = `Use at most ${MAX_PASSPHRASE_LENGTH} characters.`;
    if (again !== passphrase) next.again = 'The two passphrases differ.';
    setErrors(next);
    if (next.passphrase || next.again) return;
    setDownload(null);
    const result = await send({ command: 'export-identity', passphrase });
    if (!result.ok) return;
    const text = backupTextOf(result.value);
    if (text === null) {
      setErrors({ passphrase: 'The node answered without a backup.' });
      return;
    }
    setPassphrase('');
    setAgain('');
    const blob = new Blob([text], { type: 'application/json' });
    setDownload({ url: URL.createObjectURL(blob), name: backupFileName(nodeId, new Date()) });
  };

  return (
    <Card title="Export identity">
      <p className="muted">
        A backup lets you move this node’s identity to another computer or restore it after a reinstall. It is encrypted with
        the passphrase you choose; without it the file is useless, so keep both safe.
      </p>
      <form className="form form-compact" noValidate onSubmit={(e) => void submit(e)} aria-label="Export identity">
        <TextField label="Passphrase" type="password" autoComplete="new-password" value={passphrase} onChange={setPassphrase} error={errors.passphrase} maxLength={MAX_PASSPHRASE_LENGTH} hint={`At least ${MIN_PASSPHRASE_LENGTH} characters.`} />
        <TextField label="Passphrase again" type="password" autoComplete="new-password" value={again} onChange={setAgain} error={errors.again} maxLength={MAX_PASSPHRASE_LENGTH} />
        <div className="form-actions">
          <button type="submit" disabled={exporting}>
            {exporting ? 'Exporting…' : 'Export backup'}
          </button>
        </div>
      </form>
      <div role="status">
        {download && (
          <p className="download">
            Backup ready:{' '}
            <a href={download.url} download={download.name} className="button-link-strong">
              Download {download.name}
            </a>
          </p>
        )}
      </div>
    </Card>
  );
}
