import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { acceptInbound, openOutbound, type PeerConnection, MAX_BAD_MESSAGES_PER_SESSION } from './peer-connection.js';
import { listen, type PeerListener } from '../transport/ws-listener.js';
import { parsePeerEndpoint } from '../transport/endpoint-url.js';
import type { HandshakeContext } from '../session/handshake-flow.js';
import { HandshakeNonceCache } from '../session/nonce-cache.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { MemoryTraceSink } from '../trace/trace-sink.js';
import { systemClock } from '../util/clock.js';
import type { NodeIdentity } from '../identity/node-identity.js';
import { encodeDeterministic } from '../../../src-shared/protocol/encoding/dcbor.js';
import { makePing } from '../../../src-shared/protocol/messages/core-bodies.js';
import type { SessionMessage } from '../../../src-shared/protocol/messages/session-message.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { testIdentity } from '../../../tests/support/identities.js';

const policy = { insecureLoopback: true };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function context(identity: NodeIdentity, extra: Partial<HandshakeContext> = {}): HandshakeContext & { trace: MemoryTraceSink } {
  const trace = new MemoryTraceSink(identity.nodeId);
  return { crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache(), ...extra, trace };
}

interface Responder {
  listener: PeerListener;
  ctx: ReturnType<typeof context>;
  accepted: PeerConnection[];
  refused: ProtocolError[];
}

async function responder(identity: NodeIdentity, extra: Partial<HandshakeContext> = {}, onAccepted?: (c: PeerConnection) => void): Promise<Responder> {
  const ctx = context(identity, extra);
  const accepted: PeerConnection[] = [];
  const refused: ProtocolError[] = [];
  const listener = await listen({
    endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', policy),
    onConnection: (socket, info) => {
      acceptInbound(ctx, socket, { remoteAddress: info.remoteAddress }).then(
        (connection) => {
          accepted.push(connection);
          onAccepted?.(connection);
          connection.start();
        },
        (error: ProtocolError) => refused.push(error),
      );
    },
  });
  cleanups.push(() => listener.close());
  return { listener, ctx, accepted, refused };
}

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function nextMessage(connection: PeerConnection): Promise<SessionMessage> {
  return new Promise<SessionMessage>((resolve) => connection.once('message', resolve));
}

const alice = testIdentity(0xa1);
const bob = testIdentity(0xb0);

describe('a session over a real socket', () => {
  it('authenticates both ends and carries sealed messages both ways', async () => {
    const server = await responder(bob);
    const client = await openOutbound(context(alice), { url: server.listener.url, expectedNodeId: bob.nodeId, transport: { policy } });
    client.start();
    expect(client.peerNodeId).toBe(bob.nodeId);
    await expect.poll(() => server.accepted.length).toBe(1);
    const inbound = server.accepted[0]!;
    expect(inbound.peerNodeId).toBe(alice.nodeId);
    expect(inbound.session.sessionId).toBe(client.session.sessionId);

    const atBob = nextMessage(inbound);
    client.send('ping', makePing(Date.now()));
    expect((await atBob).kind).toBe('ping');
    const atAlice = nextMessage(client);
    inbound.send('pong', { nonce: 'n1', ts: '2026-11-21T12:00:00Z' });
    expect(await atAlice).toEqual({ kind: 'pong', body: { nonce: 'n1', ts: '2026-11-21T12:00:00Z' } });
  });

  it('delivers messages the responder sends right behind its ack', async () => {
    const server = await responder(bob, {}, (connection) => {
      for (let i = 0; i < 3; i++) connection.send('pong', { nonce: `early-${i}`, ts: '2026-11-21T12:00:00Z' });
    });
    const client = await openOutbound(context(alice), { url: server.listener.url, transport: { policy } });
    const seen: string[] = [];
    client.on('message', (m) => m.kind === 'pong' && seen.push(m.body.nonce));
    client.start();
    await expect.poll(() => seen).toEqual(['early-0', 'early-1', 'early-2']);
  });
});

