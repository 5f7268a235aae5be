// The job API's boundary (issue 13 §1), over real HTTP: every request is signed by a listed
// project key, fresh and meant for this orchestrator; bad input of every kind gets a clear error
// with its code, and leaves nothing stored; uploads are chunked and resumable; a module must be a
// WASI command; lists are paged; a project sees only its own batches; retire frees blobs.
import { connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src-shared/protocol/encoding/bytes.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { REQUEST_CLOCK_SKEW_MS, MAX_JOB_JSON_BYTES } from '../../src-shared/jobs/job-limits.js';
import { hashBytes } from '../../src-node/kernel/storage/module-cache.js';
import { JOB_MAX_CONNECTIONS_PER_ADDRESS } from '../../src-node/services/orchestrator/jobs/job-server.js';
import { wasiModule } from '../support/vnode/wasi-fixtures.js';
import { TestProject, httpTransport, stdinTask } from '../support/test-project.js';
import { type WorkNet, startWorkNet } from '../support/work-net.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { loadDemoModule } from '../../src-node/kernel/workloads/demo/demo-workloads.js';

let net: WorkNet;
let base: string;
let alice: TestProject;
let bob: TestProject;
const primes = wasiModule('primes-wasi');

beforeAll(async () => {
  const bobKey = TestProject.fromByte(0x52, async () => ({ status: 0, body: null }), '').key;
  net = await startWorkNet({ contributors: 0, scheduler: { jobsListen: 'http://127.0.0.1:0', projects: [{ key: bobKey, name: 'bob', source: 'flag' }] } });
  base = net.schedulerModule.server!.url;
  const audience = net.orchestratorRuntime.identity.nodeId;
  alice = TestProject.fromByte(0x51, httpTransport(base), audience);
  bob = TestProject.fromByte(0x52, httpTransport(base), audience);
});

afterAll(async () => {
  await net?.stop();
});

async function raw(method: string, target: string, headers: Record<string, string> = {}, body?: Uint8Array) {
  const response = await fetch(`${base}${target}`, { method, headers, ...(body ? { body: Buffer.from(body) } : {}) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('who may call', () => {
  it('names the orchestrator without a signature, and nothing else', async () => {
    expect(await raw('GET', '/v1/orchestrator')).toEqual({ status: 200, body: { 'node-id': net.orchestratorRuntime.identity.nodeId, api: 'pnode-jobs/1' } });
    expect(await raw('GET', '/v1/batches')).toMatchObject({ status: 401, body: { code: 'E_SIG_UNKNOWN_SIGNER' } });
  });

  it('refuses a key the network does not list (403), a replay (409), an old request (401), a changed body (401), another audience (400)', async () => {
    const stranger = new TestProject(httpTransport(base), net.orchestratorRuntime.identity.nodeId, nativeCrypto.ed25519Signer(new Uint8Array(32).fill(0x99)));
    expect(await stranger.call('GET', '/v1/batches')).toMatchObject({ status: 403, body: { code: 'E_SIG_UNKNOWN_SIGNER' } });
    const once = alice.sign('POST', '/v1/batches', utf8('{"name":"once"}'));
    expect((await alice.send(once)).status).toBe(201);
    expect(await alice.send(once)).toMatchObject({ status: 409, body: { code: 'E_HS_REPLAY' } });
    const old = new TestProject(httpTransport(base), net.orchestratorRuntime.identity.nodeId, alice.signer, () => Date.now() - REQUEST_CLOCK_SKEW_MS - 60_000);
    expect(await old.call('GET', '/v1/batches')).toMatchObject({ status: 401, body: { code: 'E_ADV_EXPIRED' } });
    const signed = alice.sign('POST', '/v1/batches', utf8('{"name":"signed"}'));
    expect(await alice.send({ ...signed, body: utf8('{"name":"changed"}') })).toMatchObject({ status: 401, body: { code: 'E_SIG_INVALID' } });
    const elsewhere = TestProject.fromByte(0x51, httpTransport(base), `node:did:key:${bob.key}`);
    expect(await elsewhere.call('GET', '/v1/batches')).toMatchObject({ status: 400, body: { code: 'E_PROTO_INVALID' } });
  });

  it('keeps nonces in the store: a replay after a restart of the store is still refused', async () => {
    const store = net.schedulerModule.store;
    expect(await store.useNonce(alice.key, 'restart-nonce-0000000', Date.now() + 60_000, Date.now())).toBe(true);
    expect(await store.useNonce(alice.key, 'restart-nonce-0000000', Date.now() + 60_000, Date.now())).toBe(false);
  });

  it('shows a project only its own batches', async () => {
    const batch = await alice.createBatch('mine');
    expect(await bob.call('GET', `/v1/batches/${batch}`)).toMatchObject({ status: 404, body: { code: 'E_HS_UNKNOWN_REF' } });
    expect(await bob.call('POST', `/v1/batches/${batch}/abort`)).toMatchObject({ status: 404 });
    const listed = (await bob.call('GET', '/v1/batches')).body;
    expect((listed['items'] as unknown[]).length).toBe(0);
  });

  it('closes connections from one address past the per-address limit', async () => {
    const url = new URL(base);
    const sockets: Socket[] = [];
    const closed: boolean[] = [];
    for (let i = 0; i < JOB_MAX_CONNECTIONS_PER_ADDRESS + 2; i++) {
      // From an address of its own (the loopback /8 is all ours), so the test's other connections do not count.
      const socket = connect({ port: Number(url.port), host: url.hostname, localAddress: '127.0.0.93' });
      const index = i;
      closed[index] = false;
      socket.on('close', () => (closed[index] = true));
      socket.on('error', () => undefined);
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(closed.filter(Boolean).length).toBe(2);
    for (const s of sockets) s.destroy();
  });
});

describe('bad input leaves nothing stored', () => {
  it('a task list with one bad spec stores none of them, and names the path', async () => {
    const batch = await alice.createBatch('half');
    const hash = await alice.upload(batch, primes.bytes, 'module');
    const good = stdinTask(hash, new Uint8Array(8));
    const answer = await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [good, good, { ...good, limits: { 'memory-mb': 4096 } }] });
    expect(answer).toMatchObject({ status: 400, body: { code: 'E_PROTO_INVALID', detail: expect.stringContaining('tasks.2.limits.memory-mb') } });
    expect(await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [{ ...good, name: 'a' }, { ...good, name: 'a' }] })).toMatchObject({ status: 400, body: { detail: expect.stringContaining('named twice') } });
    expect(await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [{ ...good, module: hashBytes(utf8('nothing')) }] })).toMatchObject({ status: 400, body: { detail: expect.stringContaining('is not a module uploaded to this batch') } });
    expect(await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [{ ...good, files: [{ name: 'in', blob: hashBytes(utf8('x')) }] }] })).toMatchObject({ status: 400 });
    expect(await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [{ ...good, extra: 1 }] })).toMatchObject({ status: 400, body: { detail: expect.stringContaining('unknown field "extra"') } });
    expect(await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [] })).toMatchObject({ status: 400 });
    expect((await alice.batch(batch))['tasks']).toMatchObject({ total: 0 });
  });

  it('a body over the limit is refused with 413 before it is read', async () => {
    const big = new Uint8Array(MAX_JOB_JSON_BYTES + 1).fill(0x20);
    expect(await alice.call('POST', '/v1/batches', big)).toMatchObject({ status: 413, body: { code: 'E_PROTO_INVALID' } });
    expect(await alice.call('POST', '/v1/batches', utf8('{not json'))).toMatchObject({ status: 400, body: { detail: 'the body is not JSON' } });
  });

  it('a module that is no WASI command is refused at upload, and nothing is kept', async () => {
    const batch = await alice.createBatch('modules');
    const garbage = utf8('\0asm not really');
    const refused = await alice.call('PUT', `/v1/batches/${batch}/blobs/${hashBytes(garbage)}?size=${garbage.length}&kind=module&offset=0`, garbage);
    expect(refused).toMatchObject({ status: 400, body: { code: 'E_PROTO_INVALID', detail: expect.stringContaining('not valid WebAssembly') } });
    const hostApi = (await loadDemoModule('mandelbrot')).bytes;
    const imports = await alice.call('PUT', `/v1/batches/${batch}/blobs/${hashBytes(hostApi)}?size=${hostApi.length}&kind=module&offset=0`, hostApi);
    expect(imports).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/imports env\.\w+: only "wasi_snapshot_preview1" functions are provided/) } });
    expect((await alice.call('GET', `/v1/batches/${batch}/blobs/${hashBytes(hostApi)}`)).body).toMatchObject({ state: 'none', attached: false });
    expect(existsSync(net.schedulerModule.blobs.pathOf(hashBytes(hostApi)))).toBe(false);
    const lying = utf8('not what the name says');
    expect(await alice.call('PUT', `/v1/batches/${batch}/blobs/${hashBytes(utf8('other'))}?size=${lying.length}&kind=input&offset=0`, lying)).toMatchObject({ status: 400, body: { detail: expect.stringContaining('hash to') } });
  });
});

