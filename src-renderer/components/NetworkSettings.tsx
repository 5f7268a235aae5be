import type { NetworkView } from '../../src-shared/control/state.js';
import { orUnknown } from '../format.js';
import { isPending } from '../store/node-store.js';
import { useNode } from '../store/store-context.js';
import { Card } from './Card.js';
import { ConfirmButton } from './ConfirmButton.js';

const JOIN_POLICY: Record<'open' | 'psk', string> = {
  open: 'Open: anyone may join',
  psk: 'Private: joining needs the pre-shared key',
};

/** Which network this node belongs to, and the way out (or in). */
export function NetworkSettings({ network }: { network: NetworkView }) {
  const send = useNode((s) => s.send);
  const busy = useNode((s) => isPending(s, 'leave') || isPending(s, 'join'));
  return (
    <Card title="Network">
      <dl className="facts">
        <div className="fact">
          <dt>Name</dt>
          <dd className={network.name === null ? 'unknown' : undefined}>{orUnknown(network.name)}</dd>
        </div>
        <div className="fact">
          <dt>Network id</dt>
          <dd className={network.networkId === null ? 'unknown' : undefined}>
            {network.networkId === null ? orUnknown(null) : <code className="wrap">{network.networkId}</code>}
          </dd>
        </div>
        <div className="fact">
          <dt>Join policy</dt>
          <dd className={network.joinPolicy === null ? 'unknown' : undefined}>{network.joinPolicy === null ? orUnknown(null) : JOIN_POLICY[network.joinPolicy]}</dd>
        </div>
        <div className="fact">
          <dt>Membership</dt>
          <dd>{network.joined ? 'Joined' : 'Not joined'}</dd>
        </div>
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
      </dl>
      <div className="button-row">
        {network.joined ? (
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
    </Card>
  );
}
