import { useId, useMemo, useState } from 'react';
import { TRACE_EVENT_TYPES, type TraceDetail, type TraceEvent, type TraceEventType } from '../../src-shared/protocol/trace.js';
import { NodeIdText } from '../components/NodeIdText.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatEventTime, shortId } from '../format.js';
import { useNode } from '../store/store-context.js';
import { ALL, errorOf, filterTraces, peersIn, type TraceFilter } from '../trace-filter.js';

const HIDDEN_IN_DETAIL = new Set(['code', 'class', 'message']);

function detailText(detail: TraceDetail | undefined, isError: boolean): string {
  if (detail === undefined) return '';
  return Object.entries(detail)
    .filter(([key]) => !(isError && HIDDEN_IN_DETAIL.has(key)))
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join(' · ');
}

function TraceRow({ event, now }: { event: TraceEvent; now: number }) {
  const error = errorOf(event);
  const isError = event['event/type'] === 'error/occurred' || event['event/type'].endsWith('/rejected');
  const details = detailText(event.detail, error !== null);
  return (
    <tr className={isError ? 'row-error' : undefined}>
      <td className="cell-time">
        <time dateTime={event.ts}>{formatEventTime(event.ts, now)}</time>
      </td>
      <td>
        <code>{event['event/type']}</code>
      </td>
      <td>{event.peer === undefined ? <span className="muted">—</span> : <NodeIdText id={event.peer} />}</td>
      <td className="cell-detail">
        {error !== null && (
          <div className="trace-error">
            <strong>{error.code}</strong> <span>({error.errorClass})</span>
            {error.message !== null && <span>: {error.message}</span>}
          </div>
        )}
        {details !== '' && <div className="muted small">{details}</div>}
      </td>
    </tr>
  );
}

/** What the node did on the network, newest first, with filters. */
export function ActivityScreen() {
  const traces = useNode((s) => s.traces);
  const [filter, setFilter] = useState<TraceFilter>({ type: ALL, peer: ALL });
  const typeId = useId();
  const peerId = useId();
  const peers = useMemo(() => peersIn(traces), [traces]);
  const now = Date.now();
  const shown = useMemo(() => filterTraces(traces, filter).reverse(), [traces, filter]);
  return (
    <>
      <ScreenHeading lead="The node’s network events as they happen (newest first). Errors show their code and class.">Activity</ScreenHeading>
      <div className="toolbar">
        <div className="filters" role="search" aria-label="Filter events">
          <div className="inline-field">
            <label htmlFor={typeId}>Event type</label>
            <select id={typeId} value={filter.type} onChange={(e) => setFilter({ ...filter, type: e.target.value as TraceEventType | typeof ALL })}>
              <option value={ALL}>All types</option>
              {TRACE_EVENT_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </select>
          </div>
          <div className="inline-field">
            <label htmlFor={peerId}>Peer</label>
            <select id={peerId} value={filter.peer} onChange={(e) => setFilter({ ...filter, peer: e.target.value })}>
              <option value={ALL}>All peers</option>
              {peers.map((peer) => (
                <option key={peer} value={peer}>
                  {shortId(peer)}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p className="muted">
          Showing {shown.length} of {traces.length} events
        </p>
      </div>
      {shown.length === 0 ? (
        <p className="empty">{traces.length === 0 ? 'No events yet.' : 'No events match these filters.'}</p>
      ) : (
        <div className="table-wrap" role="region" aria-label="Events table" tabIndex={0}>
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Peer</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((event) => (
                <TraceRow key={event['trace/id']} event={event} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
