// The WebSocket carrier against a tiny control server on 127.0.0.1 that speaks the protocol as
// src-node's server does: token in a subprotocol, `state` first, then pushes and responses.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { ControlEvent } from '../../src-shared/control/messages.js';
import { CONTROL_PROTOCOL } from '../../src-shared/control/state.js';
import { sampleState, trace } from '../testing/sample-state.js';
import type { ConnectionStatus } from './connection.js';
import { createWebSocketBridge, reconnectDelay, RECONNECT_MAX_MS, type SocketFactory, type WebSocketBridge } from './websocket-bridge.js';
import type { Visibility } from '../visibility.js';

const TOKEN = 'test-token-0123456789';

interface Server {
  readonly url: string;
  readonly sockets: ServerSocket[];
  readonly requests: Array<{ id: number; command: unknown }>;
  readonly protocolsSeen: string[];
  next(): Promise<ServerSocket>;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const sockets: ServerSocket[] = [];
  const requests: Array<{ id: number; command: unknown }> = [];
  const protocolsSeen: string[] = [];
  const waiting: Array<(socket: ServerSocket) => void> = [];
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    path: '/control',
    handleProtocols: (protocols) => (protocols.has(CONTROL_PROTOCOL) ? CONTROL_PROTOCOL : false),
    verifyClient: (info: { req: IncomingMessage }) => {
      const header = String(info.req.headers['sec-websocket-protocol'] ?? '');
      protocolsSeen.push(header);
      return header.split(',').map((p) => p.trim()).includes(`pnode-token.${TOKEN}`);
    },
  });
  wss.on('connection', (socket) => {
    sockets.push(socket);
    socket.send(JSON.stringify({ type: 'state', state: sampleState() }));
    socket.on('message', (data) => {
      const request = JSON.parse(String(data)) as { id: number; command: { command: string } };
      requests.push(request);
      socket.send(JSON.stringify({ type: 'response', id: request.id, result: { ok: true, value: `did ${request.command.command}` } }));
    });
    waiting.shift()?.(socket);
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/control`,
    sockets,
    requests,
    protocolsSeen,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

const createSocket: SocketFactory = (url, protocols) => new WsWebSocket(url, protocols) as unknown as WebSocket;

function waitForStatus(bridge: WebSocketBridge, kind: ConnectionStatus['kind']): Promise<ConnectionStatus> {
  return new Promise((resolve) => {
    if (bridge.connection().kind === kind) return resolve(bridge.connection());
    const off = bridge.onConnection((status) => {
      if (status.kind === kind) {
        off();
        resolve(status);
      }
    });
  });
}

function nextEvent(bridge: WebSocketBridge, type: ControlEvent['type']): Promise<ControlEvent> {
  return new Promise((resolve) => {
    const off = bridge.onEvent((event) => {
      if (event.type === type) {
        off();
        resolve(event);
      }
    });
  });
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { visibility?: Visibility; baseDelayMs?: number } = {}) {
  const server = await startServer();
  cleanups.push(() => server.close());
  const bridge = createWebSocketBridge({ url: server.url, token: TOKEN, createSocket, baseDelayMs: options.baseDelayMs ?? 5, maxDelayMs: 20, ...(options.visibility ? { visibility: options.visibility } : {}) });
  cleanups.push(() => bridge.close());
  return { server, bridge };
}

describe('the WebSocket bridge', () => {
  it('connects with the control subprotocol and the token, and gets the state first', async () => {
    const { server, bridge } = await setup();
    const state = await bridge.getState();
    expect(state.protocol).toBe(CONTROL_PROTOCOL);
    expect(state.identity?.nodeId).toBe(sampleState().identity?.nodeId);
    expect(server.protocolsSeen[0]!.split(',').map((p) => p.trim())).toEqual([CONTROL_PROTOCOL, `pnode-token.${TOKEN}`]);
    expect((await waitForStatus(bridge, 'connected')).kind).toBe('connected');
  });

  it('sends {id, command} and resolves each command with its own response', async () => {
    const { server, bridge } = await setup();
    await bridge.getState();
    await waitForStatus(bridge, 'connected');
    const [a, b] = await Promise.all([bridge.command({ command: 'join' }), bridge.command({ command: 'snooze', minutes: 60 })]);
    expect(a).toEqual({ ok: true, value: 'did join' });
    expect(b).toEqual({ ok: true, value: 'did snooze' });
    expect(server.requests.map((r) => r.command)).toEqual([{ command: 'join' }, { command: 'snooze', minutes: 60 }]);
    expect(new Set(server.requests.map((r) => r.id)).size).toBe(2);
  });

  it('passes on patches, traces and notifications, and keeps its snapshot patched', async () => {
    const { server, bridge } = await setup();
    await bridge.getState();
    const socket = server.sockets[0]!;
    const patched = nextEvent(bridge, 'patch');
    socket.send(JSON.stringify({ type: 'patch', patch: { launchAtLogin: true, version: '9.9.9' } }));
    const patch = await patched;
    expect(patch).toEqual({ type: 'patch', patch: { launchAtLogin: true } });
    expect((await bridge.getState()).launchAtLogin).toBe(true);
    expect((await bridge.getState()).version).toBe('0.1.0');

    const traced = nextEvent(bridge, 'trace');
    socket.send(JSON.stringify({ type: 'trace', event: trace('tr:77', 'keepalive/lost') }));
    expect(await traced).toMatchObject({ type: 'trace', event: { 'trace/id': 'tr:77' } });

    const noticed = nextEvent(bridge, 'notification');
    socket.send('not json');
    socket.send(JSON.stringify({ type: 'mystery' }));
    socket.send(JSON.stringify({ type: 'notification', kind: 'joined', title: 'Joined', body: 'Welcome' }));
    expect(await noticed).toEqual({ type: 'notification', kind: 'joined', title: 'Joined', body: 'Welcome' });
  });

  it('says it is disconnected when the node goes away, fails commands in flight, and reconnects', async () => {
    const { server, bridge } = await setup();
    await bridge.getState();
    await waitForStatus(bridge, 'connected');
    const lost = waitForStatus(bridge, 'disconnected');
    const reconnected = server.next();
    server.sockets[0]!.close(1001, 'node stopping');
    const status = await lost;
    expect(status).toMatchObject({ kind: 'disconnected', attempt: 1 });
    expect(await bridge.command({ command: 'resume' })).toEqual({ ok: false, error: { code: 'not-available', message: 'not connected to the node' } });
    await reconnected;
    await waitForStatus(bridge, 'connected');
    expect(await bridge.command({ command: 'resume' })).toEqual({ ok: true, value: 'did resume' });
  });

  it('does not retry while the window is hidden, and retries as soon as it is shown', async () => {
    let visible = false;
    const listeners = new Set<(v: boolean) => void>();
    const visibility: Visibility = {
      isVisible: () => visible,
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const { server, bridge } = await setup({ visibility, baseDelayMs: 1 });
    await bridge.getState();
    await waitForStatus(bridge, 'connected');
    // The retry timer fires while hidden: the bridge parks until shown.
    const parked = new Promise<ConnectionStatus>((resolve) => {
      const off = bridge.onConnection((s) => {
        if (s.kind === 'disconnected' && s.retryAt === null) {
          off();
          resolve(s);
        }
      });
    });
    server.sockets[0]!.terminate();
    expect(await parked).toMatchObject({ kind: 'disconnected', retryAt: null });
    expect(server.sockets).toHaveLength(1);
    const reconnected = server.next();
    visible = true;
    for (const listener of listeners) listener(true);
    await reconnected;
    expect(server.sockets).toHaveLength(2);
  });

  it('is refused without the right token and keeps saying why', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const bridge = createWebSocketBridge({ url: server.url, token: 'wrong', createSocket, baseDelayMs: 60_000 });
    cleanups.push(() => bridge.close());
    const status = await waitForStatus(bridge, 'disconnected');
    expect(status).toMatchObject({ kind: 'disconnected', attempt: 1 });
    if (status.kind === 'disconnected') expect(status.reason).toMatch(/not reachable|refused/);
    expect(server.sockets).toHaveLength(0);
  });

  it('backs off by doubling, with jitter, up to a ceiling', () => {
    expect(reconnectDelay(1, () => 0, 1_000, 30_000)).toBe(500);
    expect(reconnectDelay(1, () => 1, 1_000, 30_000)).toBe(1_000);
    expect(reconnectDelay(3, () => 1, 1_000, 30_000)).toBe(4_000);
    expect(reconnectDelay(50, () => 1)).toBe(RECONNECT_MAX_MS);
  });
});
