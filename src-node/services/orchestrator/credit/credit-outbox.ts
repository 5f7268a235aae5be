// The orchestrator's credit outbox (issue 13 §5): every credit receipt it issued and no PNode has
// acknowledged yet, per PNode, on disk, so a receipt reaches its PNode after reconnects and
// restarts. Free of sockets: the module (credit-outbox-module.ts) sends and settles.
//
// Issuing. For each result validation decided about (a ValidatedFact), the award is computed
// (credit-formula.ts), the receipt numbered next in the PNode's sequence and signed with the
// orchestrator's node key, and appended to the outbox file; issue() answers once it is on disk.
// The same (PNode, task id) again answers with the receipt already issued (the scheduler may
// report a result twice around a restart), as long as it is among the PNode's last
// MAX_RECENT_TASKS_PER_PNODE.
//
// File: `<dataDir>/credit/outbox.log`, a record file (kernel/storage/record-log.ts):
//   {"t":"head","format":"pnode-credit-outbox.v1"}
//   {"t":"book","pnode":…,"epoch":…,"next":…,"tasks":[[task id, receipt id], …]}   (written by compaction)
//   {"t":"issue","receipt":{…}}                                                     (a receipt issued)
//   {"t":"done","pnode":…,"id":<receipt id>,"how":"delivered"|"refused"|"dropped"}  (it left the outbox)
// Replayed in order on open. When the file has grown to OUTBOX_COMPACT_FACTOR times what it held
// after the last compaction (and at least OUTBOX_COMPACT_MIN_BYTES), it is rewritten from memory.
//
// Bounds. At most MAX_OUTBOX_PER_PNODE receipts wait per PNode and MAX_OUTBOX_RECEIPTS in all: past
// them the oldest waiting receipt of that PNode (of the PNode with the most, for the global bound)
// is dropped, and its PNode sees a gap in the sequence; so is a receipt older than
// OUTBOX_RECEIPT_TTL_MS (expire(), which the module calls now and then). Sequence books are kept for
// MAX_CREDITED_PNODES PNodes; past that the least recently credited one without waiting receipts is
// forgotten, and if it comes back it starts a new epoch (its ledger accepts a later epoch).
import type { CreditReceipt } from '../../../../src-shared/credit/credit-receipt.js';
import { issueCreditReceipt, newSequenceEpoch } from '../../../../src-shared/credit/credit-receipt.js';
import { computeCredit } from '../../../../src-shared/credit/credit-formula.js';
import type { Ed25519Signer } from '../../../../src-shared/protocol/crypto/provider.js';
import { join } from 'node:path';
import { type JsonRecord, RecordAppender, encodeRecord, readRecordFile, writeRecordFileAtomic } from '../../../kernel/storage/record-log.js';
import type { Clock } from '../../../kernel/util/clock.js';
import type { ValidatedFact } from './validated-fact.js';

export const OUTBOX_FILE = join('credit', 'outbox.log');
export const OUTBOX_FORMAT = 'pnode-credit-outbox.v1';
export const MAX_OUTBOX_PER_PNODE = 256;
export const MAX_OUTBOX_RECEIPTS = 100_000;
export const MAX_CREDITED_PNODES = 200_000;
/** Task ids remembered per PNode to answer a repeated fact with the same receipt. */
export const MAX_RECENT_TASKS_PER_PNODE = 32;
/** A receipt its PNode has not collected within this long is dropped (the PNode is gone). */
export const OUTBOX_RECEIPT_TTL_MS = 30 * 24 * 60 * 60_000;
export const OUTBOX_COMPACT_MIN_BYTES = 1024 * 1024;
export const OUTBOX_COMPACT_FACTOR = 2;

export type SettleHow = 'delivered' | 'refused' | 'dropped';

interface Book {
  epoch: string;
  /** The next sequence number to hand out. */
  next: number;
  /** Receipts waiting, in sequence order. */
  readonly waiting: CreditReceipt[];
  /** [task id, receipt id], oldest first. */
  readonly tasks: Array<[string, string]>;
}

export interface IssueOutcome {
  readonly receiptId: string;
  /** The receipt, when it is still waiting in the outbox (always for a new one). */
  readonly receipt: CreditReceipt | undefined;
  /** This fact had been reported before: nothing new was issued. */
  readonly duplicate: boolean;
}

