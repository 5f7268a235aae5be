import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { gateConnections } from './connection-gate.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listening(): Promise<number> {
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server!.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** 'closed' once the server drops it, or 'open' if it has not after `waitMs` (long when a close is expected: a busy machine is slow). */
function closedSocket(port: number, localAddress: string, waitMs = 500): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('close', () => resolve('closed'));
    setTimeout(() => resolve('open'), waitMs).unref();
  });
}

describe('the connection gate', () => {
  it('asks the accept-rate seam first, and refuses like a full address when it says no', async () => {
    server = createServer();
    const asked: string[] = [];
    const gate = gateConnections(server, { total: 10, perAddress: 10 }, { acceptRate: (key) => (asked.push(key), key !== '127.0.0.9') });
    const port = await listening();
    expect(await closedSocket(port, '127.0.0.9', 10_000)).toBe('closed');
    expect(await closedSocket(port, '127.0.0.8')).toBe('open');
    expect(asked).toEqual(['127.0.0.9', '127.0.0.8']);
    expect(gate.figures()).toMatchObject({ refusedPerAddress: 1, admitted: 1, held: 1 });
  });

  it('refuses when full and told not to evict, and takes a connection again once one is promoted', async () => {
    server = createServer();
    const accepted: Socket[] = [];
    server.on('connection', (s) => accepted.push(s));
    const gate = gateConnections(server, { total: 1, perAddress: 1, evictAtTotalCap: false });
    const port = await listening();
    expect(await closedSocket(port, '127.0.0.2')).toBe('open');
    expect(await closedSocket(port, '127.0.0.3', 10_000)).toBe('closed');
    gate.promote(accepted[0]!);
    expect(gate.figures()).toMatchObject({ held: 0, promoted: 1, refusedTotal: 1 });
    expect(await closedSocket(port, '127.0.0.3')).toBe('open');
  });

  it('when full, evicts the longest-idle connection of the heaviest address for a newcomer', async () => {
    server = createServer();
    const gate = gateConnections(server, { total: 2, perAddress: 2 });
    const port = await listening();
    const first = closedSocket(port, '127.0.0.4', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    void closedSocket(port, '127.0.0.4');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await closedSocket(port, '127.0.0.5')).toBe('open');
    expect(await first).toBe('closed');
    expect(gate.figures()).toMatchObject({ evicted: 1, held: 2 });
  });
});
