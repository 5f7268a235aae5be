// Issue 16 §5, bad input: a candidate with a forged identity, a DHT node that answers lookups with
// made-up records, a bootstrap node that answers garbage, one source flooding announcements or
// lookups. Each is bounded and traced, and none makes a node accept a peer our handshake did not
// verify. Honest nodes sit on 127.0.0.1; each attacker has an address of its own in 127/8.
import { afterEach, describe, expect, it } from 'vitest';
import { capabilityTopic } from '../../src-node/kernel/dht/topics.js';
import { DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC, DHT_FIND_LOOKUPS, DHT_MAX_CANDIDATES_PER_LOOKUP } from '../../src-node/kernel/dht/dht-limits.js';
import { openDhtEngine } from '../../src-node/kernel/dht/engine.js';
import { traceCount } from '../support/nodes.js';
import { dhtNetwork, freeUdpPort, startDhtTestNode, startDhtTestnet, type DhtTestNode } from '../support/dht.js';
import { floodAnnouncements, floodLookups, forgingCandidate, garbageBootstrap, lyingRecordNode } from '../support/dht-attackers.js';
import { testIdentity } from '../support/identities.js';
import type { NetworkMembership } from '../../src-node/kernel/runtime/node-config.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type DhtNode = DhtTestNode;

async function dhtNode(network: NetworkMembership, capabilities: readonly string[] = [], startWaitMs?: number): Promise<DhtNode> {
  const node = await startDhtTestNode(network, capabilities, startWaitMs);
  cleanups.push(() => node.cleanup());
  return node;
}

async function testnet() {
  const net = await startDhtTestnet(4);
  cleanups.push(() => net.destroy());
  return net;
}

describe('hostile DHT participants', () => {
  it('a candidate whose handshake claims an identity it cannot sign for is refused and never counts', async () => {
    const net = await testnet();
    const network = dhtNetwork(net.bootstrap);
    const victim = testIdentity(0x31);
    const forger = await forgingCandidate({ bootstrap: net.bootstrap, scope: { networkId: network.id }, capability: 'vnode/wasi', self: testIdentity(0x32), claimed: victim.nodeId, host: '127.0.0.5' });
    cleanups.push(() => forger.destroy());
    const honest = await dhtNode(network, ['vnode/wasi']);
    const seeker = await dhtNode(network);

    const found = await seeker.dht.find('vnode/wasi', 8);
    expect(forger.hellos()).toBe(1); // it was dialled…
    expect(found.map((f) => f.nodeId)).toEqual([honest.identity.nodeId]); // …and refused
    expect(seeker.connections.get(victim.nodeId)).toBeUndefined();
    expect(seeker.peers.get(victim.nodeId)).toBeUndefined();
    const rejected = seeker.traces.recent(1000).filter((e) => e['event/type'] === 'handshake/rejected');
    expect(rejected.map((e) => e.detail?.['code'])).toEqual(['E_SIG_UNKNOWN_SIGNER']); // the node-id is not the signing key's
    // Put aside: a second lookup does not dial it again.
    await seeker.dht.find('vnode/wasi', 8);
    expect(forger.hellos()).toBe(1);
    expect(seeker.dht.status().index?.refused).toBe(1);
  }, 90_000);

  it('a DHT node answering lookups with made-up records: candidates stay bounded, none is accepted, the honest one is found', async () => {
    const net = await testnet();
    const network = dhtNetwork(net.bootstrap);
    const liar = await lyingRecordNode({ bootstrap: net.bootstrap, fakes: 500, host: '127.0.0.6' });
    cleanups.push(() => liar.destroy());
    const honest = await dhtNode(network, ['vnode/wasi']);
    const seeker = await dhtNode(network);
    const before = seeker.connections.connections().length;

    const found = await seeker.dht.find('vnode/wasi', 1);
    expect(liar.lies()).toBeGreaterThan(0);
    const index = seeker.dht.status().index!;
    expect(index.lookups).toBeLessThanOrEqual(DHT_FIND_LOOKUPS);
    expect(index.candidatesSeen).toBeLessThanOrEqual(index.lookups * DHT_MAX_CANDIDATES_PER_LOOKUP);
    // Whatever was found, it is a node whose handshake we ran: no made-up key became a peer.
    for (const peer of found) expect(peer.nodeId).toBe(honest.identity.nodeId);
    expect(seeker.connections.connections().length - before).toBe(found.length);
  }, 120_000);

  it('a bootstrap node that answers garbage: the node starts, runs without the DHT, and accepts nobody', async () => {
    const liar = await garbageBootstrap();
    cleanups.push(() => liar.close());
    const node = await dhtNode(dhtNetwork([liar.node]), ['vnode/wasi'], 2_000);
    expect(liar.packets()).toBeGreaterThan(0);
    expect(node.dht.status().state).not.toBe('on');
    expect(await node.dht.find('vnode/wasi', 4)).toEqual([]);
    expect(node.connections.connections()).toEqual([]);
    // The node itself is up: its control and peer store work, a dht:// dial is refused quickly.
    expect(node.peers.all()).toEqual([]);
  }, 30_000);

  it('one source flooding announcements under a topic keeps at most its per-topic share; the honest worker is still found', async () => {
    const net = await testnet();
    const network = dhtNetwork(net.bootstrap);
    const topic = capabilityTopic({ networkId: network.id }, 'vnode/wasi');
    const flood = await floodAnnouncements({ bootstrap: net.bootstrap, topic, count: 60, host: '127.0.0.7' });
    cleanups.push(() => flood.destroy());
    const honest = await dhtNode(network, ['vnode/wasi']);
    const seeker = await dhtNode(network);
    // What one replying node holds for the topic from the flooding address is bounded:
    const probe = openDhtEngine({ mode: 'node', bootstrap: net.bootstrap, host: '127.0.0.1' }).engine;
    cleanups.push(() => probe.destroy());
    let most = 0;
    for await (const reply of probe.lookup(topic)) most = Math.max(most, reply.peers.length);
    expect(most).toBeLessThanOrEqual(DHT_ANNOUNCES_PER_SOURCE_PER_TOPIC + 1 /* the honest worker */ + 1);
    const found = await seeker.dht.find('vnode/wasi', 1);
    expect(found.map((f) => f.nodeId)).toEqual([honest.identity.nodeId]);
  }, 180_000);

  it('one source flooding lookups is dropped past its rate while another address still looks up', async () => {
    const port = await freeUdpPort();
    const bootstrap = openDhtEngine({ mode: 'bootstrap', host: '127.0.0.1', port, bootstrap: [] });
    cleanups.push(() => bootstrap.engine.destroy());
    await bootstrap.engine.ready();
    const network = dhtNetwork([{ host: '127.0.0.1', port }]);
    const worker = await dhtNode(network, ['vnode/wasi']);
    const flood = await floodLookups({ bootstrap: [{ host: '127.0.0.1', port }], topic: capabilityTopic({ networkId: network.id }, 'vnode/wasi'), count: 400, host: '127.0.0.8' });
    cleanups.push(() => flood.destroy());
    expect(bootstrap.guardFigures().droppedRequests).toBeGreaterThan(0);
    const seeker = await dhtNode(network);
    expect((await seeker.dht.find('vnode/wasi', 1)).map((f) => f.nodeId)).toEqual([worker.identity.nodeId]);
    expect(traceCount(seeker, 'handshake/rejected')).toBe(0);
  }, 180_000);
});
