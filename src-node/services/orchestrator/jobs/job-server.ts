// The job API's HTTP(S) server (issue 13 §1), apart from the loopback admin API: projects reach it
// from anywhere, so it is https:// (the node's --tls-cert and --tls-key) except on loopback, where
// plain http:// is allowed for development. Its limits, per source as well as global:
//   - connections: JOB_MAX_CONNECTIONS in all, JOB_MAX_CONNECTIONS_PER_ADDRESS from one address
//     (more are closed at once);
//   - requests: JOB_REQUESTS_PER_SECOND_PER_ADDRESS from one address (429 before the body is
//     read), and each project's own rate (job-api.ts);
//   - bodies: the route's maximum (a blob chunk, or a JSON page of tasks), refused with 413 from
//     Content-Length before reading, or as soon as the stream passes it;
//   - time: headers within JOB_HEADERS_TIMEOUT_MS, the whole request within JOB_REQUEST_TIMEOUT_MS.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ProtocolError } from '../../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../../src-shared/protocol/trace.js';
import type { ServerTls } from '../../../kernel/transport/tls.js';
import type { TraceSink } from '../../../kernel/trace/trace-sink.js';
import type { Clock } from '../../../kernel/util/clock.js';
import { KeyedBuckets } from '../../../kernel/util/keyed-buckets.js';
import { isLoopbackAddress } from '../../../kernel/http/loopback-auth.js';
import { type JobAnswer, type JobApi, errorAnswer, maxBodyBytes } from './job-api.js';

export const JOB_MAX_CONNECTIONS = 1_024;
export const JOB_MAX_CONNECTIONS_PER_ADDRESS = 16;
export const JOB_REQUESTS_PER_SECOND_PER_ADDRESS = 100;
export const JOB_REQUEST_BURST_PER_ADDRESS = 200;
/** Addresses with a rate bucket at most. */
export const JOB_RATE_MAX_ADDRESSES = 65_536;
export const JOB_HEADERS_TIMEOUT_MS = 10_000;
export const JOB_REQUEST_TIMEOUT_MS = 60_000;
export const JOB_KEEPALIVE_TIMEOUT_MS = 5_000;

const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

export interface JobListen {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
}

/** `http://127.0.0.1:8080` (loopback only) or `https://0.0.0.0:8443`; throws with a reason for people. */
export function parseJobListen(text: string): JobListen {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--jobs-listen ${JSON.stringify(text)} is not a URL (http://127.0.0.1:<port> or https://<host>:<port>)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--jobs-listen takes an http:// (loopback) or https:// URL');
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) throw new Error('--jobs-listen is scheme://host:port, nothing more');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const secure = url.protocol === 'https:';
  if (!secure && !isLoopbackAddress(host) && host !== 'localhost') throw new Error('the job API is served over plain http:// only on loopback; use https:// (with --tls-cert and --tls-key) elsewhere');
  return { secure, host, port };
}

export interface JobServerOptions {
  readonly api: JobApi;
  readonly listen: JobListen;
  readonly tls?: ServerTls | undefined;
  readonly clock: Clock;
  readonly traces?: TraceSink;
  /** Requests per second (and burst) from one address; default JOB_REQUESTS_PER_SECOND_PER_ADDRESS (harnesses raise it). */
  readonly requestsPerSecondPerAddress?: number;
}

function addressKey(address: string | undefined): string {
  return (address ?? 'unknown').replace(/^::ffff:/, '');
}

export class JobServer {
  private readonly perAddress = new Map<string, number>();
  private readonly rates: KeyedBuckets;
  private urlNow = '';
  private sweepTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: JobServerOptions,
  ) {
    const rate = options.requestsPerSecondPerAddress ?? JOB_REQUESTS_PER_SECOND_PER_ADDRESS;
    this.rates = new KeyedBuckets({ perKey: { perSecond: rate, capacity: Math.max(JOB_REQUEST_BURST_PER_ADDRESS, rate * 2) }, maxKeys: JOB_RATE_MAX_ADDRESSES });
  }

  static async start(options: JobServerOptions): Promise<JobServer> {
    const { listen } = options;
    if (listen.secure && !options.tls) throw new Error('an https:// job API needs --tls-cert and --tls-key');
    const server = listen.secure ? createHttpsServer({ cert: options.tls!.cert, key: options.tls!.key }) : createHttpServer();
    server.keepAliveTimeout = JOB_KEEPALIVE_TIMEOUT_MS;
    server.headersTimeout = JOB_HEADERS_TIMEOUT_MS;
    server.requestTimeout = JOB_REQUEST_TIMEOUT_MS;
    server.maxConnections = JOB_MAX_CONNECTIONS;
    const jobs = new JobServer(server, options);
    server.on(listen.secure ? 'secureConnection' : 'connection', (socket: Socket) => jobs.onConnection(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => jobs.onRequest(req, res));
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    jobs.urlNow = `${listen.secure ? 'https' : 'http'}://${host}:${port}`;
    jobs.sweepTimer = setInterval(() => {
      const now = options.clock.now();
      jobs.rates.sweep(now);
      options.api.sweep(now);
    }, 60_000);
    jobs.sweepTimer.unref();
    return jobs;
  }

  /** http(s)://host:port */
  get url(): string {
    return this.urlNow;
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    const key = addressKey(socket.remoteAddress);
    const count = (this.perAddress.get(key) ?? 0) + 1;
    if (count > JOB_MAX_CONNECTIONS_PER_ADDRESS) {
      socket.destroy();
      return;
    }
    this.perAddress.set(key, count);
    socket.once('close', () => {
      const left = (this.perAddress.get(key) ?? 1) - 1;
      if (left > 0) this.perAddress.set(key, left);
      else this.perAddress.delete(key);
    });
  }

  private send(res: ServerResponse, answer: JobAnswer, close = false): void {
    const text = `${JSON.stringify(answer.body)}\n`;
    res.writeHead(answer.status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      ...(answer.headers ?? {}),
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(text);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => undefined);
    const now = this.options.clock.now();
    const limited = this.rates.take(addressKey(req.socket.remoteAddress), now);
    if (!limited.ok) {
      req.resume();
      return this.send(res, errorAnswer(429, 'E_TRANSPORT_REJECTED', 'too many requests from this address', { 'Retry-After': String(Math.max(1, Math.ceil(limited.retryAfterMs / 1000))) }), true);
    }
    const target = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = target.indexOf('?');
    const limit = maxBodyBytes(method, q < 0 ? target : target.slice(0, q));
    const declared = Number(req.headers['content-length'] ?? 0);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return this.send(res, errorAnswer(413, 'E_PROTO_INVALID', `the body is over ${limit} bytes`), true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        this.send(res, errorAnswer(413, 'E_PROTO_INVALID', `the body is over ${limit} bytes`), true);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const body = Buffer.concat(chunks);
      const authorization = req.headers.authorization;
      this.options.api
        .handle({ method, target, authorization, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) })
        .then((answer) => {
          if (!res.headersSent) this.send(res, answer);
        })
        .catch((error: unknown) => {
          this.options.traces?.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `job API: ${error instanceof Error ? error.message : String(error)}`)) });
          if (!res.headersSent) this.send(res, errorAnswer(503, 'E_TRANSPORT_UNAVAILABLE', 'the job store is not available; try again'));
          else res.destroy();
        });
    });
  }
}
