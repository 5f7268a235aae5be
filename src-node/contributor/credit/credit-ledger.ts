// The node's credit ledger (issue 13 §5): every credit receipt it accepted, append-only, in
// segments (ledger-file.ts), with totals that outlive the segments.
//
// Appending. A receipt is verified in full before anything is written (schema, rules, this PNode,
// a known orchestrator, the signature: credit-receipt.ts), then placed in its orchestrator's
// sequence (ledger-totals.ts): the same receipt again is E_HS_REPLAY, an older one E_ADV_STALE_SEQ,
// a later one past a gap is stored and the gap counted. Appends run one at a time; each is on disk
// (written and fdatasync'd) before it counts, and before append() answers. A failed write is
// E_TRANSPORT_UNAVAILABLE (try again later) and changes nothing.
//
// Crash safety. A SIGKILL inside an append leaves at most a torn last line, which opening detects
// and cuts off (that record was never acknowledged); nothing written before it is touched. History
// is never rewritten: records are only ever added at the end of the newest segment.
//
// Bounds. When the newest segment reaches segmentBytes, a new one starts with the totals so far;
// when there are more than maxSegments, the oldest goes. The receipts of the kept segments stay
// inspectable (get-receipt, list-receipts), indexed in memory by a summary each; the totals cover
// every receipt ever stored.
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReceiptDetail, ReceiptPage, ReceiptSummary } from '../../../src-shared/control/credit-view.js';
import { type CreditReceipt, checkReceiptRules, verifyCreditReceipt } from '../../../src-shared/credit/credit-receipt.js';
import { type Result, attempt, fail, ok } from '../../../src-shared/protocol/errors.js';
import { checkSchema } from '../../../src-shared/protocol/schema-gate.js';
import { parseTimestamp } from '../../../src-shared/protocol/time.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { fsyncDirectorySync } from '../../kernel/storage/atomic-file.js';
import { RecordAppender, readRecordAt, readRecordFile, writeRecordFileAtomic } from '../../kernel/storage/record-log.js';
import type { Clock } from '../../kernel/util/clock.js';
import { LEDGER_DIR, decodeEntry, decodeHead, encodeEntry, encodeHead, listSegments, segmentName } from './ledger-file.js';
import { EMPTY_TOTALS, type LedgerTotals, addReceipt, placeReceipt } from './ledger-totals.js';

/** A segment is closed and a new one begun once it holds this many bytes (≈ 280 receipts). */
export const LEDGER_SEGMENT_BYTES = 256 * 1024;
/** Segments kept: the receipts inspectable in full (≈ 2,300 of them, 2 MiB on disk). */
export const LEDGER_MAX_SEGMENTS = 8;

export interface CreditLedgerOptions {
  readonly dataDir: string;
  readonly crypto: CryptoProvider;
  /** This PNode's node id (receipts must name it). */
  readonly self: string;
  readonly clock: Clock;
  readonly segmentBytes?: number;
  readonly maxSegments?: number;
  /** fdatasync every append (default true; false only for throwaway tests). */
  readonly fsync?: boolean;
}

/** What opening found. */
export interface LedgerLoadReport {
  readonly segments: number;
  readonly entries: number;
  /** Bytes of a torn last record cut off (a crash inside an append). */
  readonly tornBytes: number;
  /** Damaged or out-of-place records skipped. */
  readonly corruptLines: number;
  readonly problems: readonly string[];
}

export interface Appended {
  readonly summary: ReceiptSummary;
  /** Receipts of this orchestrator numbered before this one that never came. */
  readonly missing: number;
}

export interface CreditLedgerEvents {
  appended: [appended: Appended];
}

interface Indexed {
  readonly summary: ReceiptSummary;
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
}

/** The summary the lists show of a stored receipt. */
export function summaryOf(n: number, receivedAt: number, receipt: CreditReceipt): ReceiptSummary {
  return {
    index: n,
    receiptId: receipt['receipt/id'],
    orchestrator: receipt['orchestrator/node-id'],
    projectKey: receipt['project/key'],
    projectName: receipt['project/name'],
    taskId: receipt['task/id'],
    outcome: receipt['result/outcome'],
    credit: receipt['credit/micro'],
    cpuMs: receipt['cpu/ms'],
    validatedAt: parseTimestamp(receipt['validated-at']),
    receivedAt,
  };
}

/** A stored receipt's shape and rules (no signature: the file is ours; get-receipt checks it again). */
function storedReceipt(value: unknown): CreditReceipt | undefined {
  const shaped = checkSchema<CreditReceipt>('credit-receipt.v1', value);
  if (!shaped.ok) return undefined;
  return attempt(() => checkReceiptRules(shaped.value)).ok ? shaped.value : undefined;
}

