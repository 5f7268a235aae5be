// The limits of an HTTP listener (the seed directory, the orchestrator's admin API, the control
// server, the peer listener's upgrade path) and the one way they are applied (issue 15 §2):
// connection slots per address and in all (connection-gate.ts), prompt timeouts for the headers,
// the whole request, the keep-alive wait and a connection that stops moving bytes, and refusals
// that are answered and closed without reading what else the client sends.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gateConnections, type ConnectionGate, type GateHooks } from './connection-gate.js';

export interface HttpListenerLimits {
  /** Connections held at once in all… */
  readonly maxConnections: number;
  /** …and from one address (IPv4) or /64 (IPv6). */
  readonly maxConnectionsPerAddress: number;
  /**
   * At an address's cap, drop its longest-idle connection instead of refusing the new one: for
   * listeners whose clients all share one address (loopback-only servers), so a flood from that
   * address churns its own idle sockets while an honest request still gets a turn.
   */
  readonly evictAtAddressCap: boolean;
  /** The request line and headers must arrive within this, counted from the connection for its first request. */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, within this. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** No byte in either direction for this long (a client that stops reading its answer): closed. Not applied to upgraded sockets. */
  readonly idleTimeoutMs: number;
}

/** Timeouts are checked at least this often (Node's default is every 30 s, far too late for a 5 s limit). */
export const TIMEOUT_CHECK_MAX_MS = 1_000;
/** A refused connection's client gets this long to read the answer and close before the socket is destroyed. */
export const REFUSAL_LINGER_MS = 2_000;

/** Options for `createServer` (the checking interval can only be set there). */
export function httpServerOptions(limits: HttpListenerLimits): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(1, Math.min(TIMEOUT_CHECK_MAX_MS, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
  };
}

/**
 * Applies `limits` to a server created with httpServerOptions(limits): the timeouts, and a slot per
 * connection (busy while a request is served, so only idle connections are ever evicted).
 */
export function guardHttpServer(server: Server, limits: HttpListenerLimits, hooks: GateHooks = {}): ConnectionGate {
  const options = httpServerOptions(limits);
  server.headersTimeout = options.headersTimeout;
  server.requestTimeout = options.requestTimeout;
  server.keepAliveTimeout = options.keepAliveTimeout;
  server.timeout = limits.idleTimeoutMs;
  const gate = gateConnections(
    server,
    { total: limits.maxConnections, perAddress: limits.maxConnectionsPerAddress, evictAtAddressCap: limits.evictAtAddressCap },
    { ...hooks, firstRequestTimeoutMs: limits.headersTimeoutMs },
  );
  server.on('upgrade', (request: IncomingMessage) => gate.started(request.socket));
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    gate.started(socket);
    gate.setBusy(socket, true);
    response.once('close', () => gate.setBusy(socket, false));
  });
  return gate;
}

/** Destroys `socket` after REFUSAL_LINGER_MS unless it closed by then. */
function lingerThenDestroy(socket: Duplex): void {
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Answers an upgrade request (a socket the HTTP server no longer reads) and closes it: nothing more
 * is read from it, and a client that neither reads nor closes is dropped after REFUSAL_LINGER_MS
 * (the server's timeouts no longer watch an upgrade's socket).
 */
export function refuseUpgrade(socket: Duplex, status: number, statusText: string, body = '', headers: Readonly<Record<string, string>> = {}): void {
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  lingerThenDestroy(socket);
}

/**
 * Answers a request that is refused before its body is read (no or a wrong token, a rate limit, a
 * body declared too large) and closes the connection after the answer: the body is never read (Node
 * would otherwise read and drop all of it to keep the connection alive).
 */
export function answerAndClose(request: IncomingMessage, response: ServerResponse, status: number, headers: Readonly<Record<string, string | number>>, body: string): void {
  request.pause();
  response.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  response.end(body);
  lingerThenDestroy(request.socket);
}
