import { useEffect, useId, useMemo, useState } from 'react';
import type { ActivityEntry } from '../../src-shared/control/activity-view.js';
import { TRACE_EVENT_TYPES, type TraceDetail, type TraceEvent, type TraceEventType } from '../../src-shared/protocol/trace.js';
import { displayName } from '../../src-shared/control/friendly-name.js';
import { describeActivity, isBadNews } from '../activity-words.js';
import { NodeName } from '../components/NodeName.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClockTime, formatEventTime } from '../format.js';
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
      <td>{event.peer === undefined ? <span className="muted">—</span> : <NodeName id={event.peer} what="peer id" />}</td>
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

/** The protocol trace: what the node did on the network, newest first, with filters. */
function TechnicalDetails() {
  const traces = useNode((s) => s.traces);
  const [filter, setFilter] = useState<TraceFilter>({ type: ALL, peer: ALL });
  const typeId = useId();
  const peerId = useId();
  const peers = useMemo(() => peersIn(traces), [traces]);
  const now = Date.now();
  const shown = useMemo(() => filterTraces(traces, filter).reverse(), [traces, filter]);
  return (
    <>
      <p className="muted">The node’s network events as they happen (newest first). Errors show their code and class.</p>
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
                  {displayName(peer, null)}
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

/** The volunteer's story: the node's log, newest first, older pages on demand. */
function VolunteerLog() {
  const recent = useNode((s) => s.node?.activity.recent ?? null);
  const total = useNode((s) => s.node?.activity.total ?? 0);
  const send = useNode((s) => s.send);
  const [older, setOlder] = useState<readonly ActivityEntry[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const entries = useMemo(() => {
    const shown = recent ?? [];
    const last = shown[shown.length - 1];
    return last === undefined ? shown : [...shown, ...older.filter((entry) => entry.id < last.id)];
  }, [recent, older]);
  useEffect(() => {
    const last = entries[entries.length - 1];
    setNextBefore(last !== undefined && entries.length < total ? last.id : null);
  }, [entries, total]);
  const loadOlder = async (): Promise<void> => {
    if (nextBefore === null) return;
    const result = await send({ command: 'list-activity', before: nextBefore, limit: 100 });
    if (result.ok) setOlder((current) => [...current, ...result.value.entries]);
  };
  const now = Date.now();
  if (entries.length === 0) return <p className="empty">Nothing has happened yet. Your log fills in as you join and your computer works.</p>;
  return (
    <>
      <ol className="activity-log" aria-label="Your log, newest first">
        {entries.map((entry) => (
          <li key={entry.id} className={isBadNews(entry) ? 'activity-bad' : undefined}>
            <time className="activity-time" dateTime={new Date(entry.lastAt).toISOString()}>
              {formatClockTime(entry.lastAt, now)}
            </time>
            <span>{describeActivity(entry, now)}</span>
          </li>
        ))}
      </ol>
      {nextBefore !== null && (
        <button type="button" onClick={() => void loadOlder()}>
          Show older
        </button>
      )}
    </>
  );
}

/** What happened: the volunteer's log first; the protocol trace behind "Technical details". */
export function ActivityScreen() {
  const [view, setView] = useState<'log' | 'trace'>('log');
  return (
    <>
      <ScreenHeading lead="What happened on this computer, newest first.">Activity</ScreenHeading>
      <div className="tabs" role="group" aria-label="Show">
        <button type="button" className="tab" aria-pressed={view === 'log'} onClick={() => setView('log')}>
          Your log
        </button>
        <button type="button" className="tab" aria-pressed={view === 'trace'} onClick={() => setView('trace')}>
          Technical details
        </button>
      </div>
      {view === 'log' ? <VolunteerLog /> : <TechnicalDetails />}
    </>
  );
}