export class CreditLedger extends EventEmitter<CreditLedgerEvents> {
  readonly dir: string;
  private totalsNow: LedgerTotals = EMPTY_TOTALS;
  private readonly index: Indexed[] = [];
  private readonly byId = new Map<string, Indexed>();
  private segments: number[] = [];
  /** The valid head of each segment on disk, by segment number. */
  private readonly heads = new Map<number, LedgerTotals>();
  private appender: RecordAppender | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly segmentBytes: number;
  private readonly maxSegments: number;
  private report: LedgerLoadReport = { segments: 0, entries: 0, tornBytes: 0, corruptLines: 0, problems: [] };

  private constructor(private readonly options: CreditLedgerOptions) {
    super();
    this.dir = join(options.dataDir, LEDGER_DIR);
    this.segmentBytes = options.segmentBytes ?? LEDGER_SEGMENT_BYTES;
    this.maxSegments = Math.max(1, options.maxSegments ?? LEDGER_MAX_SEGMENTS);
  }

  /** Opens (or creates) the ledger in `<dataDir>/credit/ledger`. */
  static async open(options: CreditLedgerOptions): Promise<CreditLedger> {
    const ledger = new CreditLedger(options);
    await ledger.load();
    return ledger;
  }

  get loadReport(): LedgerLoadReport {
    return this.report;
  }

  get totals(): LedgerTotals {
    return this.totalsNow;
  }

  /** The segments on disk, oldest first. */
  get segmentNumbers(): readonly number[] {
    return this.segments;
  }

  private path(segment: number): string {
    return join(this.dir, segmentName(segment));
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.segments = await listSegments(this.dir);
    if (this.segments.length === 0) {
      await writeRecordFileAtomic(this.path(1), encodeHead({ segment: 1, first: 1, totals: EMPTY_TOTALS }));
      this.segments = [1];
    }
    const problems: string[] = [];
    let tornBytes = 0;
    let corruptLines = 0;
    let lastBytes = 0;
    for (const [i, segment] of this.segments.entries()) {
      const newest = i === this.segments.length - 1;
      const file = await readRecordFile(this.path(segment), { cutTornTail: newest });
      if (!file) continue;
      tornBytes += file.tornBytes;
      corruptLines += file.corruptLines;
      if (newest) lastBytes = file.bytes;
      for (const { record, offset, length } of file.records) {
        const head = decodeHead(record);
        if (head) {
          // A head is the totals as they were when its segment began: it holds for all before it.
          if (head.segment !== segment || head.totals.entries !== head.first - 1) {
            corruptLines++;
            problems.push(`${segmentName(segment)}: a head that does not fit its segment`);
          } else {
            if (head.totals.entries < this.totalsNow.entries) problems.push(`${segmentName(segment)}: its head counts fewer receipts than the segments before it`);
            this.totalsNow = head.totals;
            this.heads.set(segment, head.totals);
          }
          continue;
        }
        const entry = decodeEntry(record);
        const receipt = entry ? storedReceipt(entry.receipt) : undefined;
        if (!entry || !receipt || entry.n <= this.totalsNow.entries) {
          corruptLines++;
          if (problems.length < 20) problems.push(`${segmentName(segment)}: a record at byte ${offset} is not the next receipt`);
          continue;
        }
        if (entry.n > this.totalsNow.entries + 1) {
          // Damaged records before this one (skipped above): their indexes stay used, their credit unknown.
          if (problems.length < 20) problems.push(`${segmentName(segment)}: receipts ${this.totalsNow.entries + 1}–${entry.n - 1} are damaged`);
          this.totalsNow = { ...this.totalsNow, entries: entry.n - 1 };
        }
        const placed = attempt(() => placeReceipt(this.totalsNow, receipt));
        if (!placed.ok) {
          corruptLines++;
          if (problems.length < 20) problems.push(`${segmentName(segment)}: entry ${entry.n} is out of order (${placed.error.detail})`);
          continue;
        }
        this.totalsNow = addReceipt(this.totalsNow, receipt, placed.value.missing);
        this.remember({ summary: summaryOf(entry.n, entry.at, receipt), segment, offset, length });
      }
    }
    if (tornBytes > 0) problems.push(`a torn last record of ${tornBytes} bytes was cut off (a crash inside an append)`);
    await this.prune();
    this.appender = await RecordAppender.open(this.path(this.segments.at(-1)!), lastBytes, { fsync: this.options.fsync ?? true });
    this.report = { segments: this.segments.length, entries: this.index.length, tornBytes, corruptLines, problems };
  }

  private remember(item: Indexed): void {
    this.index.push(item);
    this.byId.set(item.summary.receiptId, item);
  }

