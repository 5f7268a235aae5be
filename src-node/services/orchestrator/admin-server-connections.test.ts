// The admin API's accept path (issue 15 §2): a request with no or a wrong token is answered 401 and
// its body is never read (it could stream hundreds of MB before); a local flood of idle sockets
// does not keep the operator out.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { ManualClock } from '../../kernel/util/clock.js';
import { Orchestrator } from './orchestrator.js';
import { ADMIN_MAX_CONNECTIONS, startAdminServer, type AdminServer } from './admin-server.js';

const TOKEN = 'admin-server-connections-test-token';
const NODE_ID = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
let server: AdminServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function start(): Promise<AdminServer> {
  const clock = new ManualClock();
  const orchestrator = new Orchestrator({ selfNodeId: NODE_ID, clock, crypto: nativeCrypto, heartbeatIntervalMs: 10_000, transport: { send: () => true, isConnected: () => false, sessions: () => 0 } });
  server = await startAdminServer({ orchestrator, nodeId: NODE_ID, listenUrls: () => [], now: () => clock.now(), host: '127.0.0.1', port: 0, token: TOKEN });
  return server;
}

/** Streams a `total`-byte POST body; resolves with the status line answered and the bytes the client got written. */
function bigPost(port: number, authorization: string | undefined, total: number): Promise<{ status: string; written: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      const auth = authorization === undefined ? '' : `Authorization: ${authorization}\r\n`;
      socket.write(`POST /vnodes HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}Content-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < total && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) return;
        }
      };
      socket.on('drain', pump);
      pump();
    });
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ status: answer.split('\r\n')[0] ?? '', written: socket.bytesWritten }));
  });
}

function status(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/status', agent: false, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin API refusing unauthenticated requests', () => {
  it('answers no token and a wrong token with 401 and closes without reading the body', async () => {
    const admin = await start();
    const total = 256 * 1024 * 1024;
    for (const authorization of [undefined, 'Bearer wrong-token', 'Basic Zm9vOmJhcg==']) {
      const outcome = await bigPost(admin.port, authorization, total);
      expect(outcome.status, String(authorization)).toBe('HTTP/1.1 401 Unauthorized');
      // Kernel buffers take some of it; the server reads none of it before closing.
      expect(outcome.written, String(authorization)).toBeLessThan(total / 4);
    }
    expect(await status(admin.port)).toBe(200);
  });
});

describe('the admin API under a local flood of idle sockets', () => {
  it('holds at most ADMIN_MAX_CONNECTIONS and still serves the operator: the longest-idle socket makes room', async () => {
    const admin = await start();
    let closed = 0;
    for (let i = 0; i < ADMIN_MAX_CONNECTIONS * 2; i++) {
      const socket = connect(admin.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume(); // read, so the server's close is seen
      socket.on('close', () => closed++);
      sockets.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
    }
    expect(await status(admin.port)).toBe(200);
    const until = Date.now() + 10_000;
    while (closed < ADMIN_MAX_CONNECTIONS + 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    // The oldest of the flood were dropped to make room, for the flood's newer sockets and for the operator.
    expect(closed).toBeGreaterThanOrEqual(ADMIN_MAX_CONNECTIONS + 1);
    expect(sockets.slice(0, ADMIN_MAX_CONNECTIONS).every((s) => s.destroyed)).toBe(true);
  });
});
