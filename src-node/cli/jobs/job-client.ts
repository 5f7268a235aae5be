// The CLI's client of an orchestrator's job API (issue 13 §1; docs/JOBS.md): every request signed
// by the project key for the orchestrator it is meant for, over http:// (loopback) or https://
// (with extra trusted CAs when asked). Answers over 2xx come back as values; an error answer
// becomes a ProtocolError with the API's code. A 429 is waited out (its Retry-After, bounded) and
// tried again with a fresh signature, at most MAX_RATE_RETRIES times.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { ProtocolError, isErrorCode } from '../../../src-shared/protocol/errors.js';
import { utf8 } from '../../../src-shared/protocol/encoding/bytes.js';
import { type RequestMethod, projectRequestHeader, signProjectRequest } from '../../../src-shared/jobs/project-request.js';
import { BLOB_UPLOAD_CHUNK_BYTES } from '../../../src-shared/jobs/job-limits.js';
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import { hashBytes } from '../../kernel/storage/module-cache.js';
import type { ProjectKey } from './project-key.js';

/** One request may take this long. */
export const JOB_CLIENT_TIMEOUT_MS = 60_000;
/** Answers read at most (a page of results with outputs). */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;
export const MAX_RATE_RETRIES = 5;
export const MAX_RETRY_WAIT_MS = 10_000;

export interface JobClientOptions {
  /** http(s)://host:port of the job API. */
  readonly base: string;
  readonly key: ProjectKey;
  /** The orchestrator's node id; asked of the API (GET /v1/orchestrator) when absent. */
  readonly audience?: string;
  /** Extra CA certificates (PEM files) to trust for https://. */
  readonly caFiles?: readonly string[];
  readonly now?: () => number;
}

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class JobClient {
  private audience: string | null;
  private readonly ca: Buffer[] | undefined;
  private readonly base: URL;

  constructor(private readonly options: JobClientOptions) {
    this.base = new URL(options.base);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error(`--api ${options.base} is not an http(s):// URL`);
    this.audience = options.audience ?? null;
    this.ca = options.caFiles && options.caFiles.length > 0 ? options.caFiles.map((f) => readFileSync(f)) : undefined;
  }

  get key(): string {
    return this.options.key.key;
  }

  private raw(method: string, target: string, headers: Record<string, string>, body: Uint8Array): Promise<Raw> {
    const secure = this.base.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port || (secure ? 443 : 80),
          method,
          path: target,
          headers: { ...headers, 'content-length': String(body.length) },
          timeout: JOB_CLIENT_TIMEOUT_MS,
          ...(secure && this.ca ? { ca: this.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy(new Error(`the answer is over ${MAX_ANSWER_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${JOB_CLIENT_TIMEOUT_MS} ms`)));
      req.on('error', (error) => reject(new ProtocolError('E_TRANSPORT_UNAVAILABLE', `the job API at ${this.base.origin} does not answer: ${error.message}`)));
      req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  }

  private parse(raw: Raw): Record<string, unknown> {
    try {
      return JSON.parse(raw.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ProtocolError('E_PROTO_INVALID', `the job API answered ${raw.status} with something that is not JSON`);
    }
  }

  /** The orchestrator's node id (what requests are signed for). */
  async orchestrator(): Promise<string> {
    if (this.audience) return this.audience;
    const raw = await this.raw('GET', '/v1/orchestrator', {}, new Uint8Array(0));
    const body = this.parse(raw);
    if (raw.status !== 200 || typeof body['node-id'] !== 'string') throw new ProtocolError('E_PROTO_INVALID', `GET /v1/orchestrator answered ${raw.status}: is ${this.base.origin} a job API?`);
    this.audience = body['node-id'];
    return this.audience;
  }

  /** A signed request; the answer's JSON for a 2xx, else a ProtocolError with the API's code. */
  async call(method: RequestMethod, target: string, body: Uint8Array | unknown = undefined): Promise<Record<string, unknown>> {
    const audience = await this.orchestrator();
    const bytes = body === undefined ? new Uint8Array(0) : body instanceof Uint8Array ? body : utf8(JSON.stringify(body));
    const type = body instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
    for (let attempt = 0; ; attempt++) {
      const signed = signProjectRequest({ audience, method, target, body: bytes, now: (this.options.now ?? Date.now)() }, this.options.key.signer);
      const raw = await this.raw(method, target, { authorization: projectRequestHeader(signed), 'content-type': type }, bytes);
      if (raw.status === 429 && attempt < MAX_RATE_RETRIES) {
        const after = Number(raw.headers['retry-after'] ?? 1);
        await sleep(Math.min(MAX_RETRY_WAIT_MS, Math.max(1, Number.isFinite(after) ? after : 1) * 1000));
        continue;
      }
      const answer = this.parse(raw);
      if (raw.status >= 200 && raw.status < 300) return answer;
      const code = isErrorCode(answer['code']) ? answer['code'] : 'E_PROTO_INVALID';
      throw new ProtocolError(code, `${method} ${target}: ${raw.status} ${typeof answer['detail'] === 'string' ? answer['detail'] : 'no detail'}`);
    }
  }

  /** Uploads a blob to a batch in chunks, resuming where an earlier upload stopped. */
  async upload(batch: string, bytes: Uint8Array, kind: 'module' | 'input', onProgress?: (sent: number) => void): Promise<ContentHash> {
    const hash = hashBytes(bytes);
    const path = `/v1/batches/${encodeURIComponent(batch)}/blobs/${hash}`;
    const state = await this.call('GET', path);
    if (state['state'] === 'complete' && state['attached'] === true) return hash;
    let offset = state['state'] === 'partial' && state['size'] === bytes.length && state['kind'] === kind ? Number(state['received']) : 0;
    for (let round = 0; round <= Math.ceil(bytes.length / BLOB_UPLOAD_CHUNK_BYTES) + 1; round++) {
      const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + BLOB_UPLOAD_CHUNK_BYTES));
      const answer = await this.call('PUT', `${path}?size=${bytes.length}&kind=${kind}&offset=${offset}`, chunk);
      if (answer['state'] === 'complete') return hash;
      offset = Number(answer['received']);
      onProgress?.(offset);
    }
    throw new ProtocolError('E_PROTO_INVALID', `the upload of ${hash} did not complete`);
  }

  /** Every item of a paged list. */
  async *pages(target: string, limit = 1_000, maxPages = 100_000): AsyncGenerator<Record<string, unknown>> {
    let after: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const sep = target.includes('?') ? '&' : '?';
      const body = await this.call('GET', `${target}${sep}limit=${limit}${after !== null ? `&after=${encodeURIComponent(after)}` : ''}`);
      for (const item of body['items'] as Array<Record<string, unknown>>) yield item;
      after = body['next'] as string | null;
      if (after === null) return;
    }
  }
}
