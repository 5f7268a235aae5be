// Token buckets by key (a client address, a node-id, a PNode), with bounded memory: at most
// `maxKeys` buckets, and optionally one bucket shared by every key, so a limit holds both per
// source and in total. Pure like TokenBucket: the caller passes the time; no timers.
//
// When the collection is full and a new key comes, room is made without ever letting the newcomer
// lift a limit that is in force:
// - A full bucket is forgotten, for free: a key seen again gets a new bucket, which is full, so
//   forgetting a full bucket changes nothing for its key.
// - A limited key — its bucket is short of one token, or its policy pins it (`pinned`) — is never
//   pushed out. Were it forgotten, its next request would find a fresh burst: a flood of new keys
//   would then be a way to escape a limit.
// - A key in between (drawn down, not limited) goes only when no full bucket is found: seen again,
//   it starts with a full bucket, which is no more than any new key gets.
// - When every key examined is limited, the newcomer is the one refused (`limit: 'keys'`).
// At most `evictionScan` of the least recently used keys are examined per newcomer, so a newcomer
// costs bounded work; limited keys examined go to the back, so the next newcomer looks further.
import { TokenBucket, type TokenBucketOptions, type TokenBucketSpec, tokenBucketSpec } from './token-bucket.js';

/** Keys examined at most per newcomer when the collection is full. */
export const KEYED_BUCKETS_EVICTION_SCAN = 64;
/** The retry hint given to a refused newcomer when every key examined is pinned by its policy. */
export const KEYED_BUCKETS_PINNED_RETRY_MS = 1_000;

export interface KeyedBucketsOptions<S> {
  /** Each key's bucket: the per-source limit. */
  readonly perKey: TokenBucketOptions;
  /** Buckets held at most (memory). */
  readonly maxKeys: number;
  /** One bucket every key also draws from: the global limit. None when absent. */
  readonly global?: TokenBucketOptions | undefined;
  /** Keys examined per newcomer when full (default KEYED_BUCKETS_EVICTION_SCAN). */
  readonly evictionScan?: number;
  /** A key whose policy state says so is kept however full its bucket (a dropped peer). */
  readonly pinned?: (state: S) => boolean;
}

/** One key's bucket, and whatever the caller's policy keeps beside it (undefined until set). */
export interface KeyedEntry<S> {
  readonly bucket: TokenBucket;
  state: S | undefined;
}

/**
 * Why a take was refused: the key's own bucket, the shared one, or no room for a new key. The
 * retry hint is Infinity when more tokens were asked for than the bucket ever holds.
 */
export interface KeyedRefusal {
  readonly ok: false;
  readonly limit: 'key' | 'global' | 'keys';
  readonly retryAfterMs: number;
}

export type KeyedTake = { readonly ok: true } | KeyedRefusal;
export type KeyedAdmission<S> = { readonly ok: true; readonly entry: KeyedEntry<S> } | KeyedRefusal;

const TAKEN: KeyedTake = Object.freeze({ ok: true });

export class KeyedBuckets<S = never> {
  readonly maxKeys: number;
  readonly evictionScan: number;
  private readonly perKey: TokenBucketSpec;
  private readonly globalSpec: TokenBucketSpec | undefined;
  /** Made full at its first use: a bucket full at any earlier time would be full then too. */
  private globalBucket: TokenBucket | undefined;
  private readonly pinnedBy: ((state: S) => boolean) | undefined;
  /** In least-recently-used order: every admission moves its key to the end. */
  private readonly entries = new Map<string, KeyedEntry<S>>();

