// The seed directory's HTTP API (spec digest §e), over a DirectoryStore.
//
//   PUT /adv/{node-id}      body: the raw node-advertisement.v1 (Content-Type: application/json)
//     201 {"status":"stored","node/id","advertisement/id","sequence/no","stored-at","expires-at"}
//     200 the same with "status":"unchanged": an identical re-publication (same sequence/no, same
//         signature) is idempotent; stored-at is the original one
//     400 E_PROTO_INVALID   schema (with the JSON path), not JSON, path node-id ≠ body node/id,
//                           invalid node-id in the path, freshness (advertised-at in the future,
//                           lifetime over DIRECTORY_MAX_LIFETIME_MS)
//     403 E_SIG_INVALID / E_SIG_UNKNOWN_SIGNER
//     409 {"status":"conflict","reason":"stale-sequence","node/id","current/sequence-no",
//          "submitted/sequence-no", code E_ADV_STALE_SEQ}
//     413 E_PROTO_INVALID   body over DIRECTORY_MAX_BODY_BYTES
//     415 E_PROTO_INVALID   Content-Type is not application/json
//     422 E_ADV_EXPIRED
//     429 E_TRANSPORT_REJECTED + Retry-After (seconds): per-IP or per-publisher rate limit
//     503 E_TRANSPORT_UNAVAILABLE (+ Retry-After): the directory is full and this client's address
//                           or neighbourhood holds the most of it (anyone else's newcomer evicts the
//                           heaviest source's oldest row: directory-fairness.ts), or the disk write failed
//   GET /adv/{node-id}      200 the raw current artifact; 404 {"status":"not-found","node/id"};
//                           400 invalid node-id
//   GET /adv[?since=<cursor>]
//     200 {"items":[…≤ max-items],"next":"<cursor>","max-items":100}; 400 unknown cursor.
//     No `since` (or an empty one) reads from the beginning. `next` is the position of the last
//     item returned (or `since` again when there is none). Fewer than max-items items means the
//     end of the feed: poll again later from `next`.
//   GET /revocations/{authority key}    (issue 15 §5; directory-revocations.ts)
//                           200 the latest signed revocation-list.v1 of that registration authority;
//                           404 {"status":"not-found"} when none is held yet; 404 E_SIG_UNKNOWN_SIGNER
//                           when the directory serves no lists of that key; 400 not a key
//   PUT /revocations/{authority key}    body: a revocation-list.v1
//     201 {"status":"stored","issuer/key","sequence/no"}
//     400 E_PROTO_INVALID   not a key, not JSON, schema, issuer/key ≠ the path's
//     403 E_SIG_UNKNOWN_SIGNER  a key the directory does not serve (refused before the body is read)
//         E_SIG_INVALID     not signed by that key
//     409 E_ADV_STALE_SEQ   sequence/no not above the one held
//     413 E_PROTO_INVALID   over MAX_DISTRIBUTED_REVOCATION_LIST_BYTES;   415 not application/json
//     429 E_TRANSPORT_REJECTED  the per-IP PUT limit, or DIRECTORY_REVOCATION_PUTS_PER_SECOND per key
//                           (counted only for lists that verify and are newer: only the authority spends it)
//     503 E_TRANSPORT_UNAVAILABLE  the list could not be stored
//   GET /healthz            200 {"status":"ok","node/id","entries","uptime-seconds","epoch"[,"networks"]}
//
// Network-scoped (issue 12 §2): a directory given networks serves each under
// /networks/{network-id}/ — /adv, /adv/{node-id} as above, and GET /network (the network's
// descriptor, for members' renewal) — from a store of its own: an advertisement whose federation/id
// is not that network is refused (400 E_PROTO_INVALID), so networks never mix. A private (psk)
// network's routes answer only requests proving its key (X-PNode-Network-Proof,
// src-shared/network/directory-proof.ts): 403 E_TRANSPORT_REJECTED otherwise. The root /adv routes
// are then not served (404).
//   GET /metrics            200 Prometheus text
//   anything else on these paths → 405 with Allow; other paths → 404 E_PROTO_INVALID.
//
// Order of checks on a PUT: per-IP limit (before reading anything), path node-id, media type,
// size, JSON, path = body node/id, verification, then the per-publisher limit — counted only for
// verified PUTs, so a forger cannot spend a publisher's allowance — then the sequence rule. A
// request refused before its body is read is answered and its connection closed: the body is never
// read (kernel/transport/http-guard.ts).
//
// Connections (issue 15 §2): at most DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS from one address (IPv4)
// or /64 (IPv6) and DIRECTORY_MAX_CONNECTIONS in all, counted from the moment one is accepted; when
// all are taken, the longest-idle connection of the address holding the most makes room. Idle,
// header, request and keep-alive timeouts are DIRECTORY_HTTP_LIMITS.
//
// Every error body is JSON with "status" (a word), "code" (one of the eleven), "class" and
// "detail". The one 404 that is an answer rather than an error (`GET /adv/{node-id}` for a valid
// id the directory does not hold) has the spec's body, with no code.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type ErrorCode, ProtocolError } from '../../../src-shared/protocol/errors.js';
import { isNodeId } from '../../../src-shared/protocol/did-key.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import type { ServerTls } from '../../kernel/transport/tls.js';
import { addressKey } from '../../kernel/transport/address-key.js';
import { type GateFigures } from '../../kernel/transport/connection-gate.js';
import { type HttpListenerLimits, answerAndClose, guardHttpServer, httpServerOptions } from '../../kernel/transport/http-guard.js';
import type { TraceSink } from '../../kernel/trace/trace-sink.js';
import type { Clock } from '../../kernel/util/clock.js';
import { KeyedBuckets } from '../../kernel/util/keyed-buckets.js';
import { type DirectoryUrl, directoryBaseUrl } from '../../kernel/discovery/directory-url.js';
import { DIRECTORY_MAX_ENTRY_BYTES, type DirectoryEntry, type DirectoryStore, FEED_MAX_ITEMS } from './directory-store.js';
import { DirectoryMetrics } from './directory-metrics.js';
import type { DirectoryRevocations } from './directory-revocations.js';
import { MAX_DISTRIBUTED_REVOCATION_LIST_BYTES } from '../../../src-shared/trust/revocation-list.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { DIRECTORY_PROOF_HEADER, checkDirectoryProof } from '../../../src-shared/network/directory-proof.js';

