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
// - Admission (issue 15 §3), the rules every ingress shares (src-shared/protocol/advertisement-rules.ts):
//   `advertised-at` at most ADVERTISEMENT_MAX_CLOCK_SKEW_MS in the future, a lifetime of at most
//   ADVERTISEMENT_MAX_LIFETIME_MS (a publisher cannot park rows for ever), endpoint URLs wss:// (ws://
//   to loopback) with a host and no credentials, query or fragment, short; and a row of at most
//   DIRECTORY_MAX_ENTRY_BYTES.
// - Bounded: at most DIRECTORY_MAX_ENTRIES node-ids and DIRECTORY_MAX_STORED_BYTES of
//   advertisements (a full directory of padded ones reached 1.75 GB RSS and a 26 s restart before).
//   When a row does not fit, expired rows go first; then the source holding the most loses its
//   oldest row, by neighbourhood and publisher (directory-fairness.ts), so an honest newcomer gets
//   in while a flooding address or /24 loses; a newcomer from the heaviest source itself is refused
//   (503). Each row remembers its source (the client's address, kept in the log).
// - The log is trusted on load: each line carries a CRC32, and only verified advertisements are
//   ever written. Verifying every signature again would cost ≈ 0.1 ms a row (10 s per 100,000)
//   and protects against nothing an attacker who can write our data dir could not do anyway;
//   clients verify every advertisement themselves (the directory is a cache, not an authority).
//   Expired rows are dropped at load.
// - Compaction: when the log is COMPACTION_RATIO times the live rows and at least
//   COMPACTION_MIN_LOG_BYTES, it is rewritten atomically with only the live rows. With the byte
//   budget this bounds the log, and so the restart, to about COMPACTION_RATIO × the budget.
// - Rows read from the log pass the admission rules again (not the signature): a row an older
//   version stored that breaks them is dropped at load, and the caps are applied.
import { join } from 'node:path';
import { type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import { verifyArtifact } from '../../../src-shared/protocol/verify.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { parseTimestamp } from '../../../src-shared/protocol/time.js';
import {
  ADVERTISEMENT_MAX_CLOCK_SKEW_MS,
  ADVERTISEMENT_MAX_LIFETIME_MS,
  checkAdvertisedEndpoints,
  checkAdvertisementLifetime,
} from '../../../src-shared/protocol/advertisement-rules.js';
import type { NodeAdvertisement } from '../../kernel/advertisement/advertisement-types.js';
import { removeStaleTempFiles } from '../../kernel/storage/temp-sweep.js';
import type { Clock } from '../../kernel/util/clock.js';
import { IndexedHeap } from '../../kernel/util/indexed-heap.js';
import { DIRECTORY_LOG_FILE, LogWriter, encodeHeader, encodePut, readLog } from './directory-log.js';
import { decodeCursor, encodeCursor, newEpoch } from './directory-cursor.js';
import { DirectoryFairness, sourceOf, type EntrySource } from './directory-fairness.js';

/** Node-ids the directory keeps at most. */
export const DIRECTORY_MAX_ENTRIES = 100_000;
/** Largest row (the advertisement as compact JSON): 8 long endpoints fit; honest ones are ~0.6–2 KB. */
export const DIRECTORY_MAX_ENTRY_BYTES = 4 * 1024;
/** Bytes of advertisements kept at most (about 1 KB a row at DIRECTORY_MAX_ENTRIES). */
export const DIRECTORY_MAX_STORED_BYTES = 96 * 1024 * 1024;
/** Rows evicted at most to fit one newcomer (a large row may need several small ones' room). */
export const DIRECTORY_MAX_EVICTIONS_PER_PUT = 16;
/** The shared lifetime rule's cap, under the directory's older name. */
export const DIRECTORY_MAX_LIFETIME_MS = ADVERTISEMENT_MAX_LIFETIME_MS;
/** The shared rule's clock skew for advertised-at, under the directory's older name. */
export const DIRECTORY_MAX_CLOCK_SKEW_MS = ADVERTISEMENT_MAX_CLOCK_SKEW_MS;
/** Items in one feed page (`max-items`; the spec example's 100). */
export const FEED_MAX_ITEMS = 100;
/** Compact when the log is this many times the live rows (2: a restart reads at most about twice the budget)… */
export const COMPACTION_RATIO = 2;
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
  /** Who PUT it; null for the directory's own advertisement and rows logged without one. */
  readonly source: EntrySource | null;
  live: boolean;
  /** Settles when the row is on disk (rejects when it cannot be written); null once it is. */
  durable: Promise<void> | null;
}

