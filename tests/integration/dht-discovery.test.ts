// Issue 16 on a loopback DHT of our own: nodes announce by capability and find each other, every
// candidate is verified by our signed handshake over the DHT stream, a PSK network's topics cannot
// be computed without the key, and a node whose network names no DHT runs none.
import { afterEach, describe, expect, it } from 'vitest';
import { capabilityTopic } from '../../src-node/kernel/dht/topics.js';
import { traceCount } from '../support/nodes.js';
import { dhtNetwork, startDhtTestNode, startDhtTestnet, type DhtTestNode, type DhtTestnet } from '../support/dht.js';
import type { NetworkMembership } from '../../src-node/kernel/runtime/node-config.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function testnet(): Promise<DhtTestnet> {
  const net = await startDhtTestnet(4);
  cleanups.push(() => net.destroy());
  return net;
}

type DhtNode = DhtTestNode;

async function dhtNode(network: NetworkMembership, capabilities: readonly string[] = [], startWaitMs?: number): Promise<DhtNode> {
  const node = await startDhtTestNode(network, capabilities, startWaitMs);
  cleanups.push(() => node.cleanup());
  return node;
}

describe('the capability index on a private DHT', () => {
  it('a node with no listener is announced under its capabilities and found by one, verified by the handshake', async () => {
    const net = await testnet();
    const network = dhtNetwork(net.bootstrap);
    const worker = await dhtNode(network, ['vnode/wasi', 'vnode/cpu-2']);
    const seeker = await dhtNode(network);
    expect(worker.dht.status().state).toBe('on');
    // The dial-only node now advertises a dht:// endpoint (it had none before: no listener).
    expect(worker.advertisement?.endpoints.map((e) => e['endpoint/transport'])).toEqual(['dht']);
    expect(worker.listenUrls()[0]).toMatch(/^dht:\/\/[0-9a-f]{64}$/);

    const found = await seeker.dht.find('vnode/wasi', 4);
    expect(found.map((f) => f.nodeId)).toEqual([worker.identity.nodeId]);
    const session = seeker.connections.get(worker.identity.nodeId);
    expect(session?.isOpen).toBe(true);
    // The trace says the session ran over the DHT.
    const connected = seeker.traces.recent(1000).find((e) => e['event/type'] === 'peer/connected' && e.peer === worker.identity.nodeId);
    expect(connected?.detail?.['transport']).toBe('dht');
    expect(['direct', 'punched']).toContain(connected?.detail?.['holepunch']);
    // A capability nobody offers finds nobody.
    expect(await seeker.dht.find('gpu/cuda', 4)).toEqual([]);
  }, 60_000);

  it('a find asked while the seeker is still joining the DHT waits for the join, then finds', async () => {
    const net = await testnet();
    const network = dhtNetwork(net.bootstrap);
    const worker = await dhtNode(network, ['vnode/wasi']);
    // The node start does not wait for the DHT at all (as in the product: DHT_START_WAIT_MS = 0).
    const seeker = await dhtNode(network, [], 0);
    expect(seeker.dht.status().state).toBe('starting');
    const found = await seeker.dht.find('vnode/wasi', 4);
    expect(found.map((f) => f.nodeId)).toEqual([worker.identity.nodeId]);
    expect(seeker.dht.status().state).toBe('on');
  }, 60_000);

  it('a PSK network announces under keyed topics: the same capability in the open network is another topic', async () => {
    const net = await testnet();
    const psk = nativeCrypto.randomBytes(32);
    const open = capabilityTopic({ networkId: 'net:dht-lab' }, 'vnode/wasi');
    const keyed = capabilityTopic({ networkId: 'net:dht-lab', psk }, 'vnode/wasi');
    expect(keyed.equals(open)).toBe(false);
    const privateNetwork = dhtNetwork(net.bootstrap, { psk });
    const worker = await dhtNode(privateNetwork, ['vnode/wasi']);
    const insider = await dhtNode(privateNetwork);
    // An outsider on the same DHT, without the key, computes the open topic: nothing is there.
    const outsider = await dhtNode(dhtNetwork(net.bootstrap));
    expect((await outsider.dht.find('vnode/wasi', 4)).length).toBe(0);
    expect((await insider.dht.find('vnode/wasi', 4)).map((f) => f.nodeId)).toEqual([worker.identity.nodeId]);
  }, 60_000);

  it('a node whose network names no DHT runs none, and its dht:// dials fail as unavailable without network work', async () => {
    const node = await dhtNode(dhtNetwork([]));
    expect(node.dht.status().state).toBe('off');
    expect(node.streams.available()).toEqual(['wss']);
    await expect(node.connections.connect([`dht://${'ab'.repeat(32)}`])).rejects.toMatchObject({ code: 'E_TRANSPORT_UNAVAILABLE' });
    expect(traceCount(node, 'error/occurred')).toBe(0);
  }, 30_000);
});
