// The `dht` endpoint transport (issue 16 §3). Outbound: a dht://<key> endpoint is opened through the
// engine (a direct UDP stream when one end is reachable, a holepunch when both are firewalled) and
// our WebSocket runs over it (kernel/transport/stream-transports.ts). Inbound: our DHT server hands
// each stream to an HTTP server that is never bound to a port, which upgrades it to the same
// WebSocket the wss listener gives the connection manager. So the handshake, its identity check
// and the sealed frames above are exactly those of wss.
//
// Inbound streams are limited per source address and in all, as the wss listener's are: a rate of
// new connections per source (refused in the engine's firewall hook, before the engine's own
// handshake work), pending slots until the hello is answered, and an upgrade deadline.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { parseDhtEndpoint } from '../../../src-shared/protocol/dht-endpoint.js';
import type { TraceSink } from '../trace/trace-sink.js';
import { StreamSocket } from '../transport/stream-socket.js';
import { recordSessionPath, type OpenedStream, type StreamDialer } from '../transport/stream-transports.js';
import type { InboundConnectionInfo } from '../transport/ws-listener.js';
import { SlotTable } from '../transport/slot-table.js';
import { addressKey } from '../transport/address-key.js';
import { refuseUpgrade } from '../transport/http-guard.js';
import { requestPathname } from '../util/request-path.js';
import { DEFAULT_PEER_PATH, MAX_FRAME_BYTES } from '../transport/limits.js';
import { KeyedBuckets } from '../util/keyed-buckets.js';
import type { DhtEngine, DhtKeyPair, DhtServer, DhtStream } from './engine.js';
import { DHT_INBOUND_PER_SOURCE_PER_MINUTE, DHT_MAX_PENDING_INBOUND, DHT_MAX_PENDING_INBOUND_PER_ADDRESS, DHT_MAX_TRACKED_SOURCES, DHT_UPGRADE_TIMEOUT_MS } from './dht-limits.js';

function remoteOf(stream: DhtStream): { host: string | undefined; port: number | undefined } {
  const raw = stream.rawStream;
  return { host: raw?.remoteHost ?? undefined, port: raw?.remotePort || undefined };
}

export interface DhtDialerOptions {
  readonly engine: DhtEngine;
  readonly trace?: TraceSink | undefined;
  /** Our own DHT key: a dial of it is refused (a node never dials itself). */
  readonly selfKey?: Buffer | undefined;
}

/** Opens dht:// endpoints through the engine. */
export class DhtDialer implements StreamDialer {
  readonly transport = 'dht' as const;
  /** Streams opened, and of those how many needed a holepunch; holepunches that failed. */
  readonly figures = { opened: 0, punched: 0, punchFailed: 0, failed: 0 };

  constructor(private readonly options: DhtDialerOptions) {}

  open(url: string, timeoutMs: number): Promise<OpenedStream> {
    const key = parseDhtEndpoint(url);
    if (!key) return Promise.reject(new ProtocolError('E_PROTO_INVALID', `not a dht endpoint: ${url.slice(0, 80)}`));
    if (this.options.selfKey && Buffer.from(key).equals(this.options.selfKey)) return Promise.reject(new ProtocolError('E_TRANSPORT_REJECTED', 'that dht endpoint is this node'));
    // Whether a holepunch made the path: the engine calls `holepunch` before its punch rounds, but a
    // first-round (fast-open) punch between two consistent NATs happens before that call. So: our
    // node reachable, or the engine counting an "open" peer (dialled directly), is `direct`; a
    // firewalled node that got a stream otherwise got it by a holepunch. (Counters are per engine;
    // two dials finishing at the same moment may swap labels, never the outcome.)
    const engine = this.options.engine;
    const openBefore = engine.stats.punches.open;
    let punching = false;
    const stream = engine.connect(Buffer.from(key), {
      holepunch: () => {
        punching = true;
        return true;
      },
    });
    return new Promise<OpenedStream>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`no stream within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stream.destroy();
        this.figures.failed++;
        if (punching) this.figures.punchFailed++;
        const failure = new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${url.slice(0, 80)}: ${error instanceof Error ? error.message : String(error)}`);
        this.options.trace?.emit('error/occurred', { detail: errorDetail(failure, { phase: 'dial', transport: 'dht', holepunch: punching ? 'failed' : 'not-needed' }) });
        reject(failure);
      };
      stream.once('error', fail);
      stream.once('close', () => fail(new Error('closed before it opened')));
      stream.once('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stream.off('error', fail);
        stream.on('error', () => undefined); // the StreamSocket takes errors from here on
        this.figures.opened++;
        const punched = punching || (engine.firewalled && engine.stats.punches.open === openBefore);
        if (punched) this.figures.punched++;
        const { host, port } = remoteOf(stream);
        resolve({
          socket: new StreamSocket(stream, host, port),
          path: { transport: 'dht', holepunch: punched ? 'punched' : 'direct', ...(host ? { remote: `${host}:${port ?? 0}` } : {}) },
        });
      });
    });
  }
}

