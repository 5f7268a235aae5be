// The Activity list: the snapshot's recent traces plus every streamed one, each once, bounded.
import type { TraceEvent } from '../../src-shared/protocol/trace.js';

/** Trace events the UI keeps; older ones drop off. */
export const MAX_UI_TRACES = 500;

/** Appends the events not already present (by trace/id), keeping the newest MAX_UI_TRACES. */
export function mergeTraces(current: readonly TraceEvent[], incoming: readonly TraceEvent[], limit = MAX_UI_TRACES): readonly TraceEvent[] {
  if (incoming.length === 0) return current;
  const seen = new Set(current.map((event) => event['trace/id']));
  const added = incoming.filter((event) => {
    const id = event['trace/id'];
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  if (added.length === 0) return current;
  const merged = [...current, ...added];
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
}