describe('uploads, pages, abort and retire', () => {
  it('uploads in chunks, says where to go on after a wrong offset, and resumes', async () => {
    const batch = await alice.createBatch('chunks');
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    const hash = hashBytes(bytes);
    const path = `/v1/batches/${batch}/blobs/${hash}`;
    expect(await alice.call('PUT', `${path}?size=10000&kind=input&offset=0`, bytes.subarray(0, 4_000))).toMatchObject({ status: 200, body: { state: 'partial', received: 4_000 } });
    expect(await alice.call('PUT', `${path}?size=10000&kind=input&offset=6000`, bytes.subarray(6_000))).toMatchObject({ status: 400, body: { detail: 'the upload has 4000 bytes: send the chunk at offset 4000' } });
    expect((await alice.call('GET', path)).body).toMatchObject({ state: 'partial', received: 4_000, size: 10_000 });
    expect(await alice.call('PUT', `${path}?size=10000&kind=input&offset=4000`, bytes.subarray(4_000))).toMatchObject({ status: 201, body: { state: 'complete', size: 10_000 } });
    expect((await alice.call('GET', path)).body).toMatchObject({ state: 'complete', attached: true });
  });

  it('never lets a project attach another project\'s blob by its hash alone: it uploads the bytes', async () => {
    const secret = utf8('alice only: the secret input');
    const hash = hashBytes(secret);
    const mine = await alice.createBatch('secret');
    await alice.upload(mine, secret, 'input');
    const theirs = await bob.createBatch('guess');
    const path = `/v1/batches/${theirs}/blobs/${hash}`;
    expect((await bob.call('GET', path)).body).toMatchObject({ state: 'none', attached: false });
    // A first byte does not complete it, and a task may not name it yet.
    expect(await bob.call('PUT', `${path}?size=${secret.length}&kind=input&offset=0`, secret.subarray(0, 1))).toMatchObject({ status: 200, body: { state: 'partial', received: 1 } });
    const module = await bob.upload(theirs, primes.bytes, 'module');
    expect(await bob.call('POST', `/v1/batches/${theirs}/tasks`, { tasks: [stdinTask(module, new Uint8Array(8), { files: [{ name: 'in', blob: hash }] })] })).toMatchObject({ status: 400 });
    // With every byte, it has shown it holds them: now it is attached.
    expect(await bob.call('PUT', `${path}?size=${secret.length}&kind=input&offset=1`, secret.subarray(1))).toMatchObject({ status: 201, body: { state: 'complete' } });
    // Alice's own second batch reuses it at once.
    const again = await alice.createBatch('again');
    expect(await alice.call('PUT', `/v1/batches/${again}/blobs/${hash}?size=${secret.length}&kind=input&offset=0`, new Uint8Array(0))).toMatchObject({ status: 201 });
  });

  it('pages every list', async () => {
    const batch = await alice.createBatch('pages');
    const hash = await alice.upload(batch, primes.bytes, 'module');
    await alice.submit(batch, [1, 2, 3, 4, 5].map((i) => stdinTask(hash, new Uint8Array(8), { name: `t${i}` })));
    const first = (await alice.call('GET', `/v1/batches/${batch}/tasks?limit=2`)).body;
    const second = (await alice.call('GET', `/v1/batches/${batch}/tasks?limit=2&after=${first['next']}`)).body;
    const third = (await alice.call('GET', `/v1/batches/${batch}/tasks?limit=2&after=${second['next']}`)).body;
    expect([first, second, third].flatMap((p) => (p['items'] as Array<{ name: string }>).map((t) => t.name))).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(third['next']).toBeNull();
    expect(await alice.call('GET', `/v1/batches/${batch}/tasks?limit=0`)).toMatchObject({ status: 400 });
    expect(await alice.call('GET', `/v1/batches/${batch}/tasks?state=done`)).toMatchObject({ status: 400 });
  });

  it('refuses to retire a batch with open tasks; abort, then retire frees its blobs', async () => {
    const batch = await alice.createBatch('retire');
    const input = utf8('input for retire');
    const hash = await alice.upload(batch, primes.bytes, 'module');
    const inputHash = await alice.upload(batch, input, 'input');
    await alice.submit(batch, [stdinTask(hash, new Uint8Array(8), { files: [{ name: 'in.txt', blob: inputHash }], args: [toBase64url(input)] })]);
    expect(await alice.call('POST', `/v1/batches/${batch}/retire`)).toMatchObject({ status: 409, body: { detail: expect.stringContaining('abort it first') } });
    expect(await alice.call('POST', `/v1/batches/${batch}/abort`)).toMatchObject({ status: 200, body: { 'tasks-aborted': 1 } });
    expect(await alice.call('POST', `/v1/batches/${batch}/tasks`, { tasks: [stdinTask(hash, new Uint8Array(8))] })).toMatchObject({ status: 409 });
    expect(existsSync(net.schedulerModule.blobs.pathOf(inputHash))).toBe(true);
    expect(await alice.call('POST', `/v1/batches/${batch}/retire`)).toMatchObject({ status: 200, body: { state: 'retired' } });
    expect(existsSync(net.schedulerModule.blobs.pathOf(inputHash))).toBe(false);
    // The module is still used by other batches: it stays.
    expect(existsSync(net.schedulerModule.blobs.pathOf(hash))).toBe(true);
  });
});
