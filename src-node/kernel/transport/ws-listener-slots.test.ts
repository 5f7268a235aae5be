// Regression found by `npm run harden -- fuzz` (ws:session, after ~74,000 inputs): an upgrade
// request ws refuses (bad Sec-WebSocket-Version or -Key) never reached ws's callback, so its slot
// among MAX_PENDING_UPGRADES was never given back; once they were all taken, the listener answered
// every peer 503 for good. Anyone could lock a node out of the network that way.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { listen, type PeerListener } from './ws-listener.js';
import { parsePeerEndpoint } from './endpoint-url.js';
import { MAX_PENDING_UPGRADES } from './limits.js';

let listener: PeerListener | undefined;
afterEach(async () => {
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

describe('a peer listener and upgrades ws refuses', () => {
  it('gives each one its slot back, so peers are still accepted after many', async () => {
    let accepted = 0;
    listener = await listen({
      endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', { insecureLoopback: true }),
      onConnection: (ws) => {
        accepted++;
        ws.close();
      },
    });
    const port = Number(new URL(listener.url).port);
    for (let batch = 0; batch < 3; batch++) {
      const answers = await Promise.all(Array.from({ length: MAX_PENDING_UPGRADES }, () => refusedUpgrade(port)));
      expect(new Set(answers)).toEqual(new Set(['HTTP/1.1 400 Bad Request']));
    }
    const ws = new WebSocket(listener.url);
    await new Promise<void>((resolve, reject) => {
      ws.once('close', () => resolve());
      ws.once('error', reject);
    });
    expect(accepted).toBe(1);
  });
});