/** Largest PUT body: the largest row the directory keeps (413 before anything is parsed). */
export const DIRECTORY_MAX_BODY_BYTES = DIRECTORY_MAX_ENTRY_BYTES;
/** Per publisher (node-id, counted after its signature verified): one PUT per 10 s sustained… */
export const DIRECTORY_PUBLISHER_PUTS_PER_SECOND = 0.1;
/** …and this many at once (an honest node re-announces every TTL/3 ≈ 200 s). */
export const DIRECTORY_PUBLISHER_BURST = 6;
/** Per client IP: PUTs per second sustained (many nodes may share one NAT address)… */
export const DIRECTORY_IP_PUTS_PER_SECOND = 20;
/** …and GETs per second sustained. */
export const DIRECTORY_IP_GETS_PER_SECOND = 200;
/** Per-IP bursts are this many seconds of the sustained rate (100 PUTs, 1,000 GETs). */
export const DIRECTORY_IP_BURST_SECONDS = 5;
/** PUTs of one authority's revocation list per second sustained (an authority changes its list now and then)… */
export const DIRECTORY_REVOCATION_PUTS_PER_SECOND = 0.1;
/** …and at once. */
export const DIRECTORY_REVOCATION_PUT_BURST = 6;
/** Buckets kept per limit (bounded memory). */
export const DIRECTORY_RATE_MAX_KEYS = 65_536;
/** The request line and headers within this; a connection that sends nothing goes then. */
export const DIRECTORY_HEADERS_TIMEOUT_MS = 5_000;
/** The whole request (a body is at most DIRECTORY_MAX_BODY_BYTES) within this. */
export const DIRECTORY_REQUEST_TIMEOUT_MS = 10_000;
export const DIRECTORY_KEEPALIVE_TIMEOUT_MS = 5_000;
/** A connection that moves no byte either way for this long (a client not reading its feed page) goes. */
export const DIRECTORY_IDLE_TIMEOUT_MS = 30_000;
/** Connections held at once in all… */
export const DIRECTORY_MAX_CONNECTIONS = 4_096;
/**
 * …and from one address (IPv4) or /64 (IPv6): room for a NAT of many nodes, while one host with
 * thousands of idle sockets no longer shuts everyone else out (issue 15 §2: ~4,200 of them refused
 * 48 of 50 honest requests).
 */
export const DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS = 64;

