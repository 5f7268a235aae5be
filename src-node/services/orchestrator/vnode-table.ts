// The orchestrator's VNodes (issue 5 §3): reservations of (cores, memory MB) with a lifecycle.
// Orchestrator side:  pending → offered → allocated → running → released | failed
//   pending    wanted, not placed (new, or taken back from a PNode to be placed again)
//   offered    vnode-allocate sent to a PNode, no answer yet (its resources count as used)
//   allocated  the PNode accepted
//   running    the PNode reported it running (vnode-status)
//   released   ended on request (admin API); final
//   failed     given up after MAX_VNODE_FAILURES failures on PNodes; final
// A VNode id is made by this orchestrator and owned by it for the VNode's whole life: it is never
// handed to another orchestrator (the no-double-ownership rule, see orchestrator.ts).
import { newId } from '../../../src-shared/protocol/ids.js';

export type VNodeRecordState = 'pending' | 'offered' | 'allocated' | 'running' | 'released' | 'failed';
export const VNODE_RECORD_STATES: readonly VNodeRecordState[] = ['pending', 'offered', 'allocated', 'running', 'released', 'failed'];

/** A VNode that failed on this many PNodes is given up. */
export const MAX_VNODE_FAILURES = 5;
/** VNodes one orchestrator keeps at most (ended ones included until purged). */
export const MAX_VNODES = 100_000;

export interface VNodeRecord {
  readonly id: string;
  readonly cores: number;
  readonly memoryMb: number;
  state: VNodeRecordState;
  /** The PNode it is offered to, allocated on or running on; null otherwise. */
  pnode: string | null;
  readonly createdAt: number;
  updatedAt: number;
  /** Times it was offered to a PNode. */
  placements: number;
  /** Times it was taken back from a PNode (lease ended, released or failed there). */
  moves: number;
  failures: number;
  /** The outstanding vnode-allocate, while offered. */
  offer: { readonly reqId: string; readonly at: number } | null;
  /** PNodes that refused it (or did not answer), and until when they are skipped. */
  readonly refusedBy: Map<string, number>;
  lastReason: string | null;
}

export function isHeld(record: VNodeRecord): boolean {
  return record.state === 'offered' || record.state === 'allocated' || record.state === 'running';
}

export class VNodeTable {
  private readonly records = new Map<string, VNodeRecord>();
  private readonly byRequest = new Map<string, string>();
  private pendingCount = 0;

  get size(): number {
    return this.records.size;
  }

  get pending(): number {
    return this.pendingCount;
  }

  create(cores: number, memoryMb: number, now: number): VNodeRecord {
    const record: VNodeRecord = {
      id: newId('vn', now),
      cores,
      memoryMb,
      state: 'pending',
      pnode: null,
      createdAt: now,
      updatedAt: now,
      placements: 0,
      moves: 0,
      failures: 0,
      offer: null,
      refusedBy: new Map(),
      lastReason: null,
    };
    this.records.set(record.id, record);
    this.pendingCount++;
    return record;
  }

  get(id: string): VNodeRecord | undefined {
    return this.records.get(id);
  }

  all(): IterableIterator<VNodeRecord> {
    return this.records.values();
  }

  /** The VNode an allocate request was about. */
  byRequestId(reqId: string): VNodeRecord | undefined {
    const id = this.byRequest.get(reqId);
    return id === undefined ? undefined : this.records.get(id);
  }

  pendingRecords(): VNodeRecord[] {
    const out: VNodeRecord[] = [];
    for (const record of this.records.values()) if (record.state === 'pending') out.push(record);
    return out;
  }

  countByState(): Record<VNodeRecordState, number> {
    const counts = Object.fromEntries(VNODE_RECORD_STATES.map((s) => [s, 0])) as Record<VNodeRecordState, number>;
    for (const record of this.records.values()) counts[record.state]++;
    return counts;
  }

  private setState(record: VNodeRecord, state: VNodeRecordState, now: number): void {
    if (record.state === 'pending') this.pendingCount--;
    if (state === 'pending') this.pendingCount++;
    if (record.offer) {
      this.byRequest.delete(record.offer.reqId);
      record.offer = null;
    }
    record.state = state;
    record.updatedAt = now;
  }

  offer(record: VNodeRecord, pnode: string, reqId: string, now: number): void {
    this.setState(record, 'offered', now);
    record.pnode = pnode;
    record.offer = { reqId, at: now };
    record.placements++;
    this.byRequest.set(reqId, record.id);
  }

  allocated(record: VNodeRecord, now: number): void {
    this.setState(record, 'allocated', now);
  }

  running(record: VNodeRecord, now: number): void {
    this.setState(record, 'running', now);
  }

  /** Takes it back from its PNode to be placed again (or gives it up after too many failures). */
  /** `move: false` for an offer that never took (refused, unanswered): the VNode did not move. */
  takeBack(record: VNodeRecord, reason: string, now: number, options: { failed?: boolean; skipPnodeMs?: number; move?: boolean } = {}): void {
    const pnode = record.pnode;
    if (pnode !== null && options.skipPnodeMs !== undefined) record.refusedBy.set(pnode, now + options.skipPnodeMs);
    if (options.failed) record.failures++;
    if (options.move !== false) record.moves++;
    record.lastReason = reason;
    record.pnode = null;
    this.setState(record, record.failures >= MAX_VNODE_FAILURES ? 'failed' : 'pending', now);
  }

  /** Ends it for good (released on request). */
  end(record: VNodeRecord, state: 'released' | 'failed', reason: string, now: number): void {
    record.lastReason = reason;
    record.pnode = null;
    this.setState(record, state, now);
  }

  /** Drops ended records last updated before `before`. */
  purgeEnded(before: number): number {
    let purged = 0;
    for (const record of this.records.values()) {
      if ((record.state === 'released' || record.state === 'failed') && record.updatedAt < before) {
        this.records.delete(record.id);
        purged++;
      }
    }
    return purged;
  }
}
