import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { INVITE_MAX_CHARS } from '../../src-shared/network/invite-limits.js';
import { inviteTextFrom, inviteTextProblem } from '../network/invite-text.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';

/**
 * "Join with an invite": paste a link (or the text a QR code holds), or open the network's file. The
 * node reads and checks it and shows what it is (the Join confirmation); nothing changes yet.
 */
export function InviteForm({ submitLabel = 'Continue' }: { submitLabel?: string }) {
  const send = useNode((s) => s.send);
  const dismissError = useNode((s) => s.dismissError);
  const opening = useNode((s) => isPending(s, 'open-invite'));
  const [text, setText] = useState('');
  const [error, setError] = useState<{ message: string; code?: string | undefined } | null>(null);
  const textId = useId();
  const fileId = useId();

  const readFile = (event: ChangeEvent<HTMLInputElement>): void => {
    const file = event.target.files?.[0];
    if (!file) return;
    if (file.size > INVITE_MAX_CHARS * 4) {
      setError({ message: 'That file is too large to be a network’s invite or descriptor.' });
      return;
    }
    file.text().then(
      (content) => {
        setText(inviteTextFrom(content));
        setError(null);
      },
      () => setError({ message: 'The file could not be read.' }),
    );
  };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const invite = inviteTextFrom(text);
    const problem = inviteTextProblem(invite);
    if (problem !== null) {
      setError({ message: problem });
      return;
    }
    setError(null);
    const result = await send({ command: 'open-invite', invite });
    if (result.ok) {
      setText('');
      return;
    }
    // Shown here, beside the invite, rather than in the page's banner.
    dismissError();
    setError({ message: result.error.message, code: result.error.protocolCode });
  };

  return (
    <form className="form form-compact" noValidate onSubmit={(e) => void submit(e)} aria-label="Join with an invite">
      <div className={`field${error ? ' field-invalid' : ''}`}>
        <label htmlFor={textId}>Invite link</label>
        <textarea
          id={textId}
          rows={3}
          value={text}
          spellCheck={false}
          autoComplete="off"
          placeholder="pnode://join/…"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${textId}-error` : `${textId}-hint`}
          onChange={(e) => setText(e.target.value)}
        />
        <p id={`${textId}-hint`} className="hint">
          Paste the link you were sent, or the text of its QR code.
        </p>
        {error && (
          <p id={`${textId}-error`} className="field-error" role="alert">
            {error.message}
            {error.code ? <span className="error-code"> ({error.code})</span> : null}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={fileId}>…or open the network’s file</label>
        <input id={fileId} type="file" accept=".json,.txt,application/json,text/plain" onChange={readFile} />
      </div>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={opening}>
          {opening ? 'Checking…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
