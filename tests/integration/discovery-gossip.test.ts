// Issue 4 §2: gossip on real nodes over loopback. A network that starts from one seed converges
// through peer-exchange; a peer that feeds forged advertisements is blocked and poisons nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/temp-dir.js';
import { startTestNode, seedOf, traceCount, type TestNode } from '../support/nodes.js';
import { testIdentity } from '../support/identities.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { PeerExchange, type PeerExchangeOptions } from '../../src-node/kernel/discovery/peer-exchange.js';
import { BootstrapModule } from '../../src-node/kernel/discovery/bootstrap.js';
import { forgedAdvertisement, rawPeer, signedAdvertisement, type RawPeer } from '../support/discovery.js';

const nodes: TestNode[] = [];
const raw: RawPeer[] = [];
afterEach(async () => {
  for (const peer of raw.splice(0)) peer.connection.close();
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
  exchanges.clear();
});

/** Fast rounds for a test network; the per-peer admission is raised to match. */
const FAST: PeerExchangeOptions = { intervalMs: 200, responseTimeoutMs: 2_000, inboundPerMinute: 1_200, inboundBurst: 40 };

/** The peer exchange of each node, for its counters. */
const exchanges = new Map<NodeRuntime, PeerExchange>();

async function node(options: Parameters<typeof startTestNode>[0] = {}, exchange: PeerExchangeOptions = FAST): Promise<TestNode> {
  let own: PeerExchange | undefined;
  const started = await startTestNode({ ...options, modules: (r) => [new BootstrapModule(r.components, { seeds: r.config.seeds }), (own = new PeerExchange(r.components, exchange))] });
  nodes.push(started);
  exchanges.set(started, own!);
  return started;
}

function knows(runtime: NodeRuntime, others: readonly NodeRuntime[]): number {
  return others.filter((o) => o !== runtime && runtime.advertisements.get(o.identity.nodeId) !== undefined).length;
}

describe('gossip convergence', () => {
  it('forwards news: a node learns a newcomer through a shared peer without asking', async () => {
    // Pull rounds every 10 minutes: within this test only forwarding can carry the newcomer.
    const slow: PeerExchangeOptions = { ...FAST, intervalMs: 600_000 };
    const middle = await node({}, slow);
    // `far` accepts sessions with `middle` only, so news of the newcomer can reach it only forwarded.
    const allowlist = join(makeTempDir().path, 'allowlist.txt');
    writeFileSync(allowlist, `${middle.identity.nodeId}\n`);
    const far = await node({ seeds: [seedOf(middle)], allowlistFile: allowlist }, slow);
    await expect.poll(() => middle.connections.get(far.identity.nodeId)?.isOpen ?? false).toBe(true);
    // The first greeting (far asks middle, who knows no one else yet) is answered before the newcomer comes.
    await expect.poll(() => exchanges.get(far)!.stats().responsesReceived).toBeGreaterThan(0);
    const newcomer = await node({ seeds: [seedOf(middle)] }, slow);
    await expect.poll(() => far.advertisements.get(newcomer.identity.nodeId) !== undefined, { interval: 50 }).toBe(true);
    expect(far.connections.get(newcomer.identity.nodeId)).toBeUndefined();
  });

  it('six nodes that know only one seed all learn every other node', async () => {
    const seed = await node();
    const network = [seed];
    for (let i = 0; i < 5; i++) network.push(await node({ seeds: [seedOf(seed)] }));
    for (const runtime of network) {
      await expect.poll(() => knows(runtime, network), { interval: 100 }).toBe(network.length - 1);
    }
    for (const runtime of network) {
      for (const other of network) {
        if (other === runtime) continue;
        // In the peer store too, with the endpoint the other node advertised.
        expect(runtime.peers.get(other.identity.nodeId)?.endpoints.map((e) => e.url)).toContain(other.listenUrls()[0]);
      }
    }
    // The seed, full with five newcomers, turned some away (close code 1013), each with other peers
    // to go to: without them, a newcomer turned away by its only seed knew no one for a minute.
    expect(exchanges.get(seed)!.stats().turnedAwayWithPeers).toBeGreaterThan(0);
    // Nodes that first heard of each other through gossip traced it.
    const discovered = network.reduce((n, r) => n + r.traces.recent(10_000).filter((e) => e['event/type'] === 'peer/discovered' && e.detail?.['via'] === 'gossip').length, 0);
    expect(discovered).toBeGreaterThan(0);
  });
});

