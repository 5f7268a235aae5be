// Results this PNode returned that no credit receipt has answered yet ("pending validation"):
// one entry per (orchestrator, task id) of a task that ran to an ok result here, settled when a
// receipt for it arrives, forgotten after PENDING_TTL_MS (an orchestrator that never answers) or
// when more than MAX_PENDING_RESULTS wait (the oldest go). Kept across restarts in
// <dataDir>/credit/pending.json (atomic writes, coalesced: one in flight, one more if changed).
// A corrupt file is set aside and counting starts again: it holds nothing the ledger needs.
import { join } from 'node:path';
import { type CorruptFileError, jsonText } from '../../kernel/storage/atomic-file.js';
import { CoalescedFileWriter, readStateFile } from '../../kernel/storage/state-file.js';
import type { Clock } from '../../kernel/util/clock.js';

export const PENDING_FILE = join('credit', 'pending.json');
export const PENDING_SCHEMA = 'pnode-credit-pending.v1';
export const MAX_PENDING_RESULTS = 1_024;
/** A result no receipt answered within two weeks is not waited for any more. */
export const PENDING_TTL_MS = 14 * 24 * 60 * 60_000;
const MAX_ID_LENGTH = 256;

function keyOf(orchestrator: string, taskId: string): string {
  return `${orchestrator} ${taskId}`;
}

export class PendingResults {
  readonly path: string;
  /** key → finished at (ms), oldest first. */
  private readonly pending = new Map<string, number>();
  private readonly writer: CoalescedFileWriter;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.path = join(dataDir, PENDING_FILE);
    this.writer = new CoalescedFileWriter(this.path, () => this.encode(), onError);
  }

  private encode(): string {
    const pending = [...this.pending].map(([key, at]) => {
      const space = key.indexOf(' ');
      return [key.slice(0, space), key.slice(space + 1), at];
    });
    return jsonText({ schema: PENDING_SCHEMA, pending });
  }

  async load(onCorrupt?: (error: CorruptFileError, aside: string) => void): Promise<void> {
    const raw = await readStateFile(this.path, this.clock.now(), onCorrupt);
    this.pending.clear();
    const list = typeof raw === 'object' && raw !== null && Array.isArray((raw as { pending?: unknown }).pending) ? ((raw as { pending: unknown[] }).pending) : [];
    for (const item of list.slice(-MAX_PENDING_RESULTS)) {
      if (!Array.isArray(item) || item.length !== 3) continue;
      const [orchestrator, taskId, at] = item as unknown[];
      if (typeof orchestrator !== 'string' || typeof taskId !== 'string' || typeof at !== 'number' || !Number.isSafeInteger(at)) continue;
      if (orchestrator.length > MAX_ID_LENGTH || taskId.length > MAX_ID_LENGTH) continue;
      this.pending.set(keyOf(orchestrator, taskId), at);
    }
    this.expire();
  }

  /** A result of `orchestrator`'s task went back ok at `at`. */
  add(orchestrator: string, taskId: string, at: number): void {
    const key = keyOf(orchestrator, taskId);
    this.pending.delete(key);
    this.pending.set(key, at);
    while (this.pending.size > MAX_PENDING_RESULTS) this.pending.delete(this.pending.keys().next().value!);
    this.save();
  }

  /** A receipt answered the task; true when it was waited for. */
  settle(orchestrator: string, taskId: string): boolean {
    const had = this.pending.delete(keyOf(orchestrator, taskId));
    if (had) this.save();
    return had;
  }

  count(): number {
    if (this.expire()) this.save();
    return this.pending.size;
  }

  private expire(): boolean {
    const cutoff = this.clock.now() - PENDING_TTL_MS;
    let removed = false;
    for (const [key, at] of this.pending) {
      if (at >= cutoff) continue;
      this.pending.delete(key);
      removed = true;
    }
    return removed;
  }

  private save(): void {
    this.writer.changed();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
