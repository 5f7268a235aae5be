import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeNetHandles } from './net-handles.js';

describe('the open sockets and servers, by address', () => {
  it('names a listening server and both ends of a connection to it, and forgets them once closed', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const serverSide = await accepted;
    const open = describeNetHandles();
    expect(open).toContain(`server 127.0.0.1:${port}`);
    expect(open).toContain(`socket 127.0.0.1:${client.localPort} → 127.0.0.1:${port}`);
    expect(open).toContain(`socket 127.0.0.1:${port} → 127.0.0.1:${client.localPort}`);

    const closed = Promise.all([new Promise((resolve) => client.once('close', resolve)), new Promise((resolve) => serverSide.once('close', resolve))]);
    client.destroy();
    serverSide.destroy();
    await closed;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(describeNetHandles().filter((h) => h.includes(`:${port}`))).toEqual([]);
  });
});
