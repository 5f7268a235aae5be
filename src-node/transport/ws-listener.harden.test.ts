// Regression found by the hardening harness (`npm run harden -- fuzz`): an HTTP request to a peer
// listener whose target URL cannot read ("//[") threw inside the upgrade handler, an uncaught
// exception that ended the node. Any remote peer could do it with one request.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { listen, type PeerListener } from './ws-listener.js';
import { parsePeerEndpoint } from './endpoint-url.js';

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
