// Test helper: a project (issue 13 §1) with its own key, talking to an orchestrator's job API the
// way `pnode job` does — every request signed — either in process (api.handle) or over HTTP.
import type { Ed25519Signer } from '../../src-shared/protocol/crypto/provider.js';
import { fingerprintFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { utf8 } from '../../src-shared/protocol/encoding/bytes.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { type RequestMethod, projectRequestHeader, signProjectRequest } from '../../src-shared/jobs/project-request.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { hashBytes } from '../../src-node/kernel/storage/module-cache.js';
import type { JobAnswer, JobRequest } from '../../src-node/services/orchestrator/jobs/job-api.js';
import type { ContentHash } from '../../src-shared/vnode/content-hash.js';

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type Transport = (request: JobRequest) => Promise<JobAnswer>;

/** A transport over HTTP to a job API at `base` (http://127.0.0.1:<port>). */
export function httpTransport(base: string): Transport {
  return async (request) => {
    const response = await fetch(`${base}${request.target}`, {
      method: request.method,
      headers: { ...(request.authorization ? { authorization: request.authorization } : {}), 'content-type': request.method === 'PUT' ? 'application/octet-stream' : 'application/json' },
      ...(request.method === 'GET' ? {} : { body: Buffer.from(request.body) }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
}

export class TestProject {
  readonly key: string;

  constructor(
    private readonly transport: Transport,
    private readonly audience: string,
    readonly signer: Ed25519Signer,
    private readonly now: () => number = Date.now,
  ) {
    this.key = fingerprintFromPublicKey(signer.publicKey);
  }

  /** A project whose key comes from one byte (tests name projects 0x51, 0x52, …). */
  static fromByte(byte: number, transport: Transport, audience: string): TestProject {
    return new TestProject(transport, audience, nativeCrypto.ed25519Signer(new Uint8Array(32).fill(byte)));
  }

  /** The signed request itself (for replay and forgery tests). */
  sign(method: RequestMethod, target: string, body: Uint8Array = new Uint8Array(0)): JobRequest {
    const signed = signProjectRequest({ audience: this.audience, method, target, body, now: this.now() }, this.signer);
    return { method, target, authorization: projectRequestHeader(signed), body };
  }

  async send(request: JobRequest): Promise<ApiAnswer> {
    const answer = await this.transport(request);
    return { status: answer.status, body: answer.body as Record<string, unknown> };
  }

  call(method: RequestMethod, target: string, body?: unknown): Promise<ApiAnswer> {
    const bytes = body === undefined ? new Uint8Array(0) : body instanceof Uint8Array ? body : utf8(JSON.stringify(body));
    return this.send(this.sign(method, target, bytes));
  }

  private async ok(method: RequestMethod, target: string, body?: unknown): Promise<Record<string, unknown>> {
    const answer = await this.call(method, target, body);
    if (answer.status >= 300) throw new Error(`${method} ${target}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async createBatch(name: string): Promise<string> {
    return String((await this.ok('POST', '/v1/batches', { name }))['batch-id']);
  }

  /** Uploads a blob in one chunk; its hash. */
  async upload(batch: string, bytes: Uint8Array, kind: 'module' | 'input'): Promise<ContentHash> {
    const hash = hashBytes(bytes);
    await this.ok('PUT', `/v1/batches/${encodeURIComponent(batch)}/blobs/${hash}?size=${bytes.length}&kind=${kind}&offset=0`, bytes);
    return hash;
  }

  async submit(batch: string, tasks: readonly Record<string, unknown>[]): Promise<Array<{ id: string; name: string }>> {
    const body = await this.ok('POST', `/v1/batches/${encodeURIComponent(batch)}/tasks`, { tasks });
    return (body['tasks'] as Array<{ 'task-id': string; name: string }>).map((t) => ({ id: t['task-id'], name: t.name }));
  }

  async batch(batch: string): Promise<Record<string, unknown>> {
    return this.ok('GET', `/v1/batches/${encodeURIComponent(batch)}`);
  }

  /** Every decided task's output (or failure) of a batch, through every page. */
  async results(batch: string): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    let after: string | null = null;
    for (let page = 0; page < 1_000; page++) {
      const body = await this.ok('GET', `/v1/batches/${encodeURIComponent(batch)}/results?limit=1000${after ? `&after=${after}` : ''}`);
      out.push(...(body['items'] as Array<Record<string, unknown>>));
      after = body['next'] as string | null;
      if (after === null) break;
    }
    return out;
  }

  /** The stdout of an accepted result, as bytes. */
  static stdout(result: Record<string, unknown>): Uint8Array {
    const output = result['output'] as { stdout: string } | null;
    if (!output) throw new Error(`no output: ${JSON.stringify(result)}`);
    return new Uint8Array(Buffer.from(output.stdout, 'base64url'));
  }
}

/** A task spec with stdin bytes (base64url) and small defaults. */
export function stdinTask(module: ContentHash, stdin: Uint8Array, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { module, stdin: toBase64url(stdin), limits: { 'memory-mb': 16, 'max-ms': 30_000 }, ...extra };
}
