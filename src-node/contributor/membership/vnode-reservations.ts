// The VNodes a PNode holds (issue 5 §3): reservations of (cores, memory MB) an orchestrator
// allocated here, with their lifecycle (allocated → running → released | failed). Running real
// work inside one is a later issue: a reservation starts "running" as soon as it is accepted.
// The PNode's side of the no-double-ownership rule lives here (see orchestrator/orchestrator.ts):
// it takes allocations only from its primary orchestrator, never beyond its offer, and drops an
// orchestrator's VNodes when that orchestrator stops being its primary or its lease runs out.
import type { VNodeView } from '../../../src-shared/control/state.js';
import type { VNodeRefusalReason, VNodeWireState } from '../../../src-shared/protocol/messages/membership-bodies.js';
import type { Offer } from '../../../src-shared/membership/descriptor.js';
import { MAX_VNODES_PER_PNODE } from '../../../src-shared/membership/membership-profile.js';

/** Ended VNodes stay visible to the UI this long. */
export const ENDED_VNODE_VISIBLE_MS = 60_000;
export const MAX_ENDED_VNODES_SHOWN = 16;

export interface HeldVNode {
  readonly vnodeId: string;
  readonly orchestrator: string;
  readonly cores: number;
  readonly memoryMb: number;
  state: 'allocated' | 'running' | 'released' | 'failed';
  since: number;
  reason: string | null;
}

export interface AllocationRequest {
  readonly vnodeId: string;
  readonly cores: number;
  readonly memoryMb: number;
  /** The orchestrator that asks. */
  readonly from: string;
}

export interface ReservationConditions {
  /** The PNode's primary orchestrator, or null when it has none. */
  readonly primary: string | null;
  readonly contributing: boolean;
  readonly offer: Offer;
}

export type AllocationDecision = { readonly accepted: true; readonly duplicate: boolean } | { readonly accepted: false; readonly reason: VNodeRefusalReason };

export class VNodeReservations {
  private readonly held = new Map<string, HeldVNode>();
  private ended: HeldVNode[] = [];

  /** The rules, in order: an idempotent repeat, primary only, contributing, count, offer. */
  decide(request: AllocationRequest, conditions: ReservationConditions): AllocationDecision {
    const existing = this.held.get(request.vnodeId);
    if (existing) {
      const same = existing.orchestrator === request.from && existing.cores === request.cores && existing.memoryMb === request.memoryMb;
      return same ? { accepted: true, duplicate: true } : { accepted: false, reason: 'duplicate' };
    }
    if (conditions.primary === null || request.from !== conditions.primary) return { accepted: false, reason: 'not-primary' };
    if (!conditions.contributing) return { accepted: false, reason: 'not-contributing' };
    if (this.held.size >= MAX_VNODES_PER_PNODE) return { accepted: false, reason: 'limit' };
    const used = this.used();
    if (used.cores + request.cores > conditions.offer.cores || used.memoryMb + request.memoryMb > conditions.offer['memory-mb']) {
      return { accepted: false, reason: 'exceeds-offer' };
    }
    return { accepted: true, duplicate: false };
  }

  /** Takes an accepted allocation. */
  accept(request: AllocationRequest, now: number): HeldVNode {
    const vnode: HeldVNode = { vnodeId: request.vnodeId, orchestrator: request.from, cores: request.cores, memoryMb: request.memoryMb, state: 'allocated', since: now, reason: null };
    this.held.set(vnode.vnodeId, vnode);
    return vnode;
  }

  /** allocated → running. */
  start(vnodeId: string, now: number): HeldVNode | undefined {
    const vnode = this.held.get(vnodeId);
    if (!vnode || vnode.state !== 'allocated') return undefined;
    vnode.state = 'running';
    vnode.since = now;
    return vnode;
  }

  get(vnodeId: string): HeldVNode | undefined {
    return this.held.get(vnodeId);
  }

  /** Ends one VNode; undefined when it is not held (or held for another orchestrator, when `from` is given). */
  release(vnodeId: string, reason: string, now: number, from?: string, state: 'released' | 'failed' = 'released'): HeldVNode | undefined {
    const vnode = this.held.get(vnodeId);
    if (!vnode || (from !== undefined && vnode.orchestrator !== from)) return undefined;
    this.held.delete(vnodeId);
    vnode.state = state;
    vnode.since = now;
    vnode.reason = reason;
    this.ended.push(vnode);
    if (this.ended.length > MAX_ENDED_VNODES_SHOWN) this.ended.shift();
    return vnode;
  }

  /** Ends every VNode of one orchestrator (or all, when null is given). */
  releaseAll(orchestrator: string | null, reason: string, now: number): HeldVNode[] {
    const out: HeldVNode[] = [];
    for (const vnode of [...this.held.values()]) {
      if (orchestrator !== null && vnode.orchestrator !== orchestrator) continue;
      const released = this.release(vnode.vnodeId, reason, now);
      if (released) out.push(released);
    }
    return out;
  }

  /** Releases the newest VNodes until what is held fits the offer again (the volunteer lowered a limit). */
  fitTo(offer: Offer, reason: string, now: number): HeldVNode[] {
    const out: HeldVNode[] = [];
    const newestFirst = [...this.held.values()].reverse();
    for (const vnode of newestFirst) {
      const used = this.used();
      if (used.cores <= offer.cores && used.memoryMb <= offer['memory-mb']) break;
      const released = this.release(vnode.vnodeId, reason, now);
      if (released) out.push(released);
    }
    return out;
  }

  used(): { cores: number; memoryMb: number } {
    let cores = 0;
    let memoryMb = 0;
    for (const vnode of this.held.values()) {
      cores += vnode.cores;
      memoryMb += vnode.memoryMb;
    }
    return { cores, memoryMb };
  }

  /** What a heartbeat to `orchestrator` lists: that orchestrator's VNodes held here. */
  listFor(orchestrator: string): Array<{ 'vnode/id': string; state: VNodeWireState }> {
    const out: Array<{ 'vnode/id': string; state: VNodeWireState }> = [];
    for (const vnode of this.held.values()) if (vnode.orchestrator === orchestrator) out.push({ 'vnode/id': vnode.vnodeId, state: vnode.state });
    return out;
  }

  /** Orchestrators whose VNodes are held here (at most one, by the rules). */
  owners(): Set<string> {
    return new Set([...this.held.values()].map((v) => v.orchestrator));
  }

  get size(): number {
    return this.held.size;
  }

  views(now: number): VNodeView[] {
    this.ended = this.ended.filter((v) => now - v.since < ENDED_VNODE_VISIBLE_MS);
    return [...this.held.values(), ...this.ended].map((v) => ({
      vnodeId: v.vnodeId,
      orchestrator: v.orchestrator,
      cores: v.cores,
      memoryMb: v.memoryMb,
      state: v.state,
      pausedReason: v.reason,
      tasksDone: 0,
      cpuMsToday: 0,
      cpuMsTotal: 0,
      since: v.since,
    }));
  }
}