export const DIRECTORY_HTTP_LIMITS: HttpListenerLimits = {
  maxConnections: DIRECTORY_MAX_CONNECTIONS,
  maxConnectionsPerAddress: DIRECTORY_MAX_CONNECTIONS_PER_ADDRESS,
  evictAtAddressCap: false,
  headersTimeoutMs: DIRECTORY_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: DIRECTORY_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: DIRECTORY_KEEPALIVE_TIMEOUT_MS,
  idleTimeoutMs: DIRECTORY_IDLE_TIMEOUT_MS,
};
/** Purge of expired rows, compaction check and rate-bucket sweep. */
export const DIRECTORY_MAINTENANCE_INTERVAL_MS = 30_000;
/** Retry-After on 503 (full, or a failed disk write). */
export const DIRECTORY_UNAVAILABLE_RETRY_S = 30;

export interface DirectoryLimits {
  readonly ipPutsPerSecond: number;
  readonly ipGetsPerSecond: number;
  readonly ipBurstSeconds: number;
  readonly publisherPutsPerSecond: number;
  readonly publisherBurst: number;
  readonly maxBodyBytes: number;
}

export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = {
  ipPutsPerSecond: DIRECTORY_IP_PUTS_PER_SECOND,
  ipGetsPerSecond: DIRECTORY_IP_GETS_PER_SECOND,
  ipBurstSeconds: DIRECTORY_IP_BURST_SECONDS,
  publisherPutsPerSecond: DIRECTORY_PUBLISHER_PUTS_PER_SECOND,
  publisherBurst: DIRECTORY_PUBLISHER_BURST,
  maxBodyBytes: DIRECTORY_MAX_BODY_BYTES,
};

/** Where a network-scoped directory serves one network. */
export const DIRECTORY_NETWORKS_PREFIX = '/networks/';

/** One network a directory serves (issue 12 §2). */
export interface DirectoryNetworkScope {
  readonly id: string;
  readonly store: DirectoryStore;
  /** A private network's key: only requests proving it are answered. */
  readonly psk?: Uint8Array | undefined;
  /** The network's descriptor as the directory holds it (served at …/network), if any. */
  readonly descriptor?: () => unknown;
}

export interface DirectoryServerOptions {
  /** The store of an unscoped directory (no networks); with networks, each has its own. */
  readonly store: DirectoryStore;
  readonly networks?: readonly DirectoryNetworkScope[];
  /** For private networks' proofs. */
  readonly crypto?: Pick<CryptoProvider, 'hmacSha256'>;
  readonly listen: DirectoryUrl;
  readonly tls?: ServerTls | undefined;
  readonly clock: Clock;
  /** The directory's own node-id (healthz). */
  readonly nodeId: string;
  readonly traces?: TraceSink | undefined;
  readonly limits?: Partial<DirectoryLimits> | undefined;
  /** Connection limits and timeouts; DIRECTORY_HTTP_LIMITS unless a test lowers them. */
  readonly http?: HttpListenerLimits | undefined;
  readonly maintenanceIntervalMs?: number;
  /** Registration authorities' revocation lists (issue 15 §5); none served when absent. */
  readonly revocations?: DirectoryRevocations | undefined;
}

const JSON_TYPE = 'application/json';
const AUTHORITY_KEY = /^z[1-9A-HJ-NP-Za-km-z]{1,63}$/;
const FEED_OPEN = Buffer.from('{"items":[', 'utf8');
const COMMA = Buffer.from(',', 'utf8');
const STATUS_WORD: Readonly<Record<number, string>> = {
  400: 'invalid',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'too-large',
  415: 'unsupported-media-type',
  422: 'expired',
  429: 'rate-limited',
  500: 'internal-error',
  503: 'unavailable',
};

/** HTTP status for a code coming out of verification. */
export function statusForCode(code: ErrorCode): number {
  switch (code) {
    case 'E_SIG_INVALID':
    case 'E_SIG_UNKNOWN_SIGNER':
      return 403;
    case 'E_ADV_EXPIRED':
      return 422;
    case 'E_ADV_STALE_SEQ':
      return 409;
    case 'E_TRANSPORT_REJECTED':
      return 429;
    case 'E_TRANSPORT_UNAVAILABLE':
      return 503;
    default:
      return 400;
  }
}

