import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PEER_EXCHANGE_ADVERTISEMENTS } from '../../../src-shared/protocol/messages/discovery-bodies.js';
import type { NodeAdvertisement } from '../advertisement/advertisement-types.js';
import type { NodeRuntime } from '../runtime/node-runtime.js';
import { startTestNode, traceCount } from '../../../tests/support/nodes.js';
import { testIdentity } from '../../../tests/support/identities.js';
import { MAX_ADVERTISEMENT_BYTES } from '../peers/peer-record.js';
import {
  PEER_EXCHANGE_MAX_INVALID_RATIO,
  PEER_EXCHANGE_RATIO_MIN_ADVERTISEMENTS,
  PeerExchange,
  type PeerExchangeOptions,
  answerOrder,
  jitteredDelayMs,
  penaltyFor,
  randomOrder,
  sampleAdvertisements,
} from './peer-exchange.js';
import { forgedAdvertisement, rawPeer, signedAdvertisement, type RawPeer } from '../../../tests/support/discovery.js';

describe('peer exchange: the rules', () => {
  it(`penalises a message by its share of invalid advertisements (block above ${PEER_EXCHANGE_MAX_INVALID_RATIO} from ${PEER_EXCHANGE_RATIO_MIN_ADVERTISEMENTS} on)`, () => {
    expect(penaltyFor(0, 32)).toBe('none');
    expect(penaltyFor(1, 1)).toBe('strike');
    expect(penaltyFor(3, 3)).toBe('strike');
    expect(penaltyFor(2, 4)).toBe('strike');
    expect(penaltyFor(3, 4)).toBe('block');
    expect(penaltyFor(17, 32)).toBe('block');
    expect(penaltyFor(16, 32)).toBe('strike');
  });

  it('orders items at random, each exactly once', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    for (let round = 0; round < 20; round++) expect([...randomOrder(items)].sort((x, y) => x - y)).toEqual(items);
    expect([...randomOrder([])]).toEqual([]);
  });

  it('jitters the interval within ± the jitter', () => {
    expect(jitteredDelayMs(1_000, 0.2, () => 0)).toBe(800);
    expect(jitteredDelayMs(1_000, 0.2, () => 0.5)).toBe(1_000);
    expect(jitteredDelayMs(1_000, 0.2, () => 0.999_999)).toBe(1_200);
  });

  const ads = Array.from({ length: 10 }, (_, i) => signedAdvertisement(testIdentity(0x70 + i)));

  it('answers with our own first, tried peers up to their share, then the others taking turns by group', () => {
    const [own, t1, t2, t3, a1, a2, a3, b1] = ads;
    const candidates = [
      { advertisement: t1!, tried: true, group: 'g-honest' },
      { advertisement: a1!, tried: false, group: 'g-flood' },
      { advertisement: a2!, tried: false, group: 'g-flood' },
      { advertisement: t2!, tried: true, group: 'g-honest' },
      { advertisement: a3!, tried: false, group: 'g-flood' },
      { advertisement: b1!, tried: false, group: 'g-other' },
      { advertisement: t3!, tried: true, group: '' },
    ];
    const order = answerOrder(own!, candidates, 2, () => 0);
    expect(order).toHaveLength(8);
    expect(order[0]).toBe(own);
    expect(order.slice(1, 3).every((a) => [t1, t2, t3].includes(a))).toBe(true);
    // One turn each for the two groups of new peers, however many the flood brought.
    expect(order.slice(3, 5)).toContain(b1);
    expect(order.slice(3, 5).filter((a) => [a1, a2, a3].includes(a))).toHaveLength(1);
    expect(order.slice(5, 7).every((a) => [a1, a2, a3].includes(a))).toBe(true);
    expect([t1, t2, t3]).toContain(order[7]);
  });

  it('samples at most want, never the excluded node, without repeats', () => {
    for (let round = 0; round < 50; round++) {
      const sample = sampleAdvertisements(ads, { want: 4, exclude: ads[0]!['node/id'] });
      expect(sample).toHaveLength(4);
      expect(new Set(sample.map((a) => a['node/id'])).size).toBe(4);
      expect(sample.map((a) => a['node/id'])).not.toContain(ads[0]!['node/id']);
    }
    expect(sampleAdvertisements(ads, { want: 100 })).toHaveLength(10);
    const many = Array.from({ length: 40 }, () => ({ ...ads[1]! }));
    expect(sampleAdvertisements(many, { want: 100 })).toHaveLength(MAX_PEER_EXCHANGE_ADVERTISEMENTS);
  });

  it('samples uniformly', () => {
    const counts = new Map<string, number>();
    const draws = 3_000;
    for (let i = 0; i < draws; i++) for (const a of sampleAdvertisements(ads, { want: 3 })) counts.set(a['node/id'], (counts.get(a['node/id']) ?? 0) + 1);
    // Expected 900 each; ± 20 % is over 7 standard deviations.
    for (const ad of ads) expect(counts.get(ad['node/id'])).toBeGreaterThan(720);
    for (const ad of ads) expect(counts.get(ad['node/id'])).toBeLessThan(1_080);
  });

  it('keeps an answer within its byte budget and leaves out oversized advertisements', () => {
    const one = JSON.stringify(ads[0]).length;
    expect(sampleAdvertisements(ads, { want: 10, maxBytes: one * 3 + 10 }).length).toBeLessThanOrEqual(3);
    const huge = { ...ads[1]!, padding: 'x'.repeat(MAX_ADVERTISEMENT_BYTES) } as NodeAdvertisement;
    expect(sampleAdvertisements([huge, ads[2]!], { want: 10 })).toEqual([ads[2]]);
  });
});

