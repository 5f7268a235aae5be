// The project-facing job API (issue 13 §1; docs/JOBS.md), independent of the socket: a request
// (method, target, Authorization header, body bytes) in, an answer (status, JSON) out. The HTTP
// server (job-server.ts) reads bodies within maxBodyBytes and calls handle(); the demo project
// calls handle() too, with requests it signs like any project.
//
//   GET    /v1/orchestrator                       (unsigned) this orchestrator's node id: the audience to sign for
//   GET    /v1/project                            the calling project as this network lists it
//   POST   /v1/batches                   {name}   → 201 a new open batch
//   GET    /v1/batches[?after&limit]              the project's batches
//   GET    /v1/batches/B                          one batch with its task counts
//   POST   /v1/batches/B/abort                    aborts its open tasks
//   POST   /v1/batches/B/retire                   drops its tasks, outputs and blobs (validated facts stay)
//   PUT    /v1/batches/B/blobs/H?size&kind&offset  one chunk (raw bytes) of blob H: module | input
//   GET    /v1/batches/B/blobs/H                  where its upload stands (to resume)
//   GET    /v1/batches/B/blobs[?after&limit]      the batch's blobs
//   POST   /v1/batches/B/tasks          {tasks}  → 201 the tasks' ids and names (all or none)
//   GET    /v1/batches/B/tasks[?after&limit&state]  task summaries
//   GET    /v1/batches/B/results[?after&limit]    tasks with their accepted outputs or why they failed
//   GET    /v1/tasks/T                            one task, with its replicas
//   GET    /v1/tasks/T/output                     its accepted output
//
// Every request is signed (project-request.v1). In order: the signature and what it binds
// (401/400), the key is one of this orchestrator's projects (403 E_SIG_UNKNOWN_SIGNER), the
// project's request rate (429), the nonce is new (409 E_HS_REPLAY; nonces are in the store, so a
// restart opens no gap), then the operation. Errors are JSON {status: "error", code, class, detail}.
import { ProtocolError, errorClassOf, type ErrorCode } from '../../../../src-shared/protocol/errors.js';
import { fromUtf8 } from '../../../../src-shared/protocol/encoding/bytes.js';
import { isContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { BLOB_UPLOAD_CHUNK_BYTES, MAX_BATCH_NAME_LENGTH, MAX_JOB_JSON_BYTES, MAX_TASKS_PER_REQUEST, PROJECT_REQUEST_BURST, PROJECT_REQUESTS_PER_SECOND } from '../../../../src-shared/jobs/job-limits.js';
import { checkProjectRequest, nonceExpiresAt } from '../../../../src-shared/jobs/project-request.js';
import { readTaskSpec } from '../../../../src-shared/jobs/task-spec.js';
import { closedObject } from '../../../../src-shared/vnode/wire-check.js';
import type { CryptoProvider } from '../../../../src-shared/protocol/crypto/provider.js';
import { KeyedBuckets } from '../../../kernel/util/keyed-buckets.js';
import type { Clock } from '../../../kernel/util/clock.js';
import type { JobStore, TaskState } from './job-store.js';
import { JobApiError, type JobService, badInput, pageQuery } from './job-service.js';
import { projectView } from './job-views.js';
import type { Projects } from './projects.js';

/** The API's version, as GET /v1/orchestrator names it. */
export const JOB_API_VERSION = 'pnode-jobs/1';
/** Projects with a rate bucket at most (far above any network's project list). */
const PROJECT_BUCKETS_MAX = 4_096;
const TASK_STATES: readonly TaskState[] = ['open', 'accepted', 'failed', 'aborted'];

export interface JobRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly target: string;
  readonly authorization: string | undefined;
  readonly body: Uint8Array;
}

export interface JobAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface JobApiOptions {
  readonly service: JobService;
  readonly store: JobStore;
  readonly projects: Projects;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  /** This orchestrator's node id: the audience requests must name. */
  readonly audience: string;
  readonly requestsPerSecond?: number;
  readonly requestBurst?: number;
}

export function errorAnswer(status: number, code: ErrorCode, detail: string, headers?: Record<string, string>): JobAnswer {
  return { status, body: { status: 'error', code, class: errorClassOf(code), detail }, ...(headers ? { headers } : {}) };
}

