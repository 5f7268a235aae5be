// The working set closes sessions over the live limit (issue 15 §1 found this): the peer store must
// hear of each close, or the peer stays "connected" there, is never a candidate again, and the node
// ends up dialing only peers it never reached. And the peers it turns away are told it is full
// (close code 1013): they wait before dialing it again, or a full node's inbound sessions turn into
// a handshake loop (30 simulated nodes at rest did 18,760 such closes a minute before).
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LIVE_SESSIONS } from '../../../src-shared/protocol/profile.js';
import { seedOf, startTestNode, type TestNode } from '../../../tests/support/nodes.js';
import type { PeerRecord } from '../peers/peer-record.js';
import { dialCandidates } from '../peers/working-set.js';

const nodes: TestNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
});

describe('sessions the working set closes', () => {
  it('leave their peers idle in the peer store, ready to be dialed again', async () => {
    const peers: TestNode[] = [];
    for (let i = 0; i < MAX_LIVE_SESSIONS + 2; i++) peers.push(await startTestNode({ role: 'seed' }));
    nodes.push(...peers);
    const node = await startTestNode({ seeds: peers.map(seedOf), timing: { planIntervalMs: 100 } });
    nodes.push(node);
    for (const peer of peers) await node.connections.connect(peer.listenUrls(), { nodeId: peer.identity.nodeId }).catch(() => undefined);
    // Over the limit: the working set closes some; each closed one is idle (not "connected") in the store.
    await expect.poll(() => node.connections.connections().length, { timeout: 10_000 }).toBeLessThanOrEqual(MAX_LIVE_SESSIONS);
    await expect
      .poll(
        () => {
          const live = new Set(node.connections.connections().map((c) => c.peerNodeId));
          return peers.filter((p) => !live.has(p.identity.nodeId)).every((p) => node.peers.get(p.identity.nodeId)?.connectedSince === null);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    for (const peer of peers) expect(node.peers.isTried(peer.identity.nodeId)).toBe(true);
  });

  it('tell the peers they turn away that the node is full: those wait before dialing it again, and count no failure', async () => {
    const full = await startTestNode({ timing: { planIntervalMs: 100 } });
    nodes.push(full);
    const fullId = full.identity.nodeId;
    const dialers: TestNode[] = [];
    // The record each dialer holds of the full node when a cooldown is set, and when: the cooldown
    // starts at 1 s with full jitter, so it may be over before a test could look at it later.
    const cooled = new Map<TestNode, { record: PeerRecord; at: number }>();
    for (let i = 0; i < MAX_LIVE_SESSIONS + 2; i++) {
      const dialer = await startTestNode({ role: 'seed', seeds: [seedOf(full)] });
      nodes.push(dialer);
      dialers.push(dialer);
      dialer.peers.subscribe((event) => {
        if (event.type === 'updated' && event.peer.nodeId === fullId && event.peer.cooldownUntil !== null && event.peer.cooldownUntil !== event.previous.cooldownUntil) {
          cooled.set(dialer, { record: event.peer, at: Date.now() });
        }
      });
      await dialer.connections.connect(full.listenUrls(), { nodeId: fullId }).catch(() => undefined);
    }
    await expect.poll(() => full.connections.connections().length).toBeLessThanOrEqual(MAX_LIVE_SESSIONS);
    const turnedAway = () => dialers.filter((d) => !d.connections.connections().some((c) => c.peerNodeId === fullId));
    await expect.poll(() => turnedAway().length).toBeGreaterThan(0);
    for (const dialer of turnedAway()) {
      await expect.poll(() => cooled.has(dialer)).toBe(true);
      const { record, at } = cooled.get(dialer)!;
      expect(record.cooldownUntil).toBeGreaterThan(at);
      expect(record).toMatchObject({ failures: 0, consecutiveFailures: 0 });
      expect(dialCandidates([record], at).map((c) => c.record.nodeId)).not.toContain(fullId);
    }
  });
});
