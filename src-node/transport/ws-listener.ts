// Accepts peer connections: a WebSocket endpoint on an HTTPS server (or plain HTTP on loopback,
// by explicit policy). Anything but an upgrade on the peer path is refused at the HTTP layer.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PeerEndpoint } from './endpoint-url.js';
import { endpointUrl } from './endpoint-url.js';
import type { ServerTls } from './tls.js';
import { MAX_FRAME_BYTES, MAX_PENDING_UPGRADES } from './limits.js';
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
  const server: Server = endpoint.secure ? createHttpsServer({ cert: options.tls!.cert, key: options.tls!.key }) : createHttpServer();
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
    pendingUpgrades++;
    wss.handleUpgrade(request, socket, head, (ws) => {
      pendingUpgrades--;
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
