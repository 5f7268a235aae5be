import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { WebSocket } from 'ws';
import { listen, type PeerListener } from './ws-listener.js';
import { dial } from './ws-dialer.js';
import { parsePeerEndpoint } from './endpoint-url.js';
import { trustWithExtraCas } from './tls.js';
import { CLOSE_MESSAGE_TOO_BIG, closeCodeFor, errorCodeForClose } from './close-codes.js';
import { makeLoopbackCertificate } from '../../../tests/support/tls.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';

const loopback = { insecureLoopback: true };
const listeners: PeerListener[] = [];

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

async function echoListener(url: string, extra: Partial<Parameters<typeof listen>[0]> = {}): Promise<PeerListener> {
  const listener = await listen({
    endpoint: parsePeerEndpoint(url, loopback),
    onConnection: (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    ...extra,
  });
  listeners.push(listener);
  return listener;
}

function roundTrip(socket: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve(String(data)));
    socket.send(text);
  });
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

describe('peer endpoint URLs', () => {
  it('accept wss:// anywhere and default the path to /peer', () => {
    const endpoint = parsePeerEndpoint('wss://node-01.example.net', { insecureLoopback: false });
    expect(endpoint).toMatchObject({ secure: true, host: 'node-01.example.net', port: 443, path: '/peer' });
  });

  it('refuse plain ws:// without --insecure-loopback, and off loopback even with it', () => {
    expect(() => parsePeerEndpoint('ws://127.0.0.1:9000/peer', { insecureLoopback: false })).toThrow(/insecure-loopback/);
    expect(() => parsePeerEndpoint('ws://192.0.2.7:9000/peer', loopback)).toThrow(/only on loopback/);
    expect(() => parsePeerEndpoint('http://127.0.0.1:9000/peer', loopback)).toThrow(/unsupported scheme/);
  });

  it('refuse credentials, queries and garbage', () => {
    expect(() => parsePeerEndpoint('wss://user:pw@example.net/peer', loopback)).toThrow(ProtocolError);
    expect(() => parsePeerEndpoint('wss://example.net/peer?x=1', loopback)).toThrow(ProtocolError);
    expect(() => parsePeerEndpoint('not a url', loopback)).toThrow(ProtocolError);
  });
});

describe('WebSocket transport on loopback', () => {
  it('carries messages over ws:// when insecure loopback is allowed', async () => {
    const listener = await echoListener('ws://127.0.0.1:0/peer');
    expect(listener.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/peer$/);
    const socket = await dial(listener.url, { policy: loopback });
    expect(await roundTrip(socket, 'hello')).toBe('hello');
    socket.close();
  });

  it('carries messages over wss:// when the dialer trusts the CA', async () => {
    const certificate = await makeLoopbackCertificate();
    const listener = await echoListener('wss://127.0.0.1:0/peer', { tls: certificate });
    const socket = await dial(listener.url, { policy: { insecureLoopback: false }, trust: trustWithExtraCas([certificate.certFile]) });
    expect(await roundTrip(socket, 'over tls')).toBe('over tls');
    socket.close();
  });

  it('refuses a wss:// peer whose certificate is not trusted (E_TRANSPORT_REJECTED)', async () => {
    const certificate = await makeLoopbackCertificate();
    const listener = await echoListener('wss://127.0.0.1:0/peer', { tls: certificate });
    const error = await rejection(dial(listener.url, { policy: { insecureLoopback: false } }));
    expect(error.code).toBe('E_TRANSPORT_REJECTED');
  });

  it('reports a closed port as E_TRANSPORT_UNAVAILABLE', async () => {
    const listener = await echoListener('ws://127.0.0.1:0/peer');
    const url = listener.url;
    await listeners.pop()!.close();
    const error = await rejection(dial(url, { policy: loopback }));
    expect(error.code).toBe('E_TRANSPORT_UNAVAILABLE');
  });

  it('refuses an upgrade on another path (E_TRANSPORT_REJECTED)', async () => {
    const listener = await echoListener('ws://127.0.0.1:0/peer');
    const error = await rejection(dial(listener.url.replace('/peer', '/other'), { policy: loopback }));
    expect(error.code).toBe('E_TRANSPORT_REJECTED');
  });

  it('answers plain HTTP with 426 Upgrade Required', async () => {
    const listener = await echoListener('ws://127.0.0.1:0/peer');
    const status = await new Promise<number>((resolve, reject) => {
      request(listener.url.replace('ws:', 'http:'), (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(426);
  });

  it('closes a connection that sends a frame above the size limit (1009)', async () => {
    const limit = 1024;
    const listener = await echoListener('ws://127.0.0.1:0/peer', { maxPayload: limit });
    const socket = await dial(listener.url, { policy: loopback });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(Buffer.alloc(limit + 1));
    expect(await closed).toBe(CLOSE_MESSAGE_TOO_BIG);
  });
});

describe('close codes', () => {
  it('map the eleven protocol codes to 4001…4011 and back', () => {
    expect(closeCodeFor('E_TRANSPORT_UNAVAILABLE')).toBe(4001);
    expect(closeCodeFor('E_PROTO_CAP_MISSING')).toBe(4011);
    expect(errorCodeForClose(4007)).toBe('E_HS_REPLAY');
    expect(errorCodeForClose(1000)).toBeUndefined();
  });
});
