// The seed directory's revocation-list endpoint (issue 15 §5), over a real socket on 127.0.0.1:
// served keys only (refused before the body is read otherwise), signed by that key, size-capped,
// strictly newer, rate-limited per key (only by lists that would be stored), stored before the answer and served again after a restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { ERROR_CLASSES, type ErrorCode } from '../../../src-shared/protocol/errors.js';
import { buildRevocationList, MAX_DISTRIBUTED_REVOCATION_LIST_BYTES, type RevocationList } from '../../../src-shared/trust/revocation-list.js';
import { keyOf, randomSigner } from '../../../tests/support/trust.js';
import { DirectoryStore } from './directory-store.js';
import { DIRECTORY_REVOCATION_PUT_BURST, DirectoryServer } from './directory-http.js';
import { DIRECTORY_REVOCATIONS_DIR, DirectoryRevocations } from './directory-revocations.js';
import { parseDirectoryListenUrl } from '../../kernel/discovery/directory-url.js';

const authority = randomSigner();
const KEY = keyOf(authority);
const stranger = randomSigner();

let dir: { path: string; cleanup: () => void };
let clock: ManualClock;
let store: DirectoryStore;
let revocations: DirectoryRevocations;
let server: DirectoryServer;
const warnings: string[] = [];

async function open(): Promise<void> {
  store = await DirectoryStore.open({ dataDir: dir.path, clock, crypto: nativeCrypto });
  revocations = await DirectoryRevocations.open({ dataDir: dir.path, crypto: nativeCrypto, authorityKeys: [KEY], warn: (line) => warnings.push(line) });
  server = await DirectoryServer.start({ store, revocations, listen: parseDirectoryListenUrl('http://127.0.0.1:0', { insecureLoopback: true }), clock, nodeId: 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE' });
}

async function close(): Promise<void> {
  await server.close();
  await store.close();
}

beforeEach(async () => {
  dir = makeTempDir('pnode-directory-revocations-');
  clock = new ManualClock();
  warnings.length = 0;
  await open();
});
afterEach(async () => {
  await close();
  dir.cleanup();
});

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers: body !== undefined ? { 'Content-Type': 'application/json', ...headers } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function list(sequence: number, signer = authority, revoked = [{ 'credential/id': 'cred:01A', 'revoked-at': '2026-11-21T12:00:00Z', reason: 'stolen', 'valid-until': '2027-11-21T12:00:00Z' }]): RevocationList {
  return buildRevocationList({ sequence, now: clock.now(), revoked }, signer);
}

function put(value: unknown, key = KEY): Promise<Reply> {
  return send('PUT', `/revocations/${key}`, JSON.stringify(value));
}

function expectError(reply: Reply, status: number, code: ErrorCode): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.body).toMatchObject({ code, class: ERROR_CLASSES[code] });
}

