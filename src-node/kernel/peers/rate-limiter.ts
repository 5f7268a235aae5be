// Rate limiting and backpressure per node-id (DESIGN.md §5: "messages per second per node-id";
// spec digest §f: per node-id, not per participant or nym). One token bucket per node-id.
//
// `take` answers:
// - allowed: go on;
// - slow:    the bucket is empty; stop reading from this peer for `waitMs` (pause the socket),
//            then take again;
// - drop:    the peer kept exceeding its rate for too long (a sustained flood); close its session.
//            The answer stays `drop` for that node-id until `reset(nodeId)`.
//
// A flood starts with the first refused message and ends when the peer has been quiet long
// enough for its bucket to refill to RATE_LIMIT_RECOVERY_FRACTION of the burst. A flood that lasts
// RATE_LIMIT_FLOOD_MAX_MS, or that has RATE_LIMIT_FLOOD_MAX_DENIALS messages refused, drops the peer.
// The first catches a peer that keeps pushing at a steady rate above its share while we pause it;
// the second catches a peer that keeps sending while we are not reading as fast (messages that
// arrive anyway are each refused).

/** Sustained message rate per node-id. Keepalive, heartbeats and gossip need well under 1/s. */
export const RATE_LIMIT_MESSAGES_PER_SECOND = 20;
/** Messages a peer may send at once after being quiet. */
export const RATE_LIMIT_BURST = 40;
/** A flood lasting this long drops the peer. */
export const RATE_LIMIT_FLOOD_MAX_MS = 10_000;
/** Refused messages one flood may have; the next one drops the peer. */
export const RATE_LIMIT_FLOOD_MAX_DENIALS = 200;
/** Share of the burst the bucket must refill to for a flood to count as over. */
export const RATE_LIMIT_RECOVERY_FRACTION = 0.5;
/** Buckets kept at most (an orchestrator serves 10,000 PNodes, DESIGN.md §9). */
export const RATE_LIMIT_MAX_BUCKETS = 16_384;
/** When full, at most this many of the least recently used buckets are examined per new node-id. */
export const RATE_LIMIT_EVICTION_SCAN = 64;

export type RateDecision =
  | { readonly verdict: 'allowed' }
  | { readonly verdict: 'slow'; readonly waitMs: number }
  | { readonly verdict: 'drop'; readonly reason: string };

export interface RateLimiterOptions {
  readonly messagesPerSecond?: number;
  readonly burst?: number;
  readonly floodMaxMs?: number;
  readonly floodMaxDenials?: number;
  readonly maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  floodSince: number | null;
  denials: number;
  dropped: string | null;
}

const ALLOWED: RateDecision = Object.freeze({ verdict: 'allowed' });

export class PeerRateLimiter {
  readonly messagesPerSecond: number;
  readonly burst: number;
  readonly floodMaxMs: number;
  readonly floodMaxDenials: number;
  readonly maxBuckets: number;
  /** In least-recently-used order: every take moves its bucket to the end. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions = {}) {
    this.messagesPerSecond = options.messagesPerSecond ?? RATE_LIMIT_MESSAGES_PER_SECOND;
    this.burst = options.burst ?? RATE_LIMIT_BURST;
    this.floodMaxMs = options.floodMaxMs ?? RATE_LIMIT_FLOOD_MAX_MS;
    this.floodMaxDenials = options.floodMaxDenials ?? RATE_LIMIT_FLOOD_MAX_DENIALS;
    this.maxBuckets = Math.max(1, options.maxBuckets ?? RATE_LIMIT_MAX_BUCKETS);
    if (!(this.messagesPerSecond > 0) || !(this.burst >= 1)) throw new RangeError('a rate limiter needs a positive rate and a burst of at least 1');
  }

  /** Asks to accept `cost` messages (default 1) from `nodeId` at time `now` (ms). */
  take(nodeId: string, now: number, cost = 1): RateDecision {
    const need = Math.min(Math.max(cost, 0), this.burst);
    let bucket = this.buckets.get(nodeId);
    if (bucket) {
      this.buckets.delete(nodeId);
    } else {
      this.makeRoom(now);
      bucket = { tokens: this.burst, updatedAt: now, floodSince: null, denials: 0, dropped: null };
    }
    this.buckets.set(nodeId, bucket);
    if (bucket.dropped !== null) return { verdict: 'drop', reason: bucket.dropped };

    this.refill(bucket, now);
    if (bucket.floodSince !== null && bucket.tokens >= this.burst * RATE_LIMIT_RECOVERY_FRACTION) {
      bucket.floodSince = null;
      bucket.denials = 0;
    }
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return ALLOWED;
    }

    // The bucket's own time never runs backwards, so a clock step back cannot fake a long flood.
    const at = bucket.updatedAt;
    bucket.floodSince ??= at;
    bucket.denials += 1;
    const floodMs = Math.max(0, at - bucket.floodSince);
    if (floodMs >= this.floodMaxMs) {
      bucket.dropped = `sustained flood: over ${this.messagesPerSecond} messages/s for ${floodMs} ms`;
    } else if (bucket.denials > this.floodMaxDenials) {
      bucket.dropped = `sustained flood: ${bucket.denials} messages refused over ${this.messagesPerSecond}/s`;
    }
    if (bucket.dropped !== null) return { verdict: 'drop', reason: bucket.dropped };
    const waitMs = Math.max(1, Math.ceil(((need - bucket.tokens) * 1000) / this.messagesPerSecond));
    return { verdict: 'slow', waitMs };
  }

  /** Forgets a node-id: a dropped peer may start again (call when its session is gone for good). */
  reset(nodeId: string): void {
    this.buckets.delete(nodeId);
  }

  /** True when `nodeId` is in the dropped state. */
  isDropped(nodeId: string): boolean {
    return (this.buckets.get(nodeId)?.dropped ?? null) !== null;
  }

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Removes every bucket that is idle: refilled to the full burst, not flooding, not dropped.
   * Such a bucket behaves exactly like a fresh one, so forgetting it changes nothing.
   */
  sweep(now: number): number {
    let removed = 0;
    for (const [id, bucket] of this.buckets) {
      if (this.isIdle(bucket, now)) {
        this.buckets.delete(id);
        removed += 1;
      }
    }
    return removed;
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.messagesPerSecond) / 1000);
    bucket.updatedAt = Math.max(bucket.updatedAt, now);
  }

  private isIdle(bucket: Bucket, now: number): boolean {
    if (bucket.dropped !== null) return false;
    const elapsed = Math.max(0, now - bucket.updatedAt);
    return bucket.tokens + (elapsed * this.messagesPerSecond) / 1000 >= this.burst;
  }

  /**
   * Keeps the map under maxBuckets: first drops idle buckets among the least recently used
   * (losing nothing), and only if none is idle, the least recently used bucket itself (that peer
   * then gets a fresh burst; the price of a bound).
   */
  private makeRoom(now: number): void {
    if (this.buckets.size < this.maxBuckets) return;
    let scanned = 0;
    for (const [id, bucket] of this.buckets) {
      if (scanned >= RATE_LIMIT_EVICTION_SCAN) break;
      scanned += 1;
      if (this.isIdle(bucket, now)) this.buckets.delete(id);
    }
    while (this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
