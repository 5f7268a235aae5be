import { HardwareSummary } from '../components/HardwareSummary.js';
import { Card } from '../components/Card.js';
import { InviteForm } from '../components/InviteForm.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { describeLimits } from '../describe-limits.js';
import { DEFAULT_LIMITS } from '../../src-shared/control/state.js';

/**
 * Before joining (issue 12): what joining means, what this machine offers, and the ways in — the
 * network this build of the app carries (one click), an invite (a link, its QR text, or a file),
 * or a test network started on this computer.
 */
export function FirstRunScreen({ onRestore }: { onRestore: () => void }) {
  const hardware = useNode((s) => s.node?.hardware ?? null);
  const limits = useNode((s) => s.node?.contribution.limits ?? DEFAULT_LIMITS);
  const book = useNode((s) => s.node?.network.book ?? null);
  const send = useNode((s) => s.send);
  const dismiss = useNode((s) => s.dismissFirstRun);
  const joining = useNode((s) => isPending(s, 'join-network') || isPending(s, 'join') || isPending(s, 'try-local-network'));
  const defaultNetwork = book?.defaultNetwork ?? null;
  const startingLocal = book?.switching === 'starting-local';
  const keystore = useNode((s) => s.node?.identity?.keystore ?? null);
  return (
    <div className="first-run">
      <div className="screen-head">
        <h1 tabIndex={-1}>Share your computer’s spare power</h1>
        <p className="lead">PNode lends the compute this computer is not using to a volunteer network. Here is what joining means.</p>
      </div>
      {book?.problem && (
        <div className="banner banner-warn" role="status">
          <span>
            {book.problem.message} <span className="error-code">({book.problem.code})</span>
          </span>
        </div>
      )}
      <div className="grid">
        <Card title="What joining means">
          <ul className="plain-list">
            <li>
              <strong>You donate spare compute.</strong> Your computer offers some of its processor time and memory to the network’s orchestrators.
            </li>
            <li>
              <strong>What runs:</strong> small sandboxed units of work (“virtual nodes”) that an orchestrator places here. They cannot read your files.
            </li>
            <li>
              <strong>Within your limits:</strong> {describeLimits(limits)} You can change this under Limits.
            </li>
            <li>
              <strong>Stop any time:</strong> switch contribution off, snooze it, or leave the network. Nothing keeps running after you stop.
            </li>
            <li>
              <strong>Your identity stays yours:</strong> this node gets a cryptographic identity whose secret key is kept{' '}
              {keystore === 'file'
                ? 'in a file in this computer’s data folder (no keychain is available here, so keep the computer locked down)'
                : 'in your operating system’s keychain'}
              . Nobody needs to approve you.
            </li>
          </ul>
        </Card>
        <Card title="This computer">
          <HardwareSummary hardware={hardware} />
        </Card>
      </div>
      <div className="first-run-ways">
        {book === null ? (
          // A node that cannot change networks (an older host): the plain join of its configured network.
          <button type="button" className="button-primary button-huge" disabled={joining} onClick={() => void send({ command: 'join' })}>
            {joining ? 'Joining…' : 'Join network'}
          </button>
        ) : (
          <>
            {defaultNetwork && (
              <Card title={`Join ${defaultNetwork.name}`}>
                <p className="muted">The network this app comes with{defaultNetwork.onThisComputer ? ', running on this computer' : ''}. One click.</p>
                <button
                  type="button"
                  className="button-primary button-huge"
                  disabled={joining}
                  onClick={() => void send({ command: 'join-network', networkId: defaultNetwork.networkId })}
                >
                  {joining && book.switching === 'joining' ? 'Joining…' : `Join ${defaultNetwork.name}`}
                </button>
              </Card>
            )}
            <Card title="Join with an invite">
              <InviteForm />
            </Card>
            {book.canTryLocal && (
              <Card title="Try it on this computer">
                <p className="muted">Starts a small test network here, in the background, and joins it: see PNode at work before you join a real one. It stops when you quit.</p>
                <button type="button" className="button-primary" disabled={joining} onClick={() => void send({ command: 'try-local-network' })}>
                  {startingLocal ? 'Starting the test network…' : 'Try it on this computer'}
                </button>
              </Card>
            )}
          </>
        )}
      </div>
      <div className="first-run-actions">
        <div className="button-row">
          <button
            type="button"
            className="button-link"
            onClick={() => {
              dismiss();
              onRestore();
            }}
          >
            Restore an identity from a backup
          </button>
          <button type="button" className="button-link" onClick={dismiss}>
            Look around first
          </button>
        </div>
      </div>
    </div>
  );
}
