import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { DEFAULT_LIMITS } from '../../src-shared/control/state.js';
import { MAX_PSK_TEXT_LENGTH } from '../../src-shared/control/commands.js';
import { describeLimits } from '../describe-limits.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { NetworkFacts } from './NetworkFacts.js';
import { TextField } from './TextField.js';

/**
 * "Join <network>?": an invite the node has read and checked (from a pnode:// link the desktop
 * opened, or one pasted), shown with who signed it, what joining means and the limits. Nothing has
 * changed yet; one click joins, Cancel forgets the invite.
 */
export function JoinConfirmation() {
  const pending = useNode((s) => s.node?.network.book?.pendingInvite ?? null);
  const refusal = useNode((s) => s.node?.network.book?.refusedInvite ?? null);
  const current = useNode((s) => s.node?.network.book?.current ?? null);
  const limits = useNode((s) => s.node?.contribution.limits ?? DEFAULT_LIMITS);
  const send = useNode((s) => s.send);
  const dismissError = useNode((s) => s.dismissError);
  const joining = useNode((s) => isPending(s, 'join-network'));
  const [psk, setPsk] = useState('');
  const [error, setError] = useState<{ message: string; code?: string | undefined } | null>(null);
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setPsk('');
    setError(null);
    if (pending) headingRef.current?.focus();
  }, [pending?.invite]);

  const cancel = (): void => void send({ command: 'dismiss-invite' });
  if (pending === null) {
    if (refusal === null) return null;
    // A pnode:// link from outside the window that could not be used.
    return (
      <div className="dialog-backdrop">
        <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={(e) => e.key === 'Escape' && cancel()}>
          <h1 id={titleId} tabIndex={-1}>
            This invite cannot be used
          </h1>
          <p>
            {refusal.message} <span className="error-code">({refusal.code})</span>
          </p>
          <div className="form-actions">
            <button type="button" className="button-primary" onClick={cancel}>
              Close
            </button>
          </div>
        </div>
      </div>
    );
  }
  const { details } = pending;

  const join = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (pending.needsKey && psk.trim() === '') {
      setError({ message: `${details.name} is private: enter its key to join.` });
      return;
    }
    const result = await send({ command: 'join-network', invite: pending.invite, ...(pending.needsKey ? { psk: psk.trim() } : {}) });
    if (!result.ok) {
      dismissError();
      setError({ message: result.error.message, code: result.error.protocolCode });
    }
  };

  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={(e) => e.key === 'Escape' && cancel()}>
        <h1 id={titleId} ref={headingRef} tabIndex={-1}>
          Join {details.name}?
        </h1>
        {pending.current ? (
          <p className="lead">This computer is already in {details.name}.</p>
        ) : (
          <p className="lead">
            {current ? `This computer leaves ${current.name} and joins ${details.name}. ` : ''}
            Its owner signed this invite; PNode checked the signature and that it is still valid.
          </p>
        )}
        <NetworkFacts details={details} full={false} />
        <h2>What joining means</h2>
        <ul className="plain-list">
          <li>This computer offers its spare processor time and memory to the network’s orchestrators, which place small sandboxed tasks here.</li>
          <li>
            <strong>Within your limits:</strong> {describeLimits(limits)}
          </li>
          <li>You can pause, snooze or leave at any time; nothing keeps running after you stop.</li>
        </ul>
        <form className="form form-compact" noValidate onSubmit={(e) => void join(e)} aria-label={`Join ${details.name}`}>
          {pending.needsKey && (
            <TextField
              label="Network key"
              type="password"
              value={psk}
              onChange={setPsk}
              maxLength={MAX_PSK_TEXT_LENGTH}
              hint={details.pskHint ? `Where to get it: ${details.pskHint}` : 'The owner gives the key to members separately.'}
            />
          )}
          {error && (
            <p className="field-error" role="alert">
              {error.message}
              {error.code ? <span className="error-code"> ({error.code})</span> : null}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button-primary" disabled={joining || pending.current}>
              {joining ? 'Joining…' : `Join ${details.name}`}
            </button>
            <button type="button" className="button-link" onClick={cancel} disabled={joining}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
