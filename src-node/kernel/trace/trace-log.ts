// The node's trace log (DESIGN.md §6): every event is kept in memory (bounded, for the UI) and
// appended as one JSON line to `<data dir>/traces/network.jsonl`, rotated by size into
// network.jsonl.1 … .N (.1 the newest).
//
// It is a log, not a document: lines are appended, not renamed into place, so a crash can leave a
// torn last line. The reader skips it, and the writer, on opening a file whose last byte is not a
// newline, ends that torn line first so the next event starts on a line of its own.
//
// Writing never throws into the code that emits: events are queued and written in one batch on
// the next turn of the event loop (synchronous write of the batch; no fsync, it is a log). A disk
// error drops that batch and is reported to `onError` once; after a write succeeds again, the next
// failure is reported again. flush() writes what is queued now; close() flushes and closes the file.
// A log not closed by shutdown is still flushed by a process 'exit' hook (not on SIGKILL, of course).
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type TraceEvent, isTraceEventType } from '../../../src-shared/protocol/trace.js';
import type { TraceEventType } from '../../../src-shared/protocol/trace.js';
import { type Clock, systemClock } from '../util/clock.js';
import { MemoryTraceSink, type TraceOptions } from './trace-sink.js';

export const TRACE_LOG_FILE = 'traces/network.jsonl';
/** The active file is rotated before it would grow past this. */
export const TRACE_LOG_MAX_BYTES = 5 * 1024 * 1024;
/** How many rotated files are kept: network.jsonl.1 … network.jsonl.3. */
export const TRACE_LOG_ROTATED_FILES = 3;
/** Events kept in memory for recent(). */
export const TRACE_LOG_MEMORY_EVENTS = 2_000;
/** readTraceLog answers at most this many events unless told otherwise. */
export const TRACE_READ_DEFAULT_LIMIT = 1_000;
/** readTraceLog reads at most this much of the end of each file. */
export const TRACE_READ_MAX_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

export function traceLogPath(dataDir: string): string {
  return join(dataDir, TRACE_LOG_FILE);
}

export function rotatedTraceLogPath(path: string, index: number): string {
  return `${path}.${index}`;
}

export interface TraceLogOptions {
  /** The active log file, usually traceLogPath(dataDir). */
  readonly path: string;
  readonly nodeSelf: string;
  readonly clock?: Clock;
  readonly maxBytes?: number;
  readonly rotatedFiles?: number;
  readonly memoryEvents?: number;
  /** Told about a disk error once per run of failures; the log goes on in memory. */
  readonly onError?: (error: Error) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Open logs, flushed synchronously if the process exits without closing them. */
const openLogs = new Set<TraceLog>();
let exitHookInstalled = false;

function flushOpenLogsAtExit(log: TraceLog): void {
  openLogs.add(log);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const log of openLogs) log.flush();
  });
}

export class TraceLog extends MemoryTraceSink {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly rotatedFiles: number;
  private readonly onError: (error: Error) => void;
  private fd: number | undefined;
  private size = 0;
  private pending: string[] = [];
  private scheduled = false;
  private closed = false;
  private failing = false;
  private dropped = 0;
  private lastFailure: Error | undefined;

  constructor(options: TraceLogOptions) {
    super(options.nodeSelf, options.clock ?? systemClock, options.memoryEvents ?? TRACE_LOG_MEMORY_EVENTS);
    this.path = options.path;
    this.maxBytes = options.maxBytes ?? TRACE_LOG_MAX_BYTES;
    this.rotatedFiles = options.rotatedFiles ?? TRACE_LOG_ROTATED_FILES;
    this.onError = options.onError ?? (() => {});
    flushOpenLogsAtExit(this);
  }

  override emit(type: TraceEventType, options: TraceOptions = {}): TraceEvent {
    const event = super.emit(type, options);
    if (!this.closed) {
      this.pending.push(`${JSON.stringify(event)}\n`);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }
    return event;
  }

  /** The last `n` events, oldest first. */
  recent(n: number = 100): TraceEvent[] {
    return n <= 0 ? [] : this.events.slice(-n);
  }

  /** Lines lost to disk errors so far. */
  get droppedLines(): number {
    return this.dropped;
  }

  get lastError(): Error | undefined {
    return this.lastFailure;
  }

  /** Writes the queued events now. Never throws. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    const data = Buffer.from(lines.join(''), 'utf8');
    try {
      this.openIfNeeded();
      if (this.size > 0 && this.size + data.length > this.maxBytes) this.rotate();
      this.writeAll(data);
      this.size += data.length;
      this.failing = false;
    } catch (error) {
      this.dropped += lines.length;
      this.closeFile();
      this.report(asError(error));
    }
  }

  /** Flushes and closes the file; later events are kept in memory only. Never throws. */
  close(): void {
    this.flush();
    this.closed = true;
    this.closeFile();
    openLogs.delete(this);
  }