describe('a malicious peer list', () => {
  it('a peer answering with forged advertisements is blocked, and the forged endpoints are never used', async () => {
    const honest = await node();
    const victim = await node({ seeds: [seedOf(honest)] });
    await expect.poll(() => victim.advertisements.get(honest.identity.nodeId) !== undefined).toBe(true);
    const attacker = testIdentity(0xa1);
    const peer = await rawPeer(attacker, victim.listenUrls()[0]!);
    raw.push(peer);
    await expect.poll(() => peer.received.some((b) => b['req/id'] !== undefined)).toBe(true);
    const request = peer.received.find((b) => b['req/id'] !== undefined)!;
    // Redirect the honest node to the attacker's address, plus invented peers: none signed by them.
    const forged = [
      { ...honest.advertisement!, 'sequence/no': honest.advertisement!['sequence/no'] + 100, endpoints: [{ 'endpoint/url': 'ws://127.0.0.1:6666/evil', 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 0 }] },
      ...[0xa2, 0xa3, 0xa4, 0xa5].map((b) => forgedAdvertisement(testIdentity(b))),
      signedAdvertisement(testIdentity(0xa6)),
    ];
    peer.send({ 're/id': request['req/id']!, advertisements: forged });
    expect(await peer.closed()).toMatchObject({ by: 'remote', code: 'E_SIG_INVALID' });
    expect(victim.peers.isBlocked(attacker.nodeId)).toBe(true);
    expect(victim.advertisements.get(honest.identity.nodeId)?.['sequence/no']).toBe(honest.advertisement!['sequence/no']);
    expect(victim.peers.get(honest.identity.nodeId)?.endpoints.map((e) => e.url)).not.toContain('ws://127.0.0.1:6666/evil');
    for (const b of [0xa2, 0xa3, 0xa4, 0xa5]) expect(victim.peers.get(testIdentity(b).nodeId)).toBeUndefined();
    const rejections = victim.traces.recent(10_000).filter((e) => e['event/type'] === 'advertisement/rejected' && e.peer === attacker.nodeId);
    expect(rejections.map((e) => e.detail?.['code'])).toEqual(Array(5).fill('E_SIG_INVALID'));

    // It cannot come back while blocked: the handshake is refused and traced.
    await expect(rawPeer(attacker, victim.listenUrls()[0]!)).rejects.toMatchObject({ code: 'E_TRANSPORT_REJECTED' });
    await expect.poll(() => victim.traces.recent(10_000).some((e) => e['event/type'] === 'handshake/rejected' && e.detail?.['code'] === 'E_TRANSPORT_REJECTED')).toBe(true);
    // The honest peer is still reachable.
    expect((await victim.signals.send(honest.identity.nodeId, 'signal-marker:after-attack')).ok).toBe(true);
  });

  it('a peer mixing a few forgeries into good lists is blocked after the strike threshold', async () => {
    const victim = await node();
    const attacker = testIdentity(0xb1);
    const peer = await rawPeer(attacker, victim.listenUrls()[0]!);
    raw.push(peer);
    for (let round = 0; round < 3; round++) {
      await expect.poll(() => victim.peers.get(attacker.nodeId)?.protocolViolations ?? -1).toBe(round);
      expect(victim.peers.isBlocked(attacker.nodeId)).toBe(false);
      const good = [0, 1, 2].map((i) => signedAdvertisement(testIdentity(0xb2 + round * 3 + i)));
      peer.send({ advertisements: [...good, forgedAdvertisement(testIdentity(0xc0 + round))] });
    }
    expect(await peer.closed()).toMatchObject({ by: 'remote' });
    expect(victim.peers.isBlocked(attacker.nodeId)).toBe(true);
    expect(victim.peers.get(attacker.nodeId)?.block?.automatic).toBe(true);
    // The genuine advertisements it relayed were taken, each judged on its own, until it turned
    // out hostile: then what only it brought went with it (issue 15 §1).
    expect(victim.advertisements.get(testIdentity(0xb2).nodeId)).toBeUndefined();
    expect(victim.peers.get(testIdentity(0xb2).nodeId)).toBeUndefined();
    expect(traceCount(victim, 'advertisement/rejected', attacker.nodeId)).toBe(3);
  });
});
