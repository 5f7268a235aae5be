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
//
// The bucket arithmetic and the bound on node-ids held are kernel/util's; the flood rule is here.
import { KeyedBuckets } from '../util/keyed-buckets.js';

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

/** The flood bookkeeping kept beside a node-id's bucket. */
interface FloodState {
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
  /**
   * The buckets (kernel/util/keyed-buckets.ts). A peer in a flood or dropped is pinned: a flood
   * of new node-ids never pushes it out, so it cannot escape its flood count or its drop that way.
   */
  private readonly buckets: KeyedBuckets<FloodState>;

  constructor(options: RateLimiterOptions = {}) {
    this.messagesPerSecond = options.messagesPerSecond ?? RATE_LIMIT_MESSAGES_PER_SECOND;
    this.burst = options.burst ?? RATE_LIMIT_BURST;
    this.floodMaxMs = options.floodMaxMs ?? RATE_LIMIT_FLOOD_MAX_MS;
    this.floodMaxDenials = options.floodMaxDenials ?? RATE_LIMIT_FLOOD_MAX_DENIALS;
    this.maxBuckets = Math.max(1, Math.floor(options.maxBuckets ?? RATE_LIMIT_MAX_BUCKETS));
    if (!(this.messagesPerSecond > 0) || !(this.burst >= 1)) throw new RangeError('a rate limiter needs a positive rate and a burst of at least 1');
    this.buckets = new KeyedBuckets<FloodState>({
      perKey: { capacity: this.burst, perSecond: this.messagesPerSecond },
      maxKeys: this.maxBuckets,
      evictionScan: RATE_LIMIT_EVICTION_SCAN,
      pinned: (flood) => flood.dropped !== null || flood.floodSince !== null,
    });
  }

  /** Asks to accept `cost` messages (default 1, whole messages) from `nodeId` at time `now` (ms). */
  take(nodeId: string, now: number, cost = 1): RateDecision {
    const need = Math.min(Math.max(Math.ceil(cost), 0), Math.floor(this.burst));
    const admitted = this.buckets.admit(nodeId, now);
    // Every node-id held is limited right now: this new one waits for one of them to calm down.
    if (!admitted.ok) return { verdict: 'slow', waitMs: Math.max(1, admitted.retryAfterMs) };
    const { bucket } = admitted.entry;
    const flood = (admitted.entry.state ??= { floodSince: null, denials: 0, dropped: null });
    if (flood.dropped !== null) return { verdict: 'drop', reason: flood.dropped };

    if (flood.floodSince !== null && bucket.tokens(now) >= this.burst * RATE_LIMIT_RECOVERY_FRACTION) {
      flood.floodSince = null;
      flood.denials = 0;
    }
    if (bucket.take(need, now)) return ALLOWED;

    // The bucket's own time never runs backwards, so a clock step back cannot fake a long flood.
    const at = bucket.updatedAt;
    flood.floodSince ??= at;
    flood.denials += 1;
    const floodMs = Math.max(0, at - flood.floodSince);
    if (floodMs >= this.floodMaxMs) {
      flood.dropped = `sustained flood: over ${this.messagesPerSecond} messages/s for ${floodMs} ms`;
    } else if (flood.denials > this.floodMaxDenials) {
      flood.dropped = `sustained flood: ${flood.denials} messages refused over ${this.messagesPerSecond}/s`;
    }
    if (flood.dropped !== null) return { verdict: 'drop', reason: flood.dropped };
    return { verdict: 'slow', waitMs: bucket.timeUntil(need, now) };
  }

  /** Forgets a node-id: a dropped peer may start again (call when its session is gone for good). */
  reset(nodeId: string): void {
    this.buckets.delete(nodeId);
  }

  /** True when `nodeId` is in the dropped state. */
  isDropped(nodeId: string): boolean {
    return (this.buckets.get(nodeId)?.state?.dropped ?? null) !== null;
  }

  get size(): number {
    return this.buckets.size;
  }

  /**
   * Removes every bucket that is idle: refilled to the full burst, not flooding, not dropped.
   * Such a bucket behaves exactly like a fresh one, so forgetting it changes nothing.
   */
  sweep(now: number): number {
    return this.buckets.sweep(now);
  }
}
