// Fuzz targets of the HTTP surfaces, over real loopback sockets: the seed directory's API (a real
// DirectoryServer over a real DirectoryStore) and the orchestrator's admin API (a real admin
// server over a real Orchestrator). Every input is a request: a real one (a signed PUT, the GETs,
// the admin routes with the token), or one with its method, path, headers or body mutated, or
// raw bytes on a fresh TCP connection. A 5xx answer other than the designed 503 is an internal
// error: counted as a crash. After every batch a valid request must still be served.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src-shared/protocol/errors.js';
import { encodeSessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { ManualClock } from '../../src-node/kernel/util/clock.js';
import { DirectoryStore } from '../../src-node/services/directory/directory-store.js';
import { DirectoryServer } from '../../src-node/services/directory/directory-http.js';
import { parseDirectoryListenUrl } from '../../src-node/kernel/discovery/directory-url.js';
import { makePublisher, signedAdvertisement, type Publisher } from '../../tests/support/directory.js';
import { Orchestrator } from '../../src-node/services/orchestrator/orchestrator.js';
import { startAdminServer } from '../../src-node/services/orchestrator/admin-server.js';
import { authorityAdminExtension } from '../../src-node/services/authority/admin-routes.js';
import { AdminExtensions } from '../../src-node/kernel/http/admin-extension.js';
import { CAPTURE_AD_TTL_MS, CAPTURE_NOW } from '../lib/captures.js';
import { HttpClient, mutatePath, rawRequest, type HttpAnswer, type HttpInput } from '../lib/http-client.js';
import { mix, valueStreams } from '../lib/inputs.js';
import { mutateBytes } from '../lib/mutate-bytes.js';
import { toJsonText } from '../lib/mutate-json.js';
import { Rng, deriveSeed } from '../lib/random.js';
import type { FuzzSession, FuzzTarget } from '../lib/fuzz.js';
import { defineTarget } from './common.js';
import { SqliteJobStore } from '../../src-node/services/orchestrator/jobs/sqlite-store.js';
import { BlobStore } from '../../src-node/services/orchestrator/jobs/blob-store.js';
import { JobService } from '../../src-node/services/orchestrator/jobs/job-service.js';
import { JobApi } from '../../src-node/services/orchestrator/jobs/job-api.js';
import { JobServer, parseJobListen } from '../../src-node/services/orchestrator/jobs/job-server.js';
import { Projects } from '../../src-node/services/orchestrator/jobs/projects.js';
import { wasiWorkloadBytes } from '../../src-node/services/orchestrator/work/demo.js';
import { hashBytes } from '../../src-node/kernel/storage/module-cache.js';
import { fingerprintFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { type RequestMethod, projectRequestHeader, signProjectRequest } from '../../src-shared/jobs/project-request.js';

/** Requests in flight at once. */
const HTTP_CONCURRENCY = 16;
/** An answer slower than this is a hang. */
const HTTP_LIMIT_MS = 5_000;

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get', 'G\u00c9T'];

interface HttpFuzzInput {
  readonly request: HttpInput;
  /** Send as raw bytes on a fresh connection instead. */
  readonly raw?: Uint8Array;
}

function answerOutcome(answer: HttpAnswer, what: string): string {
  if (answer.kind === 'timeout') return 'timeout';
  if (answer.kind === 'closed') return `closed (${answer.detail})`;
  if (answer.status >= 500 && answer.status !== 503) throw new Error(`${what} answered HTTP ${answer.status}: ${answer.body.toString('utf8').slice(0, 500)}`);
  let code = '';
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { code?: unknown };
    if (typeof parsed?.code === 'string' && (ERROR_CODES as readonly string[]).includes(parsed.code)) code = ` ${parsed.code}`;
  } catch {
    // Not JSON (metrics, plain-text refusals).
  }
  return `${answer.status}${code}`;
}

function httpSession(client: HttpClient, next: (rng: Rng, index: number) => { value: HttpFuzzInput; source: string }, what: string, extra: Partial<FuzzSession<HttpFuzzInput>>): FuzzSession<unknown> {
  return {
    next,
    run: async (input: HttpFuzzInput) => {
      const answer = input.raw ? await client.sendRaw(input.raw, HTTP_LIMIT_MS) : await client.send(input.request, HTTP_LIMIT_MS);
      if (answer.kind === 'timeout') return '(no answer)';
      const outcome = answerOutcome(answer, what);
      return input.raw ? `raw ${outcome.startsWith('closed') ? 'closed' : outcome}` : outcome;
    },
    show: (input: HttpFuzzInput) => ({ ...input.request, body: input.request.body ? Buffer.from(input.request.body).toString('utf8') : undefined, raw: input.raw ? Buffer.from(input.raw).toString('latin1') : undefined }),
    ...extra,
  } as FuzzSession<unknown>;
}

function expectStatus(answer: HttpAnswer, status: number, what: string): Buffer {
  if (answer.kind !== 'response' || answer.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${answer.kind === 'response' ? `HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}` : answer.kind}`);
  return answer.body;
}

const directory = defineTarget({
  name: 'http:directory',
  drives: 'the seed directory HTTP API (DirectoryServer over a DirectoryStore on disk): routing, path node-ids, percent-decoding, media type, body size, JSON, verification, sequence rule, feed cursors',
  sources: 'real requests (signed PUTs of fresh advertisements, GET one, GET the feed with cursors, healthz, metrics) with method, path, Content-Type or body mutated (structurally, as text, oversized), fast-check bodies, and raw mutated request bytes on fresh connections',
  timeLimitMs: HTTP_LIMIT_MS,
  concurrency: HTTP_CONCURRENCY,
  batch: 2_000,
  open: async (context, c) => {
    const clock = new ManualClock(CAPTURE_NOW);
    const store = await DirectoryStore.open({ dataDir: mkdtempSync(join(context.workDir, 'directory-')), clock, crypto: nativeCrypto, fsync: false });
    const huge = 1e12;
    const server = await DirectoryServer.start({
      store,
      listen: parseDirectoryListenUrl('http://127.0.0.1:0', { insecureLoopback: true }),
      clock,
      nodeId: c.identities.b.nodeId,
      // Rate limits have their own tests; here they would only answer 429 to everything.
      limits: { ipPutsPerSecond: huge, ipGetsPerSecond: huge, publisherPutsPerSecond: huge, publisherBurst: huge },
    });
    const client = new HttpClient('127.0.0.1', server.port, HTTP_CONCURRENCY);
    const setupRng = new Rng(deriveSeed(context.seed, 'publishers'));
    const publishers: Publisher[] = Array.from({ length: 16 }, () => makePublisher(setupRng.bytes(32)));
    const adOf = (publisher: Publisher, sequence: number) => signedAdvertisement(publisher, { sequence, at: CAPTURE_NOW - 1_000, ttlMs: CAPTURE_AD_TTL_MS, extra: { 'advertisement/id': `adv:harden-${sequence}` } });
    const ads = publishers.slice(0, 4).map((p, i) => adOf(p, i));
    const values = valueStreams(context.seed, [...ads, ...(c.artifacts['node-advertisement.v1'] ?? [])]);
    const words = ['adv', 'adv/', 'healthz', 'metrics', 'adv?since=', ...publishers.map((p) => `adv/${p.nodeId}`)];
    const json = { 'Content-Type': 'application/json' };
    const put = (publisher: Publisher, body: Uint8Array): HttpInput => ({ method: 'PUT', path: `/adv/${publisher.nodeId}`, headers: json, body });
    const validPut = (rng: Rng, index: number): HttpInput => {
      const publisher = rng.pick(publishers);
      return put(publisher, Buffer.from(JSON.stringify(adOf(publisher, 1_000 + index))));
    };
    const gets = (rng: Rng): HttpInput => ({
      method: 'GET',
      path: rng.pick([`/adv/${rng.pick(publishers).nodeId}`, '/adv', '/adv?since=', `/adv?since=${rng.pick(['0', '1', 'abc', 'e1:0', '00000000'])}`, '/healthz', '/metrics']),
      headers: {},
    });
    const next = mix<HttpFuzzInput>([
      [6, 'capture', (rng) => ({ request: rng.chance(0.5) ? validPut(rng, rng.int(1_000_000)) : gets(rng) })],
      [30, 'mutated', (rng) => {
        const publisher = rng.pick(publishers);
        return { request: put(publisher, Buffer.from(toJsonText(values.mutated(rng)))) };
      }],
      [12, 'mutated-text', (rng) => ({ request: put(rng.pick(publishers), values.mutatedText(rng)) })],
      [14, 'mutated', (rng) => {
        const base = rng.chance(0.5) ? validPut(rng, rng.int(1_000_000)) : gets(rng);
        return { request: { ...base, path: mutatePath(rng, base.path, words) } };
      }],
      [10, 'mutated', (rng) => {
        const base = validPut(rng, rng.int(1_000_000));
        const headers = rng.pick<Record<string, string>>([{}, { 'Content-Type': 'text/plain' }, { 'Content-Type': 'APPLICATION/JSON; charset=utf-8' }, { 'Content-Type': 'application/json, text/plain' }, { 'Content-Type': 'application/jsonx' }, { 'Content-Type': '' }, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }]);
        return { request: { ...base, method: rng.chance(0.5) ? rng.pick(METHODS) : base.method, headers } };
      }],
      [6, 'mutated', (rng) => ({ request: put(rng.pick(publishers), new Uint8Array(rng.pick([16 * 1024 + 1, 65 * 1024, 1024 * 1024])).fill(0x20)) })],
      [10, 'generated', (rng) => ({ request: put(rng.pick(publishers), Buffer.from(rng.chance(0.5) ? toJsonText(values.shaped(rng)) : values.generatedText(rng))) })],
      [12, 'mutated-raw', (rng) => {
        const base = rng.chance(0.6) ? validPut(rng, rng.int(1_000_000)) : gets(rng);
        return { request: base, raw: mutateBytes(rng, rawRequest(base, `127.0.0.1:${server.port}`)) };
      }],
    ]);
    let healthPublisher = 0;
    const healthRng = new Rng(deriveSeed(context.seed, 'health'));
    return httpSession(client, (rng) => next(rng), 'the directory', {
      healthCheck: async () => {
        const health = JSON.parse(expectStatus(await client.send({ method: 'GET', path: '/healthz', headers: {} }, context.healthWaitMs, true), 200, 'GET /healthz').toString('utf8')) as { status?: string };
        if (health.status !== 'ok') throw new Error('healthz does not say ok');
        const publisher = makePublisher(healthRng.bytes(32));
        const ad = adOf(publisher, healthPublisher++);
        expectStatus(await client.send(put(publisher, Buffer.from(JSON.stringify(ad))), context.healthWaitMs, true), 201, 'a valid PUT');
        const back = expectStatus(await client.send({ method: 'GET', path: `/adv/${publisher.nodeId}`, headers: {} }, context.healthWaitMs, true), 200, 'GET of the advertisement just stored');
        if (JSON.stringify(JSON.parse(back.toString('utf8'))) !== JSON.stringify(ad)) throw new Error('GET answered another advertisement than the one stored');
      },
      close: async () => {
        client.close();
        await server.close();
        await store.close();
      },
    });
  },
});

const admin = defineTarget({
  name: 'http:admin',
  drives: "the orchestrator's admin API (real admin server over a real Orchestrator with registered PNodes, and a real registration authority's routes): loopback, Host and bearer token checks, routing, percent-decoding, JSON bodies, VNode requests and releases, enrollment tokens, revocations",
  sources: 'real admin requests with the token (status, pnodes, one pnode, vnodes, POST vnodes, DELETE a vnode, metrics, the authority: tokens, credentials, revocations, revocation list) with token, Host, method, path or body mutated; fast-check bodies; raw mutated request bytes',
  timeLimitMs: HTTP_LIMIT_MS,
  concurrency: HTTP_CONCURRENCY,
  batch: 2_000,
  open: async (context, c) => {
    const clock = new ManualClock(CAPTURE_NOW);
    const orchestrator = new Orchestrator({
      selfNodeId: c.identities.b.nodeId,
      clock,
      crypto: nativeCrypto,
      heartbeatIntervalMs: 10_000,
      // What PeerConnection.send does with a body: encode it (throws on a body out of contract).
      transport: { send: (_nodeId, kind, body) => encodeSessionMessage(kind, body).length > 0, isConnected: () => true, sessions: () => 1 },
    });
    for (const body of c.sessionBodies['pnode-register'] ?? []) if (body['req/id'] !== undefined) orchestrator.onRegister(c.identities.a.nodeId, body);
    const token = 'harden-admin-token-0123456789abcdefABCDEF_-';
    // The registration authority's routes, as an orchestrator running one serves them.
    const authority = c.trust.newAuthority(CAPTURE_NOW);
    const extensions = new AdminExtensions();
    extensions.extend(authorityAdminExtension(() => authority));
    const server = await startAdminServer({ orchestrator, nodeId: c.identities.b.nodeId, listenUrls: () => ['wss://orch.example/peer'], now: () => clock.now(), host: '127.0.0.1', port: 0, token, extensions });
    const credentialIds = c.trust.credentials.map((cred) => cred['credential/id']);
    const client = new HttpClient('127.0.0.1', server.port, HTTP_CONCURRENCY);
    const host = `127.0.0.1:${server.port}`;
    const auth = { Authorization: `Bearer ${token}`, Host: host };
    const vnodeId = (rng: Rng): string => {
      const all = [...orchestrator.vnodes.all()];
      return all.length > 0 ? rng.pick(all).id : 'vn:none';
    };
    const bodies = [{ cores: 1, 'memory-mb': 256 }, { cores: 2, 'memory-mb': 1024, count: 3 }];
    const authorityBodies = [{ 'valid-minutes': 60, label: 'harden' }, {}, { id: 'cred:x', reason: 'harden' }];
    const values = valueStreams(context.seed, [...bodies, ...authorityBodies]);
    const real = (rng: Rng): HttpInput =>
      rng.weighted<() => HttpInput>([
        [2, () => ({ method: 'GET', path: '/status', headers: auth })],
        [2, () => ({ method: 'GET', path: '/pnodes', headers: auth })],
        [2, () => ({ method: 'GET', path: `/pnodes/${c.identities.a.nodeId}`, headers: auth })],
        [2, () => ({ method: 'GET', path: '/vnodes', headers: auth })],
        [2, () => ({ method: 'GET', path: `/vnodes/${vnodeId(rng)}`, headers: auth })],
        [3, () => ({ method: 'POST', path: '/vnodes', headers: { ...auth, 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(rng.pick(bodies))) })],
        [2, () => ({ method: 'DELETE', path: `/vnodes/${vnodeId(rng)}`, headers: auth })],
        [1, () => ({ method: 'GET', path: '/metrics', headers: auth })],
        [1, () => ({ method: 'GET', path: rng.pick(['/authority', '/authority/tokens', '/authority/credentials', '/authority/revocation-list']), headers: auth })],
        [2, () => ({ method: 'POST', path: '/authority/tokens', headers: { ...auth, 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(rng.pick(authorityBodies.slice(0, 2)))) })],
        [1, () => ({ method: 'POST', path: '/authority/revocations', headers: { ...auth, 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify({ id: rng.pick(credentialIds), reason: 'harden' })) })],
      ])();
    const words = ['status', 'pnodes', 'vnodes', 'metrics', `pnodes/${c.identities.a.nodeId}`, 'vnodes/', 'authority', 'authority/tokens', 'authority/credentials', 'authority/revocations', 'authority/revocation-list'];
    const next = mix<HttpFuzzInput>([
      [6, 'capture', (rng) => ({ request: real(rng) })],
      [20, 'mutated', (rng) => {
        const base = real(rng);
        return { request: { ...base, path: mutatePath(rng, base.path, words) } };
      }],
      [14, 'mutated', (rng) => {
        const base = real(rng);
        const authorization = rng.pick([`Bearer ${token.slice(1)}`, `Bearer ${token}x`, `bearer ${token}`, `Bearer  ${token}  `, `Basic ${Buffer.from(`a:${token}`).toString('base64')}`, 'Bearer', '', `Bearer ${token}, Bearer ${token}`, `Bearer ${'A'.repeat(10_000)}`]);
        return { request: { ...base, headers: { ...base.headers, Authorization: authorization } } };
      }],
      [8, 'mutated', (rng) => {
        const base = real(rng);
        return { request: { ...base, headers: { ...base.headers, Host: rng.pick(['evil.example', `localhost:${server.port}`, `[::1]:${server.port}`, `127.0.0.1:${server.port + 1}`, '127.0.0.1', `127.0.0.1:${server.port}.evil`, '']) } } };
      }],
      [8, 'mutated', (rng) => ({ request: { ...real(rng), method: rng.pick(METHODS) } })],
      [20, 'mutated', (rng) => ({ request: { method: 'POST', path: rng.pick(['/vnodes', '/vnodes', '/authority/tokens', '/authority/revocations']), headers: { ...auth, 'Content-Type': 'application/json' }, body: Buffer.from(toJsonText(values.mutated(rng))) } })],
      [6, 'mutated-text', (rng) => ({ request: { method: 'POST', path: '/vnodes', headers: auth, body: values.mutatedText(rng) } })],
      [4, 'mutated', (rng) => ({ request: { method: 'POST', path: '/vnodes', headers: auth, body: new Uint8Array(rng.pick([16 * 1024 + 1, 200_000])).fill(0x7b) } })],
      [6, 'generated', (rng) => ({ request: { method: 'POST', path: '/vnodes', headers: auth, body: Buffer.from(rng.chance(0.5) ? toJsonText(values.shaped(rng)) : values.generatedText(rng)) } })],
      [8, 'mutated-raw', (rng) => {
        const base = real(rng);
        return { request: base, raw: mutateBytes(rng, rawRequest({ ...base, headers: Object.fromEntries(Object.entries(base.headers).filter(([k]) => k !== 'Host')) }, host)) };
      }],
    ]);
    return httpSession(client, (rng) => next(rng), 'the admin API', {
      healthCheck: async () => {
        const status = JSON.parse(expectStatus(await client.send({ method: 'GET', path: '/status', headers: auth }, context.healthWaitMs, true), 200, 'GET /status').toString('utf8')) as Record<string, unknown>;
        if (typeof status !== 'object' || status === null) throw new Error('GET /status is not a JSON object');
        expectStatus(await client.send({ method: 'GET', path: '/status', headers: { Host: host } }, context.healthWaitMs, true), 401, 'GET /status without the token');
        const pnode = JSON.parse(expectStatus(await client.send({ method: 'GET', path: `/pnodes/${c.identities.a.nodeId}`, headers: auth }, context.healthWaitMs, true), 200, 'GET of a registered PNode').toString('utf8')) as Record<string, unknown>;
        if (!JSON.stringify(pnode).includes(c.identities.a.nodeId)) throw new Error('GET /pnodes/<id> does not name the PNode');
      },
      close: async () => {
        client.close();
        await server.close();
      },
    });
  },
});

const jobs = defineTarget({
  name: 'http:jobs',
  drives: "the orchestrator's job API (issue 13 §1: a real JobServer over a real JobApi, JobService, SQLite job store and blob store): the signed-request check (header, schema, signature, audience, method, target, body hash, time window), project keys, nonces, routing, percent-decoding, page queries, batch bodies, task specs, blob uploads (offsets, sizes, kinds, module checks), abort and retire",
  sources: 'real signed requests of a listed project (create and list batches, read one, upload an input and the primes-wasi module, submit tasks, read tasks, results and outputs, abort, retire); the same with path, method or headers mutated (signed for what was sent, or not); task lists and bodies mutated and signed again; unsigned, foreign-key and replayed requests; raw mutated request bytes',
  timeLimitMs: HTTP_LIMIT_MS,
  concurrency: HTTP_CONCURRENCY,
  batch: 1_000,
  open: async (context, c) => {
    const clock = new ManualClock(CAPTURE_NOW);
    // On tmpfs where there is one: every request writes its nonce, and a disk's fsync per request
    // would make the target measure the disk.
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : context.workDir, 'pnode-harden-jobs-'));
    const store = SqliteJobStore.open(join(dir, 'jobs.sqlite'));
    const blobs = new BlobStore(join(dir, 'blobs'));
    const audience = c.identities.b.nodeId;
    const rng0 = new Rng(deriveSeed(context.seed, 'jobs-keys'));
    const project = nativeCrypto.ed25519Signer(rng0.bytes(32));
    const stranger = nativeCrypto.ed25519Signer(rng0.bytes(32));
    const projects = new Projects([{ key: fingerprintFromPublicKey(project.publicKey), name: 'harden', source: 'flag' }]);
    const service = new JobService({ store, blobs, clock, maxTaskMemoryMb: 64 });
    // Rate limits have their own tests; here they would only answer 429 to everything.
    const api = new JobApi({ service, store, projects, crypto: nativeCrypto, clock, audience, requestsPerSecond: 1e9, requestBurst: 1e9 });
    const server = await JobServer.start({ api, listen: parseJobListen('http://127.0.0.1:0'), clock, requestsPerSecondPerAddress: 1e9 });
    const port = Number(new URL(server.url).port);
    const client = new HttpClient('127.0.0.1', port, HTTP_CONCURRENCY);
    const host = `127.0.0.1:${port}`;
    const module = wasiWorkloadBytes('primes-wasi');
    const moduleHash = hashBytes(module);
    const input = Buffer.from('harden input\n');
    const inputHash = hashBytes(input);
    const nonceOf = (rng: Rng) => toBase64url(rng.bytes(16));
    const signed = (rng: Rng, method: string, path: string, body: Uint8Array, signer = project): HttpInput => {
      let authorization = '';
      try {
        authorization = projectRequestHeader(signProjectRequest({ audience, method: method as RequestMethod, target: path, body, now: clock.now(), nonce: nonceOf(rng) }, signer));
      } catch {
        // A mutated target no signer can sign (text that is not text): it goes unsigned.
      }
      return { method, path, headers: { Authorization: authorization, Host: host, 'Content-Type': 'application/json' }, body };
    };
    // A batch to work on, with the module and an input uploaded.
    const setupRng = new Rng(deriveSeed(context.seed, 'jobs-setup'));
    const send = async (req: HttpInput) => client.send(req, HTTP_LIMIT_MS, true);
    const created = JSON.parse(expectStatus(await send(signed(setupRng, 'POST', '/v1/batches', Buffer.from('{"name":"harden"}'))), 201, 'creating a batch').toString('utf8')) as { 'batch-id': string };
    const batch = encodeURIComponent(created['batch-id']);
    expectStatus(await send(signed(setupRng, 'PUT', `/v1/batches/${batch}/blobs/${moduleHash}?size=${module.length}&kind=module&offset=0`, module)), 201, 'uploading the module');
    expectStatus(await send(signed(setupRng, 'PUT', `/v1/batches/${batch}/blobs/${inputHash}?size=${input.length}&kind=input&offset=0`, input)), 201, 'uploading an input');
    const task = (i: number) => ({ name: `t${i}`, module: moduleHash, stdin: toBase64url(new Uint8Array([i, 0, 0, 0, i + 1, 0, 0, 0])), files: [{ name: 'in.txt', blob: inputHash }], limits: { 'memory-mb': 16, 'max-ms': 1_000 } });
    const submitted = JSON.parse(expectStatus(await send(signed(setupRng, 'POST', `/v1/batches/${batch}/tasks`, Buffer.from(JSON.stringify({ tasks: [task(0), task(1)] })))), 201, 'submitting tasks').toString('utf8')) as { tasks: Array<{ 'task-id': string }> };
    const taskId = encodeURIComponent(submitted.tasks[0]!['task-id']);
    const bodies = [{ name: 'x' }, { tasks: [task(2)] }, { tasks: [task(3), task(4)] }];
    const values = valueStreams(context.seed, bodies);
    let counter = 10;
    const real = (rng: Rng): HttpInput =>
      rng.weighted<() => HttpInput>([
        [2, () => signed(rng, 'GET', '/v1/batches?limit=5', new Uint8Array(0))],
        [2, () => signed(rng, 'GET', `/v1/batches/${batch}`, new Uint8Array(0))],
        [2, () => signed(rng, 'POST', '/v1/batches', Buffer.from(JSON.stringify({ name: `b${counter++}` })))],
        [3, () => signed(rng, 'POST', `/v1/batches/${batch}/tasks`, Buffer.from(JSON.stringify({ tasks: [task(counter++)] })))],
        [2, () => signed(rng, 'GET', `/v1/batches/${batch}/tasks?limit=${rng.int(5) + 1}`, new Uint8Array(0))],
        [1, () => signed(rng, 'GET', `/v1/batches/${batch}/results?limit=3`, new Uint8Array(0))],
        [1, () => signed(rng, 'GET', `/v1/tasks/${taskId}`, new Uint8Array(0))],
        [1, () => signed(rng, 'GET', `/v1/tasks/${taskId}/output`, new Uint8Array(0))],
        [2, () => signed(rng, 'PUT', `/v1/batches/${batch}/blobs/${inputHash}?size=${input.length}&kind=input&offset=0`, input)],
        [1, () => signed(rng, 'GET', `/v1/batches/${batch}/blobs/${inputHash}`, new Uint8Array(0))],
        [1, () => signed(rng, 'GET', '/v1/project', new Uint8Array(0))],
        [1, () => signed(rng, 'POST', `/v1/batches/${encodeURIComponent(`batch:none${rng.int(10)}`)}/abort`, new Uint8Array(0))],
      ])();
    const words = ['v1', 'batches', `batches/${batch}`, 'tasks', 'results', 'blobs', `blobs/${inputHash}`, 'abort', 'retire', 'project', 'orchestrator', `tasks/${taskId}`, 'output'];
    const next = mix<HttpFuzzInput>([
      [6, 'capture', (rng) => ({ request: real(rng) })],
      // Mutated, then signed for what is sent: an authenticated project sending garbage.
      [20, 'mutated', (rng) => {
        const base = real(rng);
        const path = mutatePath(rng, base.path, words);
        return { request: signed(rng, rng.chance(0.2) ? rng.pick(['GET', 'POST', 'PUT', 'DELETE']) : base.method, path.startsWith('/') ? path : `/${path}`, base.body ?? new Uint8Array(0)) };
      }],
      [20, 'mutated', (rng) => ({ request: signed(rng, 'POST', rng.chance(0.7) ? `/v1/batches/${batch}/tasks` : '/v1/batches', Buffer.from(toJsonText(values.mutated(rng)))) })],
      [6, 'mutated-text', (rng) => ({ request: signed(rng, 'POST', `/v1/batches/${batch}/tasks`, values.mutatedText(rng)) })],
      [8, 'mutated', (rng) => {
        const size = rng.pick([0, 1, 100, input.length - 1, input.length + 1, 1e9, -1]);
        const offset = rng.pick([0, 1, 5, input.length, 99999]);
        const kind = rng.pick(['input', 'module', 'other', '']);
        const bytes = rng.chance(0.5) ? input : mutateBytes(rng, module.subarray(0, 2_000));
        return { request: signed(rng, 'PUT', `/v1/batches/${batch}/blobs/${hashBytes(bytes)}?size=${size}&kind=${kind}&offset=${offset}`, bytes) };
      }],
      // Not signed, signed by another key, or the header mutated: never past the check.
      [10, 'mutated', (rng) => {
        const base = real(rng);
        const auth = base.headers['Authorization']!;
        const authorization = rng.pick(['', 'PNode-Request', `PNode-Request ${auth.slice(14, -3)}`, auth.replace('PNode-Request', 'Bearer'), `${auth}x`, `PNode-Request ${'A'.repeat(5_000)}`]);
        return { request: { ...base, headers: { ...base.headers, Authorization: authorization } } };
      }],
      [4, 'mutated', (rng) => ({ request: signed(rng, 'GET', '/v1/batches', new Uint8Array(0), stranger) })],
      [4, 'mutated', (rng) => {
        // The same signed request sent twice: the second is a replay.
        const once = real(rng);
        return { request: once, raw: Buffer.concat([rawRequest(once, host), rawRequest(once, host)]) };
      }],
      [4, 'mutated', (rng) => ({ request: signed(rng, 'POST', `/v1/batches/${batch}/tasks`, new Uint8Array(rng.pick([4 * 1024 * 1024 + 1, 5_000_000])).fill(0x20)) })],
      [8, 'mutated-raw', (rng) => {
        const base = real(rng);
        return { request: base, raw: mutateBytes(rng, rawRequest({ ...base, headers: Object.fromEntries(Object.entries(base.headers).filter(([k]) => k !== 'Host')) }, host)) };
      }],
    ]);
    const healthRng = new Rng(deriveSeed(context.seed, 'jobs-health'));
    return httpSession(client, (rng) => next(rng), 'the job API', {
      healthCheck: async () => {
        const listed = JSON.parse(expectStatus(await send(signed(healthRng, 'GET', '/v1/batches?limit=1', new Uint8Array(0))), 200, 'a signed GET /v1/batches').toString('utf8')) as { items?: unknown };
        if (!Array.isArray(listed.items)) throw new Error('GET /v1/batches is not a page');
        expectStatus(await send({ method: 'GET', path: '/v1/batches', headers: { Host: host } }), 401, 'an unsigned GET /v1/batches');
        const replay = signed(healthRng, 'GET', `/v1/batches/${batch}`, new Uint8Array(0));
        expectStatus(await send(replay), 200, 'a signed GET of the batch');
        expectStatus(await send(replay), 409, 'the same request again');
      },
      close: async () => {
        client.close();
        await server.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
});

export const HTTP_TARGETS: readonly FuzzTarget[] = [directory, admin, jobs];
