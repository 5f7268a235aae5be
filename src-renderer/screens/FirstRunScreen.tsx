import { HardwareSummary } from '../components/HardwareSummary.js';
import { Card } from '../components/Card.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { describeLimits } from '../describe-limits.js';
import { DEFAULT_LIMITS } from '../../src-shared/control/state.js';

/** Before joining: what joining means, what this machine offers, and one button. */
export function FirstRunScreen({ onRestore }: { onRestore: () => void }) {
  const hardware = useNode((s) => s.node?.hardware ?? null);
  const limits = useNode((s) => s.node?.contribution.limits ?? DEFAULT_LIMITS);
  const send = useNode((s) => s.send);
  const dismiss = useNode((s) => s.dismissFirstRun);
  const joining = useNode((s) => isPending(s, 'join'));
  const keystore = useNode((s) => s.node?.identity?.keystore ?? null);
  return (
    <div className="first-run">
      <div className="screen-head">
        <h1 tabIndex={-1}>Share your computer’s spare power</h1>
        <p className="lead">
          PNode lends the compute this computer is not using to a volunteer network. Here is what joining means.
        </p>
      </div>
      <div className="grid">
        <Card title="What joining means">
          <ul className="plain-list">
            <li>
              <strong>You donate spare compute.</strong> Your computer offers some of its processor time and memory to the
              network’s orchestrators.
            </li>
            <li>
              <strong>What runs:</strong> small sandboxed units of work (“virtual nodes”) that an orchestrator places here.
              They cannot read your files.
            </li>
            <li>
              <strong>Within your limits:</strong> {describeLimits(limits)} You can change this under Limits.
            </li>
            <li>
              <strong>Stop any time:</strong> switch contribution off, snooze it, or leave the network. Nothing keeps running
              after you stop.
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
      <div className="first-run-actions">
        <button type="button" className="button-primary button-huge" disabled={joining} onClick={() => void send({ command: 'join' })}>
          {joining ? 'Joining…' : 'Join network'}
        </button>
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
