// One HTTP(S) request to a seed directory, with a deadline and a size cap on the answer. Failures to
// reach it come back as protocol errors (E_TRANSPORT_UNAVAILABLE: nobody answers or too slow;
// E_TRANSPORT_REJECTED: TLS refused), so callers trace them with one of the eleven codes.
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { classifyDialError } from '../transport/ws-dialer.js';
import type { ClientTrust } from '../transport/tls.js';

/** Every request to a directory ends within this (connect, TLS, request and answer). */
export const DIRECTORY_REQUEST_TIMEOUT_MS = 10_000;
/** Largest answer read from a directory: a feed page of 100 advertisements of ≤ 16 KiB fits. */
export const DIRECTORY_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Keep-alive connections per directory. */
export const DIRECTORY_MAX_SOCKETS = 2;

export interface DirectoryResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The answer parsed as JSON; undefined when it is not JSON. */
  readonly body: unknown;
}

export interface DirectoryRequestOptions {
  readonly method: 'GET' | 'PUT';
  readonly body?: string;
  readonly agent: HttpAgent;
  readonly timeoutMs: number;
  readonly maxBytes?: number;
  /** More request headers (a private network's proof). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A keep-alive agent for one directory, trusting the node's roots (system + --trust-ca). */
export function directoryAgent(secure: boolean, trust: ClientTrust): HttpAgent {
  if (!secure) return new HttpAgent({ keepAlive: true, maxSockets: DIRECTORY_MAX_SOCKETS });
  return new HttpsAgent({ keepAlive: true, maxSockets: DIRECTORY_MAX_SOCKETS, ...(trust.ca ? { ca: [...trust.ca] } : {}) });
}

export function directoryRequest(url: string, options: DirectoryRequestOptions): Promise<DirectoryResponse> {
  const secure = url.startsWith('https:');
  const send = secure ? httpsRequest : httpRequest;
  const maxBytes = options.maxBytes ?? DIRECTORY_MAX_RESPONSE_BYTES;
  return new Promise<DirectoryResponse>((resolve, reject) => {
    let settled = false;
    const headers: Record<string, string> = { ...options.headers, Accept: 'application/json' };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(options.body));
    }
    const req = send(url, { method: options.method, agent: options.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          fail(new ProtocolError('E_PROTO_INVALID', `${url}: the answer is larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', (error) => fail(error));
    });
    const timer = setTimeout(() => fail(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `${url}: no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    timer.unref();
    function fail(error: unknown): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error instanceof ProtocolError ? error : classifyDialError(error, url));
    }
    req.on('error', fail);
    req.end(options.body);
  });
}
