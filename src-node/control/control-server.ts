// The local control server (DESIGN.md §4): the control contract over a WebSocket on 127.0.0.1,
// plus the built UI as static files. How `pnode node --ui` shows a dashboard in any browser, how
// `pnode signal send` reaches a running node, and how e2e tests drive the real UI.
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { CommandValidationError, parseCommand, type CommandResult } from '../../src-shared/control/commands.js';
import type { ControlResponse, ControlServerMessage } from '../../src-shared/control/messages.js';
import type { ControlHandler } from './control-handler.js';
import { CONTROL_SUBPROTOCOL, checkControlUpgrade, checkStaticRequest } from './control-auth.js';
import { securityHeaders, serveStatic } from './static-files.js';
import { requestPathname } from '../kernel/util/request-path.js';
import { TokenBucket } from '../kernel/util/token-bucket.js';
import { type HttpListenerLimits, answerAndClose, guardHttpServer, httpServerOptions, refuseUpgrade } from '../kernel/transport/http-guard.js';

export const CONTROL_PATH = '/control';
export const CONTROL_HOST = '127.0.0.1';
/** Largest request from a UI (an identity backup is the biggest, ≤ 64 KiB). */
export const MAX_CONTROL_MESSAGE_BYTES = 256 * 1024;
export const MAX_CONTROL_CLIENTS = 16;
/** A client that does not read its events is dropped once this much is queued for it. */
export const MAX_CONTROL_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Commands per second per connection (token bucket)… */
export const CONTROL_COMMANDS_PER_SECOND = 20;
/** …in bursts of twice the rate. */
export const CONTROL_COMMAND_BURST = CONTROL_COMMANDS_PER_SECOND * 2;
/**
 * Connections not yet a control client (UI file requests, upgrades being checked), issue 15 §2.
 * Loopback only, so every client shares one address and the per-address cap is the same: at it,
 * the longest-idle connection goes, and a local flood of idle sockets churns its own while the UI
 * still gets in. Control clients, once in, count against MAX_CONTROL_CLIENTS instead.
 */
export const MAX_CONTROL_CONNECTIONS = 64;
export const CONTROL_HEADERS_TIMEOUT_MS = 5_000;
export const CONTROL_REQUEST_TIMEOUT_MS = 10_000;
export const CONTROL_KEEPALIVE_TIMEOUT_MS = 5_000;
export const CONTROL_IDLE_TIMEOUT_MS = 30_000;

export const CONTROL_HTTP_LIMITS: HttpListenerLimits = {
  maxConnections: MAX_CONTROL_CONNECTIONS,
  maxConnectionsPerAddress: MAX_CONTROL_CONNECTIONS,
  evictAtAddressCap: true,
  headersTimeoutMs: CONTROL_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: CONTROL_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: CONTROL_KEEPALIVE_TIMEOUT_MS,
  idleTimeoutMs: CONTROL_IDLE_TIMEOUT_MS,
};

export interface ControlServerOptions {
  readonly handler: ControlHandler;
  readonly port?: number;
  /** Serve the built renderer from here (`pnode node --ui`). */
  readonly staticDir?: string | undefined;
  /** Browser origins allowed besides our own (e.g. a Vite dev server). */
  readonly extraOrigins?: readonly string[];
  /** Fixed token (tests); default: 32 random bytes per run. */
  readonly token?: string;
  /** Told about refused connections (why), for figures and logs. */
  readonly onRefused?: (reason: string) => void;
}

export interface ControlServer {
  /** ws://127.0.0.1:<port>/control */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** The dashboard URL with the token in its fragment (never sent to a server), when serving the UI. */
  readonly uiUrl: string | null;
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const text = status === 401 ? 'Unauthorized' : status === 421 ? 'Misdirected Request' : status === 503 ? 'Service Unavailable' : 'Forbidden';
  refuseUpgrade(socket, status, text, reason, { 'Content-Type': 'text/plain' });
}

function send(socket: WebSocket, message: ControlServerMessage): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_CONTROL_BUFFERED_BYTES) {
    socket.close(1008, 'too slow');
    return;
  }
  socket.send(JSON.stringify(message));
}

function response(id: number, result: CommandResult): ControlResponse {
  return { type: 'response', id, result };
}

