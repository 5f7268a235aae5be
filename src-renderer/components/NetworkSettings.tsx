import { useState } from 'react';
import type { NetworkView } from '../../src-shared/control/state.js';
import { orUnknown } from '../format.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { ConfirmButton } from './ConfirmButton.js';
import { CopyButton } from './CopyButton.js';
import { InviteForm } from './InviteForm.js';
import { NetworkFacts } from './NetworkFacts.js';
import { QrCode } from './QrCode.js';

/** Settings › Network (issue 12): the network this node is in, its invite, another one, the way out, and the networks joined before. */
export function NetworkSettings({ network }: { network: NetworkView }) {
  const send = useNode((s) => s.send);
  const busy = useNode((s) => isPending(s, 'leave') || isPending(s, 'join') || isPending(s, 'leave-network') || isPending(s, 'join-network'));
  const [showInvite, setShowInvite] = useState(false);
  const book = network.book;
  const current = book?.current ?? null;
  const others = (book?.known ?? []).filter((n) => n.details.networkId !== current?.networkId);

  return (
    <Card title="Network" className="card-wide">
      {book?.problem && (
        <p className="banner banner-warn" role="status">
          {book.problem.message} <span className="error-code">({book.problem.code})</span>
        </p>
      )}
      {current === null ? (
        <p className="muted">{network.networkId === null ? 'This computer is in no network yet.' : `Network ${network.name ?? network.networkId} (no descriptor).`}</p>
      ) : (
        <>
          <h3 className="network-name">{current.name}</h3>
          <p className="muted small">
            <code className="wrap">{current.networkId}</code> · {network.joined ? 'Joined' : 'Not joined'}
          </p>
          <NetworkFacts details={current} />
        </>
      )}
      <dl className="facts">
        <div className="fact">
          <dt>Listening on</dt>
          <dd>
            {network.listenUrls.length === 0 ? (
              <span className="muted">no listener (outbound connections only)</span>
            ) : (
              network.listenUrls.map((url) => (
                <code key={url} className="block">
                  {url}
                </code>
              ))
            )}
          </dd>
        </div>
        {current === null && (
          <div className="fact">
            <dt>Name</dt>
            <dd className={network.name === null ? 'unknown' : undefined}>{orUnknown(network.name)}</dd>
          </div>
        )}
      </dl>

      {book?.currentInvite && (
        <div className="share">
          <button type="button" className="button-small" aria-expanded={showInvite} onClick={() => setShowInvite((v) => !v)}>
            {showInvite ? 'Hide the invite' : 'Invite others'}
          </button>
          {showInvite && (
            <div className="share-body">
              <QrCode text={book.currentInvite} label={`QR code of the invite to ${current?.name ?? 'this network'}`} />
              <div>
                <p className="muted small">Anyone with this link can ask to join; PNode shows them who signed it before anything happens.</p>
                <code className="block wrap invite-link">{book.currentInvite}</code>
                <CopyButton text={book.currentInvite} what="the invite link" />
              </div>
            </div>
          )}
        </div>
      )}

      <div className="button-row">
        {book ? (
          network.networkId !== null && (
            <ConfirmButton
              disabled={busy}
              question={
                <>
                  <strong>Leave {current?.name ?? network.name ?? 'this network'}?</strong> This computer stops contributing and forgets the peers it met there. You can join again from the
                  networks below.
                </>
              }
              confirmLabel="Leave the network"
              onConfirm={() => void send({ command: 'leave-network' })}
            >
              Leave network…
            </ConfirmButton>
          )
        ) : network.joined ? (
          <ConfirmButton
            disabled={busy}
            question="Leave the network? This computer stops sharing and drops its connections. You can join again at any time."
            confirmLabel="Leave"
            onConfirm={() => void send({ command: 'leave' })}
          >
            Leave network
          </ConfirmButton>
        ) : (
          <button type="button" className="button-primary" disabled={busy} onClick={() => void send({ command: 'join' })}>
            Join network
          </button>
        )}
      </div>

      {book && (
        <>
          <h3>{current ? 'Switch to another network' : 'Join a network'}</h3>
          <InviteForm />
          {book.defaultNetwork && book.defaultNetwork.networkId !== current?.networkId && !others.some((n) => n.details.networkId === book.defaultNetwork?.networkId) && (
            <p>
              <button type="button" className="button-small" disabled={busy} onClick={() => void send({ command: 'join-network', networkId: book.defaultNetwork!.networkId })}>
                Join {book.defaultNetwork.name}
              </button>{' '}
              <span className="muted small">(the network this app comes with)</span>
            </p>
          )}
          <h3>Networks joined before</h3>
          {others.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="item-list" aria-label="Networks joined before">
              {others.map((n) => (
                <li key={n.details.networkId}>
                  <span>
                    <strong>{n.details.name}</strong>{' '}
                    <span className="muted small">
                      {n.details.networkId}
                      {n.expired ? ' · expired' : ''}
                      {n.lastJoinedAt ? ` · last joined ${new Date(n.lastJoinedAt).toLocaleDateString()}` : ''}
                    </span>
                  </span>
                  <span className="button-row">
                    <button
                      type="button"
                      className="button-small"
                      disabled={busy || n.expired}
                      aria-label={`Join ${n.details.name} again`}
                      onClick={() => void send({ command: 'join-network', networkId: n.details.networkId })}
                    >
                      Join
                    </button>
                    <button type="button" className="button-small" disabled={busy} aria-label={`Forget ${n.details.name}`} onClick={() => void send({ command: 'forget-network', networkId: n.details.networkId })}>
                      Forget
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}