describe('the directory\'s revocation lists (issue 15 §5)', () => {
  it('stores a newer list before answering, serves it, and refuses an equal or older sequence', async () => {
    expect(await send('GET', `/revocations/${KEY}`)).toMatchObject({ status: 404, body: { status: 'not-found', 'issuer/key': KEY } });
    const first = list(1);
    expect(await put(first)).toMatchObject({ status: 201, body: { status: 'stored', 'issuer/key': KEY, 'sequence/no': 1 } });
    expect((await send('GET', `/revocations/${KEY}`)).body).toEqual(JSON.parse(JSON.stringify(first)));
    expectError(await put(first), 409, 'E_ADV_STALE_SEQ');
    expectError(await put(list(0)), 409, 'E_ADV_STALE_SEQ');
    expect((await put(list(2))).status).toBe(201);
    expect((await send('GET', `/revocations/${KEY}`)).body['sequence/no']).toBe(2);
  });

  it('refuses a key it does not serve (before reading the body), a bad key, and a list not signed by the key', async () => {
    expectError(await put(list(1, stranger), keyOf(stranger)), 403, 'E_SIG_UNKNOWN_SIGNER');
    expectError(await send('GET', `/revocations/${keyOf(stranger)}`), 404, 'E_SIG_UNKNOWN_SIGNER');
    expectError(await send('GET', '/revocations/not-a-key'), 400, 'E_PROTO_INVALID');
    expectError(await put(list(1), 'not-a-key'), 400, 'E_PROTO_INVALID');
    // Another key's list under this key's path: the issuer is not the path's.
    expectError(await put(list(1, stranger)), 400, 'E_PROTO_INVALID');
    // This key named, but signed by someone else.
    const forged = { ...list(1, stranger), 'issuer/key': KEY };
    expectError(await put(forged), 403, 'E_SIG_INVALID');
    const tampered = { ...list(1), revoked: [] };
    expectError(await put(tampered), 403, 'E_SIG_INVALID');
    expectError(await put({ 'issuer/key': KEY, nonsense: true }), 400, 'E_PROTO_INVALID');
    expectError(await send('PUT', `/revocations/${KEY}`, '{"issuer/key": ', {}), 400, 'E_PROTO_INVALID');
    expectError(await send('PUT', `/revocations/${KEY}`, JSON.stringify(list(1)), { 'Content-Type': 'text/plain' }), 415, 'E_PROTO_INVALID');
    expectError(await send('DELETE', `/revocations/${KEY}`), 405, 'E_PROTO_INVALID');
    expect(revocations.get(KEY)).toBeUndefined();
  });

  it(`refuses a list over MAX_DISTRIBUTED_REVOCATION_LIST_BYTES (${MAX_DISTRIBUTED_REVOCATION_LIST_BYTES})`, async () => {
    const many = Array.from({ length: 6_000 }, (_, i) => ({ 'credential/id': `cred:${String(i).padStart(20, '0')}`, 'revoked-at': '2026-11-21T12:00:00Z', reason: 'r'.repeat(100), 'valid-until': '2027-11-21T12:00:00Z' }));
    const big = list(1, authority, many);
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_DISTRIBUTED_REVOCATION_LIST_BYTES);
    expectError(await put(big), 413, 'E_PROTO_INVALID');
    expect(revocations.get(KEY)).toBeUndefined();
  });

  it(`takes at most DIRECTORY_REVOCATION_PUT_BURST (${DIRECTORY_REVOCATION_PUT_BURST}) PUTs of one key at once`, async () => {
    for (let i = 1; i <= DIRECTORY_REVOCATION_PUT_BURST; i++) expect((await put(list(i))).status).toBe(201);
    const limited = await put(list(DIRECTORY_REVOCATION_PUT_BURST + 1));
    expectError(limited, 429, 'E_TRANSPORT_REJECTED');
    clock.advance(20_000);
    expect((await put(list(DIRECTORY_REVOCATION_PUT_BURST + 1))).status).toBe(201);
  });

  it("does not let a stranger's forgeries or replays spend the authority's rate", async () => {
    expect((await put(list(1))).status).toBe(201);
    const forged = { ...list(2, stranger), 'issuer/key': KEY };
    for (let i = 0; i < DIRECTORY_REVOCATION_PUT_BURST * 2; i++) {
      expectError(await put(forged), 403, 'E_SIG_INVALID');
      expectError(await put(list(1)), 409, 'E_ADV_STALE_SEQ');
    }
    // The clock has not moved: the authority's burst is spent only by its own lists (the first one included).
    for (let i = 2; i <= DIRECTORY_REVOCATION_PUT_BURST; i++) expect((await put(list(i))).status).toBe(201);
    expectError(await put(list(DIRECTORY_REVOCATION_PUT_BURST + 1)), 429, 'E_TRANSPORT_REJECTED');
    expect(revocations.get(KEY)?.list['sequence/no']).toBe(DIRECTORY_REVOCATION_PUT_BURST);
  });

  it('serves the stored list again after a restart, and not a stored file that no longer verifies', async () => {
    expect((await put(list(4))).status).toBe(201);
    await close();
    await open();
    expect((await send('GET', `/revocations/${KEY}`)).body['sequence/no']).toBe(4);
    await close();
    mkdirSync(join(dir.path, DIRECTORY_REVOCATIONS_DIR), { recursive: true });
    writeFileSync(join(dir.path, DIRECTORY_REVOCATIONS_DIR, `${KEY}.json`), JSON.stringify({ ...list(9), revoked: [] }));
    await open();
    expect((await send('GET', `/revocations/${KEY}`)).status).toBe(404);
    expect(warnings.join('\n')).toContain('not served');
  });
});
