// The peer listener's pending slots (issue 15 §2): every accepted connection is pending until its
// owner has a session from it, counted per address and in all, apart from sessions.
//
// Also a regression found by `npm run harden -- fuzz` (ws:session, after ~74,000 inputs): an upgrade
// request ws refuses (bad Sec-WebSocket-Version or -Key) never reached ws's callback, so its
// pending slot was never given back; once they were all taken, the listener answered every peer 503
// for good. Anyone could lock a node out of the network that way.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { listen, type InboundConnectionInfo, type PeerListener } from './ws-listener.js';
import { parsePeerEndpoint } from './endpoint-url.js';
import { MAX_PENDING_CONNECTIONS, MAX_PENDING_CONNECTIONS_PER_ADDRESS } from './limits.js';

let listener: PeerListener | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await listener?.close();
  listener = undefined;
});

/** Sends an upgrade request ws will refuse; resolves with the status line once the server closes. */
function refusedUpgrade(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /peer HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n`);
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

/** A TCP connection from `localAddress` that sends nothing; resolves once connected. */
function silent(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read, so the server's close is seen
    socket.once('error', reject);
    sockets.push(socket);
  });
}

/** Resolves true once the server closed `socket`, false if it is still open after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A WebSocket from `localAddress`: 'open', or the error seen. */
function openFrom(url: string, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('error', (error) => resolve(error.message));
  });
}

async function waitFor(predicate: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function start(onConnection: (ws: WebSocket, info: InboundConnectionInfo) => void = (ws) => ws.close()): Promise<{ url: string; port: number }> {
  listener = await listen({ endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', { insecureLoopback: true }), onConnection });
  return { url: listener.url, port: listener.port };
}

describe('a peer listener and upgrades ws refuses', () => {
  it('gives each one its slot back, so peers are still accepted after more than all the slots', async () => {
    let accepted = 0;
    const { url, port } = await start((ws) => {
      accepted++;
      ws.close();
    });
    const rounds = MAX_PENDING_CONNECTIONS / MAX_PENDING_CONNECTIONS_PER_ADDRESS + 2;
    for (let round = 0; round < rounds; round++) {
      const answers = await Promise.all(Array.from({ length: MAX_PENDING_CONNECTIONS_PER_ADDRESS }, () => refusedUpgrade(port)));
      expect(new Set(answers)).toEqual(new Set(['HTTP/1.1 400 Bad Request']));
    }
    expect(await openFrom(url, '127.0.0.1')).toBe('open');
    expect(accepted).toBe(1);
    // The accepted one holds its slot until it closes (its owner never said it became a session).
    await waitFor(() => listener!.pending().held === 0);
  });
});

describe('pending slots of a peer listener', () => {
  it('holds at most MAX_PENDING_CONNECTIONS_PER_ADDRESS silent connections from one address, and serves another address meanwhile', async () => {
    const { url, port } = await start();
    const held = [];
    for (let i = 0; i < MAX_PENDING_CONNECTIONS_PER_ADDRESS; i++) held.push(await silent(port, '127.0.0.1'));
    await waitFor(() => listener!.pending().held === MAX_PENDING_CONNECTIONS_PER_ADDRESS);
    const extra = await silent(port, '127.0.0.1');
    expect(await closedWithin(extra, 5_000)).toBe(true);
    expect(listener!.pending().refusedPerAddress).toBe(1);
    expect(await openFrom(url, '127.0.0.2')).toBe('open');
    expect(held.every((s) => !s.destroyed)).toBe(true);
  });

  it('counts an upgraded socket that never says hello as pending until its owner lets it go', async () => {
    const infos: InboundConnectionInfo[] = [];
    const { url } = await start((_ws, info) => infos.push(info));
    const clients = Array.from({ length: 3 }, () => new WebSocket(url, { localAddress: '127.0.0.3' }));
    await Promise.all(clients.map((ws) => new Promise((resolve) => ws.once('open', resolve))));
    await waitFor(() => infos.length === 3);
    expect(infos.map((i) => i.addressKey)).toEqual(['127.0.0.3', '127.0.0.3', '127.0.0.3']);
    expect(listener!.pending().held).toBe(3);
    infos[0]!.leavePending();
    infos[0]!.leavePending();
    expect(listener!.pending().held).toBe(2);
    expect(listener!.pending().promoted).toBe(1);
    for (const ws of clients) ws.terminate();
    await waitFor(() => listener!.pending().held === 0);
  });

  it('when every pending slot is taken, a newcomer from a quiet address gets in at the cost of the heaviest address', async () => {
    const { url, port } = await start();
    // MAX_PENDING_CONNECTIONS / MAX_PENDING_CONNECTIONS_PER_ADDRESS addresses hold their full share each.
    const perAddress = MAX_PENDING_CONNECTIONS_PER_ADDRESS;
    const full = Math.floor(MAX_PENDING_CONNECTIONS / perAddress);
    let opened = 0;
    for (let a = 0; a < full; a++) {
      const batch = await Promise.all(Array.from({ length: perAddress }, () => silent(port, `127.0.9.${a + 1}`)));
      opened += batch.length;
    }
    await waitFor(() => listener!.pending().held === Math.min(opened, MAX_PENDING_CONNECTIONS));
    expect(listener!.pending().held).toBe(MAX_PENDING_CONNECTIONS);
    expect(await openFrom(url, '127.0.8.1')).toBe('open');
    expect(listener!.pending().evicted).toBeGreaterThanOrEqual(1);
    expect(listener!.pending().refusedTotal).toBe(0);
  });
});