/**
 * The id of a request read from its first bytes, without parsing the rest: how a message over the
 * rate budget is answered `busy` (clients send `{"id":…,"command":…}`, id first). -1 when not there.
 */
export function leadingRequestId(data: unknown): number {
  if (!Buffer.isBuffer(data)) return -1;
  const match = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(data.subarray(0, 64).toString('latin1'));
  return match ? Number(match[1]) : -1;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const extraOrigins = options.extraOrigins ?? [];
  let port = options.port ?? 0;
  const server = createServer(httpServerOptions(CONTROL_HTTP_LIMITS), (request, res) => {
    const verdict = checkStaticRequest({ remoteAddress: request.socket.remoteAddress, host: request.headers.host }, port);
    if (!verdict.ok) {
      options.onRefused?.(verdict.reason);
      answerAndClose(request, res, verdict.status, { ...securityHeaders(port), 'Content-Type': 'text/plain' }, verdict.reason);
      return;
    }
    if (!options.staticDir) {
      res.writeHead(404, { ...securityHeaders(port), 'Content-Type': 'text/plain' });
      res.end('this node serves no UI (start it with --ui)');
      return;
    }
    void serveStatic(options.staticDir, request, res, port);
  });
  const gate = guardHttpServer(server, CONTROL_HTTP_LIMITS);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CONTROL_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(CONTROL_SUBPROTOCOL) ? CONTROL_SUBPROTOCOL : false),
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = requestPathname(request.url);
    if (path === undefined || path !== CONTROL_PATH) return refuse(socket, 403, 'not a control endpoint');
    const verdict = checkControlUpgrade(
      {
        remoteAddress: request.socket.remoteAddress,
        host: request.headers.host,
        origin: request.headers.origin,
        subprotocols: request.headers['sec-websocket-protocol'],
      },
      port,
      token,
      extraOrigins,
    );
    if (!verdict.ok) {
      options.onRefused?.(verdict.reason);
      return refuse(socket, verdict.status, verdict.reason);
    }
    if (wss.clients.size >= MAX_CONTROL_CLIENTS) return refuse(socket, 503, 'too many control clients');
    const tcp = request.socket;
    wss.handleUpgrade(request, socket, head, (ws) => {
      // A control client now: counted by MAX_CONTROL_CLIENTS, no longer by the connection gate.
      gate.promote(tcp);
      attach(ws);
    });
  });

  function attach(ws: WebSocket): void {
    ws.on('error', () => undefined);
    const commands = new TokenBucket({ capacity: CONTROL_COMMAND_BURST, perSecond: CONTROL_COMMANDS_PER_SECOND }, Date.now());
    const unsubscribe = options.handler.subscribe((event) => send(ws, event));
    ws.on('close', unsubscribe);
    send(ws, { type: 'state', state: options.handler.snapshot() });
    ws.on('message', (data, isBinary) => {
      // Every message is charged before it is parsed: a flood of broken ones costs its sender as
      // much as a flood of valid commands (harden/control-surface.harden.ts, "command floods").
      if (!commands.take(1, Date.now())) {
        send(ws, response(leadingRequestId(data), { ok: false, error: { code: 'busy', message: 'too many commands; slow down' } }));
        return;
      }
      let request: { id?: unknown; command?: unknown };
      try {
        if (isBinary) throw new Error('binary');
        request = JSON.parse(String(data)) as { id?: unknown; command?: unknown };
      } catch {
        send(ws, response(-1, { ok: false, error: { code: 'invalid-command', message: 'a request must be JSON text {"id","command"}' } }));
        return;
      }
      const id = typeof request?.id === 'number' && Number.isSafeInteger(request.id) ? request.id : -1;
      let command;
      try {
        command = parseCommand(request.command);
      } catch (error) {
        const message = error instanceof CommandValidationError ? error.message : 'malformed command';
        send(ws, response(id, { ok: false, error: { code: 'invalid-command', message } }));
        return;
      }
      options.handler
        .execute(command)
        .catch((error: unknown): CommandResult => ({ ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } }))
        .then((result) => send(ws, response(id, result)));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, CONTROL_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;

  return {
    url: `ws://${CONTROL_HOST}:${port}${CONTROL_PATH}`,
    port,
    token,
    uiUrl: options.staticDir ? `http://${CONTROL_HOST}:${port}/#token=${token}` : null,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