describe('handshake refusals arrive as coded errors', () => {
  it('refuses a hello meant for another node (E_PROTO_INVALID), and the dialer learns why', async () => {
    const server = await responder(bob);
    const error = await rejection(openOutbound(context(alice), { url: server.listener.url, expectedNodeId: testIdentity(0xc3).nodeId, transport: { policy } }));
    expect(error.code).toBe('E_PROTO_INVALID');
    expect(error.detail).toMatch(/peer refused/);
    await expect.poll(() => server.ctx.trace.ofType('handshake/rejected').length).toBe(1);
  });

  it('refuses a peer that lacks core/messaging (E_PROTO_CAP_MISSING)', async () => {
    const server = await responder(bob);
    const error = await rejection(openOutbound(context(alice, { capabilities: ['core/discovery'] }), { url: server.listener.url, transport: { policy } }));
    expect(error.code).toBe('E_PROTO_CAP_MISSING');
  });

  it('refuses a replayed hello on a second connection (E_HS_REPLAY, close code 4007)', async () => {
    const server = await responder(bob);
    const capture = await new Promise<string>((resolve) => {
      const first = new WebSocket(server.listener.url);
      const ctx = context(alice);
      void import('../session/handshake-flow.js').then(({ startHandshake }) => {
        const hello = startHandshake(ctx, {}).helloText;
        first.on('open', () => first.send(hello));
        first.on('message', () => {
          first.close();
          resolve(hello);
        });
      });
    });
    const replay = new WebSocket(server.listener.url);
    const outcome = await new Promise<{ text: string; code: number }>((resolve) => {
      let text = '';
      replay.on('open', () => replay.send(capture));
      replay.on('message', (data) => (text = String(data)));
      replay.on('close', (code) => resolve({ text, code }));
    });
    expect(JSON.parse(outcome.text)).toMatchObject({ 'msg/kind': 'error', body: { code: 'E_HS_REPLAY', class: 'handshake/replay-suspected' } });
    expect(outcome.code).toBe(4007);
  });

  it('refuses garbage and binary first messages (E_PROTO_INVALID)', async () => {
    const server = await responder(bob);
    for (const first of ['{not json', Buffer.from([1, 2, 3])]) {
      const socket = new WebSocket(server.listener.url);
      const code = await new Promise<number>((resolve) => {
        socket.on('open', () => socket.send(first));
        socket.on('close', (c) => resolve(c));
      });
      expect(code).toBe(4010);
    }
  });

  it('gives up on a responder that never answers', async () => {
    const silent = await listen({ endpoint: parsePeerEndpoint('ws://127.0.0.1:0/peer', policy), onConnection: () => undefined });
    cleanups.push(() => silent.close());
    const error = await rejection(openOutbound(context(alice), { url: silent.url, transport: { policy }, ackTimeoutMs: 200 }));
    expect(error.code).toBe('E_HS_UNKNOWN_REF');
  });
});

describe('a running session under bad input', () => {
  async function pair() {
    const server = await responder(bob);
    const client = await openOutbound(context(alice), { url: server.listener.url, transport: { policy } });
    client.start();
    await expect.poll(() => server.accepted.length).toBe(1);
    return { client, inbound: server.accepted[0]!, server };
  }

  it('ends the session on a frame that fails to decrypt, and traces it', async () => {
    const { client, inbound, server } = await pair();
    const closed = new Promise<unknown>((resolve) => inbound.once('close', resolve));
    client.socket.send(Buffer.alloc(40, 7), { binary: true });
    expect(await closed).toMatchObject({ code: 'E_PROTO_INVALID', by: 'local' });
    expect(server.ctx.trace.ofType('error/occurred')[0]?.detail).toMatchObject({ code: 'E_PROTO_INVALID' });
  });

  it('ends the session on a replayed frame', async () => {
    const { client, inbound } = await pair();
    const frame = client.session.channel.seal(encodeDeterministic({ 'msg/kind': 'ping', body: makePing(Date.now()) }));
    const closed = new Promise<unknown>((resolve) => inbound.once('close', resolve));
    client.socket.send(frame, { binary: true });
    client.socket.send(frame, { binary: true });
    expect(await closed).toMatchObject({ code: 'E_PROTO_INVALID' });
  });

  it('answers an unusable message with an error and closes after too many', async () => {
    const { client, inbound } = await pair();
    const errors: string[] = [];
    client.on('message', (m) => m.kind === 'error' && errors.push(m.body.code));
    const closed = new Promise<unknown>((resolve) => inbound.once('close', resolve));
    for (let i = 0; i < MAX_BAD_MESSAGES_PER_SESSION; i++) {
      client.socket.send(client.session.channel.seal(encodeDeterministic({ 'msg/kind': 'no-such-kind', body: {} })), { binary: true });
    }
    const clientClosed = new Promise<unknown>((resolve) => client.once('close', resolve));
    expect(await closed).toMatchObject({ code: 'E_PROTO_INVALID' });
    expect(await clientClosed).toMatchObject({ code: 'E_PROTO_INVALID', by: 'remote' });
    expect(errors.length).toBeGreaterThanOrEqual(MAX_BAD_MESSAGES_PER_SESSION - 1);
  });

  it('ends the session on a text message after the handshake', async () => {
    const { client, inbound } = await pair();
    const closed = new Promise<unknown>((resolve) => inbound.once('close', resolve));
    client.socket.send('{"hello":"again"}');
    expect(await closed).toMatchObject({ code: 'E_PROTO_INVALID' });
  });

  it('tells the other side when a session closes normally', async () => {
    const { client, inbound } = await pair();
    const closed = new Promise<unknown>((resolve) => inbound.once('close', resolve));
    client.close(undefined, 'bye');
    expect(await closed).toMatchObject({ by: 'remote', reason: 'bye' });
  });
});
