// Opens a WebSocket to a peer endpoint. Failures come back as protocol errors: nobody answering
// is E_TRANSPORT_UNAVAILABLE; a TLS or HTTP-level refusal is E_TRANSPORT_REJECTED. An endpoint of a
// stream transport (dht://, issue 16) is opened by that transport and the same WebSocket runs over
// its stream (stream-transports.ts).
import type { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { endpointTransport } from '../../../src-shared/protocol/dht-endpoint.js';
import { recordSessionPath, type StreamTransports } from './stream-transports.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { type EndpointPolicy, parsePeerEndpoint } from './endpoint-url.js';
import type { ClientTrust } from './tls.js';
import { CONNECT_TIMEOUT_MS, MAX_FRAME_BYTES } from './limits.js';

export interface DialOptions {
  readonly policy: EndpointPolicy;
  readonly trust?: ClientTrust;
  readonly timeoutMs?: number;
  readonly maxPayload?: number;
  /** Local address to dial from (tests and the harness spread clients over 127.x.y.z). */
  readonly localAddress?: string;
  /** The node's stream transports (the DHT); an endpoint of one not registered here is unavailable. */
  readonly streams?: StreamTransports | undefined;
}

/** The URL our WebSocket asks for over a stream transport: the stream already reached the node. */
export const STREAM_WEBSOCKET_URL = 'ws://stream.pnode.invalid/peer';

const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

export function classifyDialError(error: unknown, url: string): ProtocolError {
  const err = error as NodeJS.ErrnoException & { message?: string };
  const message = err?.message ?? String(error);
  if (err?.code && UNAVAILABLE_ERRNOS.has(err.code)) return new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${url}: ${err.code}`);
  if (/timed out|timeout/i.test(message)) return new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${url}: connect timed out`);
  if (/Unexpected server response/i.test(message)) return new ProtocolError('E_TRANSPORT_REJECTED', `${url}: ${message}`);
  if ((err?.code && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME|UNABLE_TO/.test(err.code)) || /certificate|ssl|tls/i.test(message)) {
    return new ProtocolError('E_TRANSPORT_REJECTED', `${url}: TLS refused (${err?.code ?? message})`);
  }
  return new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${url}: ${message}`);
}

export function dial(urlText: string, options: DialOptions): Promise<WebSocket> {
  const transport = endpointTransport(urlText);
  if (transport !== 'wss') return dialOverStream(urlText, transport, options);
  const endpoint = parsePeerEndpoint(urlText, options.policy);
  return openWebSocket(endpoint.url, endpoint.url, options);
}

async function dialOverStream(urlText: string, transport: 'dht', options: DialOptions): Promise<WebSocket> {
  const dialer = options.streams?.get(transport);
  if (!dialer) throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${urlText.slice(0, 80)}: this node has no ${transport} transport`);
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  const opened = await dialer.open(urlText, timeoutMs);
  try {
    const socket = await openWebSocket(STREAM_WEBSOCKET_URL, urlText, { ...options, trust: undefined, localAddress: undefined }, () => opened.socket);
    recordSessionPath(socket, opened.path);
    return socket;
  } catch (error) {
    opened.socket.destroy();
    throw error;
  }
}

function openWebSocket(wsUrl: string, shownUrl: string, options: DialOptions, streamOf?: () => Duplex): Promise<WebSocket> {
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(wsUrl, {
      // ws asks its createConnection for the socket its HTTP upgrade runs on: here, the stream.
      ...(streamOf ? { createConnection: streamOf as unknown as typeof createConnection } : {}),
      handshakeTimeout: timeoutMs,
      maxPayload: options.maxPayload ?? MAX_FRAME_BYTES,
      perMessageDeflate: false,
      followRedirects: false,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.trust?.ca ? { ca: [...options.trust.ca] } : {}),
    });
    let settled = false;
    const timer = setTimeout(() => fail(new Error('timeout')), timeoutMs + 1_000);
    timer.unref();
    function fail(error: unknown): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      reject(classifyDialError(error, shownUrl));
    }
    socket.once('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.on('error', () => undefined); // see ws-listener.ts: never let a socket error go unheard
      resolve(socket);
    });
    socket.once('error', fail);
    socket.once('unexpected-response', (_request, response) => fail(new Error(`Unexpected server response: ${response.statusCode}`)));
  });
}
