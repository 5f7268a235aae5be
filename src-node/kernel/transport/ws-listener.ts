// Accepts peer connections: a WebSocket endpoint on an HTTPS server (or plain HTTP on loopback,
// by explicit policy). Anything but an upgrade on the peer path is refused at the HTTP layer.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PeerEndpoint } from './endpoint-url.js';
import { endpointUrl } from './endpoint-url.js';
import type { ServerTls } from './tls.js';
import { MAX_FRAME_BYTES, MAX_PENDING_UPGRADES, UPGRADE_TIMEOUT_CHECK_MS, UPGRADE_TIMEOUT_MS } from './limits.js';
import { requestPathname } from '../util/request-path.js';

export interface InboundConnectionInfo {
  readonly remoteAddress: string;
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
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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
  let pendingUpgrades = 0;

  server.on('request', (_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end('PNode peer endpoint: WebSocket only\n');
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = requestPathname(request.url);
    if (path === undefined || path !== endpoint.path) return refuse(socket, 404, 'Not Found');
    if (pendingUpgrades >= MAX_PENDING_UPGRADES) return refuse(socket, 503, 'Service Unavailable');
    // ws calls back only for an upgrade it completes; one it refuses (a bad key or version) or
    // that dies half-way just closes the socket. Either way the slot is given back exactly once,
    // or refused upgrades would fill MAX_PENDING_UPGRADES and lock every peer out (found by
    // `npm run harden -- fuzz`).
    pendingUpgrades++;
    let pending = true;
    const release = (): void => {
      if (!pending) return;
      pending = false;
      pendingUpgrades--;
    };
    socket.once('close', release);
    wss.handleUpgrade(request, socket, head, (ws) => {
      release();
      socket.off('close', release);
      // ws reports protocol violations (oversized or malformed frames) as 'error' and then closes;
      // an unheard 'error' would crash the process.
      ws.on('error', () => undefined);
      options.onConnection(ws, { remoteAddress: request.socket.remoteAddress ?? 'unknown' });
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
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
