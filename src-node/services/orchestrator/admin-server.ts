// The orchestrator's admin API (issue 5 §3): plain HTTP on loopback, bearer token required.
//   GET    /status        the orchestrator: identity, timing, counts
//   GET    /pnodes        every PNode record: node-id, state, trust, hardware, last heartbeat, VNodes
//   GET    /pnodes/<id>   one of them
//   GET    /vnodes        every VNode: state, PNode, size
//   POST   /vnodes        {"cores", "memory-mb", "count"?} → 201 the new VNodes (to be placed)
//   DELETE /vnodes/<id>   release one
//   GET    /metrics       Prometheus text exposition
//   …      more from other components through AdminExtensions (the work scheduler: /jobs, issue 7;
//          the registration authority: /authority/…)
// Every request passes admin-auth.ts first (403 / 421 / 401); a refused one is answered and its
// connection closed without reading its body (issue 15 §2: an unauthenticated request could stream
// hundreds of MB). Bodies are JSON, at most MAX_ADMIN_BODY_BYTES. The token is random per run and
// kept in <dataDir>/admin.json (0600). Connections: ADMIN_HTTP_LIMITS.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { checkAdminRequest } from './admin-auth.js';
import { pnodeView, statusView, vnodeView } from './admin-views.js';
import { prometheusText } from './metrics.js';
import type { Orchestrator } from './orchestrator.js';
import { requestUrl } from '../../kernel/util/request-path.js';
import type { AdminExtensions } from '../../kernel/http/admin-extension.js';
import { type HttpListenerLimits, answerAndClose, guardHttpServer, httpServerOptions } from '../../kernel/transport/http-guard.js';

export const MAX_ADMIN_BODY_BYTES = 16 * 1024;
/**
 * Connections held at once. Loopback only, so every client shares one address and the per-address
 * cap is the same: at it, the longest-idle connection goes (a local flood of idle sockets churns its
 * own while an operator's request still gets a turn).
 */
export const ADMIN_MAX_CONNECTIONS = 64;
export const ADMIN_HEADERS_TIMEOUT_MS = 5_000;
export const ADMIN_REQUEST_TIMEOUT_MS = 10_000;
export const ADMIN_KEEPALIVE_TIMEOUT_MS = 5_000;
export const ADMIN_IDLE_TIMEOUT_MS = 30_000;

export const ADMIN_HTTP_LIMITS: HttpListenerLimits = {
  maxConnections: ADMIN_MAX_CONNECTIONS,
  maxConnectionsPerAddress: ADMIN_MAX_CONNECTIONS,
  evictAtAddressCap: true,
  headersTimeoutMs: ADMIN_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: ADMIN_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: ADMIN_KEEPALIVE_TIMEOUT_MS,
  idleTimeoutMs: ADMIN_IDLE_TIMEOUT_MS,
};
/** VNodes one POST may ask for. */
export const MAX_VNODES_PER_REQUEST = 1_000;

export interface AdminServerOptions {
  readonly orchestrator: Orchestrator;
  readonly nodeId: string;
  readonly listenUrls: () => readonly string[];
  readonly now: () => number;
  readonly host: string;
  readonly port: number;
  /** Fixed token (tests); default 32 random bytes, base64url. */
  readonly token?: string;
  /** Endpoints other components serve under this API (the work scheduler's /jobs, the authority's). */
  readonly extensions?: AdminExtensions;
}