  /** Verifies a receipt and, when it belongs next in its orchestrator's sequence, stores it (see the header). */
  append(value: unknown, knownOrchestrator: (nodeId: string) => boolean): Promise<Result<Appended>> {
    const run = this.chain.then(() => this.appendNow(value, knownOrchestrator));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async appendNow(value: unknown, knownOrchestrator: (nodeId: string) => boolean): Promise<Result<Appended>> {
    if (this.closed || !this.appender) return fail('E_TRANSPORT_UNAVAILABLE', 'the credit ledger is closed');
    const now = this.options.clock.now();
    const verified = verifyCreditReceipt(value, { crypto: this.options.crypto, self: this.options.self, knownOrchestrator, now });
    if (!verified.ok) return verified;
    const receipt = verified.value;
    if (this.byId.has(receipt['receipt/id'])) return fail('E_HS_REPLAY', `receipt ${receipt['receipt/id']} is in the ledger already`);
    const placed = attempt(() => placeReceipt(this.totalsNow, receipt));
    if (!placed.ok) return placed;
    const n = this.totalsNow.entries + 1;
    const segment = this.segments.at(-1)!;
    const line = encodeEntry({ n, at: now, receipt: receipt as unknown as Record<string, unknown> });
    let offset: number;
    try {
      offset = await this.appender.append(line);
    } catch (error) {
      return fail('E_TRANSPORT_UNAVAILABLE', `the credit ledger could not write: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.totalsNow = addReceipt(this.totalsNow, receipt, placed.value.missing);
    const summary = summaryOf(n, now, receipt);
    this.remember({ summary, segment, offset, length: Buffer.byteLength(line) });
    const appended: Appended = { summary, missing: placed.value.missing };
    this.emit('appended', appended);
    if (this.appender.bytes >= this.segmentBytes) await this.rotate().catch(() => undefined);
    return ok(appended);
  }

  /** Begins the next segment with the totals so far, then lets the oldest go past maxSegments. */
  private async rotate(): Promise<void> {
    const next = this.segments.at(-1)! + 1;
    const head = encodeHead({ segment: next, first: this.totalsNow.entries + 1, totals: this.totalsNow });
    await writeRecordFileAtomic(this.path(next), head);
    this.heads.set(next, this.totalsNow);
    const appender = await RecordAppender.open(this.path(next), Buffer.byteLength(head), { fsync: this.options.fsync ?? true });
    const previous = this.appender;
    this.appender = appender;
    this.segments.push(next);
    await previous?.close().catch(() => undefined);
    await this.prune();
  }

  private async prune(): Promise<void> {
    let removed = false;
    while (this.segments.length > this.maxSegments) {
      const oldest = this.segments.shift()!;
      await rm(this.path(oldest), { force: true });
      this.heads.delete(oldest);
      removed = true;
      while (this.index.length > 0 && this.index[0]!.segment === oldest) this.byId.delete(this.index.shift()!.summary.receiptId);
    }
    if (removed) fsyncDirectorySync(this.dir);
  }

  /** The newest receipts, newest first. */
  recent(count: number): ReceiptSummary[] {
    return this.index.slice(-count).reverse().map((item) => item.summary);
  }

  /** Receipts with an index below `before` (all when absent), newest first, at most `limit`. */
  page(before: number | undefined, limit: number): ReceiptPage {
    let end = this.index.length;
    if (before !== undefined) {
      let lo = 0;
      let hi = this.index.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.index[mid]!.summary.index < before) lo = mid + 1;
        else hi = mid;
      }
      end = lo;
    }
    const start = Math.max(0, end - limit);
    const receipts = this.index.slice(start, end).reverse().map((item) => item.summary);
    return { receipts, nextBefore: start > 0 ? this.index[start]!.summary.index : null };
  }

  /**
   * The totals of the receipts before the oldest segment it holds, those rotated away (`entries` is
   * the index of the last of them); undefined when that segment's head is damaged. A reader that
   * counted receipts up to some index before these went (the contribution history) makes up the
   * difference from here: since() no longer answers them.
   */
  get rotatedAway(): LedgerTotals | undefined {
    return this.heads.get(this.segments[0]!);
  }

  /** Receipts stored after index `n` that the ledger still holds, oldest first. */
  since(n: number): ReceiptSummary[] {
    return this.index.filter((item) => item.summary.index > n).map((item) => item.summary);
  }

  /** One receipt in full, read from its segment and checked again; null when the ledger no longer holds it. */
  async detail(receiptId: string): Promise<ReceiptDetail | null> {
    const item = this.byId.get(receiptId);
    if (!item) return null;
    let record: Record<string, unknown> | undefined;
    try {
      record = await readRecordAt(this.path(item.segment), item.offset, item.length);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const entry = record ? decodeEntry(record) : undefined;
    if (!entry || entry.n !== item.summary.index) {
      return { summary: item.summary, receipt: {}, verified: false, problem: 'the stored record can no longer be read' };
    }
    // The orchestrator may be gone from the configuration by now: what is checked is the signature and the rules.
    const checked = verifyCreditReceipt(entry.receipt, { crypto: this.options.crypto, self: this.options.self, knownOrchestrator: () => true });
    return { summary: item.summary, receipt: entry.receipt, verified: checked.ok, problem: checked.ok ? null : `${checked.error.code}: ${checked.error.detail}` };
  }

  /** Waits for the appends in flight, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.appender?.close();
  }
}