export type PutOutcome =
  | { readonly kind: 'stored'; readonly entry: DirectoryEntry; readonly durable: Promise<void> }
  | { readonly kind: 'unchanged'; readonly entry: DirectoryEntry; readonly durable: Promise<void> }
  | { readonly kind: 'stale'; readonly current: DirectoryEntry }
  /** No room, and the newcomer's own source is the one holding the most. */
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
  /** Rows that break today's admission rules (stored by an older version), dropped. */
  readonly refused: number;
  /** Rows evicted at load because the caps are lower than what the log held. */
  readonly evicted: number;
}

export interface DirectoryStoreOptions {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly crypto: CryptoProvider;
  readonly maxEntries?: number;
  readonly maxStoredBytes?: number;
  readonly maxEntryBytes?: number;
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

/**
 * The row's bytes in a buffer of their own: Buffer.from(string) slices small strings out of shared
 * 8 KiB pool slabs, and one live row would keep a whole slab alive after its neighbours are gone.
 */
function ownBuffer(json: string): Buffer {
  const bytes = Buffer.byteLength(json);
  const buffer = Buffer.allocUnsafeSlow(bytes);
  buffer.write(json, 'utf8');
  return buffer;
}

type KillReason = 'expired' | 'replaced' | 'evicted';

export class DirectoryStore {
  /** Committed rows: on disk. */
  private readonly byNode = new Map<string, DirectoryEntry>();
  /** The newest row of a node still being written (not served until it is on disk). */
  private readonly pendingByNode = new Map<string, DirectoryEntry>();
  /** Entries in position order; dead ones are skipped and dropped now and then. */
  private order: DirectoryEntry[] = [];
  private deadInOrder = 0;
  private liveBytes = 0;
  /** Bytes of the live rows' advertisements (the DIRECTORY_MAX_STORED_BYTES budget). */
  private storedBytesNow = 0;
  /** Bytes of the rows still being written (they count against the budget too). */
  private pendingBytes = 0;
  private readonly fairness = new DirectoryFairness();
  /** Live node-ids by expiry, soonest first. */
  private readonly expiries = new IndexedHeap<string>('min');
  private evictedCount = 0;
  private nextPosition: number;
  /** Every position up to this one is on disk. */
  private durableThrough: number;
  private writer!: LogWriter;
  private expiredPurgedCount = 0;
  private compactionCount = 0;
  private report: DirectoryLoadReport | undefined;

  private constructor(
    private readonly options: DirectoryStoreOptions,
    readonly epoch: string,
    nextPosition: number,
  ) {
    this.nextPosition = nextPosition;
    this.durableThrough = nextPosition - 1;
  }

  /** What the last load found (set once the rows are in). */
  get loadReport(): DirectoryLoadReport {
    if (!this.report) throw new Error('the directory store has not loaded yet');
    return this.report;
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
    const latest = new Map<string, { position: number; storedAt: number; advertisement: Record<string, unknown>; expiresAt: number; source: string | undefined }>();
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
      latest.set(nodeId, { position: put.position, storedAt: put.storedAt, advertisement: ad, expiresAt, source: put.source });
    }
    const rows = [...latest.values()].filter((row) => row.expiresAt > now).sort((a, b) => a.position - b.position);
    const expired = latest.size - rows.length;
    const store = new DirectoryStore(options, epoch, next);
    let refused = 0;
    for (const row of rows) {
      if (store.insertLoaded(row.position, row.storedAt, row.advertisement as NodeAdvertisement, row.expiresAt, row.source, now)) continue;
      refused++;
    }
    const evicted = store.fitLoaded();
    store.report = { loaded: store.size, replaced, expired, corruptLines: corrupt, tornBytes: loaded?.tornBytes ?? 0, refused, evicted };
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

  /** Takes a row from the log if it passes today's admission rules (all but the signature); false if not. */
  private insertLoaded(position: number, storedAt: number, advertisement: NodeAdvertisement, expiresAt: number, sourceAddress: string | undefined, now: number): boolean {
    const json = JSON.stringify(advertisement);
    if (Buffer.byteLength(json) > this.maxEntryBytes) return false;
    const lifetime = checkAdvertisementLifetime(advertisement, Math.max(now, parseTimestamp(advertisement['advertised-at'])));
    if (!lifetime.ok || !Array.isArray(advertisement.endpoints) || !checkAdvertisedEndpoints(advertisement.endpoints).ok) return false;
    const source = sourceAddress === undefined ? null : sourceOf(sourceAddress);
    this.insert({
      nodeId: advertisement['node/id'],
      position,
      sequence: advertisement['sequence/no'],
      signature: advertisement.signature.value,
      advertisementId: String(advertisement['advertisement/id']),
      storedAt,
      expiresAt,
      body: ownBuffer(json),
      lineBytes: Buffer.byteLength(encodePut(position, storedAt, json, sourceAddress)),
      source,
      live: true,
      durable: null,
    });
    return true;
  }

