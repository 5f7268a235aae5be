// Regression found by the hardening harness (`npm run harden -- fuzz`): an HTTP request to a peer
// listener whose target URL cannot read ("//[") threw inside the upgrade handler, an uncaught
// exception that ended the node. Any remote peer could do it with one request.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { listen, type PeerListener } from './ws-listener.js';
import { parsePeerEndpoint } from './endpoint-url.js';
import { CLOSE_HANDSHAKE_TIMEOUT_MS, CONNECT_TIMEOUT_MS, UPGRADE_TIMEOUT_MS } from './limits.js';
import { closeSocket } from './close-codes.js';

let listener: PeerListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

function upgrade(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('a peer listener and request targets URL cannot read', () => {
  it('answers 404 and keeps accepting sessions', async () => {
    const accepted: string[] = [];
    listener = await listen({ endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', { insecureLoopback: true }), onConnection: (ws, info) => {
      accepted.push(info.remoteAddress);
      ws.close();
    } });
    const port = Number(new URL(listener.url).port);
    for (const target of ['//[', '//%zz', '//:99999/peer']) expect(await upgrade(port, target), target).toBe('HTTP/1.1 404 Not Found');
    const ws = new WebSocket(listener.url);
    await new Promise<void>((resolve, reject) => {
      ws.once('close', () => resolve());
      ws.once('error', reject);
    });
    expect(accepted).toHaveLength(1);
  });
});

// Found by `npm run harden -- faults` (issue 8 §3): a TCP connection that never sent its upgrade
// request, or stopped half-way through it, was held for Node's default 60 s (the dial side gives
// up after CONNECT_TIMEOUT_MS); the listener now drops it after UPGRADE_TIMEOUT_MS.
describe('a peer listener and connections that never finish their upgrade', () => {
  const TIMEOUT_MS = 400;

  function heldFor(port: number, send: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = connect(port, '127.0.0.1', () => {
        if (send) socket.write(send);
      });
      socket.on('error', () => undefined);
      socket.resume(); // it reads (and drops) what comes, the close frame too, and never answers
      socket.on('close', () => resolve(Date.now() - started));
      setTimeout(() => reject(new Error('still open after 10 s')), 10_000).unref();
    });
  }

  it('drops a silent connection and a half-sent upgrade request after the upgrade timeout; sessions stay', async () => {
    listener = await listen({ endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', { insecureLoopback: true }), upgradeTimeoutMs: TIMEOUT_MS, onConnection: () => undefined });
    const port = Number(new URL(listener.url).port);
    const session = new WebSocket(listener.url);
    await new Promise<void>((resolve, reject) => {
      session.once('open', () => resolve());
      session.once('error', reject);
    });
    const [silent, partial] = await Promise.all([heldFor(port, ''), heldFor(port, 'GET /peer HTTP/1.1\r\nHost: 127.0.0.1\r\n')]);
    for (const held of [silent, partial]) {
      expect(held).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(held).toBeLessThan(TIMEOUT_MS * 5);
    }
    // Idle for longer than the upgrade timeout: an upgraded socket is no longer the HTTP server's.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 2));
    expect(session.readyState).toBe(WebSocket.OPEN);
    session.close();
  });

  it('uses UPGRADE_TIMEOUT_MS by default, the same as the dial side gives a connection', () => {
    expect(UPGRADE_TIMEOUT_MS).toBe(CONNECT_TIMEOUT_MS);
  });
});

// Found by `npm run harden -- faults`: after the node gave up on a stalled peer (no hello, keepalive
// lost, a refused or busy handshake), ws waited 30 s for the peer to answer the close before the
// TCP connection went; closeSocket drops it after CLOSE_HANDSHAKE_TIMEOUT_MS.
describe('closing a socket whose peer never answers the close', () => {
  it('drops the TCP connection after the close timeout; a peer that answers closes at once', async () => {
    const TIMEOUT_MS = 300;
    listener = await listen({ endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', { insecureLoopback: true }), onConnection: (ws) => closeSocket(ws, 4001, 'bye', TIMEOUT_MS) });
    const port = Number(new URL(listener.url).port);
    // A raw client that completes the upgrade and then reads nothing back (a stalled peer).
    const stalledFor = await new Promise<number>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET /peer HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      const started = Date.now();
      socket.on('error', () => undefined);
      socket.resume(); // it reads (and drops) what comes, the close frame too, and never answers
      socket.on('close', () => resolve(Date.now() - started));
    });
    expect(stalledFor).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(stalledFor).toBeLessThan(TIMEOUT_MS * 10);
    const client = new WebSocket(listener.url);
    const code = await new Promise<number>((resolve) => client.once('close', (c) => resolve(c)));
    expect(code).toBe(4001);
    expect(CLOSE_HANDSHAKE_TIMEOUT_MS).toBeLessThan(30_000);
  });
});