  private report(error: Error): void {
    this.lastFailure = error;
    if (this.failing) return;
    this.failing = true;
    try {
      this.onError(error);
    } catch {
      // A failing reporter must not break the caller either.
    }
  }

  private openIfNeeded(): void {
    if (this.fd !== undefined) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openSync(this.path, 'a+', 0o644);
    try {
      let size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== NEWLINE) {
          // A torn line from a crash: end it, so it stays one unreadable line and no more.
          writeSync(fd, '\n');
          size += 1;
        }
      }
      this.fd = fd;
      this.size = size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  private writeAll(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd!, data, offset, data.length - offset);
  }

  private rotate(): void {
    this.closeFile();
    if (this.rotatedFiles <= 0) {
      rmSync(this.path, { force: true });
    } else {
      for (let i = this.rotatedFiles - 1; i >= 1; i--) renameIfExists(rotatedTraceLogPath(this.path, i), rotatedTraceLogPath(this.path, i + 1));
      renameIfExists(this.path, rotatedTraceLogPath(this.path, 1));
    }
    this.openIfNeeded();
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Nothing to do about a failed close of a log.
    }
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export interface TraceLogRead {
  /** Oldest first; at most `limit`, the most recent ones. */
  readonly events: TraceEvent[];
  /** Lines that were not trace events (torn or damaged), not counting a torn tail. */
  readonly skippedLines: number;
  /** The newest file ends in a partial line (a write cut short by a crash); it was skipped. */
  readonly tornTail: boolean;
}

export function isTraceEvent(value: unknown): value is TraceEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const event = value as Record<string, unknown>;
  return (
    typeof event['trace/id'] === 'string' &&
    isTraceEventType(event['event/type']) &&
    typeof event['ts'] === 'string' &&
    typeof event['node/self'] === 'string' &&
    (event['peer'] === undefined || typeof event['peer'] === 'string') &&
    (event['detail'] === undefined || (typeof event['detail'] === 'object' && event['detail'] !== null && !Array.isArray(event['detail'])))
  );
}

function parseLine(line: string): TraceEvent | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isTraceEvent(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The end of a file (at most TRACE_READ_MAX_BYTES, starting at a line boundary); undefined if absent. */
async function readTail(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    const start = Math.max(0, size - TRACE_READ_MAX_BYTES);
    const buffer = Buffer.alloc(size - start);
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, start + offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    const bytes = buffer.subarray(0, offset);
    if (start === 0) return bytes;
    const firstNewline = bytes.indexOf(NEWLINE);
    return firstNewline < 0 ? Buffer.alloc(0) : bytes.subarray(firstNewline + 1);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the trace log at `path` (and, with includeRotated, the rotated files before it). A torn
 * final line is skipped, as is any line that is not a trace event; neither is an error.
 */
export async function readTraceLog(path: string, options: { limit?: number; includeRotated?: boolean; rotatedFiles?: number } = {}): Promise<TraceLogRead> {
  const limit = options.limit ?? TRACE_READ_DEFAULT_LIMIT;
  const files: string[] = [];
  if (options.includeRotated) {
    for (let i = options.rotatedFiles ?? TRACE_LOG_ROTATED_FILES; i >= 1; i--) files.push(rotatedTraceLogPath(path, i));
  }
  files.push(path);
  const events: TraceEvent[] = [];
  let skippedLines = 0;
  let tornTail = false;
  const keep = (event: TraceEvent): void => {
    events.push(event);
    if (events.length > 2 * limit) events.splice(0, events.length - limit);
  };
  for (const file of files) {
    const bytes = await readTail(file);
    if (bytes === undefined || bytes.length === 0) continue;
    const lines = bytes.toString('utf8').split('\n');
    // The text after the last newline: empty when the file ends cleanly. Otherwise the write of
    // the last line was cut short; it counts only if what made it to disk is a whole event.
    const rest = lines.pop()!;
    for (const line of lines) {
      const event = parseLine(line);
      if (event) keep(event);
      else if (line.trim() !== '') skippedLines++;
    }
    if (rest.trim() !== '') {
      const event = parseLine(rest);
      if (event) keep(event);
      else if (file === path) tornTail = true;
      else skippedLines++;
    }
  }
  return { events: limit <= 0 ? [] : events.slice(-limit), skippedLines, tornTail };
}
