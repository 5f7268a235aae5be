import type { IdentityView } from '../../src-shared/control/state.js';
import { formatTimestampText } from '../format.js';
import { Card } from './Card.js';
import { CopyButton } from './CopyButton.js';
import { friendlyName } from '../../src-shared/control/friendly-name.js';

/** Who this node is, and where its secret key lives (loudly, when that is a plain file). */
export function IdentitySettings({ identity }: { identity: IdentityView | null }) {
  return (
    <Card title="Identity">
      {identity === null ? (
        <p className="muted">No identity yet. One is created when you join, or restored from a backup below.</p>
      ) : (
        <>
          {identity.keystore === 'file' && (
            <div className="banner banner-warn" role="note">
              <strong>The secret key is stored in a plain file</strong>, not in the operating system’s keychain. Anyone who can
              read this computer’s data folder can impersonate this node. Export a backup and keep the computer locked down.
            </div>
          )}
          <dl className="facts">
            <div className="fact">
              <dt>Name</dt>
              <dd>
                {friendlyName(identity.nodeId)} <span className="muted small">(others see this name; it comes from the id)</span>
              </dd>
            </div>
            <div className="fact">
              <dt>Node id</dt>
              <dd>
                <code className="wrap">{identity.nodeId}</code> <CopyButton text={identity.nodeId} what="node id" />
              </dd>
            </div>
            <div className="fact">
              <dt>Participant id</dt>
              <dd>
                <code className="wrap">{identity.participantId}</code> <CopyButton text={identity.participantId} what="participant id" />
              </dd>
            </div>
            <div className="fact">
              <dt>Secret key kept in</dt>
              <dd>{identity.keystore === 'keychain' ? 'The operating system’s keychain' : 'A plain file (no keychain available)'}</dd>
            </div>
            <div className="fact">
              <dt>Created</dt>
              <dd>{formatTimestampText(identity.createdAt)}</dd>
            </div>
          </dl>
        </>
      )}
    </Card>
  );
}
