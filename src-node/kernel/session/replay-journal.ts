// The part of the handshake replay window that must outlive the process (issue 15 §4; why only
// this part: replay-guard.ts). One line per accepted hello that was signed ahead of our clock:
//
//   {"s":"<sender node-id>","n":"<nonce>","x":<until when a replay of it could still pass, ms>}\n
//
// in `<dataDir>/handshake-replay.v1.log`. Each line is appended with a synchronous write before the
// hello is answered, so a process killed right after answering has it on disk (in the page cache:
// a kill of the process loses nothing; a power loss may lose the last lines, see replay-guard.ts).
// Bounded: every REPLAY_JOURNAL_COMPACT_MIN_LINES lines, entries past their time are forgotten and,
// if the file then holds twice the live ones, it is rewritten atomically with only those; at most
// REPLAY_JOURNAL_MAX_ENTRIES are kept (the oldest go first, as in the memory cache). A torn last
// line (a crash mid-write) and unreadable lines are skipped.
import { appendFileSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../storage/atomic-file.js';
import { NONCE_CACHE_MAX_ENTRIES } from './nonce-cache.js';

export const REPLAY_JOURNAL_FILE = 'handshake-replay.v1.log';
/** Entries kept at most (the memory cache's capacity). */
export const REPLAY_JOURNAL_MAX_ENTRIES = NONCE_CACHE_MAX_ENTRIES;
/** Every this many lines the lapsed entries are forgotten, and the file rewritten if it holds twice the live ones. */
export const REPLAY_JOURNAL_COMPACT_MIN_LINES = 1_024;
/** A line longer than this is not ours (node ids and nonces are short). */
const MAX_LINE_CHARS = 1_024;

export interface JournalEntry {
  readonly sender: string;
  readonly nonce: string;
  /** Until when a replay could pass the other checks (ms since the epoch). */
  readonly until: number;
}

export interface JournalLoad {
  /** Entries still in force at load, soonest to lapse first. */
  readonly entries: readonly JournalEntry[];
  readonly skippedLines: number;
  readonly tornBytes: number;
}

function line(entry: JournalEntry): string {
  return `${JSON.stringify({ s: entry.sender, n: entry.nonce, x: entry.until })}\n`;
}

function parseLine(text: string): JournalEntry | undefined {
  if (text.length > MAX_LINE_CHARS) return undefined;
  try {
    const value = JSON.parse(text) as { s?: unknown; n?: unknown; x?: unknown } | null;
    if (typeof value?.s !== 'string' || typeof value.n !== 'string' || typeof value.x !== 'number' || !Number.isFinite(value.x)) return undefined;
    return { sender: value.s, nonce: value.n, until: value.x };
  } catch {
    return undefined;
  }
}

export class ReplayJournal {
  /** Live entries by key, in the order written (the oldest first). */
  private readonly live = new Map<string, JournalEntry>();
  private lines = 0;
  private linesSinceCheck = 0;

  private constructor(readonly path: string) {}

  static pathIn(dataDir: string): string {
    return join(dataDir, REPLAY_JOURNAL_FILE);
  }

  /** Reads the journal (a missing file is an empty one), cuts off a torn tail, keeps what is still in force at `now`. */
  static open(dataDir: string, now: number): { journal: ReplayJournal; load: JournalLoad } {
    const journal = new ReplayJournal(ReplayJournal.pathIn(dataDir));
    let text = '';
    try {
      text = readFileSync(journal.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const end = text.lastIndexOf('\n') + 1;
    const tornBytes = Buffer.byteLength(text.slice(end));
    if (tornBytes > 0) truncateSync(journal.path, Buffer.byteLength(text.slice(0, end)));
    let skippedLines = 0;
    for (const raw of text.slice(0, end).split('\n')) {
      if (raw === '') continue;
      journal.lines++;
      const entry = parseLine(raw);
      if (!entry) {
        skippedLines++;
        continue;
      }
      if (entry.until > now) journal.keep(entry);
    }
    const entries = [...journal.live.values()].sort((a, b) => a.until - b.until);
    journal.compact(now);
    return { journal, load: { entries, skippedLines, tornBytes } };
  }

  get size(): number {
    return this.live.size;
  }

  /** Appends an entry, synchronously (throws if the disk refuses: the caller must not answer the hello then). */
  record(entry: JournalEntry, now: number): void {
    appendFileSync(this.path, line(entry), { mode: 0o600 });
    this.lines++;
    this.keep(entry);
    if (++this.linesSinceCheck >= REPLAY_JOURNAL_COMPACT_MIN_LINES) this.compact(now);
  }

  private keep(entry: JournalEntry): void {
    const key = `${entry.sender}\u0000${entry.nonce}`;
    this.live.delete(key);
    while (this.live.size >= REPLAY_JOURNAL_MAX_ENTRIES) {
      const oldest = this.live.keys().next().value;
      if (oldest === undefined) break;
      this.live.delete(oldest);
    }
    this.live.set(key, entry);
  }

  /** Forgets lapsed entries; rewrites the file when it holds at least twice the live ones. */
  private compact(now: number): void {
    this.linesSinceCheck = 0;
    for (const [key, entry] of this.live) if (entry.until <= now) this.live.delete(key);
    if (this.lines < REPLAY_JOURNAL_COMPACT_MIN_LINES || this.lines < 2 * this.live.size) return;
    const entries = [...this.live.values()];
    writeFileAtomicSync(this.path, entries.map(line).join(''), { mode: 0o600 });
    this.lines = entries.length;
  }
}
