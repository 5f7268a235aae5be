// Accepts peer connections: a WebSocket endpoint on an HTTPS server (or plain HTTP on loopback,
// by explicit policy). Anything but an upgrade on the peer path is refused at the HTTP layer.
//
// Every accepted TCP connection is *pending* until its owner (the connection manager) has a
// session from it: it takes a pending slot at once (connection-gate.ts; MAX_PENDING_CONNECTIONS in
// all, MAX_PENDING_CONNECTIONS_PER_ADDRESS per address) and keeps it through TLS, the upgrade and
// the hello wait. The owner calls `leavePending` once the hello is answered (or refused); sessions
// are counted by the owner, apart, so silent sockets can never take a session's place.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PeerEndpoint } from './endpoint-url.js';
import { endpointUrl } from './endpoint-url.js';
import type { ServerTls } from './tls.js';
import { MAX_FRAME_BYTES, MAX_PENDING_CONNECTIONS, MAX_PENDING_CONNECTIONS_PER_ADDRESS, UPGRADE_TIMEOUT_CHECK_MS, UPGRADE_TIMEOUT_MS } from './limits.js';
import { requestPathname } from '../util/request-path.js';
import { addressKey } from './address-key.js';
import { gateConnections, type GateFigures } from './connection-gate.js';
import { refuseUpgrade } from './http-guard.js';

export interface InboundConnectionInfo {
  readonly remoteAddress: string;
  /** The per-source key of the remote address (address-key.ts). */
  readonly addressKey: string;
  /** The handshake is over (a session, or refused): the connection's pending slot is free. Idempotent. */
  readonly leavePending: () => void;
}

export interface ListenerOptions {
  readonly endpoint: PeerEndpoint;
  /** Required for wss:// endpoints. */
  readonly tls?: ServerTls | undefined;
  readonly onConnection: (socket: WebSocket, info: InboundConnectionInfo) => void;
  readonly maxPayload?: number;
  /** TLS handshake and upgrade request must be done within this; default UPGRADE_TIMEOUT_MS (tests lower it). */
  readonly upgradeTimeoutMs?: number;
}

export interface PeerListener {
  /** The URL peers dial, with the bound port. */
  readonly url: string;
  readonly port: number;
  /** Pending connections now, and what the gate refused or evicted so far. */
  pending(): GateFigures;
  close(): Promise<void>;
}

export async function listen(options: ListenerOptions): Promise<PeerListener> {
  const { endpoint } = options;
  if (endpoint.secure && !options.tls) throw new Error(`a wss:// listener needs a TLS certificate and key (${endpoint.url})`);
  // A connection that never completes its upgrade (silent, or stalled half-way through the request
  // or the TLS handshake) is dropped after the upgrade timeout. Upgraded sockets leave the HTTP
  // server's care, so sessions are not affected; their own timeouts are the hello wait and keepalive.
  const upgradeTimeoutMs = options.upgradeTimeoutMs ?? UPGRADE_TIMEOUT_MS;
  const timeouts = {
    headersTimeout: upgradeTimeoutMs,
    requestTimeout: upgradeTimeoutMs,
    connectionsCheckingInterval: Math.max(1, Math.min(UPGRADE_TIMEOUT_CHECK_MS, Math.floor(upgradeTimeoutMs / 4))),
  };
  const server: Server = endpoint.secure
    ? createHttpsServer({ cert: options.tls!.cert, key: options.tls!.key, handshakeTimeout: upgradeTimeoutMs, ...timeouts })
    : createHttpServer(timeouts);
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: true });
  // The slot is given back when the socket closes, however it ends: ws calls back only for an
  // upgrade it completes, and one it refuses (a bad key or version) just closes the socket (a
  // counter that missed those locked every peer out once: `npm run harden -- fuzz`).
  const gate = gateConnections(server, { total: MAX_PENDING_CONNECTIONS, perAddress: MAX_PENDING_CONNECTIONS_PER_ADDRESS }, { firstRequestTimeoutMs: upgradeTimeoutMs });

  server.on('request', (request, response) => {
    gate.started(request.socket);
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end('PNode peer endpoint: WebSocket only\n');
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = requestPathname(request.url);
    if (path === undefined || path !== endpoint.path) return refuseUpgrade(socket, 404, 'Not Found');
    const tcp = request.socket;
    gate.started(tcp);
    wss.handleUpgrade(request, socket, head, (ws) => {
      // ws reports protocol violations (oversized or malformed frames) as 'error' and then closes;
      // an unheard 'error' would crash the process.
      ws.on('error', () => undefined);
      const remoteAddress = tcp.remoteAddress ?? 'unknown';
      options.onConnection(ws, { remoteAddress, addressKey: addressKey(remoteAddress), leavePending: () => gate.promote(tcp) });
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint.port, endpoint.host.replace(/^\[|\]$/g, ''), () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : endpoint.port;

  return {
    url: endpointUrl(endpoint, port),
    port,
    pending: () => gate.figures(),
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
