import { describe, expect, it } from 'vitest';
import { VNodeReservations, ENDED_VNODE_VISIBLE_MS, type ReservationConditions } from './vnode-reservations.js';
import { MAX_VNODES_PER_PNODE } from '../../../src-shared/membership/membership-profile.js';

const A = 'node:did:key:z6MkA';
const B = 'node:did:key:z6MkB';
const ready: ReservationConditions = { primary: A, contributing: true, offer: { cores: 2, 'memory-mb': 1_024 } };
const req = (vnodeId: string, from = A, cores = 1, memoryMb = 256) => ({ vnodeId, from, cores, memoryMb });

describe("the PNode's VNode reservations", () => {
  it('accepts from its primary only, while contributing, within its offer', () => {
    const host = new VNodeReservations();
    expect(host.decide(req('v1', B), ready)).toEqual({ accepted: false, reason: 'not-primary' });
    expect(host.decide(req('v1'), { ...ready, primary: null })).toEqual({ accepted: false, reason: 'not-primary' });
    expect(host.decide(req('v1'), { ...ready, contributing: false })).toEqual({ accepted: false, reason: 'not-contributing' });
    expect(host.decide(req('v1', A, 3), ready)).toEqual({ accepted: false, reason: 'exceeds-offer' });
    expect(host.decide(req('v1', A, 1, 2_000), ready)).toEqual({ accepted: false, reason: 'exceeds-offer' });
    expect(host.decide(req('v1'), ready)).toEqual({ accepted: true, duplicate: false });
    host.accept(req('v1'), 1);
    host.accept(req('v2'), 1);
    expect(host.decide(req('v3'), ready)).toEqual({ accepted: false, reason: 'exceeds-offer' });
  });

  it('treats a repeated allocation as the same one, and a clashing id as a duplicate', () => {
    const host = new VNodeReservations();
    host.accept(req('v1'), 1);
    expect(host.decide(req('v1'), ready)).toEqual({ accepted: true, duplicate: true });
    expect(host.decide(req('v1', A, 2), ready)).toEqual({ accepted: false, reason: 'duplicate' });
    expect(host.decide(req('v1', B), { ...ready, primary: B })).toEqual({ accepted: false, reason: 'duplicate' });
  });

  it(`holds at most ${MAX_VNODES_PER_PNODE}`, () => {
    const host = new VNodeReservations();
    const big = { ...ready, offer: { cores: 1_000, 'memory-mb': 1_000_000 } };
    for (let i = 0; i < MAX_VNODES_PER_PNODE; i++) host.accept(req(`v${i}`), 1);
    expect(host.decide(req('one-more'), big)).toEqual({ accepted: false, reason: 'limit' });
  });

  it('goes allocated → running → released, lists per orchestrator, and releases only what the asking orchestrator owns', () => {
    const host = new VNodeReservations();
    host.accept(req('v1'), 1);
    expect(host.listFor(A)).toEqual([{ 'vnode/id': 'v1', state: 'allocated' }]);
    host.start('v1', 2);
    expect(host.listFor(A)).toEqual([{ 'vnode/id': 'v1', state: 'running' }]);
    expect(host.listFor(B)).toEqual([]);
    expect(host.release('v1', 'asked', 3, B)).toBeUndefined();
    expect(host.release('v1', 'asked', 3, A)).toMatchObject({ state: 'released', reason: 'asked' });
    expect(host.size).toBe(0);
    expect(host.views(4)).toEqual([expect.objectContaining({ vnodeId: 'v1', state: 'released' })]);
    expect(host.views(3 + ENDED_VNODE_VISIBLE_MS)).toEqual([]);
  });

  it("drops one orchestrator's VNodes at once (failover), and the newest first when the limits shrink", () => {
    const host = new VNodeReservations();
    host.accept(req('a1'), 1);
    host.accept(req('a2'), 2);
    expect(host.owners()).toEqual(new Set([A]));
    expect(host.releaseAll(A, 'primary changed', 3).map((v) => v.vnodeId)).toEqual(['a1', 'a2']);
    expect(host.owners().size).toBe(0);
    host.accept(req('b1', B), 4);
    host.accept(req('b2', B), 5);
    expect(host.fitTo({ cores: 1, 'memory-mb': 1_024 }, 'limits lowered', 6).map((v) => v.vnodeId)).toEqual(['b2']);
    expect(host.used()).toEqual({ cores: 1, memoryMb: 256 });
  });
});
