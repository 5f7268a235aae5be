import { useMemo, useState } from 'react';
import type { PeerView } from '../../src-shared/control/state.js';
import { NodeIdText } from '../components/NodeIdText.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClockTime, formatMs, shortId, UNKNOWN } from '../format.js';
import { LIFECYCLE_LABEL, TEMPERATURE_LABEL } from '../labels.js';
import { nextSort, sortPeers, type PeerSort, type PeerSortKey } from '../peer-sort.js';
import { useNode } from '../store/store-context.js';

const COLUMNS: ReadonlyArray<{ key: PeerSortKey; label: string; numeric?: boolean }> = [
  { key: 'id', label: 'Peer' },
  { key: 'label', label: 'Label' },
  { key: 'address', label: 'Address' },
  { key: 'temperature', label: 'Temperature' },
  { key: 'rtt', label: 'RTT', numeric: true },
  { key: 'score', label: 'Score', numeric: true },
  { key: 'capabilities', label: 'Capabilities' },
  { key: 'lastSeen', label: 'Last seen' },
];

/** Block durations offered; undefined: until unblocked. */
const BLOCK_CHOICES: ReadonlyArray<{ value: string; label: string; minutes: number | undefined }> = [
  { value: 'forever', label: 'until I unblock it', minutes: undefined },
  { value: 'hour', label: '1 hour', minutes: 60 },
  { value: 'day', label: '1 day', minutes: 24 * 60 },
  { value: 'week', label: '1 week', minutes: 7 * 24 * 60 },
];

/** wss:// is the norm and goes without saying; anything else is shown. */
function displayAddress(address: string): string {
  return address.startsWith('wss://') ? address.slice('wss://'.length) : address;
}

function isBlocked(peer: PeerView): boolean {
  return peer.temperature === 'blocked' || peer.blockedUntil !== null;
}

function PeerRow({ peer, now, blockMinutes }: { peer: PeerView; now: number; blockMinutes: number | undefined }) {
  const send = useNode((s) => s.send);
  const busy = useNode((s) => s.pending.some((p) => (p.command === 'block-peer' || p.command === 'unblock-peer')));
  const name = peer.label ?? shortId(peer.nodeId);
  const blocked = isBlocked(peer);
  return (
    <tr className={blocked ? 'row-blocked' : undefined}>
      <th scope="row">
        <NodeIdText id={peer.nodeId} copy what="peer id" />
      </th>
      <td>{peer.label ?? <span className="muted">—</span>}</td>
      <td className="cell-address">
        {peer.address === null ? <span className="unknown">{UNKNOWN}</span> : <span title={peer.address}>{displayAddress(peer.address)}</span>}
      </td>
      <td>
        <span className={`badge temp-${peer.temperature}`}>{TEMPERATURE_LABEL[peer.temperature]}</span>
        {peer.lifecycle !== peer.temperature && <div className="muted small">{LIFECYCLE_LABEL[peer.lifecycle]}</div>}
        {peer.blockedUntil !== null && <div className="muted small">until {formatClockTime(peer.blockedUntil, now)}</div>}
      </td>
      <td className="num">{formatMs(peer.rttMs)}</td>
      <td className="num">{Math.round(peer.score)}</td>
      <td>{peer.capabilities.length === 0 ? <span className="muted">none</span> : peer.capabilities.join(', ')}</td>
      <td>{peer.lastSeen === null ? <span className="muted">never</span> : formatClockTime(peer.lastSeen, now)}</td>
      <td>
        {blocked ? (
          <button type="button" className="button-small" disabled={busy} onClick={() => void send({ command: 'unblock-peer', nodeId: peer.nodeId })}>
            Unblock<span className="sr-only"> {name}</span>
          </button>
        ) : (
          <button
            type="button"
            className="button-small button-danger"
            disabled={busy}
            onClick={() =>
              void send(
                blockMinutes === undefined
                  ? { command: 'block-peer', nodeId: peer.nodeId }
                  : { command: 'block-peer', nodeId: peer.nodeId, minutes: blockMinutes },
              )
            }
          >
            Block<span className="sr-only"> {name}</span>
          </button>
        )}
      </td>
    </tr>
  );
}

/** Every known peer in a sortable table, with block and unblock. */
export function PeersScreen() {
  const peers = useNode((s) => s.node?.peers ?? null);
  const [sort, setSort] = useState<PeerSort>({ key: 'score', direction: 'descending' });
  const [blockChoice, setBlockChoice] = useState('forever');
  const sorted = useMemo(() => sortPeers(peers ?? [], sort), [peers, sort]);
  const now = Date.now();
  const blockMinutes = BLOCK_CHOICES.find((c) => c.value === blockChoice)?.minutes;
  const hot = sorted.filter((p) => p.temperature === 'hot').length;
  return (
    <>
      <ScreenHeading lead="Other nodes this one knows. Hot peers hold live sessions; the score (latency, reliability, uptime) decides who is hot.">
        Peers
      </ScreenHeading>
      <div className="toolbar">
        <p className="muted">
          {sorted.length} {sorted.length === 1 ? 'peer' : 'peers'}, {hot} hot
        </p>
        <label className="inline-field">
          Block for
          <select value={blockChoice} onChange={(e) => setBlockChoice(e.target.value)}>
            {BLOCK_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {sorted.length === 0 ? (
        <p className="empty">No peers yet. They appear as the node discovers the network.</p>
      ) : (
        <div className="table-wrap" role="region" aria-label="Peers table" tabIndex={0}>
          <table className="table table-compact">
            <caption className="sr-only">
              Peers, sorted by {COLUMNS.find((c) => c.key === sort.key)?.label} ({sort.direction})
            </caption>
            <thead>
              <tr>
                {COLUMNS.map((column) => (
                  <th key={column.key} scope="col" className={column.numeric ? 'num' : undefined} aria-sort={sort.key === column.key ? sort.direction : 'none'}>
                    <button type="button" className="sort-button" onClick={() => setSort(nextSort(sort, column.key))}>
                      {column.label}
                      <span className="sort-mark" aria-hidden="true">
                        {sort.key === column.key ? (sort.direction === 'ascending' ? '▲' : '▼') : ''}
                      </span>
                    </button>
                  </th>
                ))}
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((peer) => (
                <PeerRow key={peer.nodeId} peer={peer} now={now} blockMinutes={blockMinutes} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
