// CapabilityIndex.find against a scripted DHT: what each lookup answers and which dials succeed are
// set by the test; the real index decides what to dial and when to look again.
import { describe, expect, it } from 'vitest';
import { formatDhtEndpoint } from '../../../src-shared/protocol/dht-endpoint.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import type { PeerConnection } from '../connection/peer-connection.js';
import { CapabilityIndex } from './capability-index.js';
import { DHT_FIND_LOOKUPS } from './dht-limits.js';
import type { DhtEngine, DhtLookupReply, DhtQuery } from './engine.js';

const key = (n: number): Buffer => Buffer.alloc(32, n);

/** A DHT whose n-th lookup answers with the keys `answers[n]` (then nothing). */
function scriptedDht(answers: readonly (readonly number[])[]): { engine: DhtEngine; lookups: () => number } {
  let lookups = 0;
  const lookup = (): DhtQuery => {
    const keys = answers[lookups++] ?? [];
    const replies: DhtLookupReply[] = keys.length ? [{ from: { host: '127.0.0.1', port: 1 }, peers: keys.map((n) => ({ publicKey: key(n), relayAddresses: [] })) }] : [];
    return {
      async *[Symbol.asyncIterator]() {
        yield* replies;
      },
      finished: async () => undefined,
      destroy: () => undefined,
    };
  };
  // The index uses the engine only to look up (and announce, which find never does).
  return { engine: { lookup } as unknown as DhtEngine, lookups: () => lookups };
}

type Holder = 'answers' | 'unreachable' | 'unreachable-once' | 'refuses';

/** Dials as each key's holder behaves (node-id node-<n>); keys not named are unreachable. */
function scriptedConnections(holders: Readonly<Record<number, Holder>>): { connections: Pick<ConnectionManager, 'connect' | 'get'>; dialled: number[] } {
  const dialled: number[] = [];
  const byUrl = new Map(Array.from({ length: 256 }, (_, n) => [formatDhtEndpoint(key(n)), n]));
  return {
    dialled,
    connections: {
      connect: async (urls: readonly string[]) => {
        const n = byUrl.get(urls[0]!)!;
        dialled.push(n);
        const holder = holders[n] ?? 'unreachable';
        if (holder === 'refuses') throw new ProtocolError('E_SIG_UNKNOWN_SIGNER', 'key/public does not match sender/node-id');
        if (holder === 'unreachable' || (holder === 'unreachable-once' && dialled.filter((d) => d === n).length === 1)) throw new Error('PEER_NOT_FOUND: Peer not found');
        return { peerNodeId: `node-${n}`, peerCapabilities: [] } as unknown as PeerConnection;
      },
      get: () => undefined,
    },
  };
}

function index(engine: DhtEngine, connections: Pick<ConnectionManager, 'connect' | 'get'>): CapabilityIndex {
  return new CapabilityIndex({ engine, connections, keyPair: { publicKey: key(0), secretKey: Buffer.alloc(64) }, scope: { networkId: 'test-net' } });
}

describe('CapabilityIndex.find', () => {
  it('looks up once when the first lookup gives a verified peer', async () => {
    const dht = scriptedDht([[1, 2], [3]]);
    const net = scriptedConnections({ 1: 'answers', 2: 'answers', 3: 'answers' });
    const found = await index(dht.engine, net.connections).find('vnode/cpu-4', 1);
    expect(found.map((f) => f.nodeId)).toEqual(['node-1']);
    expect(dht.lookups()).toBe(1);
  });

  it('looks up again when the first lookup came back short, and finds the peer the second one sees', async () => {
    const dht = scriptedDht([[], [4]]);
    const net = scriptedConnections({ 4: 'answers' });
    const found = await index(dht.engine, net.connections).find('vnode/cpu-4', 1);
    expect(found.map((f) => f.nodeId)).toEqual(['node-4']);
    expect(dht.lookups()).toBe(2);
  });

  it('dials once more in the second round a key it could not reach, and takes it off the cooldown when it answers', async () => {
    const dht = scriptedDht([[5], [5], [5]]);
    const net = scriptedConnections({ 5: 'unreachable-once' });
    const idx = index(dht.engine, net.connections);
    expect((await idx.find('vnode/cpu-4', 1)).map((f) => f.nodeId)).toEqual(['node-5']);
    expect(net.dialled).toEqual([5, 5]);
    // A later find dials it at once: it is not cooling down.
    expect((await idx.find('vnode/cpu-4', 1)).map((f) => f.nodeId)).toEqual(['node-5']);
    expect(idx.figures()).toMatchObject({ coolingDown: 0, refused: 1, verified: 2 });
  });

  it('never dials again, in the same find, a key that refused it; stops after DHT_FIND_LOOKUPS', async () => {
    const dht = scriptedDht([[5, 6], [5, 6, 7], [8]]);
    const net = scriptedConnections({ 5: 'refuses', 6: 'unreachable', 8: 'answers' });
    const idx = index(dht.engine, net.connections);
    expect(await idx.find('vnode/cpu-4', 1)).toEqual([]);
    expect(dht.lookups()).toBe(DHT_FIND_LOOKUPS);
    expect(net.dialled.sort()).toEqual([5, 6, 6, 7]);
    expect(idx.figures()).toMatchObject({ lookups: 2, candidatesSeen: 5, refused: 4, verified: 0 });
  });

  it('does not dial again, in a later find, keys that failed (they cool down) and says how many it skipped', async () => {
    const dht = scriptedDht([[5], [], [5, 9], []]);
    const net = scriptedConnections({ 5: 'refuses', 9: 'answers' });
    const idx = index(dht.engine, net.connections);
    expect(await idx.find('vnode/cpu-4', 1)).toEqual([]);
    expect((await idx.find('vnode/cpu-4', 1)).map((f) => f.nodeId)).toEqual(['node-9']);
    expect(net.dialled).toEqual([5, 9]);
    expect(idx.figures().coolingDown).toBe(1);
  });
});
