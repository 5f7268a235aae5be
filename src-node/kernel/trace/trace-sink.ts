// Where components report network trace events (spec digest §g). The runtime's sink writes
// traces/network.jsonl and feeds the control surface; tests use MemoryTraceSink.
import { type TraceDetail, type TraceEvent, type TraceEventType, makeTraceEvent } from '../../../src-shared/protocol/trace.js';
import { type Clock, systemClock } from '../util/clock.js';

export interface TraceOptions {
  readonly peer?: string | undefined;
  readonly detail?: TraceDetail | undefined;
}

export interface TraceSink {
  emit(type: TraceEventType, options?: TraceOptions): TraceEvent;
}

export type TraceListener = (event: TraceEvent) => void;

/** Keeps events in memory (bounded) and tells listeners; the base of the file-backed log too. */
export class MemoryTraceSink implements TraceSink {
  readonly events: TraceEvent[] = [];
  private readonly listeners = new Set<TraceListener>();

  constructor(
    private readonly nodeSelf: string,
    private readonly clock: Clock = systemClock,
    private readonly keep: number = 10_000,
  ) {}

  emit(type: TraceEventType, options: TraceOptions = {}): TraceEvent {
    const event = makeTraceEvent(type, this.nodeSelf, { peer: options.peer, detail: options.detail, now: this.clock.now() });
    this.events.push(event);
    if (this.events.length > this.keep) this.events.splice(0, this.events.length - this.keep);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  subscribe(listener: TraceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ofType(type: TraceEventType): TraceEvent[] {
    return this.events.filter((e) => e['event/type'] === type);
  }
}
