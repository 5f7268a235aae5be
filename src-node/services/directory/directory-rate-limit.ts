// Token buckets for the seed directory's rate limits (per client IP, per publisher node-id), with
// bounded memory: at most `maxKeys` buckets, kept in least-recently-used order; when full, idle
// buckets (refilled to the burst, so forgetting them changes nothing) go first, then the least
// recently used one.

export interface TokenBucketOptions {
  /** Sustained rate, tokens per second. */
  readonly perSecond: number;
  /** Tokens available at once after a quiet spell. */
  readonly burst: number;
  readonly maxKeys: number;
}

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const OK: TakeResult = Object.freeze({ ok: true });
/** When full, at most this many least-recently-used buckets are examined for idle ones. */
export const BUCKET_EVICTION_SCAN = 64;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly options: TokenBucketOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1) || !(options.maxKeys >= 1)) {
      throw new RangeError('token buckets need a positive rate, a burst of at least 1 and room for one key');
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key` at `now` (ms), or says how long until one is there. */
  take(key: string, now: number): TakeResult {
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else {
      this.makeRoom(now);
      bucket = { tokens: this.options.burst, updatedAt: now };
    }
    this.buckets.set(key, bucket);
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (elapsed * this.options.perSecond) / 1000);
    bucket.updatedAt = Math.max(bucket.updatedAt, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return OK;
    }
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / this.options.perSecond)) };
  }

  /** Forgets idle buckets (periodic housekeeping). */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, bucket] of this.buckets) {
      if (this.isIdle(bucket, now)) {
        this.buckets.delete(key);
        removed++;
      }
    }
    return removed;
  }

  private isIdle(bucket: Bucket, now: number): boolean {
    return bucket.tokens + (Math.max(0, now - bucket.updatedAt) * this.options.perSecond) / 1000 >= this.options.burst;
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.options.maxKeys) return;
    let scanned = 0;
    for (const [key, bucket] of this.buckets) {
      if (scanned++ >= BUCKET_EVICTION_SCAN) break;
      if (this.isIdle(bucket, now)) this.buckets.delete(key);
    }
    while (this.buckets.size >= this.options.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
