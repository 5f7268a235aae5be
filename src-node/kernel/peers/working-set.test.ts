import { describe, expect, it } from 'vitest';
import { HOT_PEERS, MAX_LIVE_SESSIONS } from '../../../src-shared/protocol/profile.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import { type PeerRecord, newPeerRecord } from './peer-record.js';
import { scorePeer } from './score.js';
import { nodeIdFor } from '../../../tests/support/peers.js';
import { HOT_HYSTERESIS_POINTS, INBOUND_PROTECTED_BY_AGE, PROBE_MARGIN_POINTS, type SessionView, dialCandidates, planWorkingSet } from './working-set.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const id = nodeIdFor;

/** A peer with an endpoint whose score is set through its RTT (unknown RTT scores 50). */
function peer(n: number, rttMs: number | null = null, extra: Partial<PeerRecord> = {}): PeerRecord {
  return {
    ...newPeerRecord(id(n), 'gossip', NOW),
    endpoints: [{ url: `wss://peer-${n}.example/peer`, priority: 1, role: 'listener', origin: 'advertisement' }],
    rttSmoothedMs: rttMs,
    ...extra,
  };
}

const connectedPeer = (n: number, rttMs: number | null, extra: Partial<PeerRecord> = {}) =>
  peer(n, rttMs, { lifecycle: 'connected', temperature: 'warm', connectedSince: NOW, ...extra });

const out = (n: number): SessionView => ({ nodeId: id(n), state: 'connected', direction: 'outbound' });
const inb = (n: number): SessionView => ({ nodeId: id(n), state: 'connected', direction: 'inbound' });
const dialing = (n: number): SessionView => ({ nodeId: id(n), state: 'dialing', direction: 'outbound' });