  /** After a load: evicts (fairly) until the caps hold; how many went. */
  private fitLoaded(): number {
    let evicted = 0;
    while (this.byNode.size > this.maxEntries || this.storedBytesNow > this.maxStoredBytes) {
      const victim = this.fairness.victim(undefined, 0);
      const entry = victim === undefined ? this.order.find((e) => e.live) : this.byNode.get(victim);
      if (!entry) break;
      this.kill(entry, 'evicted');
      evicted++;
    }
    this.tidyOrder();
    return evicted;
  }

  /** Adds a live row to every index. */
  private insert(entry: DirectoryEntry): void {
    this.byNode.set(entry.nodeId, entry);
    this.order.push(entry);
    this.liveBytes += entry.lineBytes;
    this.storedBytesNow += entry.body.length;
    this.expiries.set(entry.nodeId, entry.expiresAt);
    if (entry.source) this.fairness.add(entry.nodeId, entry.source, entry.body.length);
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

  get maxStoredBytes(): number {
    return this.options.maxStoredBytes ?? DIRECTORY_MAX_STORED_BYTES;
  }

  get maxEntryBytes(): number {
    return this.options.maxEntryBytes ?? DIRECTORY_MAX_ENTRY_BYTES;
  }

  /** Bytes of the live rows' advertisements. */
  get storedBytes(): number {
    return this.storedBytesNow;
  }

  /** Rows evicted to make room since start (fairness; not expiry). */
  get evicted(): number {
    return this.evictedCount;
  }

  /**
   * The full check of a submitted advertisement: its size, then schema gate, signer, signature,
   * expiry (verifyArtifact), then the admission rules every ingress shares (lifetime, endpoints).
   */
  verify(value: unknown): Result<NodeAdvertisement> {
    const now = this.options.clock.now();
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(value) ?? '');
    } catch {
      return fail('E_PROTO_INVALID', 'node-advertisement.v1 is not JSON');
    }
    if (size > this.maxEntryBytes) return fail('E_PROTO_INVALID', `node-advertisement.v1 is ${size} bytes, over the ${this.maxEntryBytes} this directory keeps`);
    const verified = verifyArtifact<NodeAdvertisement>('node-advertisement.v1', value, { crypto: this.options.crypto, checkExpiry: true, now });
    if (!verified.ok) return verified;
    const ad = verified.value;
    const lifetime = checkAdvertisementLifetime(ad, now);
    if (!lifetime.ok) return lifetime;
    const endpoints = checkAdvertisedEndpoints(ad.endpoints);
    if (!endpoints.ok) return endpoints;
    return ok(ad);
  }

  /**
   * Stores a verified advertisement (see verify), PUT from `sourceAddress` (none for the
   * directory's own). A stored row is served once the outcome's `durable` has resolved; when it
   * rejects (the log could not write it), the row is gone again.
   */
  put(advertisement: NodeAdvertisement, sourceAddress?: string): PutOutcome {
    const now = this.options.clock.now();
    const nodeId = advertisement['node/id'];
    let committed = this.byNode.get(nodeId);
    if (committed && committed.expiresAt <= now) {
      this.kill(committed, 'expired');
      committed = undefined;
    }
    const current = this.pendingByNode.get(nodeId) ?? committed;
    const sequence = advertisement['sequence/no'];
    if (current) {
      if (sequence === current.sequence && advertisement.signature.value === current.signature) {
        return { kind: 'unchanged', entry: current, durable: current.durable ?? RESOLVED };
      }
      if (sequence <= current.sequence) return { kind: 'stale', current };
    }
    const json = JSON.stringify(advertisement);
    const body = ownBuffer(json);
    const source = sourceAddress === undefined ? null : sourceOf(sourceAddress);
    if (!this.makeRoom(committed, this.pendingByNode.get(nodeId), body.length, source, now)) return { kind: 'full' };
    const position = this.nextPosition++;
    const line = encodePut(position, now, json, sourceAddress);
    const entry: DirectoryEntry = {
      nodeId,
      position,
      sequence,
      signature: advertisement.signature.value,
      advertisementId: advertisement['advertisement/id'],
      storedAt: now,
      expiresAt: parseTimestamp(advertisement['expires-at']),
      body,
      lineBytes: Buffer.byteLength(line),
      source,
      live: true,
      durable: null,
    };
    this.pendingByNode.set(nodeId, entry);
    this.pendingBytes += body.length;
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
    this.pendingBytes -= entry.body.length;
    if (this.pendingByNode.get(entry.nodeId) === entry) this.pendingByNode.delete(entry.nodeId);
    const replaced = this.byNode.get(entry.nodeId);
    if (replaced) this.kill(replaced, 'replaced');
    this.insert(entry);
    if (entry.position > this.durableThrough) this.durableThrough = entry.position;
  }

