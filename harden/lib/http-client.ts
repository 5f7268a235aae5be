// A small HTTP client for attacking the project's HTTP surfaces on loopback: well-formed requests
// through node:http (keep-alive, any method, path and body), and raw bytes through a plain TCP
// socket for requests node:http would refuse to send. Every request is bounded in time.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { mutateBytes } from './mutate-bytes.js';
import { UNICODE_EDGES } from './mutate-json.js';
import type { Rng } from './random.js';

export interface HttpInput {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

export type HttpAnswer =
  | { readonly kind: 'response'; readonly status: number; readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly body: Buffer }
  /** The server closed or reset the connection without answering. */
  | { readonly kind: 'closed'; readonly detail: string }
  | { readonly kind: 'timeout' };

/** Percent-encodes what node:http will not put on a request line (controls, space, non-ASCII). */
export function sendablePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) out += byte > 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out.startsWith('/') ? out : `/${out}`;
}

/** A header value node:http accepts: no controls but tab, no characters above U+00FF. */
export function sendableHeader(value: string): string {
  return [...value].filter((ch) => (ch >= ' ' || ch === '\t') && ch !== '\u007f' && ch.charCodeAt(0) <= 0xff).join('');
}

export class HttpClient {
  readonly agent: Agent;

  constructor(
    readonly host: string,
    readonly port: number,
    concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  /** One request; `fresh` uses a new connection (health checks: no race with a keep-alive socket the server is closing). */
  send(input: HttpInput, timeoutMs: number, fresh = false): Promise<HttpAnswer> {
    return new Promise((resolve) => {
      let settled = false;
      let req: ReturnType<typeof request> | undefined;
      const timer = setTimeout(() => {
        req?.destroy();
        finish({ kind: 'timeout' });
      }, timeoutMs);
      const finish = (answer: HttpAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(input.headers)) headers[name] = sendableHeader(value);
      try {
        req = request({ host: this.host, port: this.port, method: input.method, path: sendablePath(input.path), headers, agent: fresh ? false : this.agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => finish({ kind: 'response', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (error) => finish({ kind: 'closed', detail: error.message }));
        });
      } catch (error) {
        // A method or header node:http itself refuses: nothing reached the server.
        finish({ kind: 'closed', detail: `not sent: ${error instanceof Error ? error.message : String(error)}` });
        return;
      }
      req.on('error', (error) => finish({ kind: 'closed', detail: (error as NodeJS.ErrnoException).code ?? error.message }));
      req.end(input.body ? Buffer.from(input.body) : undefined);
    });
  }

  /** Writes `bytes` on a fresh connection, half-closes, and reads the first status line answered. */
  sendRaw(bytes: Uint8Array, timeoutMs: number): Promise<HttpAnswer> {
    return sendRawTo(this.host, this.port, bytes, timeoutMs);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Writes `bytes` to host:port on a fresh connection, half-closes, and reads the first status line answered. */
export function sendRawTo(host: string, port: number, bytes: Uint8Array, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (answer: HttpAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    const answered = (): void => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (status) finish({ kind: 'response', status: Number(status[1]), headers: {}, body: Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1') });
      else finish({ kind: 'closed', detail: chunks.length > 0 ? 'garbage answer' : 'closed without an answer' });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', answered);
    socket.on('close', answered);
    socket.on('error', () => answered());
    socket.on('connect', () => {
      socket.end(Buffer.from(bytes));
    });
  });
}

/** The raw bytes of a request, as a peer might write it (any method, target, headers and body). */
export function rawRequest(input: HttpInput, host: string): Uint8Array {
  const lines = [`${input.method} ${input.path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(input.headers).map(([k, v]) => `${k}: ${v}`)];
  if (input.body && !Object.keys(input.headers).some((k) => k.toLowerCase() === 'content-length')) lines.push(`Content-Length: ${input.body.length}`);
  lines.push('Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf8'), Buffer.from(input.body ?? new Uint8Array(0))]);
}

/** Path mutations: percent-encoding garbage, traversal, doubled slashes, unicode, long segments. */
/** Request-target starts that make a URL parser read an authority (host, port, credentials), or an absolute URL. */
export const AUTHORITY_PREFIXES: readonly string[] = ['//', '//[', '//[::1', '//%', '//%zz', '//:0', '//:99999', '//@', '//a:b@', '//0x7f.1', 'http://', 'http://[', 'http://a:b@c', '\\\\', '/\\', '*'];

function mutatePathOnce(rng: Rng, path: string, words: readonly string[]): string {
  const at = rng.int(path.length + 1);
  return rng.weighted<() => string>([
    [3, () => path.slice(0, at) + rng.pick(['%', '%zz', '%e0%a4%a', '%ff', '%00', '%2f', '%252f', '../', '//', '?', '#', ';', '\\', ' ', '%C0%AF']) + path.slice(at)],
    [2, () => path.slice(0, at) + rng.pick(UNICODE_EDGES) + path.slice(at)],
    [2, () => path.slice(0, at)],
    [2, () => Buffer.from(mutateBytes(rng, Buffer.from(path, 'utf8'))).toString('utf8')],
    [2, () => rng.pick(AUTHORITY_PREFIXES) + (rng.chance(0.5) ? path.replace(/^\/+/, '') : path)],
    [1, () => `${path}${rng.pick(['?since=', '?since=x&since=y', '?since=' + 'z'.repeat(5_000), '?a=%', '?since=%ZZ', '/', '/x', '?since=0'])}`],
    [1, () => path + '/'.repeat(rng.pick([1, 100])) + 'x'.repeat(rng.pick([1, 8_000, 70_000]))],
    [1, () => `/${rng.pick(words)}`],
  ])();
}

/** Path mutations, 1–2 stacked: percent-encoding garbage, traversal, authority prefixes ("//[", "http://"), unicode, long segments. */
export function mutatePath(rng: Rng, path: string, words: readonly string[]): string {
  let out = mutatePathOnce(rng, path, words);
  if (rng.chance(0.3)) out = mutatePathOnce(rng, out, words);
  return out;
}
