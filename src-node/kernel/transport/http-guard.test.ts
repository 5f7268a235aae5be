import { afterEach, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { guardHttpServer, httpServerOptions, type HttpListenerLimits } from './http-guard.js';
import type { ConnectionGate } from './connection-gate.js';

const LIMITS: HttpListenerLimits = {
  maxConnections: 4,
  maxConnectionsPerAddress: 4,
  evictAtAddressCap: true,
  headersTimeoutMs: 400,
  requestTimeoutMs: 2_000,
  keepAliveTimeoutMs: 400,
  idleTimeoutMs: 5_000,
};

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function start(handler: (respond: () => void) => void): Promise<{ port: number; gate: ConnectionGate }> {
  server = createServer(httpServerOptions(LIMITS), (_req, res) => handler(() => res.end('ok')));
  const gate = guardHttpServer(server, LIMITS);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, gate };
}

function tcp(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume(); // read, so the server's close is seen
  sockets.push(socket);
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)));
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('an HTTP listener under guard', () => {
  it('drops a connection that sends nothing once the header timeout has passed', async () => {
    const { port, gate } = await start((respond) => respond());
    const silent = await tcp(port);
    await closed(silent);
    while (gate.figures().held > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(gate.figures().admitted).toBe(1);
  });

  it('evicts idle connections to make room, never one whose request is being served', async () => {
    let respondLater: (() => void) | undefined;
    const { port, gate } = await start((respond) => (respondLater = respond));
    const busy = await tcp(port);
    busy.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!respondLater) await new Promise((resolve) => setTimeout(resolve, 5));
    const idle = [];
    for (let i = 0; i < LIMITS.maxConnections * 2; i++) idle.push(await tcp(port));
    await Promise.all(idle.slice(0, LIMITS.maxConnections + 1).map(closed));
    expect(busy.destroyed).toBe(false);
    expect(gate.figures().evicted).toBeGreaterThanOrEqual(LIMITS.maxConnections + 1);
    let answer = '';
    busy.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    respondLater();
    while (!answer.includes('ok')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('serves a request on a keep-alive connection, then closes it once idle past the keep-alive timeout', async () => {
    const { port } = await start((respond) => respond());
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { Connection: 'keep-alive' } }, (res) => {
        res.resume();
        sockets.push(res.socket);
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    await closed(sockets[sockets.length - 1]!);
  });
});