export interface AdminServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ADMIN_BODY_BYTES) {
        // Answer now; nothing more is read, and the connection closes after the answer.
        request.removeAllListeners('data');
        request.pause();
        reject(new HttpError(413, `a request body holds at most ${MAX_ADMIN_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        reject(new HttpError(400, 'the body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const { orchestrator } = options;
  const extensions = options.extensions?.list() ?? [];
  let port = options.port;

  async function route(request: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(request.url);
    if (url === undefined) throw new HttpError(400, 'the request target is not a valid path');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    } catch {
      // A malformed escape ("%zz", a cut UTF-8 sequence) is the client's error, not ours (was a 500).
      throw new HttpError(400, 'the path is not valid percent-encoding');
    }
    const method = request.method ?? 'GET';
    const now = options.now();
    const allow = (methods: string): never => {
      throw Object.assign(new HttpError(405, `use ${methods}`), { allow: methods });
    };
    if (parts.length === 1 && parts[0] === 'status') {
      if (method !== 'GET') allow('GET');
      return sendJson(res, 200, statusView(orchestrator, options.nodeId, options.listenUrls(), now));
    }
    if (parts[0] === 'pnodes' && parts.length <= 2) {
      if (method !== 'GET') allow('GET');
      if (parts.length === 1) return sendJson(res, 200, { pnodes: [...orchestrator.registry.all()].map((e) => pnodeView(orchestrator, e, now)) });
      const entry = orchestrator.registry.get(parts[1]!);
      if (!entry) throw new HttpError(404, 'no such PNode');
      return sendJson(res, 200, pnodeView(orchestrator, entry, now));
    }
    if (parts[0] === 'vnodes' && parts.length === 1) {
      if (method === 'GET') return sendJson(res, 200, { vnodes: [...orchestrator.vnodes.all()].map(vnodeView) });
      if (method !== 'POST') allow('GET, POST');
      const body = (await readBody(request)) as Record<string, unknown> | null;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object {"cores", "memory-mb", "count"?}');
      const cores = wholeNumber(body['cores'], 'cores', 1, 4096);
      const memoryMb = wholeNumber(body['memory-mb'], 'memory-mb', 1, 4_294_967_295);
      const count = body['count'] === undefined ? 1 : wholeNumber(body['count'], 'count', 1, MAX_VNODES_PER_REQUEST);
      const created = [];
      try {
        for (let i = 0; i < count; i++) created.push(orchestrator.requestVNode({ cores, memoryMb }));
      } catch (error) {
        if (error instanceof ProtocolError) throw new HttpError(409, error.detail);
        throw error;
      }
      orchestrator.placePending();
      return sendJson(res, 201, { vnodes: created.map(vnodeView) });
    }
    if (parts[0] === 'vnodes' && parts.length === 2) {
      const record = orchestrator.vnodes.get(parts[1]!);
      if (method === 'GET') {
        if (!record) throw new HttpError(404, 'no such VNode');
        return sendJson(res, 200, vnodeView(record));
      }
      if (method !== 'DELETE') allow('GET, DELETE');
      if (!record) throw new HttpError(404, 'no such VNode');
      if (!orchestrator.releaseVNode(record.id)) throw new HttpError(409, `the VNode is ${record.state} already`);
      return sendJson(res, 200, vnodeView(record));
    }
    if (parts.length === 1 && parts[0] === 'metrics') {
      if (method !== 'GET') allow('GET');
      const more = extensions.map((e) => e.metrics?.() ?? '').join('');
      return sendText(res, 200, prometheusText(orchestrator.metrics()) + more, 'text/plain; version=0.0.4; charset=utf-8');
    }
    for (const extension of extensions) {
      const answer = await extension.route({ method, parts, now, body: () => readBody(request) });
      if (answer === null) continue;
      const allow: Record<string, string> = answer.allow !== undefined ? { Allow: answer.allow } : {};
      return sendJson(res, answer.status, answer.body, allow);
    }
    throw new HttpError(404, 'not an admin endpoint (GET /status, /pnodes, /vnodes, /metrics)');
  }

  const server = createServer(httpServerOptions(ADMIN_HTTP_LIMITS), (request, res) => {
    request.on('error', () => undefined);
    const verdict = checkAdminRequest({ remoteAddress: request.socket.remoteAddress, host: request.headers.host, authorization: request.headers.authorization }, port, token);
    if (!verdict.ok) {
      const headers = { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...(verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="pnode-orchestrator"' } : {}) };
      answerAndClose(request, res, verdict.status, headers, `${verdict.reason}\n`);
      return;
    }
    route(request, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpError) {
        const allow = (error as HttpError & { allow?: string }).allow;
        sendJson(res, error.status, { error: error.message }, { ...(allow ? { Allow: allow } : {}), ...(error.status === 413 ? { Connection: 'close' } : {}) });
        return;
      }
      sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  guardHttpServer(server, ADMIN_HTTP_LIMITS);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  const hostText = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostText}:${port}`,
    port,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
