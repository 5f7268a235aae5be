// The network trace vocabulary (spec digest §g): 18 event types and the event skeleton.
import type { ProtocolError } from './errors.js';
import { newId } from './ids.js';
import { formatTimestamp } from './time.js';

export const TRACE_EVENT_TYPES = [
  'identity/loaded',
  'identity/generated',
  'advertisement/published',
  'advertisement/fetched',
  'advertisement/rejected',
  'peer/discovered',
  'peer/connected',
  'peer/disconnected',
  'handshake/started',
  'handshake/accepted',
  'handshake/rejected',
  'session/established',
  'capability/exchanged',
  'keepalive/lost',
  'keepalive/restored',
  'signal-marker/sent',
  'signal-marker/received',
  'error/occurred',
] as const;

export type TraceEventType = (typeof TRACE_EVENT_TYPES)[number];

/** The stream these events belong to [ST0] AC-8. */
export const TRACE_STREAM = 'trace/network';

export type TraceDetail = Record<string, string | number | boolean | null | readonly string[]>;

export interface TraceEvent {
  readonly 'trace/id': string;
  readonly 'event/type': TraceEventType;
  readonly ts: string;
  readonly 'node/self': string;
  readonly peer?: string;
  readonly detail?: TraceDetail;
}

export function isTraceEventType(value: unknown): value is TraceEventType {
  return typeof value === 'string' && (TRACE_EVENT_TYPES as readonly string[]).includes(value);
}

export function makeTraceEvent(
  type: TraceEventType,
  nodeSelf: string,
  options: { peer?: string | undefined; detail?: TraceDetail | undefined; now?: number } = {},
): TraceEvent {
  const now = options.now ?? Date.now();
  return {
    'trace/id': newId('tr', now),
    'event/type': type,
    ts: formatTimestamp(now),
    'node/self': nodeSelf,
    ...(options.peer !== undefined ? { peer: options.peer } : {}),
    ...(options.detail !== undefined ? { detail: options.detail } : {}),
  };
}

/**
 * Detail for a rejection or an error: machine code and class kept apart from the human message
 * (R006 NFR-005). `error/occurred` events always carry both.
 */
export function errorDetail(error: ProtocolError, extra: TraceDetail = {}): TraceDetail {
  return { ...extra, code: error.code, class: error.errorClass, message: error.detail };
}