const AUTH_STATUS: Partial<Record<ErrorCode, number>> = { E_SIG_UNKNOWN_SIGNER: 401, E_SIG_INVALID: 401, E_ADV_EXPIRED: 401 };

/** The largest body a route takes: a blob chunk for uploads, JSON for the rest (GETs take none). */
export function maxBodyBytes(method: string, path: string): number {
  if (method === 'PUT' && /^\/v1\/batches\/[^/]+\/blobs\/[^/]+$/.test(path)) return BLOB_UPLOAD_CHUNK_BYTES;
  if (method === 'POST') return MAX_JOB_JSON_BYTES;
  return 0;
}

function json(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(body));
  } catch {
    throw badInput('the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badInput('the body must be a JSON object');
  return value as Record<string, unknown>;
}

function wholeParam(params: URLSearchParams, name: string, max: number): number {
  const text = params.get(name);
  const n = text === null || !/^\d{1,16}$/.test(text) ? NaN : Number(text);
  if (!Number.isSafeInteger(n) || n > max) throw badInput(`${name} must be a whole number from 0 to ${max}`);
  return n;
}

export class JobApi {
  private readonly rates: KeyedBuckets;

  constructor(private readonly options: JobApiOptions) {
    this.rates = new KeyedBuckets({
      perKey: { perSecond: options.requestsPerSecond ?? PROJECT_REQUESTS_PER_SECOND, capacity: options.requestBurst ?? PROJECT_REQUEST_BURST },
      maxKeys: PROJECT_BUCKETS_MAX,
    });
  }

  async handle(request: JobRequest): Promise<JobAnswer> {
    try {
      return await this.route(request);
    } catch (error) {
      if (error instanceof JobApiError) {
        const retry = (error as JobApiError & { retryAfterMs?: number }).retryAfterMs;
        return errorAnswer(error.status, error.code, error.detail, retry !== undefined ? { 'Retry-After': String(Math.max(1, Math.ceil(retry / 1000))) } : undefined);
      }
      if (error instanceof ProtocolError) return errorAnswer(400, error.code, error.detail);
      throw error;
    }
  }

  private async authenticate(request: JobRequest): Promise<string> {
    const now = this.options.clock.now();
    const checked = checkProjectRequest({ authorization: request.authorization, method: request.method, target: request.target, body: request.body, audience: this.options.audience, now, crypto: this.options.crypto });
    if (!checked.ok) throw new JobApiError(AUTH_STATUS[checked.error.code] ?? 400, checked.error.code, checked.error.detail);
    const key = checked.value['project/key'];
    if (!this.options.projects.get(key)) throw new JobApiError(403, 'E_SIG_UNKNOWN_SIGNER', `${key} is not a project of this network: its key is not in the network descriptor's projects`);
    const limited = this.rates.take(key, now);
    if (!limited.ok) throw Object.assign(new JobApiError(429, 'E_TRANSPORT_REJECTED', 'too many requests from this project'), { retryAfterMs: limited.retryAfterMs });
    if (!(await this.options.store.useNonce(key, checked.value.nonce, nonceExpiresAt(checked.value), now))) {
      throw new JobApiError(409, 'E_HS_REPLAY', `this request (nonce ${checked.value.nonce}) was made before: sign each request anew`);
    }
    return key;
  }

  private async route(request: JobRequest): Promise<JobAnswer> {
    let url: URL;
    try {
      url = new URL(request.target, 'http://job-api.invalid');
    } catch {
      throw badInput('the request target is not a valid path');
    }
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
    } catch {
      throw badInput('the path is not valid percent-encoding');
    }
    if (parts[0] !== 'v1') throw new JobApiError(404, 'E_PROTO_INVALID', 'not a job API endpoint (see docs/JOBS.md: /v1/…)');
    const method = request.method;
    if (parts.length === 2 && parts[1] === 'orchestrator') {
      if (method !== 'GET') throw new JobApiError(405, 'E_PROTO_INVALID', 'use GET');
      return { status: 200, body: { 'node-id': this.options.audience, api: JOB_API_VERSION } };
    }
    if (request.body.length > maxBodyBytes(method, url.pathname)) throw new JobApiError(413, 'E_PROTO_INVALID', `the body is over ${maxBodyBytes(method, url.pathname)} bytes`);
    const project = await this.authenticate(request);
    const service = this.options.service;
    const params = url.searchParams;
    const allow = (methods: string): never => {
      throw new JobApiError(405, 'E_PROTO_INVALID', `use ${methods}`);
    };
    const [, resource, id, sub, item, ...rest] = parts;
    if (rest.length > 0) throw new JobApiError(404, 'E_PROTO_INVALID', 'no such endpoint');
    if (resource === 'project' && id === undefined) {
      if (method !== 'GET') allow('GET');
      return { status: 200, body: projectView(this.options.projects.get(project)!) };
    }
    if (resource === 'batches') {
      if (id === undefined) {
        if (method === 'GET') return { status: 200, body: await service.batches(project, pageQuery(params)) };
        if (method !== 'POST') allow('GET, POST');
        const body = closedObject(json(request.body), 'body', ['name']);
        const name = body['name'];
        if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_BATCH_NAME_LENGTH) throw badInput(`name must be 1–${MAX_BATCH_NAME_LENGTH} characters`);
        return { status: 201, body: await service.createBatch(project, name) };
      }
      if (sub === undefined) {
        if (method !== 'GET') allow('GET');
        return { status: 200, body: await service.batch(project, id) };
      }
      if ((sub === 'abort' || sub === 'retire') && item === undefined) {
        if (method !== 'POST') allow('POST');
        return { status: 200, body: sub === 'abort' ? await service.abort(project, id) : await service.retire(project, id) };
      }
      if (sub === 'blobs') {
        if (item === undefined) {
          if (method !== 'GET') allow('GET');
          return { status: 200, body: await service.blobs(project, id, pageQuery(params)) };
        }
        if (!isContentHash(item)) throw badInput('a blob is named by sha256: and 64 lowercase hex digits');
        if (method === 'GET') return { status: 200, body: { hash: item, ...(await service.uploadState(project, id, item)) } };
        if (method !== 'PUT') allow('GET, PUT');
        const kind = params.get('kind');
        if (kind !== 'module' && kind !== 'input') throw badInput('kind must be module or input');
        const size = wholeParam(params, 'size', Number.MAX_SAFE_INTEGER);
        const offset = wholeParam(params, 'offset', Number.MAX_SAFE_INTEGER);
        const outcome = await service.upload(project, id, item, size, kind, offset, request.body);
        return outcome.state === 'complete'
          ? { status: 201, body: { hash: item, state: 'complete', size: outcome.size, kind: outcome.kind } }
          : { status: 200, body: { hash: item, state: 'partial', received: outcome.received, size } };
      }
      if (sub === 'tasks' && item === undefined) {
        if (method === 'GET') {
          const state = params.get('state');
          if (state !== null && !(TASK_STATES as readonly string[]).includes(state)) throw badInput(`state must be one of ${TASK_STATES.join(', ')}`);
          return { status: 200, body: await service.tasks(project, id, pageQuery(params), (state ?? undefined) as TaskState | undefined) };
        }
        if (method !== 'POST') allow('GET, POST');
        const body = closedObject(json(request.body), 'body', ['tasks']);
        const list = body['tasks'];
        if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TASKS_PER_REQUEST) throw badInput(`tasks must be a list of 1–${MAX_TASKS_PER_REQUEST} task specs`);
        const specs = list.map((spec, i) => readTaskSpec(spec, `tasks.${i}`));
        return { status: 201, body: await service.submit(project, id, specs) };
      }
      if (sub === 'results' && item === undefined) {
        if (method !== 'GET') allow('GET');
        return { status: 200, body: await service.results(project, id, pageQuery(params)) };
      }
    }
    if (resource === 'tasks' && id !== undefined && item === undefined) {
      if (method !== 'GET') allow('GET');
      if (sub === undefined) return { status: 200, body: await service.task(project, id) };
      if (sub === 'output') return { status: 200, body: await service.output(project, id) };
    }
    throw new JobApiError(404, 'E_PROTO_INVALID', 'no such endpoint (see docs/JOBS.md)');
  }

  /** Forgets idle rate buckets. */
  sweep(now: number): void {
    this.rates.sweep(now);
  }
}