export interface DhtInboundOptions {
  readonly engine: DhtEngine;
  readonly keyPair: DhtKeyPair;
  /** The connection manager's accept path (the same as the wss listener's). */
  readonly onConnection: (socket: WebSocket, info: InboundConnectionInfo) => void;
  readonly trace?: TraceSink | undefined;
  readonly clock?: () => number;
  readonly upgradeTimeoutMs?: number;
}

export interface DhtInboundFigures {
  readonly pending: number;
  readonly accepted: number;
  readonly refusedRate: number;
  readonly refusedPending: number;
  readonly upgradeTimeouts: number;
}

/** Our DHT server: streams in, WebSockets out to the connection manager. */
export class DhtInbound {
  private server: DhtServer | undefined;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly pending = new SlotTable<Duplex>({ total: DHT_MAX_PENDING_INBOUND, perAddress: DHT_MAX_PENDING_INBOUND_PER_ADDRESS, evictAtTotalCap: false });
  private readonly rates = new KeyedBuckets({ perKey: { capacity: DHT_INBOUND_PER_SOURCE_PER_MINUTE, perSecond: DHT_INBOUND_PER_SOURCE_PER_MINUTE / 60 }, maxKeys: DHT_MAX_TRACKED_SOURCES });
  private readonly counts = { accepted: 0, refusedRate: 0, refusedPending: 0, upgradeTimeouts: 0 };
  private readonly live = new Set<Duplex>();
  private closed = false;

  constructor(private readonly options: DhtInboundOptions) {
    this.http = createServer();
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: true });
    this.http.on('request', (_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      response.end('PNode peer endpoint: WebSocket only\n');
    });
    this.http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
    this.http.on('clientError', (_error, socket) => socket.destroy());
  }

  get publicKey(): Buffer {
    return this.options.keyPair.publicKey;
  }

  async start(): Promise<void> {
    const server = this.options.engine.createServer({ firewall: (_key, _payload, address) => this.refuses(address.host) }, (stream) => this.onStream(stream));
    await server.listen(this.options.keyPair);
    this.server = server;
  }

  figures(): DhtInboundFigures {
    return { pending: this.pending.size, ...this.counts };
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const client of this.wss.clients) client.terminate();
    for (const socket of this.live) socket.destroy();
    this.live.clear();
    await this.server?.close().catch(() => undefined);
    this.wss.close();
  }

  /** The engine's firewall hook: true refuses a connection before the engine spends work on it. */
  private refuses(host: string): boolean {
    if (this.closed) return true;
    const key = addressKey(host);
    if (!this.rates.take(key, (this.options.clock ?? Date.now)()).ok) {
      this.counts.refusedRate++;
      return true;
    }
    if (!this.pending.hasRoomFor(key)) {
      this.counts.refusedPending++;
      return true;
    }
    return false;
  }

  private onStream(stream: DhtStream): void {
    const { host, port } = remoteOf(stream);
    const key = addressKey(host ?? 'unknown');
    const socket = new StreamSocket(stream, host, port);
    socket.on('error', () => undefined);
    if (this.closed || !this.pending.admit(key, socket).admitted) {
      this.counts.refusedPending++;
      socket.destroy();
      return;
    }
    this.live.add(socket);
    const timer = setTimeout(() => {
      if (!this.pending.has(socket)) return;
      this.counts.upgradeTimeouts++;
      socket.destroy();
    }, this.options.upgradeTimeoutMs ?? DHT_UPGRADE_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.pending.release(socket);
      this.live.delete(socket);
    });
    this.http.emit('connection', socket);
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = requestPathname(request.url);
    if (path !== DEFAULT_PEER_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => undefined);
      const stream = socket as StreamSocket;
      const remoteAddress = stream.remoteAddress ?? 'unknown';
      recordSessionPath(ws, { transport: 'dht', ...(stream.remoteAddress ? { remote: `${stream.remoteAddress}:${stream.remotePort ?? 0}` } : {}) });
      this.counts.accepted++;
      this.options.onConnection(ws, {
        remoteAddress,
        addressKey: addressKey(remoteAddress),
        leavePending: () => {
          this.pending.release(socket);
        },
      });
    });
  }
}
