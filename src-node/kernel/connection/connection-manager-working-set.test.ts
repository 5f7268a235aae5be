// The working set closes sessions over the live limit (issue 15 §1 found this): the peer store must
// hear of each close, or the peer stays "connected" there, is never a candidate again, and the node
// ends up dialing only peers it never reached.
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LIVE_SESSIONS } from '../../../src-shared/protocol/profile.js';
import { seedOf, startTestNode, type TestNode } from '../../../tests/support/nodes.js';

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
});
