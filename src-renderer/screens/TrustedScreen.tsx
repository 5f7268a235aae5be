import { useId, useState, type FormEvent } from 'react';
import { MAX_TOKEN_LENGTH } from '../../src-shared/control/commands.js';
import type { TrustedView } from '../../src-shared/control/state.js';
import { Card } from '../components/Card.js';
import { NodeName } from '../components/NodeName.js';
import { plainError } from '../plain-errors.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatTimestampText, UNKNOWN } from '../format.js';
import { TRUSTED_STATE_LABEL } from '../labels.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';

/** The last failed attempt in plain words; the node's message and code in a details line. */
function LastAttempt({ trusted }: { trusted: TrustedView }) {
  const text = trusted.lastError || UNKNOWN;
  const code = /^(E_[A-Z_]+)\s/.exec(text)?.[1];
  const plain = plainError({ command: 'enroll', code: 'failed', message: text, protocolCode: code });
  const held = trusted.state === 'trusted' || trusted.state === 'expiring' || trusted.state === 'expired' || trusted.state === 'revoked';
  return (
    <div className="fact">
      <dt>Last attempt</dt>
      <dd>
        {held ? 'The last renewal did not work; the node tries again by itself.' : `${plain.summary} ${plain.fix}`}
        <details className="details-line">
          <summary>Details</summary>
          <span className="small">{text}</span>
          {trusted.credentialId !== null && <span className="small"> · credential {trusted.credentialId}</span>}
        </details>
      </dd>
    </div>
  );
}

function Status({ trusted }: { trusted: TrustedView }) {
  return (
    <dl className="facts">
      <div className="fact">
        <dt>Status</dt>
        <dd aria-live="polite">
          <span className={`badge trusted-${trusted.state}`}>{TRUSTED_STATE_LABEL[trusted.state]}</span>
        </dd>
      </div>
      <div className="fact">
        <dt>Operator</dt>
        <dd>{trusted.operatorId === null ? <span className="muted">none</span> : <NodeName id={trusted.operatorId} what="operator id" />}</dd>
      </div>
      <div className="fact">
        <dt>Valid from</dt>
        <dd>{trusted.validFrom === null ? <span className="muted">—</span> : formatTimestampText(trusted.validFrom)}</dd>
      </div>
      <div className="fact">
        <dt>Valid until</dt>
        <dd>{trusted.validUntil === null ? <span className="muted">—</span> : formatTimestampText(trusted.validUntil)}</dd>
      </div>
      {trusted.lastError !== null && trusted.state !== 'revoked' && <LastAttempt trusted={trusted} />}
    </dl>
  );
}

/** The credential was revoked: what happened, what it changes, and what to do, in plain words. */
function Revoked({ revoked, credentialId }: { revoked: NonNullable<TrustedView['revoked']>; credentialId: string | null }) {
  return (
    <div className="banner banner-warn" role="status">
      <span>
        <strong>This computer’s trusted registration was revoked</strong> on {formatTimestampText(revoked.at)}.
        {revoked.reason.trim() !== '' && <> Reason given: “{revoked.reason}”.</>} This computer keeps contributing as an
        untrusted node, and orchestrators no longer count it as trusted. To be trusted again, ask your operator for a new
        enrollment token and enroll again below.
        {credentialId !== null && (
          <details className="details-line">
            <summary>Details</summary>
            <span className="small">
              credential <code>{credentialId}</code>
            </span>
          </details>
        )}
      </span>
    </div>
  );
}

function EnrollForm() {
  const send = useNode((s) => s.send);
  const enrolling = useNode((s) => isPending(s, 'enroll'));
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState('');
  const id = useId();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const value = token.trim();
    if (value === '') {
      setProblem('Paste the enrollment token your operator gave you.');
      return;
    }
    if (value.length > MAX_TOKEN_LENGTH) {
      setProblem(`An enrollment token is at most ${MAX_TOKEN_LENGTH} characters.`);
      return;
    }
    setProblem('');
    const result = await send({ command: 'enroll', token: value });
    if (result.ok) setToken('');
  };
  return (
    <form className="form" noValidate onSubmit={(e) => void submit(e)} aria-label="Enroll">
      <div className={`field${problem ? ' field-invalid' : ''}`}>
        <label htmlFor={id}>Enrollment token</label>
        <textarea
          id={id}
          rows={3}
          value={token}
          maxLength={MAX_TOKEN_LENGTH}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${id}-error` : `${id}-hint`}
          onChange={(e) => setToken(e.target.value)}
        />
        {problem ? (
          <p id={`${id}-error`} className="field-error">
            {problem}
          </p>
        ) : (
          <p id={`${id}-hint`} className="hint">
            A one-time token from your network operator.
          </p>
        )}
      </div>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={enrolling}>
          {enrolling ? 'Enrolling…' : 'Enroll'}
        </button>
      </div>
    </form>
  );
}

/** Opt-in: an operator credential vouches for this node. */
export function TrustedScreen({ trusted }: { trusted: TrustedView }) {
  const send = useNode((s) => s.send);
  const renewing = useNode((s) => isPending(s, 'renew-credential'));
  const rotating = useNode((s) => isPending(s, 'rotate-operator-key'));
  const hasCredential = trusted.state === 'trusted' || trusted.state === 'expiring' || trusted.state === 'expired';
  return (
    <>
      <ScreenHeading lead="Optional. Most volunteers never need it.">Trusted registration</ScreenHeading>
      <div className="grid">
        <Card title="What it means">
          <ul className="plain-list">
            <li>
              Normally a node joins <strong>untrusted</strong>: no one has to approve it.
            </li>
            <li>
              With trusted registration, an <strong>operator</strong> (an organisation you belong to) issues a credential that signs
              this node’s descriptor, so orchestrators can tell it is theirs and may give it more sensitive work.
            </li>
            <li>
              It is <strong>opt-in</strong>: you enroll with a token from the operator. Your identity does not change.
            </li>
            <li>
              Credentials <strong>expire</strong>: renew before the end date. If the operator key may have leaked,{' '}
              <strong>rotate</strong> it to get a credential under a new key; the old one stops being accepted.
            </li>
          </ul>
        </Card>
        <Card title="Status">
          {trusted.state === 'revoked' && trusted.revoked !== null && <Revoked revoked={trusted.revoked} credentialId={trusted.credentialId} />}
          <Status trusted={trusted} />
          {hasCredential && (
            <div className="button-row">
              <button type="button" disabled={renewing} onClick={() => void send({ command: 'renew-credential' })}>
                {renewing ? 'Renewing…' : 'Renew credential'}
              </button>
              <button type="button" disabled={rotating} onClick={() => void send({ command: 'rotate-operator-key' })}>
                {rotating ? 'Rotating…' : 'Rotate operator key'}
              </button>
            </div>
          )}
        </Card>
        {trusted.state !== 'trusted' && trusted.state !== 'expiring' && (
          <Card title={trusted.state === 'not-enrolled' ? 'Enroll' : 'Enroll again'}>
            <EnrollForm />
          </Card>
        )}
      </div>
    </>
  );
}