export interface CreditOutboxOptions {
  readonly dataDir: string;
  readonly clock: Clock;
  /** The orchestrator's node key. */
  readonly signer: Ed25519Signer;
  readonly maxPerPNode?: number;
  readonly maxReceipts?: number;
  readonly maxPNodes?: number;
  /** How long a receipt may wait for its PNode (default OUTBOX_RECEIPT_TTL_MS). */
  readonly receiptTtlMs?: number;
  /** Compaction waits for the file to reach this size (default OUTBOX_COMPACT_MIN_BYTES). */
  readonly compactMinBytes?: number;
  readonly fsync?: boolean;
  /** A waiting receipt is dropped to keep a bound (called before the drop is written). */
  readonly onDropped?: (receipt: CreditReceipt, why: string) => void;
  readonly onError?: (error: Error) => void;
}

export interface OutboxLoadReport {
  readonly records: number;
  readonly tornBytes: number;
  readonly corruptLines: number;
}

function isReceiptRecord(value: unknown): value is CreditReceipt {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r['receipt/id'] === 'string' && typeof r['pnode/node-id'] === 'string' && typeof r['sequence/epoch'] === 'string' && Number.isSafeInteger(r['sequence/no']) && typeof r['task/id'] === 'string';
}

export class CreditOutbox {
  readonly path: string;
  /** By PNode; Map order is least recently credited first. */
  private readonly books = new Map<string, Book>();
  private waitingTotal = 0;
  private appender: RecordAppender | undefined;
  private compactedBytes = 0;
  private compacting = false;
  private report: OutboxLoadReport = { records: 0, tornBytes: 0, corruptLines: 0 };
  private readonly maxPerPNode: number;
  private readonly maxReceipts: number;
  private readonly maxPNodes: number;

  private constructor(private readonly options: CreditOutboxOptions) {
    this.path = join(options.dataDir, OUTBOX_FILE);
    this.maxPerPNode = options.maxPerPNode ?? MAX_OUTBOX_PER_PNODE;
    this.maxReceipts = options.maxReceipts ?? MAX_OUTBOX_RECEIPTS;
    this.maxPNodes = options.maxPNodes ?? MAX_CREDITED_PNODES;
  }

  static async open(options: CreditOutboxOptions): Promise<CreditOutbox> {
    const outbox = new CreditOutbox(options);
    await outbox.load();
    return outbox;
  }

  get loadReport(): OutboxLoadReport {
    return this.report;
  }

  private async load(): Promise<void> {
    const file = await readRecordFile(this.path, { cutTornTail: true });
    if (!file) {
      await writeRecordFileAtomic(this.path, encodeRecord({ t: 'head', format: OUTBOX_FORMAT }));
    } else {
      for (const { record } of file.records) this.replay(record);
      this.report = { records: file.records.length, tornBytes: file.tornBytes, corruptLines: file.corruptLines };
    }
    const bytes = file?.bytes ?? Buffer.byteLength(encodeRecord({ t: 'head', format: OUTBOX_FORMAT }));
    // What a compaction would write now: the file is rewritten once it holds twice that.
    this.compactedBytes = Buffer.byteLength(this.snapshot());
    this.appender = await RecordAppender.open(this.path, bytes, { fsync: this.options.fsync ?? true, ...(this.options.onError ? { onError: this.options.onError } : {}) });
  }

  private replay(record: JsonRecord): void {
    switch (record['t']) {
      case 'book': {
        const pnode = record['pnode'];
        const epoch = record['epoch'];
        const next = record['next'];
        if (typeof pnode !== 'string' || typeof epoch !== 'string' || !Number.isSafeInteger(next)) return;
        const book = this.bookOf(pnode, epoch);
        book.epoch = epoch;
        book.next = Math.max(book.next, next as number);
        const tasks = Array.isArray(record['tasks']) ? (record['tasks'] as unknown[]) : [];
        for (const pair of tasks.slice(-MAX_RECENT_TASKS_PER_PNODE)) {
          if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') this.rememberTask(book, pair[0], pair[1]);
        }
        return;
      }
      case 'issue': {
        const receipt = record['receipt'];
        if (!isReceiptRecord(receipt)) return;
        const book = this.bookOf(receipt['pnode/node-id'], receipt['sequence/epoch']);
        if (book.epoch !== receipt['sequence/epoch']) {
          book.epoch = receipt['sequence/epoch'];
          book.next = 1;
        }
        book.next = Math.max(book.next, receipt['sequence/no'] + 1);
        this.rememberTask(book, receipt['task/id'], receipt['receipt/id']);
        book.waiting.push(receipt);
        this.waitingTotal++;
        return;
      }
      case 'done': {
        const pnode = record['pnode'];
        const id = record['id'];
        if (typeof pnode === 'string' && typeof id === 'string') this.remove(pnode, id);
        return;
      }
      default:
        return;
    }
  }

