// The seed directory's table (spec digest §e): one current node-advertisement.v1 per node-id, each
// verified on the way in, kept in memory for reads and in an append-only log on disk
// (directory-log.ts) for restarts.
//
// Rules:
// - Replacement needs a strictly higher `sequence/no`; the same sequence with the same signature
//   is the same artifact (an idempotent re-publication); anything else is stale.
// - Every PUT takes a new position, one above the last (monotonic, also across restarts and
//   compactions); a node's older position disappears when it is replaced. The feed is ordered by
//   position, and only rows already on disk are served in it, so a cursor a client holds never
//   points past what a crash could lose.
// - Transactional (issue 15 §6): a PUT enters the table (GET, the feed, the count) only once its
//   row is on disk. Until then it is pending: later PUTs of the same node are checked against it,
//   and it counts against the entry cap. A row the log could not write (a full disk) is dropped
//   with its PUT answered 503, and nothing of it stays, in memory or on disk; the row it would
//   have replaced stays current.
// - Expiry follows `expires-at`: expired rows are never served; they are purged on read, by a
//   periodic sweep, and when the log is loaded.
// - Freshness: `advertised-at` may be at most DIRECTORY_MAX_CLOCK_SKEW_MS in the future, and an
//   advertisement may live at most DIRECTORY_MAX_LIFETIME_MS (a publisher cannot park rows for
//   ever).
// - Bounded: at most DIRECTORY_MAX_ENTRIES node-ids; when full (after purging the expired), a new
//   node-id is refused; replacements still go in.
// - The log is trusted on load: each line carries a CRC32, and only verified advertisements are
//   ever written. Verifying every signature again would cost ≈ 0.1 ms a row (10 s per 100,000)
//   and protects against nothing an attacker who can write our data dir could not do anyway;
//   clients verify every advertisement themselves (the directory is a cache, not an authority).
//   Expired rows are dropped at load.
// - Compaction: when the log is COMPACTION_RATIO times the live rows and at least
//   COMPACTION_MIN_LOG_BYTES, it is rewritten atomically with only the live rows.
import { join } from 'node:path';
import { type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import { verifyArtifact } from '../../../src-shared/protocol/verify.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { parseTimestamp } from '../../../src-shared/protocol/time.js';
import type { NodeAdvertisement } from '../../kernel/advertisement/advertisement-types.js';
import { removeStaleTempFiles } from '../../kernel/storage/temp-sweep.js';
import type { Clock } from '../../kernel/util/clock.js';
import { DIRECTORY_LOG_FILE, LogWriter, encodeHeader, encodePut, readLog } from './directory-log.js';
import { decodeCursor, encodeCursor, newEpoch } from './directory-cursor.js';

/** Node-ids the directory keeps at most. */
export const DIRECTORY_MAX_ENTRIES = 100_000;
/** Longest lifetime (expires-at − advertised-at) accepted: the longest TTL class, bootstrap-anchor (digest §f). */
export const DIRECTORY_MAX_LIFETIME_MS = 6 * 60 * 60_000;
/** How far in the future `advertised-at` may be (clock skew between publisher and directory). */
export const DIRECTORY_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Items in one feed page (`max-items`; the spec example's 100). */
export const FEED_MAX_ITEMS = 100;
/** Compact when the log is this many times the live rows… */
export const COMPACTION_RATIO = 4;
/** …and at least this large. */
export const COMPACTION_MIN_LOG_BYTES = 1024 * 1024;
/** Dead slots in the feed index tolerated beyond the live ones before the index is rebuilt. */
const FEED_INDEX_SLACK = 1_024;

export interface DirectoryEntry {
  readonly nodeId: string;
  readonly position: number;
  readonly sequence: number;
  readonly signature: string;
  readonly advertisementId: string;
  readonly storedAt: number;
  readonly expiresAt: number;
  /** The advertisement as JSON (UTF-8), served as is. */
  readonly body: Buffer;
  readonly lineBytes: number;
  live: boolean;
  /** Settles when the row is on disk (rejects when it cannot be written); null once it is. */
  durable: Promise<void> | null;
}

export type PutOutcome =
  | { readonly kind: 'stored'; readonly entry: DirectoryEntry; readonly durable: Promise<void> }
  | { readonly kind: 'unchanged'; readonly entry: DirectoryEntry; readonly durable: Promise<void> }
  | { readonly kind: 'stale'; readonly current: DirectoryEntry }
  | { readonly kind: 'full' };

export interface FeedPage {
  readonly items: readonly DirectoryEntry[];
  readonly next: string;
}

export interface DirectoryLoadReport {
  readonly loaded: number;
  /** Rows older than their replacement (dead in the log). */
  readonly replaced: number;
  readonly expired: number;
  readonly corruptLines: number;
  readonly tornBytes: number;
}

export interface DirectoryStoreOptions {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly crypto: CryptoProvider;
  readonly maxEntries?: number;
  /** Default true. */
  readonly fsync?: boolean;
  readonly compactionRatio?: number;
  readonly compactionMinBytes?: number;
  readonly onError?: (error: Error) => void;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const RESOLVED = Promise.resolve();

export class DirectoryStore {
  /** Committed rows: on disk. */
  private readonly byNode = new Map<string, DirectoryEntry>();
  /** The newest row of a node still being written (not served until it is on disk). */
  private readonly pendingByNode = new Map<string, DirectoryEntry>();
  /** Entries in position order; dead ones are skipped and dropped now and then. */
  private order: DirectoryEntry[] = [];
  private deadInOrder = 0;
  private liveBytes = 0;
  private nextPosition: number;
  /** Every position up to this one is on disk. */
  private durableThrough: number;
  private writer!: LogWriter;
  private expiredPurgedCount = 0;
  private compactionCount = 0;
  readonly loadReport: DirectoryLoadReport;

  private constructor(
    private readonly options: DirectoryStoreOptions,
    readonly epoch: string,
    nextPosition: number,
    loadReport: DirectoryLoadReport,
  ) {
    this.nextPosition = nextPosition;
    this.durableThrough = nextPosition - 1;
    this.loadReport = loadReport;
  }

  static logPath(dataDir: string): string {
    return join(dataDir, DIRECTORY_LOG_FILE);
  }

  static async open(options: DirectoryStoreOptions): Promise<DirectoryStore> {
    const path = DirectoryStore.logPath(options.dataDir);
    await removeStaleTempFiles(join(options.dataDir, 'directory'));
    const loaded = await readLog(path);
    const now = options.clock.now();
    const epoch = loaded?.header?.epoch ?? newEpoch();
    let next = Math.max(1, loaded?.header?.next ?? 1);
    const latest = new Map<string, { position: number; storedAt: number; advertisement: Record<string, unknown>; expiresAt: number }>();
    let replaced = 0;
    let corrupt = loaded?.corruptLines ?? 0;
    for (const put of loaded?.puts ?? []) {
      next = Math.max(next, put.position + 1);
      const ad = put.advertisement as Record<string, unknown>;
      const nodeId = ad['node/id'];
      const expiresAt = typeof ad['expires-at'] === 'string' ? parseTimestamp(ad['expires-at']) : NaN;
      const signature = (ad['signature'] as { value?: unknown } | undefined)?.value;
      if (typeof nodeId !== 'string' || !isCount(ad['sequence/no']) || typeof signature !== 'string' || !Number.isFinite(expiresAt)) {
        corrupt++;
        continue;
      }
      const before = latest.get(nodeId);
      if (before && before.position > put.position) {
        replaced++;
        continue;
      }
      if (before) replaced++;
      latest.set(nodeId, { position: put.position, storedAt: put.storedAt, advertisement: ad, expiresAt });
    }
    const rows = [...latest.values()].filter((row) => row.expiresAt > now).sort((a, b) => a.position - b.position);
    const expired = latest.size - rows.length;
    const store = new DirectoryStore(options, epoch, next, { loaded: rows.length, replaced, expired, corruptLines: corrupt, tornBytes: loaded?.tornBytes ?? 0 });
    for (const row of rows) store.insertLoaded(row.position, row.storedAt, row.advertisement as NodeAdvertisement, row.expiresAt);
    store.expiredPurgedCount = expired;
    store.writer = await LogWriter.open(path, loaded?.bytes ?? 0, loaded ? undefined : encodeHeader({ epoch, next }), {
      snapshot: () => store.snapshot(),
      shouldCompact: (bytes) => store.shouldCompact(bytes),
      fsync: options.fsync ?? true,
      onCompacted: () => store.compactionCount++,
      ...(options.onError ? { onError: options.onError } : {}),
    });
    // A log without a readable header, or one mostly dead already, is rewritten now.
    if ((loaded && !loaded.header) || store.shouldCompact(store.writer.bytes)) await store.writer.compact();
    return store;
  }

  private insertLoaded(position: number, storedAt: number, advertisement: NodeAdvertisement, expiresAt: number): void {
    const json = JSON.stringify(advertisement);
    const entry: DirectoryEntry = {
      nodeId: advertisement['node/id'],
      position,
      sequence: advertisement['sequence/no'],
      signature: advertisement.signature.value,
      advertisementId: String(advertisement['advertisement/id']),
      storedAt,
      expiresAt,
      body: Buffer.from(json, 'utf8'),
      lineBytes: Buffer.byteLength(encodePut(position, storedAt, json)),
      live: true,
      durable: null,
    };
    this.byNode.set(entry.nodeId, entry);
    this.order.push(entry);
    this.liveBytes += entry.lineBytes;
  }

  get size(): number {
    return this.byNode.size;
  }

  get logBytes(): number {
    return this.writer.bytes;
  }

  get expiredPurged(): number {
    return this.expiredPurgedCount;
  }

  get compactions(): number {
    return this.compactionCount;
  }

  get maxEntries(): number {
    return this.options.maxEntries ?? DIRECTORY_MAX_ENTRIES;
  }

  /**
   * The full check of a submitted advertisement: schema gate, signer, signature, expiry
   * (verifyArtifact), then the directory's freshness rules.
   */
  verify(value: unknown): Result<NodeAdvertisement> {
    const now = this.options.clock.now();
    const verified = verifyArtifact<NodeAdvertisement>('node-advertisement.v1', value, { crypto: this.options.crypto, checkExpiry: true, now });
    if (!verified.ok) return verified;
    const ad = verified.value;
    const advertisedAt = parseTimestamp(ad['advertised-at']);
    if (advertisedAt > now + DIRECTORY_MAX_CLOCK_SKEW_MS) {
      return fail('E_PROTO_INVALID', `node-advertisement.v1 advertised-at ${ad['advertised-at']} is more than ${DIRECTORY_MAX_CLOCK_SKEW_MS / 1000} s in the future`);
    }
    if (parseTimestamp(ad['expires-at']) - advertisedAt > DIRECTORY_MAX_LIFETIME_MS) {
      return fail('E_PROTO_INVALID', `node-advertisement.v1 lives longer than the ${DIRECTORY_MAX_LIFETIME_MS / 3_600_000} h this directory keeps an advertisement`);
    }
    return ok(ad);
  }

  /**
   * Stores a verified advertisement (see verify). A stored row is served once the outcome's
   * `durable` has resolved; when it rejects (the log could not write it), the row is gone again.
   */
  put(advertisement: NodeAdvertisement): PutOutcome {
    const now = this.options.clock.now();
    const nodeId = advertisement['node/id'];
    let committed = this.byNode.get(nodeId);
    if (committed && committed.expiresAt <= now) {
      this.kill(committed, true);
      committed = undefined;
    }
    const current = this.pendingByNode.get(nodeId) ?? committed;
    const sequence = advertisement['sequence/no'];
    if (current) {
      if (sequence === current.sequence && advertisement.signature.value === current.signature) {
        return { kind: 'unchanged', entry: current, durable: current.durable ?? RESOLVED };
      }
      if (sequence <= current.sequence) return { kind: 'stale', current };
    } else if (this.nodesHeld() >= this.maxEntries) {
      this.purgeExpired();
      if (this.nodesHeld() >= this.maxEntries) return { kind: 'full' };
    }
    const position = this.nextPosition++;
    const json = JSON.stringify(advertisement);
    const line = encodePut(position, now, json);
    const entry: DirectoryEntry = {
      nodeId,
      position,
      sequence,
      signature: advertisement.signature.value,
      advertisementId: advertisement['advertisement/id'],
      storedAt: now,
      expiresAt: parseTimestamp(advertisement['expires-at']),
      body: Buffer.from(json, 'utf8'),
      lineBytes: Buffer.byteLength(line),
      live: true,
      durable: null,
    };
    this.pendingByNode.set(nodeId, entry);
    // The log tells us in its write loop, before it writes or snapshots anything else.
    const durable = this.writer.append(line, (error) => (error ? this.dropPending(entry) : this.commit(entry)));
    durable.catch(() => undefined);
    entry.durable = durable;
    return { kind: 'stored', entry, durable };
  }

  /** Node-ids held or being written: what counts against the cap. */
  private nodesHeld(): number {
    // Rows in flight are few (one write batch); they are looked at only near the cap.
    if (this.byNode.size + this.pendingByNode.size < this.maxEntries) return this.byNode.size + this.pendingByNode.size;
    let fresh = 0;
    for (const nodeId of this.pendingByNode.keys()) if (!this.byNode.has(nodeId)) fresh++;
    return this.byNode.size + fresh;
  }

  /** The row is on disk: it becomes the node's current row (rows commit in position order). */
  private commit(entry: DirectoryEntry): void {
    entry.durable = null;
    if (this.pendingByNode.get(entry.nodeId) === entry) this.pendingByNode.delete(entry.nodeId);
    const replaced = this.byNode.get(entry.nodeId);
    if (replaced) this.kill(replaced, false);
    this.byNode.set(entry.nodeId, entry);
    this.order.push(entry);
    this.liveBytes += entry.lineBytes;
    if (entry.position > this.durableThrough) this.durableThrough = entry.position;
  }

  /** The row could not be written: it never was, and the node's committed row stays current. */
  private dropPending(entry: DirectoryEntry): void {
    entry.live = false;
    if (this.pendingByNode.get(entry.nodeId) === entry) this.pendingByNode.delete(entry.nodeId);
  }

  /** The current, unexpired row of a node (an expired one is purged here). */
  get(nodeId: string): DirectoryEntry | undefined {
    const entry = this.byNode.get(nodeId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.clock.now()) {
      this.kill(entry, true);
      return undefined;
    }
    return entry;
  }

  /** The first cursor (before every position) of this store. */
  get startCursor(): string {
    return encodeCursor(this.epoch, 0);
  }

  /**
   * Up to FEED_MAX_ITEMS live rows after `since` (undefined or '': from the beginning), in position
   * order. `next` is the position of the last row returned, or `since` when there is none; a page
   * with fewer than FEED_MAX_ITEMS rows means the client is caught up. An unknown cursor (not ours,
   * another epoch, or beyond the last position) is E_PROTO_INVALID.
   */
  feed(since: string | undefined, maxItems: number = FEED_MAX_ITEMS): Result<FeedPage> {
    let after = 0;
    if (since !== undefined && since !== '') {
      const cursor = decodeCursor(since);
      if (!cursor) return fail('E_PROTO_INVALID', `not a cursor of this directory: ${JSON.stringify(since.slice(0, 64))}`);
      if (cursor.epoch !== this.epoch) return fail('E_PROTO_INVALID', 'the cursor belongs to another epoch of this directory (its data was reset); start again without since');
      if (cursor.position >= this.nextPosition) return fail('E_PROTO_INVALID', 'the cursor is beyond the end of this directory; start again without since');
      after = cursor.position;
    }
    const now = this.options.clock.now();
    const items: DirectoryEntry[] = [];
    let next = after;
    // Binary search for the first slot after `after`.
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.position <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.order.length && items.length < maxItems; i++) {
      const entry = this.order[i]!;
      if (entry.position > this.durableThrough) break;
      if (entry.live && entry.expiresAt <= now) this.kill(entry, true);
      if (!entry.live) continue;
      items.push(entry);
      next = entry.position;
    }
    this.tidyOrder();
    return ok({ items, next: encodeCursor(this.epoch, next) });
  }

  /** Removes every expired row from memory (the log drops them at the next compaction). */
  purgeExpired(): number {
    const now = this.options.clock.now();
    let removed = 0;
    for (const entry of this.byNode.values()) {
      if (entry.expiresAt <= now) {
        this.kill(entry, true);
        removed++;
      }
    }
    this.tidyOrder();
    return removed;
  }

  /**
   * Housekeeping: purge the expired, and rewrite the log if it has grown past the ratio or a
   * failed append left it behind memory.
   */
  async maintain(): Promise<void> {
    this.purgeExpired();
    if (this.writer.needsRewrite || this.shouldCompact(this.writer.bytes)) await this.writer.compact();
  }

  /** Rewrites the log with only the live rows, now. */
  compact(): Promise<void> {
    return this.writer.compact();
  }

  /** Waits for pending writes (tests, shutdown). */
  idle(): Promise<void> {
    return this.writer.idle();
  }

  async close(): Promise<void> {
    await this.writer.close();
  }

  private kill(entry: DirectoryEntry, expired: boolean): void {
    if (!entry.live) return;
    entry.live = false;
    this.deadInOrder++;
    this.liveBytes -= entry.lineBytes;
    if (this.byNode.get(entry.nodeId) === entry) this.byNode.delete(entry.nodeId);
    if (expired) this.expiredPurgedCount++;
  }

  private tidyOrder(): void {
    if (this.deadInOrder <= this.byNode.size + FEED_INDEX_SLACK) return;
    this.order = this.order.filter((e) => e.live);
    this.deadInOrder = 0;
  }

  private shouldCompact(logBytes: number): boolean {
    const ratio = this.options.compactionRatio ?? COMPACTION_RATIO;
    const minBytes = this.options.compactionMinBytes ?? COMPACTION_MIN_LOG_BYTES;
    return logBytes >= minBytes && logBytes > ratio * Math.max(this.liveBytes, 1);
  }

  /** Header and live rows, in position order (the log after a compaction). */
  private snapshot(): string {
    this.purgeExpired();
    const parts = [encodeHeader({ epoch: this.epoch, next: this.nextPosition })];
    for (const entry of this.order) if (entry.live) parts.push(encodePut(entry.position, entry.storedAt, entry.body.toString('utf8')));
    return parts.join('');
  }
}