  /** The row could not be written: it never was, and the node's committed row stays current. */
  private dropPending(entry: DirectoryEntry): void {
    entry.live = false;
    this.pendingBytes -= entry.body.length;
    if (this.pendingByNode.get(entry.nodeId) === entry) this.pendingByNode.delete(entry.nodeId);
  }

  /** The current, unexpired row of a node (an expired one is purged here). */
  get(nodeId: string): DirectoryEntry | undefined {
    const entry = this.byNode.get(nodeId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.clock.now()) {
      this.kill(entry, 'expired');
      return undefined;
    }
    return entry;
  }

  /**
   * Makes room for a row of `bytes` from `source` replacing the node's `committed` and `pending`
   * rows (if any): expired rows first, then rows of the heaviest source (directory-fairness.ts), at
   * most DIRECTORY_MAX_EVICTIONS_PER_PUT. Rows still being written count (they are the cap's too),
   * but only committed rows are evicted. Nothing is evicted unless the row then fits: the victims
   * are chosen first, then removed.
   */
  private makeRoom(committed: DirectoryEntry | undefined, pending: DirectoryEntry | undefined, bytes: number, source: EntrySource | null, now: number): boolean {
    const freedBytes = (committed?.body.length ?? 0) + (pending?.body.length ?? 0);
    const newNode = committed === undefined && pending === undefined;
    const fits = (entries: number, stored: number): boolean => entries + (newNode ? 1 : 0) <= this.maxEntries && stored - freedBytes + bytes <= this.maxStoredBytes;
    if (fits(this.nodesHeld(), this.storedBytesNow + this.pendingBytes)) return true;
    this.purgeExpired(now);
    let entries = this.nodesHeld();
    let stored = this.storedBytesNow + this.pendingBytes;
    const current = committed;
    const chosen: DirectoryEntry[] = [];
    while (!fits(entries, stored) && chosen.length < DIRECTORY_MAX_EVICTIONS_PER_PUT) {
      const victimId = this.fairness.victim(source ?? undefined, bytes);
      const victim = victimId === undefined ? undefined : this.byNode.get(victimId);
      if (!victim || victim === current) break;
      // Out of the fairness index while choosing, so the next choice sees the room already made.
      this.fairness.remove(victim.nodeId, victim.source!, victim.body.length);
      chosen.push(victim);
      entries--;
      stored -= victim.body.length;
    }
    const room = fits(entries, stored);
    for (const victim of chosen) {
      this.fairness.add(victim.nodeId, victim.source!, victim.body.length);
      if (room) this.kill(victim, 'evicted');
    }
    if (room) this.tidyOrder();
    return room;
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
      if (entry.live && entry.expiresAt <= now) this.kill(entry, 'expired');
      if (!entry.live) continue;
      items.push(entry);
      next = entry.position;
    }
    this.tidyOrder();
    return ok({ items, next: encodeCursor(this.epoch, next) });
  }

  /** Removes every expired row from memory (the log drops them at the next compaction); soonest first, so only they are touched. */
  purgeExpired(now: number = this.options.clock.now()): number {
    let removed = 0;
    for (;;) {
      const soonest = this.expiries.peek();
      if (soonest === undefined || this.expiries.peekScore()! > now) break;
      const entry = this.byNode.get(soonest);
      if (!entry) {
        this.expiries.delete(soonest);
        continue;
      }
      this.kill(entry, 'expired');
      removed++;
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

  private kill(entry: DirectoryEntry, reason: KillReason): void {
    if (!entry.live) return;
    entry.live = false;
    this.deadInOrder++;
    this.liveBytes -= entry.lineBytes;
    this.storedBytesNow -= entry.body.length;
    if (entry.source) this.fairness.remove(entry.nodeId, entry.source, entry.body.length);
    if (this.byNode.get(entry.nodeId) === entry) {
      this.byNode.delete(entry.nodeId);
      this.expiries.delete(entry.nodeId);
    }
    if (reason === 'expired') this.expiredPurgedCount++;
    if (reason === 'evicted') this.evictedCount++;
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
    for (const entry of this.order) if (entry.live) parts.push(encodePut(entry.position, entry.storedAt, entry.body.toString('utf8'), entry.source?.address));
    return parts.join('');
  }
}