// ---- a running node and bare sessions to it ----

const started: Array<NodeRuntime & { cleanup: () => Promise<void> }> = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.connection.close();
  await Promise.all(started.splice(0).map((n) => n.cleanup()));
});

const GENEROUS: PeerExchangeOptions = { inboundBurst: 100, inboundPerMinute: 6_000 };

async function target(options: PeerExchangeOptions = GENEROUS, node: Parameters<typeof startTestNode>[0] = {}) {
  let exchange: PeerExchange | undefined;
  const runtime = await startTestNode({ ...node, modules: (r) => [(exchange = new PeerExchange(r.components, options))] });
  started.push(runtime);
  return { runtime, exchange: exchange! };
}

async function connect(runtime: NodeRuntime, byte: number): Promise<RawPeer> {
  const peer = await rawPeer(testIdentity(byte), runtime.listenUrls()[0]!);
  peers.push(peer);
  await expect.poll(() => runtime.connections.get(testIdentity(byte).nodeId)?.isOpen ?? false).toBe(true);
  return peer;
}

function firstRequestId(peer: RawPeer): string {
  const request = peer.received.find((b) => b['req/id'] !== undefined);
  if (!request) throw new Error('no request received');
  return request['req/id']!;
}

describe('peer exchange on a running node', () => {
  it('greets a new session with its own advertisement and a request for a sample', async () => {
    const { runtime, exchange } = await target();
    const peer = await connect(runtime, 0x01);
    await expect.poll(() => peer.received.length).toBeGreaterThanOrEqual(2);
    const push = peer.received.find((b) => b['req/id'] === undefined);
    expect(push?.advertisements).toEqual([runtime.advertisement]);
    expect(peer.received.find((b) => b['req/id'] !== undefined)?.want).toBe(MAX_PEER_EXCHANGE_ADVERTISEMENTS);
    expect(exchange.stats()).toMatchObject({ pushesSent: 1, requestsSent: 1 });
  });

  it('answers a request with a sample of what it knows plus itself, never the requester', async () => {
    const { runtime } = await target();
    const known = Array.from({ length: 5 }, (_, i) => signedAdvertisement(testIdentity(0x10 + i)));
    for (const ad of [...known, signedAdvertisement(testIdentity(0x02))]) expect(runtime.advertisements.offer(ad).ok).toBe(true);
    const peer = await connect(runtime, 0x02);
    peer.send({ 'req/id': 'px:small', want: 3 });
    peer.send({ 'req/id': 'px:all', want: 32 });
    await expect.poll(() => peer.received.filter((b) => b['re/id'] !== undefined).length).toBe(2);
    const small = peer.received.find((b) => b['re/id'] === 'px:small')!.advertisements!;
    const all = peer.received.find((b) => b['re/id'] === 'px:all')!.advertisements!;
    expect(small).toHaveLength(3);
    expect(all.map((a) => a['node/id']).sort()).toEqual([...known.map((a) => a['node/id']), runtime.identity.nodeId].sort());
    for (const sample of [small, all]) expect(sample.map((a) => a['node/id'])).not.toContain(testIdentity(0x02).nodeId);
  });

  it('merges an answer to its own request: cached, in the peer store, traced', async () => {
    const { runtime, exchange } = await target();
    const peer = await connect(runtime, 0x03);
    await expect.poll(() => peer.received.some((b) => b['req/id'] !== undefined)).toBe(true);
    const news = [signedAdvertisement(testIdentity(0x20)), signedAdvertisement(testIdentity(0x21))];
    peer.send({ 're/id': firstRequestId(peer), advertisements: news });
    await expect.poll(() => exchange.stats().accepted).toBe(2);
    for (const ad of news) {
      expect(runtime.advertisements.get(ad['node/id'])).toEqual(ad);
      expect(runtime.peers.get(ad['node/id'])?.source).toBe('gossip');
      expect(traceCount(runtime, 'peer/discovered', ad['node/id'])).toBe(1);
    }
    const fetched = runtime.traces.recent(1000).find((e) => e['event/type'] === 'advertisement/fetched');
    expect(fetched).toMatchObject({ peer: testIdentity(0x03).nodeId, detail: { via: 'gossip', count: 2 } });
  });

  it('ignores and counts a response to nothing it asked, and one that comes after the wait', async () => {
    const { runtime, exchange } = await target({ ...GENEROUS, responseTimeoutMs: 200 });
    const peer = await connect(runtime, 0x04);
    const stray = signedAdvertisement(testIdentity(0x22));
    peer.send({ 're/id': 'px:never-asked', advertisements: [stray] });
    await expect.poll(() => exchange.stats().unsolicited).toBe(1);
    await expect.poll(() => exchange.stats().timeouts).toBe(1);
    peer.send({ 're/id': firstRequestId(peer), advertisements: [stray] });
    await expect.poll(() => exchange.stats().unsolicited).toBe(2);
    expect(runtime.advertisements.get(stray['node/id'])).toBeUndefined();
    expect(exchange.stats().accepted).toBe(0);
  });

  it('answers at most its burst of requests from one peer and ignores the rest', async () => {
    const burst = 4;
    const { runtime, exchange } = await target({ inboundBurst: burst, inboundPerMinute: 0.01 });
    const peer = await connect(runtime, 0x05);
    for (let i = 0; i < burst + 6; i++) peer.send({ 'req/id': `px:${i}`, want: 1 });
    await expect.poll(() => exchange.stats().requestsAnswered + exchange.stats().throttled).toBe(burst + 6);
    expect(exchange.stats().requestsAnswered).toBe(burst);
    expect(exchange.stats().throttled).toBe(6);
    expect(runtime.peers.get(testIdentity(0x05).nodeId)?.protocolViolations).toBe(0);
  });

  it('takes stale sequences and expired advertisements without holding them against the sender', async () => {
    const { runtime, exchange } = await target();
    const peer = await connect(runtime, 0x06);
    const ad = signedAdvertisement(testIdentity(0x23), { sequence: 5 });
    for (let i = 0; i < 4; i++) peer.send({ advertisements: [ad] });
    peer.send({ advertisements: [signedAdvertisement(testIdentity(0x23), { sequence: 4 })] });
    peer.send({ advertisements: [signedAdvertisement(testIdentity(0x24), { expiresInMs: -1_000 })] });
    await expect.poll(() => exchange.stats().pushesReceived).toBe(6);
    expect(exchange.stats()).toMatchObject({ accepted: 1, stale: 4, refused: 1, invalid: 0 });
    const rejected = runtime.traces.recent(1000).filter((e) => e['event/type'] === 'advertisement/rejected');
    expect(rejected.map((e) => e.detail?.['code'])).toEqual(['E_ADV_EXPIRED']);
    expect(rejected[0]?.detail).toMatchObject({ class: 'advertisement/expired', 'node/id': testIdentity(0x24).nodeId });
    expect(runtime.peers.get(testIdentity(0x06).nodeId)?.protocolViolations).toBe(0);
  });

  it('counts a forged advertisement as a violation of its sender; the strike threshold then blocks it', async () => {
    const { runtime, exchange } = await target();
    const peer = await connect(runtime, 0x07);
    const sender = testIdentity(0x07).nodeId;
    peer.send({ advertisements: [forgedAdvertisement(testIdentity(0x25)), signedAdvertisement(testIdentity(0x26)), signedAdvertisement(testIdentity(0x27))] });
    await expect.poll(() => runtime.peers.get(sender)?.protocolViolations).toBe(1);
    expect(runtime.peers.isBlocked(sender)).toBe(false);
    expect(exchange.stats()).toMatchObject({ accepted: 2, invalid: 1 });
    const rejected = runtime.traces.recent(1000).find((e) => e['event/type'] === 'advertisement/rejected');
    expect(rejected).toMatchObject({ peer: sender, detail: { code: 'E_SIG_INVALID', class: 'signature/invalid', 'node/id': testIdentity(0x25).nodeId } });
    peer.send({ advertisements: [forgedAdvertisement(testIdentity(0x28))] });
    peer.send({ advertisements: [forgedAdvertisement(testIdentity(0x29))] });
    await expect.poll(() => runtime.peers.isBlocked(sender)).toBe(true);
    expect(await peer.closed()).toMatchObject({ code: 'E_SIG_INVALID', by: 'remote' });
    expect(runtime.advertisements.get(testIdentity(0x25).nodeId)).toBeUndefined();
  });

  it('blocks at once a sender whose message is mostly invalid', async () => {
    const { runtime, exchange } = await target();
    const peer = await connect(runtime, 0x08);
    const sender = testIdentity(0x08).nodeId;
    const bad = [0x30, 0x31, 0x32, 0x33].map((b) => forgedAdvertisement(testIdentity(b)));
    peer.send({ advertisements: [...bad, signedAdvertisement(testIdentity(0x34))] });
    expect(await peer.closed()).toMatchObject({ code: 'E_SIG_INVALID', by: 'remote' });
    expect(runtime.peers.isBlocked(sender)).toBe(true);
    expect(runtime.peers.get(sender)?.block?.reason).toContain('4 of 5 advertisements invalid');
    expect(exchange.stats().blocked).toBe(1);
    await expect(rawPeer(testIdentity(0x08), runtime.listenUrls()[0]!)).rejects.toMatchObject({ code: 'E_TRANSPORT_REJECTED' });
  });

  it('refuses validly signed advertisements living past the lifetime cap as invalid: a mostly far-future message blocks its sender', async () => {
    const { runtime, exchange } = await target();
    const peer = await connect(runtime, 0x0c);
    const sender = testIdentity(0x0c).nodeId;
    const farFuture = [0x40, 0x41, 0x42, 0x43].map((b) => signedAdvertisement(testIdentity(b), { expiresInMs: 10 * 365 * 24 * 3_600_000 }));
    peer.send({ advertisements: farFuture });
    expect(await peer.closed()).toMatchObject({ code: 'E_PROTO_INVALID', by: 'remote' });
    expect(exchange.stats()).toMatchObject({ invalid: 4, accepted: 0, blocked: 1 });
    expect(runtime.peers.isBlocked(sender)).toBe(true);
    for (const ad of farFuture) {
      expect(runtime.advertisements.get(ad['node/id'])).toBeUndefined();
      expect(runtime.peers.get(ad['node/id'])).toBeUndefined();
    }
  });

  it('forwards a peer\'s own advertisement, but not what a peer it never reached relays (issue 15 §1)', async () => {
    const { runtime, exchange } = await target({ ...GENEROUS, forwardDelayMs: 10 });
    const relay = await connect(runtime, 0x0d);
    const listener = await connect(runtime, 0x0e);
    await expect.poll(() => listener.received.length).toBeGreaterThanOrEqual(2);
    const stranger = signedAdvertisement(testIdentity(0x44));
    const own = signedAdvertisement(testIdentity(0x0d));
    relay.send({ advertisements: [stranger, own] });
    await expect.poll(() => exchange.stats().accepted).toBe(2);
    await expect.poll(() => listener.received.some((b) => b['req/id'] === undefined && b.advertisements?.some((a) => a['node/id'] === own['node/id']))).toBe(true);
    const pushed = listener.received.filter((b) => b['req/id'] === undefined && b['re/id'] === undefined).flatMap((b) => b.advertisements ?? []);
    expect(pushed.map((a) => a['node/id'])).not.toContain(stranger['node/id']);
    expect(exchange.heldBack).toBe(1);
    // Both are kept, charged to the relay as their source.
    expect(runtime.peers.get(stranger['node/id'])?.sources[0]?.key).toBe(`peer:${testIdentity(0x0d).nodeId}`);
  });

  it('drops the peers a sender brought when the sender is blocked', async () => {
    const { runtime } = await target();
    const peer = await connect(runtime, 0x0f);
    const brought = [0x45, 0x46].map((b) => signedAdvertisement(testIdentity(b)));
    peer.send({ advertisements: brought });
    await expect.poll(() => runtime.advertisements.get(brought[1]!['node/id'])).toBeDefined();
    peer.send({ advertisements: [0x47, 0x48, 0x49, 0x4a].map((b) => forgedAdvertisement(testIdentity(b))) });
    expect(await peer.closed()).toMatchObject({ code: 'E_SIG_INVALID', by: 'remote' });
    for (const ad of brought) {
      expect(runtime.peers.get(ad['node/id'])).toBeUndefined();
      expect(runtime.advertisements.get(ad['node/id'])).toBeUndefined();
    }
  });

  it('in a network, takes only advertisements of that network; its own is ignored', async () => {
    const { runtime, exchange } = await target(GENEROUS, { network: { id: 'net:a', name: null } });
    expect(runtime.advertisement?.['federation/id']).toBe('net:a');
    const peer = await connect(runtime, 0x09);
    peer.send({
      advertisements: [
        signedAdvertisement(testIdentity(0x35), { federationId: 'net:b' }),
        signedAdvertisement(testIdentity(0x36)),
        signedAdvertisement(testIdentity(0x37), { federationId: 'net:a' }),
        runtime.advertisement!,
      ],
    });
    await expect.poll(() => exchange.stats().pushesReceived).toBe(1);
    expect(exchange.stats()).toMatchObject({ foreign: 2, accepted: 1, own: 1, invalid: 0 });
    expect(runtime.advertisements.get(testIdentity(0x35).nodeId)).toBeUndefined();
    expect(runtime.advertisements.get(testIdentity(0x37).nodeId)).toBeDefined();
  });

  it('pushes a re-published advertisement to its sessions', async () => {
    const { runtime } = await target();
    const peer = await connect(runtime, 0x0a);
    await expect.poll(() => peer.received.filter((b) => b['req/id'] === undefined).length).toBe(1);
    const next = await runtime.publishAdvertisement();
    await expect.poll(() => peer.received.filter((b) => b['req/id'] === undefined).length).toBe(2);
    expect(peer.received.filter((b) => b['req/id'] === undefined).at(-1)?.advertisements).toEqual([next]);
  });

  it('asks its peers again every interval', async () => {
    const { runtime, exchange } = await target({ ...GENEROUS, intervalMs: 100, responseTimeoutMs: 50 });
    const peer = await connect(runtime, 0x0b);
    await expect.poll(() => peer.received.filter((b) => b['req/id'] !== undefined).length).toBeGreaterThanOrEqual(3);
    expect(exchange.stats().requestsSent).toBeGreaterThanOrEqual(3);
  });
});