  private bookOf(pnode: string, epoch?: string): Book {
    let book = this.books.get(pnode);
    if (book) {
      // Most recently credited last.
      this.books.delete(pnode);
      this.books.set(pnode, book);
      return book;
    }
    book = { epoch: epoch ?? newSequenceEpoch(this.options.clock.now()), next: 1, waiting: [], tasks: [] };
    this.books.set(pnode, book);
    if (this.books.size > this.maxPNodes) this.forgetOne(pnode);
    return book;
  }

  /** Forgets the least recently credited book with nothing waiting (books with receipts waiting are bounded by maxReceipts). */
  private forgetOne(keep: string): void {
    for (const [pnode, book] of this.books) {
      if (book.waiting.length > 0 || pnode === keep) continue;
      this.books.delete(pnode);
      return;
    }
  }

  private rememberTask(book: Book, taskId: string, receiptId: string): void {
    const at = book.tasks.findIndex(([task]) => task === taskId);
    if (at >= 0) book.tasks.splice(at, 1);
    book.tasks.push([taskId, receiptId]);
    if (book.tasks.length > MAX_RECENT_TASKS_PER_PNODE) book.tasks.shift();
  }

  private remove(pnode: string, receiptId: string): CreditReceipt | undefined {
    const book = this.books.get(pnode);
    if (!book) return undefined;
    const at = book.waiting.findIndex((r) => r['receipt/id'] === receiptId);
    if (at < 0) return undefined;
    const [removed] = book.waiting.splice(at, 1);
    this.waitingTotal--;
    return removed;
  }

  /** Issues, signs and stores the receipt for one result; resolves once it is on disk. */
  async issue(fact: ValidatedFact): Promise<IssueOutcome> {
    const appender = this.appender;
    if (!appender) throw new Error('the credit outbox is closed');
    const known = this.books.get(fact.pnode)?.tasks.find(([task]) => task === fact.taskId);
    if (known) {
      const waiting = this.books.get(fact.pnode)!.waiting.find((r) => r['receipt/id'] === known[1]);
      return { receiptId: known[1], receipt: waiting, duplicate: true };
    }
    const book = this.bookOf(fact.pnode);
    const award = computeCredit({ outcome: fact.outcome, claim: fact.claim, budgetMs: fact.budgetMs, ...(fact.agreeing ? { agreeing: fact.agreeing } : {}) });
    const receipt = issueCreditReceipt(
      { pnode: fact.pnode, project: fact.project, taskId: fact.taskId, outcome: fact.outcome, validatedAt: fact.validatedAt, cpuMs: fact.claim.cpuMs, award, epoch: book.epoch, sequence: book.next },
      this.options.signer,
    );
    book.next++;
    book.waiting.push(receipt);
    this.waitingTotal++;
    this.rememberTask(book, fact.taskId, receipt['receipt/id']);
    const line = encodeRecord({ t: 'issue', receipt: receipt as unknown as JsonRecord });
    this.keepBounds(fact.pnode);
    try {
      await appender.append(line);
    } catch (error) {
      // Not on disk: not issued. Its number stays used, so the PNode will see a gap, never a reuse.
      this.remove(fact.pnode, receipt['receipt/id']);
      const at = book.tasks.findIndex(([, id]) => id === receipt['receipt/id']);
      if (at >= 0) book.tasks.splice(at, 1);
      throw error;
    }
    this.maybeCompact();
    return { receiptId: receipt['receipt/id'], receipt, duplicate: false };
  }

