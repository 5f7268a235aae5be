// How many work messages the scheduler may send a PNode now: one token bucket per PNode (rate and
// burst from work-profile.ts), so tasks and module chunks never push a PNode's session past its
// per-node-id rate limit. The buckets are kernel/util's keyed buckets; full ones are forgotten
// now and then (a full bucket is just like a new one).
import { KeyedBuckets } from '../../../kernel/util/keyed-buckets.js';
import { WORK_MESSAGES_BURST, WORK_MESSAGES_PER_SECOND } from './work-profile.js';

/** How often full buckets are forgotten. */
const SWEEP_INTERVAL_MS = 60_000;
/** PNodes with a bucket at most: above the 50,000 PNodes one orchestrator is built to serve. */
export const SEND_BUDGET_MAX_PNODES = 65_536;

export class SendBudget {
  private readonly buckets: KeyedBuckets;
  private lastSweep = 0;

  constructor(
    readonly perSecond: number = WORK_MESSAGES_PER_SECOND,
    readonly burst: number = WORK_MESSAGES_BURST,
  ) {
    this.buckets = new KeyedBuckets({ perKey: { capacity: burst, perSecond }, maxKeys: SEND_BUDGET_MAX_PNODES });
  }

  /** Whole messages that may go now. */
  available(nodeId: string, now: number): number {
    const admitted = this.buckets.admit(nodeId, now);
    return admitted.ok ? admitted.entry.bucket.available(now) : 0;
  }

  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(nodeId: string, now: number): boolean {
    this.sweep(now);
    return this.buckets.take(nodeId, now).ok;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    this.buckets.sweep(now);
  }
}