describe('the working set', () => {
  it('uses the profile limits', () => {
    expect(HOT_PEERS).toBe(2);
    expect(MAX_LIVE_SESSIONS).toBe(4);
  });

  it(`dials the best candidates to fill HOT_PEERS (${HOT_PEERS}) from nothing`, () => {
    const records = [peer(1, 400), peer(2, 20), peer(3, 100), peer(4, 900)];
    const plan = planWorkingSet({ records, sessions: [], now: NOW });
    expect(plan.dial.map((d) => d.nodeId)).toEqual([id(2), id(3)]);
    expect(plan.dial.every((d) => !d.probe)).toBe(true);
    expect(plan.hot).toEqual([]);
    expect(plan.close).toEqual([]);
  });

  it('counts dials in progress towards the hot set', () => {
    const records = [peer(1, 20), peer(2, 30), peer(3, 40)];
    const plan = planWorkingSet({ records, sessions: [dialing(1)], now: NOW });
    expect(plan.dial.map((d) => d.nodeId)).toEqual([id(2)]);
  });

  it('does not dial blocked, cooling, live, endpoint-less or disallowed peers', () => {
    const records = [
      peer(1, 10, { block: { reason: 'x', until: null, automatic: false, since: NOW }, lifecycle: 'blocked', temperature: 'blocked' }),
      peer(2, 10, { cooldownUntil: NOW + 1, lifecycle: 'cooldown' }),
      peer(3, 10, { lifecycle: 'dialing' }),
      peer(4, 10, { endpoints: [] }),
      peer(5, 10),
      peer(6, 500),
      peer(7, 600),
    ];
    const plan = planWorkingSet({ records, sessions: [], now: NOW, isAllowed: (n) => n !== id(5) });
    expect(plan.dial.map((d) => d.nodeId)).toEqual([id(6), id(7)]);
  });

  it('dials a peer again once its block or cooldown has expired', () => {
    const records = [
      peer(1, 10, { block: { reason: 'x', until: NOW, automatic: true, since: NOW - 5 }, lifecycle: 'blocked', temperature: 'blocked' }),
      peer(2, 10, { cooldownUntil: NOW, lifecycle: 'cooldown' }),
    ];
    expect(planWorkingSet({ records, sessions: [], now: NOW }).dial.map((d) => d.nodeId).sort()).toEqual([id(1), id(2)].sort());
  });

  it('lists endpoints in the order to try them', () => {
    const record = peer(1, 10, {
      endpoints: [
        { url: 'wss://second.example', priority: 5, role: 'listener', origin: 'advertisement' },
        { url: 'wss://first.example', priority: 0, role: 'listener', origin: 'seed' },
      ],
    });
    const [action] = planWorkingSet({ records: [record], sessions: [], now: NOW }).dial;
    expect(action?.endpoints.map((e) => e.url)).toEqual(['wss://first.example', 'wss://second.example']);
  });

  it('makes the best connected peers hot and the rest warm', () => {
    const records = [connectedPeer(1, 400), connectedPeer(2, 20), connectedPeer(3, 100)];
    const plan = planWorkingSet({ records, sessions: [out(1), out(2), out(3)], now: NOW });
    expect(plan.hot).toEqual([id(2), id(3)]);
    expect(plan.warm).toEqual([id(1)]);
    expect(plan.dial).toEqual([]);
    expect(plan.close).toEqual([]);
  });

  it(`keeps a hot peer hot unless a challenger beats it by more than HOT_HYSTERESIS_POINTS (${HOT_HYSTERESIS_POINTS})`, () => {
    const incumbent = connectedPeer(1, 300, { temperature: 'hot' });
    const base = scorePeer(incumbent, NOW);
    const other = connectedPeer(3, 10, { temperature: 'hot' });
    // Find RTTs for challengers scoring exactly +HOT_HYSTERESIS_POINTS and +HOT_HYSTERESIS_POINTS+1.
    const rttFor = (target: number) => {
      for (let rtt = 300; rtt >= 0; rtt--) if (scorePeer(connectedPeer(2, rtt), NOW) >= target) return rtt;
      throw new Error('no rtt reaches the target');
    };
    const close = connectedPeer(2, rttFor(base + HOT_HYSTERESIS_POINTS));
    expect(scorePeer(close, NOW)).toBe(base + HOT_HYSTERESIS_POINTS);
    const sessions = [out(1), out(2), out(3)];
    expect(planWorkingSet({ records: [incumbent, close, other], sessions, now: NOW }).hot).toContain(id(1));
    const better = connectedPeer(2, rttFor(base + HOT_HYSTERESIS_POINTS + 1));
    const plan = planWorkingSet({ records: [incumbent, better, other], sessions, now: NOW });
    expect(plan.hot).toContain(id(2));
    expect(plan.warm).toEqual([id(1)]);
  });

  it(`closes nothing at MAX_LIVE_SESSIONS (${MAX_LIVE_SESSIONS}) live sessions`, () => {
    const records = [1, 2, 3, 4].map((n) => connectedPeer(n, n * 100));
    const plan = planWorkingSet({ records, sessions: [out(1), out(2), out(3), out(4)], now: NOW });
    expect(plan.close).toEqual([]);
    expect(plan.dial).toEqual([]);
  });

  it('closes the lowest-scoring warm outbound session when over the limit, inbound after outbound', () => {
    // 1 and 2 hot; 3 outbound (score higher than 4 and 5); 4 inbound with the lowest score; 5 outbound.
    const records = [connectedPeer(1, 10), connectedPeer(2, 20), connectedPeer(3, 300), connectedPeer(4, 2_000), connectedPeer(5, 900)];
    const plan = planWorkingSet({ records, sessions: [out(1), out(2), out(3), inb(4), out(5)], now: NOW });
    expect(plan.close).toEqual([{ nodeId: id(5), reason: 'over-limit' }]);
    expect(plan.hot).toEqual([id(1), id(2)]);
    expect(plan.warm).toEqual([id(3), id(4)]);

    const twoOver = planWorkingSet({ records: [...records, connectedPeer(6, 50)], sessions: [out(1), out(2), out(3), inb(4), out(5), inb(6)], now: NOW });
    expect(twoOver.close).toEqual([
      { nodeId: id(5), reason: 'over-limit' },
      { nodeId: id(3), reason: 'over-limit' },
    ]);
  });

  it('cancels dials in progress before closing sessions when over the limit', () => {
    const records = [connectedPeer(1, 10), connectedPeer(2, 20), connectedPeer(3, 900), connectedPeer(4, 900), peer(5, 5)];
    const plan = planWorkingSet({ records, sessions: [out(1), out(2), out(3), out(4), dialing(5)], now: NOW });
    expect(plan.close).toEqual([{ nodeId: id(5), reason: 'over-limit' }]);
  });

  it('closes the weakest of an inbound-only crowd for the limit; none of them is hot', () => {
    const records = [1, 2, 3, 4, 5, 6].map((n) => connectedPeer(n, n * 100));
    const plan = planWorkingSet({ records, sessions: [1, 2, 3, 4, 5, 6].map(inb), now: NOW });
    expect(plan.hot).toEqual([]);
    expect(plan.close.map((c) => c.nodeId)).toEqual([id(6), id(5)]);
  });

  it(`keeps the ${INBOUND_PROTECTED_BY_AGE} longest-connected inbound session whatever newcomers arrive, however they score`, () => {
    // Peer 1 talked to us first and scores worst; peers 2…9 are a burst of fresh identities.
    const records = [connectedPeer(1, 900), ...[2, 3, 4, 5, 6, 7, 8, 9].map((n) => connectedPeer(n, 5))];
    const sessions = [{ ...inb(1), connectedAt: NOW - 60_000 }, ...[2, 3, 4, 5, 6, 7, 8, 9].map((n) => ({ ...inb(n), connectedAt: NOW - 10 + n }))];
    const plan = planWorkingSet({ records, sessions, now: NOW });
    expect(plan.close).toHaveLength(9 - MAX_LIVE_SESSIONS);
    expect(plan.close.map((c) => c.nodeId)).not.toContain(id(1));
    // Making room for peers it chose spares it too.
    const tried = [peer(20, 300, { verifiedAt: NOW - 1, successes: 1 }), peer(21, 300, { verifiedAt: NOW - 1, successes: 1 })];
    const room = planWorkingSet({ records: [...records, ...tried], sessions: sessions.slice(0, MAX_LIVE_SESSIONS), now: NOW });
    expect(room.dial.length).toBeGreaterThan(0);
    expect(room.close.map((c) => c.nodeId)).not.toContain(id(1));
  });

  it('never closes a hot session for the limit', () => {
    const records = [1, 2, 3, 4, 5, 6].map((n) => connectedPeer(n, n * 100));
    const plan = planWorkingSet({ records, sessions: [out(5), out(6), inb(1), inb(2), inb(3), inb(4)], now: NOW });
    expect(plan.hot).toEqual([id(5), id(6)]);
    expect(plan.close.map((c) => c.nodeId)).toEqual([id(4), id(3)]);
  });

  it('closes sessions with blocked and disallowed peers first', () => {
    const blocked = connectedPeer(1, 10, { block: { reason: 'x', until: null, automatic: false, since: NOW }, lifecycle: 'blocked', temperature: 'blocked' });
    const records = [blocked, connectedPeer(2, 10), connectedPeer(3, 10)];
    const plan = planWorkingSet({ records, sessions: [out(1), out(2), inb(3)], now: NOW, isAllowed: (n) => n !== id(3) });
    expect(plan.close).toEqual([
      { nodeId: id(1), reason: 'blocked' },
      { nodeId: id(3), reason: 'not-allowed' },
    ]);
    expect(plan.hot).toEqual([id(2)]);
  });

  it(`probes one candidate better than the weakest hot peer by PROBE_MARGIN_POINTS (${PROBE_MARGIN_POINTS})`, () => {
    const hot1 = connectedPeer(1, 10, { temperature: 'hot' });
    const hot2 = connectedPeer(2, 2_000, { temperature: 'hot' });
    const weakest = scorePeer(hot2, NOW);
    const rttFor = (target: number) => {
      for (let rtt = 5_000; rtt >= 0; rtt--) if (scorePeer(peer(3, rtt), NOW) >= target) return rtt;
      throw new Error('no rtt reaches the target');
    };
    const below = peer(3, rttFor(weakest + PROBE_MARGIN_POINTS - 1));
    expect(scorePeer(below, NOW)).toBe(weakest + PROBE_MARGIN_POINTS - 1);
    const sessions = [out(1), out(2)];
    expect(planWorkingSet({ records: [hot1, hot2, below], sessions, now: NOW }).dial).toEqual([]);
    const enough = peer(3, rttFor(weakest + PROBE_MARGIN_POINTS));
    const plan = planWorkingSet({ records: [hot1, hot2, enough, peer(4, 1)], sessions, now: NOW });
    expect(plan.dial.map((d) => [d.nodeId, d.probe])).toEqual([[id(4), true]]);
  });

  it('does not probe while a dial is in progress or at the live limit', () => {
    const records = [connectedPeer(1, 2_000, { temperature: 'hot' }), connectedPeer(2, 2_000, { temperature: 'hot' }), connectedPeer(3, 2_000), peer(4, 1), peer(5, 1)];
    expect(planWorkingSet({ records, sessions: [out(1), out(2), dialing(5)], now: NOW }).dial).toEqual([]);
    const full = [...records, connectedPeer(6, 2_000)];
    expect(planWorkingSet({ records: full, sessions: [out(1), out(2), out(3), out(6)], now: NOW }).dial).toEqual([]);
  });

  it('gives the same plan whatever the order of its inputs', () => {
    const records = [connectedPeer(1, 50), connectedPeer(2, 50), connectedPeer(3, 50), peer(4, 50), peer(5, 50), connectedPeer(6, 50)];
    const sessions = [out(1), inb(2), out(3), out(6), out(2)];
    const a = planWorkingSet({ records, sessions, now: NOW });
    const b = planWorkingSet({ records: [...records].reverse(), sessions: [...sessions].reverse(), now: NOW });
    expect(b).toEqual(a);
    expect(a.hot.length).toBe(HOT_PEERS);
  });

  it('treats a session without a record as a neutral peer; a session another node opened is never hot', () => {
    expect(planWorkingSet({ records: [], sessions: [out(9)], now: NOW }).hot).toEqual([id(9)]);
    expect(planWorkingSet({ records: [], sessions: [inb(9)], now: NOW })).toMatchObject({ hot: [], warm: [id(9)] });
  });

  it('ranks candidates by score, then most recently seen, then id', () => {
    const ranked = dialCandidates([peer(1, 100, { lastSeen: NOW - 10 }), peer(2, 100, { lastSeen: NOW }), peer(3, 60)], NOW);
    expect(ranked.map((c) => c.record.nodeId)).toEqual([id(3), id(2), id(1)]);
    const tie = dialCandidates([peer(2, 50), peer(1, 50)], NOW).map((c) => c.record.nodeId);
    expect(tie).toEqual([id(1), id(2)].sort() as NodeId[]);
  });

  it('dials tried peers and seeds first; new peers take turns by the group that brought them (issue 15 §1)', () => {
    const flood = (n: number) => peer(n, 20, { sources: [{ key: 'directory:http://evil', group: 'directory:evil' }] });
    const honestNew = (n: number) => peer(n, 300, { sources: [{ key: `peer:${n}`, group: 'net:10.0.0.0/24' }] });
    const tried = peer(1, 900, { verifiedAt: NOW - 1_000, successes: 1 });
    const seed = peer(2, 900, { source: 'seed' });
    const records = [flood(10), flood(11), flood(12), honestNew(20), tried, seed, honestNew(21)];
    const ranked = dialCandidates(records, NOW).map((c) => c.record.nodeId);
    // The flood scores best, and still comes after the peers we know, one turn per round.
    expect(ranked.slice(0, 2).sort()).toEqual([id(1), id(2)].sort());
    const floods = new Set([id(10), id(11), id(12)]);
    const honest = new Set([id(20), id(21)]);
    for (const round of [ranked.slice(2, 4), ranked.slice(4, 6)]) {
      expect(round.filter((n) => floods.has(n))).toHaveLength(1);
      expect(round.filter((n) => honest.has(n))).toHaveLength(1);
    }
    expect(floods.has(ranked[6]!)).toBe(true);
    const plan = planWorkingSet({ records, sessions: [], now: NOW });
    expect(plan.dial.map((d) => d.nodeId).sort()).toEqual([id(1), id(2)].sort());
  });

  it('keeps HOT_PEERS sessions to peers it chose: inbound sessions, however many and however good, make room for them (issue 15 §1)', () => {
    const tried = [peer(1, 300, { verifiedAt: NOW - 1, successes: 1 }), peer(2, 300, { verifiedAt: NOW - 1, successes: 1 })];
    const strangers = [10, 11, 12, 13].map((n) => connectedPeer(n, 5));
    const plan = planWorkingSet({ records: [...tried, ...strangers], sessions: [inb(10), inb(11), inb(12), inb(13)], now: NOW });
    expect(plan.dial.map((d) => d.nodeId).sort()).toEqual([id(1), id(2)].sort());
    expect(plan.close).toHaveLength(2);
    expect(plan.close.every((c) => c.reason === 'over-limit')).toBe(true);
    expect(plan.hot.every((n) => !plan.close.some((c) => c.nodeId === n))).toBe(true);
    // Once they are up, the sessions we dialed are the hot ones.
    const up = planWorkingSet({ records: [connectedPeer(1, 300, { verifiedAt: NOW - 1 }), connectedPeer(2, 300, { verifiedAt: NOW - 1 }), ...strangers.slice(0, 2)], sessions: [out(1), out(2), inb(10), inb(11)], now: NOW });
    expect([...up.hot].sort()).toEqual([id(1), id(2)].sort());
    expect(up.dial).toEqual([]);
    expect(up.close).toEqual([]);
  });
});
