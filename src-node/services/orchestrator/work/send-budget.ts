// How many work messages the scheduler may send a PNode now: one token bucket per PNode (rate and
// burst from work-profile.ts), so tasks and module chunks never push a PNode's session past its
// per-node-id rate limit. Buckets of PNodes not seen for a while are dropped.
import { WORK_MESSAGES_BURST, WORK_MESSAGES_PER_SECOND } from './work-profile.js';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle this long are full again anyway and are dropped. */
const IDLE_BUCKET_MS = 60_000;

export class SendBudget {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    readonly perSecond: number = WORK_MESSAGES_PER_SECOND,
    readonly burst: number = WORK_MESSAGES_BURST,
  ) {}

  private bucket(nodeId: string, now: number): Bucket {
    let bucket = this.buckets.get(nodeId);
    if (!bucket) {
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(nodeId, bucket);
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000);
      bucket.at = now;
    }
    return bucket;
  }

  /** Whole messages that may go now. */
  available(nodeId: string, now: number): number {
    return Math.floor(this.bucket(nodeId, now).tokens);
  }

  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(nodeId: string, now: number): boolean {
    this.sweep(now);
    const bucket = this.bucket(nodeId, now);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_BUCKET_MS) return;
    this.lastSweep = now;
    for (const [nodeId, bucket] of this.buckets) if (now - bucket.at > IDLE_BUCKET_MS) this.buckets.delete(nodeId);
  }
}
