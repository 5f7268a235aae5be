// The control server's accept path (issue 15 §2): a local flood of idle sockets does not keep the
// UI out and never drops a control client already in; a refused upgrade is not left open by a
// client that neither reads nor closes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { MAX_CONTROL_CONNECTIONS, startControlServer, type ControlServer } from './control-server.js';
import { connectControl, type ControlClient } from './control-client.js';
import type { ControlHandler } from './control-handler.js';
import { initialNodeState } from '../../src-shared/control/initial-state.js';
import { REFUSAL_LINGER_MS } from '../kernel/transport/http-guard.js';

const handler: ControlHandler = {
  snapshot: () => initialNodeState('test', 0),
  subscribe: () => () => undefined,
  execute: async () => ({ ok: true as const, value: null }),
};

let server: ControlServer;
const sockets: Socket[] = [];
const clients: ControlClient[] = [];
beforeEach(async () => {
  server = await startControlServer({ handler });
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

function idleSocket(): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume(); // read, so the server's close is seen
  sockets.push(socket);
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)));
}

describe('the control server under a local flood of idle sockets', () => {
  it('lets the UI in, keeps control clients already in, and drops the flood’s oldest sockets', async () => {
    const early = await connectControl(server.url, server.token);
    clients.push(early);
    let closed = 0;
    for (let i = 0; i < MAX_CONTROL_CONNECTIONS * 2; i++) (await idleSocket()).on('close', () => closed++);
    const late = await connectControl(server.url, server.token);
    clients.push(late);
    expect(late.state().version).toBe('test');
    // Still connected and answered (an unknown command is refused by the server, not lost).
    expect(await early.command({ command: 'no-such-command' })).toMatchObject({ ok: false, error: { code: 'invalid-command' } });
    const until = Date.now() + 10_000;
    while (closed < MAX_CONTROL_CONNECTIONS && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBeGreaterThanOrEqual(MAX_CONTROL_CONNECTIONS);
  });
});

describe('a refused upgrade', () => {
  it('is answered, and dropped after REFUSAL_LINGER_MS when the client never closes its side', async () => {
    // allowHalfOpen: the client reads the answer and the server's end, and keeps its own side open.
    const socket = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(socket);
    let answer = '';
    let failed = false;
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => (failed = true));
    socket.on('close', () => (failed = true));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /control HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: pnode-control.v1\r\n\r\n`);
    await new Promise((resolve) => socket.once('end', resolve));
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    await new Promise((resolve) => setTimeout(resolve, REFUSAL_LINGER_MS));
    // Once the server has let go of the socket, writing to it fails (the kernel answers a reset).
    for (let attempt = 0; attempt < 50 && !failed; attempt++) {
      socket.write('still here\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(failed).toBe(true);
  });
});