  private keepBounds(pnode: string): void {
    const book = this.books.get(pnode)!;
    while (book.waiting.length > this.maxPerPNode) this.drop(pnode, book, `more than ${this.maxPerPNode} receipts wait for this PNode`);
    while (this.waitingTotal > this.maxReceipts) {
      let largest: [string, Book] | undefined;
      for (const entry of this.books) if (!largest || entry[1].waiting.length > largest[1].waiting.length) largest = entry;
      if (!largest || largest[1].waiting.length === 0) break;
      this.drop(largest[0], largest[1], `more than ${this.maxReceipts} receipts wait in all`);
    }
  }

  private drop(pnode: string, book: Book, why: string): void {
    const receipt = book.waiting.shift()!;
    this.waitingTotal--;
    // Told first: the record's write starts at once, and a crash right after it must not leave a
    // receipt gone that nobody was told of.
    this.options.onDropped?.(receipt, why);
    this.record({ t: 'done', pnode, id: receipt['receipt/id'], how: 'dropped' });
  }

  /** Drops the receipts validated before now - OUTBOX_RECEIPT_TTL_MS; answers how many. */
  expire(now: number): number {
    const cutoff = now - (this.options.receiptTtlMs ?? OUTBOX_RECEIPT_TTL_MS);
    let dropped = 0;
    for (const [pnode, book] of this.books) {
      while (book.waiting.length > 0 && Date.parse(book.waiting[0]!['validated-at']) < cutoff) {
        this.drop(pnode, book, 'its PNode did not collect it in time');
        dropped++;
      }
    }
    return dropped;
  }

  /** The receipt to send this PNode next (the lowest number waiting). */
  next(pnode: string): CreditReceipt | undefined {
    return this.books.get(pnode)?.waiting[0];
  }

  /** A receipt left the outbox: the PNode has it (delivered) or refused it for good. */
  settle(pnode: string, receiptId: string, how: SettleHow): boolean {
    if (!this.remove(pnode, receiptId)) return false;
    this.record({ t: 'done', pnode, id: receiptId, how });
    return true;
  }

  /** The receipts waiting for a PNode, in sequence order. */
  waitingFor(pnode: string): readonly CreditReceipt[] {
    return this.books.get(pnode)?.waiting ?? [];
  }

  /** PNodes with receipts waiting. */
  pnodesWaiting(): string[] {
    return [...this.books].filter(([, book]) => book.waiting.length > 0).map(([pnode]) => pnode);
  }

  waiting(pnode?: string): number {
    return pnode === undefined ? this.waitingTotal : (this.books.get(pnode)?.waiting.length ?? 0);
  }

  /** The next sequence number and epoch for a PNode (tests and the admin view). */
  sequenceOf(pnode: string): { readonly epoch: string; readonly next: number } | undefined {
    const book = this.books.get(pnode);
    return book ? { epoch: book.epoch, next: book.next } : undefined;
  }

  /** A record whose loss costs only a resend (the PNode answers a receipt it has with E_HS_REPLAY). */
  private record(value: JsonRecord): void {
    this.appender?.append(encodeRecord(value)).catch(() => undefined);
    this.maybeCompact();
  }

  private maybeCompact(): void {
    const appender = this.appender;
    if (!appender || this.compacting) return;
    if (appender.bytes < (this.options.compactMinBytes ?? OUTBOX_COMPACT_MIN_BYTES) || appender.bytes < OUTBOX_COMPACT_FACTOR * this.compactedBytes) return;
    this.compacting = true;
    void appender
      .rewrite(() => {
        const text = this.snapshot();
        this.compactedBytes = Buffer.byteLength(text);
        return text;
      })
      .catch(() => undefined)
      .finally(() => (this.compacting = false));
  }

  /** Everything the outbox holds, as a file. */
  snapshot(): string {
    const lines = [encodeRecord({ t: 'head', format: OUTBOX_FORMAT })];
    for (const [pnode, book] of this.books) lines.push(encodeRecord({ t: 'book', pnode, epoch: book.epoch, next: book.next, tasks: book.tasks }));
    for (const book of this.books.values()) for (const receipt of book.waiting) lines.push(encodeRecord({ t: 'issue', receipt: receipt as unknown as JsonRecord }));
    return lines.join('');
  }

  /** Resolves once everything written so far is on disk. */
  async flush(): Promise<void> {
    await this.appender?.idle();
  }

  async close(): Promise<void> {
    const appender = this.appender;
    this.appender = undefined;
    await appender?.close();
  }
}
