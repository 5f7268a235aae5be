// Inbound session slots of a node (issue 15 §2): per source address and in all, counted apart from
// the listener's pending connections, so silent sockets never take a session's place.
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { nativeCrypto } from '../crypto/native-provider.js';
import { identityFromSeed } from '../identity/node-identity.js';
import { HandshakeNonceCache } from '../session/nonce-cache.js';
import { systemClock } from '../util/clock.js';
import { openOutbound, type PeerConnection } from './peer-connection.js';
import { DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS, DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS_PER_ADDRESS } from './connection-manager.js';
import { MAX_PENDING_CONNECTIONS_PER_ADDRESS } from '../transport/limits.js';
import { startTestNode } from '../../../tests/support/nodes.js';
import type { NodeRuntime } from '../runtime/node-runtime.js';

let node: (NodeRuntime & { cleanup: () => Promise<void> }) | undefined;
const open: Array<PeerConnection | WebSocket> = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.terminate();
  await node?.cleanup();
  node = undefined;
});

/** A fresh identity's session from `localAddress`: the connection, or the refusal's message. */
async function session(url: string, nodeId: string, localAddress: string): Promise<PeerConnection | string> {
  const identity = identityFromSeed(randomBytes(32), nativeCrypto);
  try {
    const connection = await openOutbound(
      { crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache() },
      { url, expectedNodeId: nodeId, transport: { policy: { insecureLoopback: true }, localAddress } },
    );
    open.push(connection);
    return connection;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** An upgraded WebSocket from `localAddress` that never says hello. */
async function silentSocket(url: string, localAddress: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { localAddress });
  ws.on('error', () => undefined);
  open.push(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', reject);
  });
  return ws;
}

describe('inbound session slots of a contributor', () => {
  it('upgraded sockets that never say hello hold no session slot: honest peers still get sessions', async () => {
    node = await startTestNode({ initialSettings: { joined: false } });
    const url = node.listenUrls()[0]!;
    // More silent sockets than the contributor has session slots, spread so each address stays
    // within its pending cap (the attack: ~20 of them refused every honest handshake).
    const silent = DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS + 4;
    for (let i = 0; i < silent; i++) await silentSocket(url, `127.0.1.${1 + (i % 2)}`);
    expect(silent / 2).toBeLessThanOrEqual(MAX_PENDING_CONNECTIONS_PER_ADDRESS);
    const honest = await session(url, node.identity.nodeId, '127.0.2.1');
    expect(typeof honest).not.toBe('string');
    expect(node.connections.inboundSessions()).toBe(1);
  });

  it('takes at most its per-address share of sessions from one address, and serves another address meanwhile', async () => {
    node = await startTestNode({ initialSettings: { joined: false } });
    const url = node.listenUrls()[0]!;
    const nodeId = node.identity.nodeId;
    for (let i = 0; i < DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS_PER_ADDRESS; i++) {
      expect(typeof (await session(url, nodeId, '127.0.3.1'))).not.toBe('string');
    }
    const refused = await session(url, nodeId, '127.0.3.1');
    expect(refused).toMatch(/1013|busy/);
    expect(node.connections.inboundSessions('127.0.3.1')).toBe(DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS_PER_ADDRESS);
    expect(typeof (await session(url, nodeId, '127.0.3.2'))).not.toBe('string');
  });

  it('refuses every address once all its inbound session slots are taken, and takes peers again when one ends', async () => {
    node = await startTestNode({ initialSettings: { joined: false } });
    const url = node.listenUrls()[0]!;
    const nodeId = node.identity.nodeId;
    const held: PeerConnection[] = [];
    for (let i = 0; i < DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS; i++) {
      const c = await session(url, nodeId, `127.0.4.${1 + (i % 4)}`);
      if (typeof c === 'string') throw new Error(c);
      held.push(c);
    }
    expect(await session(url, nodeId, '127.0.4.99')).toMatch(/1013|busy/);
    held[0]!.close();
    const until = Date.now() + 5_000;
    while (node.connections.inboundSessions() >= DEFAULT_MAX_INBOUND_CONTRIBUTOR_SESSIONS && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(typeof (await session(url, nodeId, '127.0.4.99'))).not.toBe('string');
  });
});
