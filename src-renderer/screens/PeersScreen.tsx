import { useId, useMemo, useState, type FormEvent } from 'react';
import { MAX_LABEL_LENGTH } from '../../src-shared/control/commands.js';
import { displayName, friendlyName } from '../../src-shared/control/friendly-name.js';
import type { PeerView } from '../../src-shared/control/state.js';
import { CopyButton } from '../components/CopyButton.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { connectionQuality } from '../connection-quality.js';
import { formatClockTime, formatMs, UNKNOWN } from '../format.js';
import { LIFECYCLE_LABEL } from '../labels.js';
import { nextSort, sortPeers, type PeerSort, type PeerSortKey } from '../peer-sort.js';
import { useNode } from '../store/store-context.js';

interface Column {
  readonly key: PeerSortKey;
  readonly label: string;
  readonly numeric?: boolean;
  /** Shown only with "technical details". */
  readonly technical?: boolean;
}

const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'Name' },
  { key: 'quality', label: 'Connection quality' },
  { key: 'lastSeen', label: 'Last seen' },
  { key: 'address', label: 'Address', technical: true },
  { key: 'rtt', label: 'Round trip', numeric: true, technical: true },
  { key: 'score', label: 'Score', numeric: true, technical: true },
  { key: 'capabilities', label: 'Offers', technical: true },
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

function QualityBars({ peer }: { peer: PeerView }) {
  const quality = connectionQuality(peer);
  return (
    <span className="quality">
      <span className={`quality-bars bars-${quality.bars}`} aria-hidden="true">
        <span />
        <span />
        <span />
        <span />
      </span>
      {quality.word}
    </span>
  );
}

function RenameForm({ peer, onDone }: { peer: PeerView; onDone: () => void }) {
  const send = useNode((s) => s.send);
  const [label, setLabel] = useState(peer.label ?? '');
  const id = useId();
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const trimmed = label.trim();
    const result = await send(trimmed === '' ? { command: 'set-peer-label', nodeId: peer.nodeId } : { command: 'set-peer-label', nodeId: peer.nodeId, label: trimmed });
    if (result.ok) onDone();
  };
  return (
    <form className="rename" onSubmit={(e) => void submit(e)} aria-label={`Rename ${displayName(peer.nodeId, peer.label)}`}>
      <label htmlFor={id} className="sr-only">
        Name for this peer
      </label>
      <input id={id} value={label} maxLength={MAX_LABEL_LENGTH} placeholder={friendlyName(peer.nodeId)} onChange={(e) => setLabel(e.target.value)} autoFocus />
      <button type="submit" className="button-small">
        Save
      </button>
      <button type="button" className="button-small" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

function PeerRow({ peer, now, blockMinutes, technical }: { peer: PeerView; now: number; blockMinutes: number | undefined; technical: boolean }) {
  const send = useNode((s) => s.send);
  const busy = useNode((s) => s.pending.some((p) => p.command === 'block-peer' || p.command === 'unblock-peer'));
  const [renaming, setRenaming] = useState(false);
  const name = displayName(peer.nodeId, peer.label);
  const blocked = isBlocked(peer);
  return (
    <tr className={blocked ? 'row-blocked' : undefined}>
      <th scope="row" className="cell-name">
        {renaming ? (
          <RenameForm peer={peer} onDone={() => setRenaming(false)} />
        ) : (
          <details className="node-name">
            <summary>
              <span className="node-name-text">{name}</span>
              <span className="sr-only">, show the full peer id</span>
            </summary>
            <span className="node-name-id">
              {peer.label !== null && <span className="muted small">Its own name: {friendlyName(peer.nodeId)}. </span>}
              <code className="wrap">{peer.nodeId}</code> <CopyButton text={peer.nodeId} what={`peer id of ${name}`} />
            </span>
          </details>
        )}
      </th>
      <td>
        <QualityBars peer={peer} />
        {peer.blockedUntil !== null && <div className="muted small">until {formatClockTime(peer.blockedUntil, now)}</div>}
      </td>
      <td>{peer.lastSeen === null ? <span className="muted">never</span> : formatClockTime(peer.lastSeen, now)}</td>
      {technical && (
        <>
          <td className="cell-address">
            {peer.address === null ? <span className="unknown">{UNKNOWN}</span> : <span title={peer.address}>{displayAddress(peer.address)}</span>}
            <div className="muted small">{LIFECYCLE_LABEL[peer.lifecycle]}</div>
          </td>
          <td className="num">{formatMs(peer.rttMs)}</td>
          <td className="num">{Math.round(peer.score)}</td>
          <td>{peer.capabilities.length === 0 ? <span className="muted">none</span> : peer.capabilities.join(', ')}</td>
        </>
      )}
      <td className="cell-actions">
        <button type="button" className="button-small" onClick={() => setRenaming(true)} disabled={renaming}>
          Rename<span className="sr-only"> {name}</span>
        </button>
        {blocked ? (
          <button type="button" className="button-small" disabled={busy} onClick={() => void send({ command: 'unblock-peer', nodeId: peer.nodeId })}>
            Unblock<span className="sr-only"> {name}</span>
          </button>
        ) : (
          <button
            type="button"
            className="button-small button-danger"
            disabled={busy}
            onClick={() => void send(blockMinutes === undefined ? { command: 'block-peer', nodeId: peer.nodeId } : { command: 'block-peer', nodeId: peer.nodeId, minutes: blockMinutes })}
          >
            Block<span className="sr-only"> {name}</span>
          </button>
        )}
      </td>
    </tr>
  );
}

/** Every known peer by name and connection quality, with rename, block and unblock; the figures on demand. */
export function PeersScreen() {
  const peers = useNode((s) => s.node?.peers ?? null);
  const [sort, setSort] = useState<PeerSort>({ key: 'quality', direction: 'descending' });
  const [blockChoice, setBlockChoice] = useState('forever');
  const [technical, setTechnical] = useState(false);
  const sorted = useMemo(() => sortPeers(peers ?? [], sort), [peers, sort]);
  const now = Date.now();
  const blockMinutes = BLOCK_CHOICES.find((c) => c.value === blockChoice)?.minutes;
  const connected = sorted.filter((p) => p.lifecycle === 'connected').length;
  const columns = COLUMNS.filter((column) => technical || !column.technical);
  const blockId = useId();
  return (
    <>
      <ScreenHeading lead="Other computers in the network that this one knows. It keeps a few good connections and finds work and peers through them.">Peers</ScreenHeading>
      <div className="toolbar">
        <p className="muted">
          {sorted.length} {sorted.length === 1 ? 'peer' : 'peers'}, {connected} connected
        </p>
        <div className="toolbar-actions">
          <label className="inline-check">
            <input type="checkbox" checked={technical} onChange={(e) => setTechnical(e.target.checked)} /> Technical details
          </label>
          <span className="inline-field">
            <label htmlFor={blockId}>Block for</label>
            <select id={blockId} value={blockChoice} onChange={(e) => setBlockChoice(e.target.value)}>
              {BLOCK_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </span>
        </div>
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
                {columns.map((column) => (
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
                <PeerRow key={peer.nodeId} peer={peer} now={now} blockMinutes={blockMinutes} technical={technical} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
