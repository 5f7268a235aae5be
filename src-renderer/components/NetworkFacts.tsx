import type { NetworkDetailsView } from '../../src-shared/control/state.js';
import { NodeIdText } from './NodeIdText.js';

const POLICY: Record<'open' | 'psk', string> = {
  open: 'Open: anyone may join',
  psk: 'Private: joining needs the network’s key',
};

function day(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
}

/** A network as its signed descriptor describes it. */
export function NetworkFacts({ details, full = true }: { details: NetworkDetailsView; full?: boolean }) {
  return (
    <dl className="facts">
      <div className="fact">
        <dt>Signed by</dt>
        <dd>
          <NodeIdText id={details.owner} />
          <span className="muted small"> (the network’s owner)</span>
        </dd>
      </div>
      <div className="fact">
        <dt>Join policy</dt>
        <dd>
          {POLICY[details.joinPolicy]}
          {details.pskHint ? <span className="muted small"> — {details.pskHint}</span> : null}
        </dd>
      </div>
      <div className="fact">
        <dt>Valid</dt>
        <dd>
          {day(details.createdAt)} – {day(details.expiresAt)}
        </dd>
      </div>
      {details.onThisComputer && (
        <div className="fact">
          <dt>Where</dt>
          <dd>Every service of this network runs on this computer (a test network).</dd>
        </div>
      )}
      <div className="fact">
        <dt>Orchestrators</dt>
        <dd>
          {details.orchestrators.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            details.orchestrators.map((o) => (
              <code key={o.nodeId} className="block wrap">
                {o.url}
              </code>
            ))
          )}
        </dd>
      </div>
      {full && (
        <>
          <div className="fact">
            <dt>Directories</dt>
            <dd>
              {details.directories.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                details.directories.map((d) => (
                  <code key={d} className="block wrap">
                    {d}
                  </code>
                ))
              )}
            </dd>
          </div>
          <div className="fact">
            <dt>Seeds</dt>
            <dd>{details.seeds.length === 0 ? <span className="muted">none</span> : `${details.seeds.length} peer${details.seeds.length === 1 ? '' : 's'}`}</dd>
          </div>
          <div className="fact">
            <dt>Trust roots</dt>
            <dd>{details.trustRoots.length === 0 ? <span className="muted">the system’s certificate authorities</span> : details.trustRoots.join(', ')}</dd>
          </div>
        </>
      )}
    </dl>
  );
}
