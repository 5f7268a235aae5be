// The Activity screen's filters: by event type and by peer.
import type { TraceEvent, TraceEventType } from '../src-shared/protocol/trace.js';

export const ALL = 'all';

export interface TraceFilter {
  readonly type: TraceEventType | typeof ALL;
  readonly peer: string;
}

export function filterTraces(traces: readonly TraceEvent[], filter: TraceFilter): TraceEvent[] {
  return traces.filter((event) => (filter.type === ALL || event['event/type'] === filter.type) && (filter.peer === ALL || event.peer === filter.peer));
}

/** Peers named by any event, in first-seen order. */
export function peersIn(traces: readonly TraceEvent[]): string[] {
  const seen = new Set<string>();
  for (const event of traces) if (event.peer !== undefined) seen.add(event.peer);
  return [...seen];
}

/** An error event's code and class, when it carries them. */
export function errorOf(event: TraceEvent): { code: string; errorClass: string; message: string | null } | null {
  const detail = event.detail;
  if (detail === undefined) return null;
  const code = detail['code'];
  const errorClass = detail['class'];
  if (typeof code !== 'string' || typeof errorClass !== 'string') return null;
  const message = detail['message'];
  return { code, errorClass, message: typeof message === 'string' ? message : null };
}
