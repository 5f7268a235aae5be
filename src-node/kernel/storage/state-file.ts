// A small JSON state file a component keeps beside its data (the contributor's history, activity
// log, VNode counters, results awaiting credit): read once at start, a corrupt file set aside and
// reported rather than trusted; written in the background after every change.
import { rename } from 'node:fs/promises';
import { CorruptFileError, readJsonFile, writeFileAtomic } from './atomic-file.js';

/**
 * Reads the file: its JSON, undefined when missing. A file that is not JSON is renamed to
 * `<path>.corrupt-<now>`, reported through `onCorrupt`, and read as missing.
 */
export async function readStateFile(path: string, now: number, onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<unknown> {
  try {
    return await readJsonFile(path);
  } catch (error) {
    if (!(error instanceof CorruptFileError)) throw error;
    const aside = `${path}.corrupt-${now}`;
    await rename(path, aside);
    onCorrupt?.(error, aside);
    return undefined;
  }
}

/**
 * Writes `text()` to `path` after each change, coalesced: one atomic write in flight and one more
 * if something changed meanwhile. A failed write goes to `onError`; the next change writes again.
 * After close() changes stay in memory only (a stopped node's data dir may already be gone).
 */
export class CoalescedFileWriter {
  private writing: Promise<void> | null = null;
  private dirty = false;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly text: () => string,
    private readonly onError: (error: unknown) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Something changed: write it (now, or after the write in flight). */
  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.writing) return;
    this.writing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        await writeFileAtomic(this.path, this.text()).catch(this.onError);
      }
      this.writing = null;
    })();
  }

  /** Resolves once every change so far is on disk (or has failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is pending and no more after it. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}