/** Whether a request carries a body (declared by length or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isJsonType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  return type === JSON_TYPE;
}

type Body = { readonly kind: 'ok'; readonly data: Buffer } | { readonly kind: 'too-large' } | { readonly kind: 'aborted' };

function readBody(req: IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (body: Body): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(body);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish({ kind: 'ok', data: Buffer.concat(chunks, size) }));
    req.once('error', () => finish({ kind: 'aborted' }));
    req.once('close', () => finish({ kind: 'aborted' }));
  });
}

export class DirectoryServer {
  readonly metrics = new DirectoryMetrics();
  readonly limits: DirectoryLimits;
  /** Rate limits per client IP (PUTs, GETs) and per publisher node-id, each with bounded memory. */
  private readonly ipPuts: KeyedBuckets;
  private readonly ipGets: KeyedBuckets;
  private readonly publishers: KeyedBuckets;
  private readonly revocationPuts: KeyedBuckets;
  private readonly startedAt: number;
  private maintenance: NodeJS.Timeout | undefined;
  private gateFigures: () => GateFigures = () => ({ held: 0, sources: 0, admitted: 0, refusedPerAddress: 0, refusedTotal: 0, evicted: 0, promoted: 0 });
  /** Requests whose body was read to its end (any other request with a body is closed after its answer). */
  private readonly bodiesRead = new WeakSet<IncomingMessage>();
  private urlNow = '';
  private portNow = 0;
  private readonly scopes: ReadonlyMap<string, DirectoryNetworkScope>;

  private constructor(
    private readonly server: Server,
    private readonly options: DirectoryServerOptions,
  ) {
    this.limits = { ...DEFAULT_DIRECTORY_LIMITS, ...options.limits };
    const l = this.limits;
    this.ipPuts = new KeyedBuckets({ perKey: { perSecond: l.ipPutsPerSecond, capacity: Math.max(1, l.ipPutsPerSecond * l.ipBurstSeconds) }, maxKeys: DIRECTORY_RATE_MAX_KEYS });
    this.ipGets = new KeyedBuckets({ perKey: { perSecond: l.ipGetsPerSecond, capacity: Math.max(1, l.ipGetsPerSecond * l.ipBurstSeconds) }, maxKeys: DIRECTORY_RATE_MAX_KEYS });
    this.publishers = new KeyedBuckets({ perKey: { perSecond: l.publisherPutsPerSecond, capacity: l.publisherBurst }, maxKeys: DIRECTORY_RATE_MAX_KEYS });
    this.revocationPuts = new KeyedBuckets({ perKey: { perSecond: DIRECTORY_REVOCATION_PUTS_PER_SECOND, capacity: DIRECTORY_REVOCATION_PUT_BURST }, maxKeys: DIRECTORY_RATE_MAX_KEYS });
    this.startedAt = options.clock.now();
    this.scopes = new Map((options.networks ?? []).map((n) => [n.id, n]));
    if (this.scopes.size > 0 && [...this.scopes.values()].some((n) => n.psk) && !options.crypto) throw new Error('a directory serving a private network needs crypto for its proofs');
  }

  static async start(options: DirectoryServerOptions): Promise<DirectoryServer> {
    const { listen } = options;
    if (listen.secure && !options.tls) throw new Error(`an https:// directory needs --tls-cert and --tls-key (${listen.base})`);
    const limits = options.http ?? DIRECTORY_HTTP_LIMITS;
    const serverOptions = httpServerOptions(limits);
    const server = listen.secure
      ? createHttpsServer({ cert: options.tls!.cert, key: options.tls!.key, handshakeTimeout: limits.headersTimeoutMs, ...serverOptions })
      : createHttpServer(serverOptions);
    const gate = guardHttpServer(server, limits, { onRefused: (reason) => directory.metrics.connectionRefused(reason) });
    const directory = new DirectoryServer(server, options);
    directory.gateFigures = () => gate.figures();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => directory.onRequest(req, res));
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    directory.portNow = typeof address === 'object' && address ? address.port : listen.port;
    directory.urlNow = directoryBaseUrl(listen, directory.portNow);
    const interval = options.maintenanceIntervalMs ?? DIRECTORY_MAINTENANCE_INTERVAL_MS;
    directory.maintenance = setInterval(() => void directory.maintain(), interval);
    directory.maintenance.unref();
    return directory;
  }

  /** The base URL clients use: `http://127.0.0.1:<port>` or `https://host:<port>`. */
  get url(): string {
    return this.urlNow;
  }

  get port(): number {
    return this.portNow;
  }

  /** Connections held now, and those refused or evicted so far. */
  connections(): GateFigures {
    return this.gateFigures();
  }

  /** Purges expired rows, compacts when due, forgets idle rate buckets. */
  async maintain(): Promise<void> {
    const now = this.options.clock.now();
    this.ipPuts.sweep(now);
    this.ipGets.sweep(now);
    this.publishers.sweep(now);
    this.revocationPuts.sweep(now);
    for (const store of [this.options.store, ...[...this.scopes.values()].map((n) => n.store)]) {
      await store.maintain().catch((error: unknown) => this.options.traces?.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `directory log: ${String(error)}`)) }));
    }
  }

  async close(): Promise<void> {
    if (this.maintenance) clearInterval(this.maintenance);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      const pending = this.route(req, res);
      if (pending) pending.catch((error: unknown) => this.internalError(res, error));
    } catch (error) {
      this.internalError(res, error);
    }
  }

  private internalError(res: ServerResponse, error: unknown): void {
    this.options.traces?.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `directory request failed: ${error instanceof Error ? error.message : String(error)}`)) });
    if (!res.headersSent) this.error(res, 500, new ProtocolError('E_TRANSPORT_UNAVAILABLE', 'internal error'));
    else res.destroy();
  }

  private route(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? '' : target.slice(q + 1);
    const method = req.method ?? 'GET';

    const limited = (method === 'PUT' ? this.ipPuts : this.ipGets).take(addressKey(req.socket.remoteAddress), this.options.clock.now());
    if (!limited.ok) {
      this.metrics.limited('ip');
      if (method === 'PUT') this.metrics.put('E_TRANSPORT_REJECTED');
      const detail = limited.limit === 'keys' ? `too many addresses are being limited at once` : `too many ${method === 'PUT' ? 'PUT' : 'GET'} requests from this address`;
      return this.rateLimited(res, limited.retryAfterMs, detail);
    }

    if (path.startsWith(DIRECTORY_NETWORKS_PREFIX)) return this.routeNetwork(req, res, method, path, query);
    if (this.scopes.size > 0 && (path === '/adv' || path.startsWith('/adv/'))) {
      this.metrics.badRequests++;
      return this.error(res, 404, new ProtocolError('E_PROTO_INVALID', `this directory serves networks (${[...this.scopes.keys()].join(', ')}): use ${DIRECTORY_NETWORKS_PREFIX}<network-id>/adv`));
    }
    if (path.startsWith('/revocations/')) {
      let key: string;
      try {
        key = decodeURIComponent(path.slice('/revocations/'.length));
      } catch {
        this.metrics.badRequests++;
        return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', 'the authority key in the path is not valid percent-encoding'));
      }
      if (method === 'GET') return this.getRevocations(res, key);
      if (method === 'PUT') return this.putRevocations(req, res, key);
      return this.notAllowed(res, 'GET, PUT', method);
    }
    const advertisements = this.routeAdvertisements(req, res, method, path, query, this.options.store, undefined);
    if (advertisements !== false) return advertisements;
    if (path === '/healthz') {
      if (method !== 'GET') return this.notAllowed(res, 'GET', method);
      const body = {
        status: 'ok',
        'node/id': this.options.nodeId,
        entries: this.options.store.size + [...this.scopes.values()].reduce((sum, n) => sum + n.store.size, 0),
        'uptime-seconds': Math.floor((this.options.clock.now() - this.startedAt) / 1000),
        epoch: this.options.store.epoch,
        ...(this.scopes.size > 0 ? { networks: [...this.scopes.keys()] } : {}),
      };
      return this.json(res, 200, JSON.stringify(body));
    }
    if (path === '/metrics') {
      if (method !== 'GET') return this.notAllowed(res, 'GET', method);
      const store = this.options.store;
      const text = this.metrics.render({
        entries: store.size,
        logBytes: store.logBytes,
        compactions: store.compactions,
        expiredPurged: store.expiredPurged,
        uptimeSeconds: Math.floor((this.options.clock.now() - this.startedAt) / 1000),
        connections: this.gateFigures().held,
        storedBytes: store.storedBytes,
        evicted: store.evicted,
      });
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    this.metrics.badRequests++;
    return this.error(res, 404, new ProtocolError('E_PROTO_INVALID', `no such route: ${path.slice(0, 128)}`));
  }

  /** The /adv routes over one store; false when the path is none of them. */
  private routeAdvertisements(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: string, store: DirectoryStore, network: string | undefined): Promise<void> | void | false {
    if (path.startsWith('/adv/')) {
      let nodeId: string;
      try {
        nodeId = decodeURIComponent(path.slice('/adv/'.length));
      } catch {
        this.metrics.badRequests++;
        return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', 'the node-id in the path is not valid percent-encoding'));
      }
      if (method === 'GET') return this.getOne(res, store, nodeId);
      if (method === 'PUT') return this.putOne(req, res, nodeId, store, network);
      return this.notAllowed(res, 'GET, PUT', method);
    }
    if (path === '/adv') {
      if (method === 'GET') return this.getFeed(res, store, query);
      return this.notAllowed(res, 'GET', method);
    }
    return false;
  }

  /** /networks/{id}/…: the network's own store, behind its key's proof when it is private. */
  private routeNetwork(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: string): Promise<void> | void {
    const tail = path.slice(DIRECTORY_NETWORKS_PREFIX.length);
    const slash = tail.indexOf('/');
    let id: string;
    try {
      id = decodeURIComponent(slash < 0 ? tail : tail.slice(0, slash));
    } catch {
      this.metrics.badRequests++;
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', 'the network id in the path is not valid percent-encoding'));
    }
    const scope = this.scopes.get(id);
    if (!scope) {
      this.metrics.badRequests++;
      return this.error(res, 404, new ProtocolError('E_PROTO_INVALID', `this directory does not serve network ${JSON.stringify(id.slice(0, 64))}`));
    }
    if (scope.psk) {
      const header = req.headers[DIRECTORY_PROOF_HEADER];
      if (!checkDirectoryProof(this.options.crypto!, scope.psk, id, method, path, typeof header === 'string' ? header : undefined, this.options.clock.now())) {
        this.metrics.badRequests++;
        return this.error(res, 403, new ProtocolError('E_TRANSPORT_REJECTED', `network ${id} is private: this directory answers only its members (a valid ${DIRECTORY_PROOF_HEADER} header)`));
      }
    }
    const rest = slash < 0 ? '' : tail.slice(slash);
    if (rest === '/network') {
      if (method !== 'GET') return this.notAllowed(res, 'GET', method);
      const descriptor = scope.descriptor?.();
      if (descriptor === undefined || descriptor === null) return this.json(res, 404, JSON.stringify({ status: 'not-found', 'network/id': id }));
      return this.json(res, 200, JSON.stringify(descriptor));
    }
    const routed = this.routeAdvertisements(req, res, method, rest, query, scope.store, id);
    if (routed !== false) return routed;
    this.metrics.badRequests++;
    return this.error(res, 404, new ProtocolError('E_PROTO_INVALID', `no such route: ${path.slice(0, 128)}`));
  }

  private getOne(res: ServerResponse, store: DirectoryStore, nodeId: string): void {
    const entry = store.get(nodeId);
    if (entry) {
      this.metrics.get('id-hit');
      res.writeHead(200, ['Content-Type', JSON_TYPE, 'Content-Length', String(entry.body.length)]);
      res.end(entry.body);
      return;
    }
    if (!isNodeId(nodeId)) {
      this.metrics.badRequests++;
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `not a node-id: ${JSON.stringify(nodeId.slice(0, 128))}`));
    }
    this.metrics.get('id-miss');
    return this.json(res, 404, JSON.stringify({ status: 'not-found', 'node/id': nodeId }));
  }

  private getFeed(res: ServerResponse, store: DirectoryStore, query: string): void {
    const params = new URLSearchParams(query);
    const since = params.getAll('since');
    if (since.length > 1) {
      this.metrics.badRequests++;
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', 'give since at most once'));
    }
    const page = store.feed(since[0]);
    if (!page.ok) {
      this.metrics.badRequests++;
      return this.error(res, 400, page.error);
    }
    this.metrics.get('feed');
    const parts: Buffer[] = [FEED_OPEN];
    page.value.items.forEach((entry, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(entry.body);
    });
    parts.push(Buffer.from(`],"next":${JSON.stringify(page.value.next)},"max-items":${FEED_MAX_ITEMS}}`, 'utf8'));
    const body = Buffer.concat(parts);
    res.writeHead(200, ['Content-Type', JSON_TYPE, 'Content-Length', String(body.length)]);
    res.end(body);
  }

  private async putOne(req: IncomingMessage, res: ServerResponse, pathNodeId: string, store: DirectoryStore, network: string | undefined): Promise<void> {
    if (!isNodeId(pathNodeId)) {
      this.metrics.put('E_PROTO_INVALID');
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `not a node-id: ${JSON.stringify(pathNodeId.slice(0, 128))}`));
    }
    if (!isJsonType(req.headers['content-type'])) {
      this.metrics.put('E_PROTO_INVALID');
      return this.error(res, 415, new ProtocolError('E_PROTO_INVALID', `Content-Type must be ${JSON_TYPE}`));
    }
    const max = this.limits.maxBodyBytes;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      this.metrics.put('E_PROTO_INVALID');
      return this.error(res, 413, new ProtocolError('E_PROTO_INVALID', `the body is larger than ${max} bytes`));
    }
    const body = await readBody(req, max);
    if (body.kind === 'aborted') return;
    if (body.kind === 'ok') this.bodiesRead.add(req);
    if (body.kind === 'too-large') {
      this.metrics.put('E_PROTO_INVALID');
      return this.error(res, 413, new ProtocolError('E_PROTO_INVALID', `the body is larger than ${max} bytes`));
    }
    let value: unknown;
    try {
      value = JSON.parse(body.data.toString('utf8'));
    } catch (error) {
      this.metrics.put('E_PROTO_INVALID');
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `the body is not JSON (${error instanceof Error ? error.message : 'parse error'})`));
    }
    const bodyNodeId = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['node/id'] : undefined;
    if (typeof bodyNodeId === 'string' && bodyNodeId !== pathNodeId) {
      return this.rejected(res, new ProtocolError('E_PROTO_INVALID', `the path names ${pathNodeId} but the body's node/id is ${bodyNodeId}`), pathNodeId);
    }
    const verified = store.verify(value);
    if (!verified.ok) return this.rejected(res, verified.error, pathNodeId);
    const ad = verified.value;
    // Networks never mix: a network's store takes only advertisements that name it.
    if (network !== undefined && ad['federation/id'] !== network) {
      return this.rejected(res, new ProtocolError('E_PROTO_INVALID', `the advertisement names network ${JSON.stringify(ad['federation/id'] ?? null)}, not ${network}`), pathNodeId);
    }

    const publisher = this.publishers.take(pathNodeId, this.options.clock.now());
    if (!publisher.ok) {
      this.metrics.limited('publisher');
      this.metrics.put('E_TRANSPORT_REJECTED');
      return this.rateLimited(res, publisher.retryAfterMs, publisher.limit === 'keys' ? 'too many publishers are being limited at once' : `too many PUTs for ${pathNodeId}`);
    }

    const outcome = store.put(ad, req.socket.remoteAddress ?? 'unknown');
    switch (outcome.kind) {
      case 'stale': {
        this.metrics.put('E_ADV_STALE_SEQ');
        const error = new ProtocolError('E_ADV_STALE_SEQ', `sequence/no ${ad['sequence/no']} is not above the stored ${outcome.current.sequence}`);
        return this.error(res, 409, error, {
          status: 'conflict',
          reason: 'stale-sequence',
          'node/id': pathNodeId,
          'current/sequence-no': outcome.current.sequence,
          'submitted/sequence-no': ad['sequence/no'],
        });
      }
      case 'full':
        this.metrics.put('E_TRANSPORT_UNAVAILABLE');
        return this.error(
          res,
          503,
          new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the directory is full (${store.maxEntries} node-ids, ${store.maxStoredBytes} bytes) and this address or its neighbourhood holds the most of it`),
          {},
          { 'Retry-After': String(DIRECTORY_UNAVAILABLE_RETRY_S) },
        );
      case 'stored':
      case 'unchanged':
        try {
          await outcome.durable;
        } catch (error) {
          this.metrics.put('E_TRANSPORT_UNAVAILABLE');
          const failure = new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the directory could not write its log (${error instanceof Error ? error.message : String(error)})`);
          return this.error(res, 503, failure, {}, { 'Retry-After': String(DIRECTORY_UNAVAILABLE_RETRY_S) });
        }
        this.metrics.put(outcome.kind);
        return this.json(res, outcome.kind === 'stored' ? 201 : 200, storedBody(outcome.kind, outcome.entry, ad['expires-at']));
    }
  }

  private revocationKey(res: ServerResponse, key: string): boolean {
    if (!AUTHORITY_KEY.test(key)) {
      this.metrics.badRequests++;
      this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `not an authority key: ${JSON.stringify(key.slice(0, 128))}`));
      return false;
    }
    if (!this.options.revocations?.serves(key)) {
      this.error(res, 404, new ProtocolError('E_SIG_UNKNOWN_SIGNER', `this directory serves no revocation lists of ${key}`));
      return false;
    }
    return true;
  }

  private getRevocations(res: ServerResponse, key: string): void {
    if (!this.revocationKey(res, key)) return;
    const held = this.options.revocations!.get(key);
    if (!held) return this.json(res, 404, JSON.stringify({ status: 'not-found', 'issuer/key': key }));
    res.writeHead(200, ['Content-Type', JSON_TYPE, 'Content-Length', String(held.body.length)]);
    res.end(held.body);
  }

  private async putRevocations(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    if (!AUTHORITY_KEY.test(key)) {
      this.metrics.badRequests++;
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `not an authority key: ${JSON.stringify(key.slice(0, 128))}`));
    }
    const store = this.options.revocations;
    // A key not served is refused before anything is read: lists under fresh keys cost nothing.
    if (!store?.serves(key)) return this.error(res, 403, new ProtocolError('E_SIG_UNKNOWN_SIGNER', `this directory serves no revocation lists of ${key}`));
    if (!isJsonType(req.headers['content-type'])) return this.error(res, 415, new ProtocolError('E_PROTO_INVALID', `Content-Type must be ${JSON_TYPE}`));
    const max = MAX_DISTRIBUTED_REVOCATION_LIST_BYTES;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) return this.error(res, 413, new ProtocolError('E_PROTO_INVALID', `the body is larger than ${max} bytes`));
    const body = await readBody(req, max);
    if (body.kind === 'aborted') return;
    if (body.kind === 'ok') this.bodiesRead.add(req);
    if (body.kind === 'too-large') return this.error(res, 413, new ProtocolError('E_PROTO_INVALID', `the body is larger than ${max} bytes`));
    let value: unknown;
    try {
      value = JSON.parse(body.data.toString('utf8'));
    } catch (error) {
      return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `the body is not JSON (${error instanceof Error ? error.message : 'parse error'})`));
    }
    const issuer = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['issuer/key'] : undefined;
    if (issuer !== key) return this.error(res, 400, new ProtocolError('E_PROTO_INVALID', `the path names ${key} but the list's issuer/key is ${JSON.stringify(String(issuer).slice(0, 80))}`));
    // The key's own rate is spent only by a list that verifies and is newer (store.put): a
    // stranger's forgeries and replays cost it its address's PUT rate, never the authority's.
    const stored = await store.put(key, value, body.data.length, () => {
      const limited = this.revocationPuts.take(key, this.options.clock.now());
      return limited.ok ? null : limited.retryAfterMs;
    });
    if ('retryAfterMs' in stored) return this.rateLimited(res, stored.retryAfterMs, `too many PUTs of the revocation list of ${key}`);
    if (!stored.ok) {
      const status = stored.error.code === 'E_ADV_STALE_SEQ' ? 409 : statusForCode(stored.error.code);
      this.options.traces?.emit('error/occurred', { detail: errorDetail(stored.error, { via: 'directory', phase: 'revocation-list', 'issuer/key': key }) });
      return this.error(res, status, stored.error, {}, status === 503 ? { 'Retry-After': String(DIRECTORY_UNAVAILABLE_RETRY_S) } : {});
    }
    return this.json(res, 201, JSON.stringify({ status: 'stored', 'issuer/key': key, 'sequence/no': stored.value.list['sequence/no'] }));
  }

  /** A PUT refused on its content: answered and traced (the directory is where forgeries show). */
  private rejected(res: ServerResponse, error: ProtocolError, nodeId: string): void {
    this.metrics.put(error.code);
    this.options.traces?.emit('advertisement/rejected', { peer: nodeId, detail: errorDetail(error, { 'node/id': nodeId, via: 'directory' }) });
    return this.error(res, statusForCode(error.code), error);
  }

  private rateLimited(res: ServerResponse, retryAfterMs: number, detail: string): void {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return this.error(res, 429, new ProtocolError('E_TRANSPORT_REJECTED', `rate limit: ${detail}; retry after ${seconds} s`), {}, { 'Retry-After': String(seconds) });
  }

  private notAllowed(res: ServerResponse, allow: string, method: string): void {
    this.metrics.badRequests++;
    return this.error(res, 405, new ProtocolError('E_PROTO_INVALID', `${method} is not supported here (allowed: ${allow}); expiry follows the advertisement's expires-at`), {}, { Allow: allow });
  }

  private error(res: ServerResponse, status: number, error: ProtocolError, fields: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
    const body = { status: STATUS_WORD[status] ?? 'error', ...fields, code: error.code, class: error.errorClass, detail: error.detail };
    return this.json(res, status, JSON.stringify(body), headers);
  }

  private json(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    const req = res.req;
    if (hasBody(req) && !this.bodiesRead.has(req)) return answerAndClose(req, res, status, { 'Content-Type': JSON_TYPE, ...headers }, text);
    res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}

function storedBody(status: 'stored' | 'unchanged', entry: DirectoryEntry, expiresAt: string): string {
  return JSON.stringify({
    status,
    'node/id': entry.nodeId,
    'advertisement/id': entry.advertisementId,
    'sequence/no': entry.sequence,
    'stored-at': formatTimestamp(entry.storedAt),
    'expires-at': expiresAt,
  });
}
