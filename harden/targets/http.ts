// Fuzz targets of the HTTP surfaces, over real loopback sockets: the seed directory's API (a real
// DirectoryServer over a real DirectoryStore) and the orchestrator's admin API (a real admin
// server over a real Orchestrator). Every input is a request: a real one (a signed PUT, the GETs,
// the admin routes with the token), or one with its method, path, headers or body mutated, or
// raw bytes on a fresh TCP connection. A 5xx answer other than the designed 503 is an internal
// error: counted as a crash. After every batch a valid request must still be served.
import { mkdtempSync } from 'node:fs';
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

export const HTTP_TARGETS: readonly FuzzTarget[] = [directory, admin];