  constructor(options: KeyedBucketsOptions<S>) {
    if (!Number.isSafeInteger(options.maxKeys) || options.maxKeys < 1) throw new RangeError(`keyed buckets need room for at least one key (maxKeys ${options.maxKeys})`);
    const scan = options.evictionScan ?? KEYED_BUCKETS_EVICTION_SCAN;
    if (!Number.isSafeInteger(scan) || scan < 1) throw new RangeError(`keyed buckets examine at least one key per newcomer (evictionScan ${scan})`);
    this.maxKeys = options.maxKeys;
    this.evictionScan = scan;
    this.perKey = tokenBucketSpec(options.perKey);
    this.globalSpec = options.global === undefined ? undefined : tokenBucketSpec(options.global);
    this.pinnedBy = options.pinned;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The key's entry if it has one, without counting as a use. */
  get(key: string): KeyedEntry<S> | undefined {
    return this.entries.get(key);
  }

  /**
   * The key's entry at `now`, made (full) when it has none and there is room or room can be made;
   * counts as a use. Takes no token: for a policy that works on the bucket itself.
   */
  admit(key: string, now: number): KeyedAdmission<S> {
    const entry = this.use(key, now);
    return typeof entry === 'number' ? { ok: false, limit: 'keys', retryAfterMs: entry } : { ok: true, entry };
  }

  /** Takes `n` tokens (default 1) for `key` from its bucket and the shared one, or none at all. */
  take(key: string, now: number, n = 1): KeyedTake {
    const entry = this.use(key, now);
    if (typeof entry === 'number') return { ok: false, limit: 'keys', retryAfterMs: entry };
    const own = entry.bucket;
    if (this.globalSpec === undefined) {
      const wait = own.takeOrWait(n, now);
      return wait === 0 ? TAKEN : { ok: false, limit: 'key', retryAfterMs: wait };
    }
    const ownWait = own.timeUntil(n, now);
    if (ownWait > 0) return { ok: false, limit: 'key', retryAfterMs: ownWait };
    this.globalBucket ??= new TokenBucket(this.globalSpec, now);
    const globalWait = this.globalBucket.takeOrWait(n, now);
    if (globalWait > 0) return { ok: false, limit: 'global', retryAfterMs: globalWait };
    own.take(n, now);
    return TAKEN;
  }

  /** Forgets a key, its bucket and its policy state. */
  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Forgets every key that is not pinned and whose bucket is full (housekeeping); how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (this.forgettable(entry, now)) {
        this.entries.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  /** The key's entry, moved to the most recently used end, or how long a refused newcomer waits. */
  private use(key: string, now: number): KeyedEntry<S> | number {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      const wait = this.makeRoom(now);
      if (wait !== undefined) return wait;
      entry = { bucket: new TokenBucket(this.perKey, now), state: undefined };
    }
    this.entries.set(key, entry);
    return entry;
  }

  private pinned(entry: KeyedEntry<S>): boolean {
    return entry.state !== undefined && this.pinnedBy !== undefined && this.pinnedBy(entry.state);
  }

  private forgettable(entry: KeyedEntry<S>, now: number): boolean {
    return !this.pinned(entry) && entry.bucket.isFull(now);
  }

  /** Makes room for one more key: undefined when there is room, else how long the newcomer should wait. */
  private makeRoom(now: number): number | undefined {
    if (this.entries.size < this.maxKeys) return undefined;
    let candidate: string | undefined;
    let soonest = Number.POSITIVE_INFINITY;
    const limited: Array<[string, KeyedEntry<S>]> = [];
    let scanned = 0;
    for (const [key, entry] of this.entries) {
      if (scanned >= this.evictionScan) break;
      scanned += 1;
      if (this.forgettable(entry, now)) {
        this.entries.delete(key);
        continue;
      }
      const pinned = this.pinned(entry);
      const wait = pinned ? Number.POSITIVE_INFINITY : entry.bucket.timeUntil(1, now);
      if (wait > 0) {
        limited.push([key, entry]);
        soonest = Math.min(soonest, wait);
      } else {
        candidate ??= key;
      }
    }
    // The limited keys examined go to the back: the next newcomer examines others.
    for (const [key, entry] of limited) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    if (this.entries.size < this.maxKeys) return undefined;
    if (candidate !== undefined) {
      this.entries.delete(candidate);
      return undefined;
    }
    return Number.isFinite(soonest) ? soonest : KEYED_BUCKETS_PINNED_RETRY_MS;
  }
}
