import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCrypto } from '../crypto/native-provider.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { FileKeystore, KEY_FILE_KIND } from './file-keystore.js';
import { IdentityError } from './identity-error.js';
import { LOCAL_FILE_STORAGE_REF } from './node-identity.js';

const seedA = new Uint8Array(32).fill(0x29);
const seedB = new Uint8Array(32).fill(0x07);
const nodeA = nodeIdFromPublicKey(nativeCrypto.ed25519Signer(seedA).publicKey);
const nodeB = nodeIdFromPublicKey(nativeCrypto.ed25519Signer(seedB).publicKey);

let dataDir: string;
let warnings: string[];
let store: FileKeystore;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pnode-filekeystore-'));
  warnings = [];
  store = new FileKeystore({ dataDir, crypto: nativeCrypto, warn: (line) => warnings.push(line) });
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('FileKeystore', () => {
  it('keeps the seed in identity/node-signing-key.v1.json, mode 0600, under the spec storage-ref', async () => {
    expect(store.kind).toBe('file');
    expect(store.storageRef()).toBe(LOCAL_FILE_STORAGE_REF);
    expect(store.path).toBe(join(dataDir, 'identity', 'node-signing-key.v1.json'));
    await store.save(nodeA, seedA);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    const record = JSON.parse(await readFile(store.path, 'utf8')) as Record<string, unknown>;
    expect(record).toEqual({ 'schema/v': 1, kind: KEY_FILE_KIND, 'node/id': nodeA, 'key/alg': 'ed25519', 'secret/seed': Buffer.from(seedA).toString('base64url') });
    expect(await store.load(nodeA)).toEqual(seedA);
    expect(await store.list()).toEqual([nodeA]);
    expect(warnings).toEqual([]);
  });

  it('answers undefined when there is no key file', async () => {
    expect(await store.load(nodeA)).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('saving the same key again is a no-op; a different key is refused and the file left alone', async () => {
    await store.save(nodeA, seedA);
    await store.save(nodeA, seedA);
    const before = await readFile(store.path, 'utf8');
    expect(await codeOf(store.save(nodeB, seedB))).toBe('keystore-conflict');
    expect(await readFile(store.path, 'utf8')).toBe(before);
  });

  it('refuses to save a seed under a node-id it does not derive', async () => {
    expect(await codeOf(store.save(nodeB, seedA))).toBe('identity-mismatch');
  });

  it('refuses to hand out the key of another node', async () => {
    await store.save(nodeA, seedA);
    expect(await codeOf(store.load(nodeB))).toBe('identity-mismatch');
  });

  it('refuses a file whose seed does not derive the node-id it claims', async () => {
    await store.save(nodeA, seedA);
    const record = JSON.parse(await readFile(store.path, 'utf8')) as Record<string, unknown>;
    record['secret/seed'] = Buffer.from(seedB).toString('base64url');
    await writeFile(store.path, JSON.stringify(record), { mode: 0o600 });
    const error = await store.load(nodeA).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('identity-mismatch');
    expect((error as IdentityError).path).toBe(store.path);
  });

  it.each([
    ['not JSON', '{"schema/v": 1,'],
    ['an array', '[]'],
    ['a wrong kind', JSON.stringify({ 'schema/v': 1, kind: 'other', 'node/id': nodeA, 'key/alg': 'ed25519', 'secret/seed': Buffer.from(seedA).toString('base64url') })],
    ['a short seed', JSON.stringify({ 'schema/v': 1, kind: KEY_FILE_KIND, 'node/id': nodeA, 'key/alg': 'ed25519', 'secret/seed': 'AAAA' })],
    ['padded base64', JSON.stringify({ 'schema/v': 1, kind: KEY_FILE_KIND, 'node/id': nodeA, 'key/alg': 'ed25519', 'secret/seed': `${Buffer.from(seedA).toString('base64url')}=` })],
  ])('calls a key file holding %s corrupt', async (_what, text) => {
    await store.save(nodeA, seedA);
    await writeFile(store.path, text, { mode: 0o600 });
    expect(await codeOf(store.load(nodeA))).toBe('keystore-corrupt');
  });

  it.skipIf(process.platform === 'win32')('warns once when the key file is readable by group or others', async () => {
    await store.save(nodeA, seedA);
    await chmod(store.path, 0o644);
    expect(await store.load(nodeA)).toEqual(seedA);
    await store.load(nodeA);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(store.path);
    expect(warnings[0]).toContain('chmod 600');
  });

  it('removes only its own node key', async () => {
    await store.save(nodeA, seedA);
    expect(await codeOf(store.remove(nodeB))).toBe('keystore-conflict');
    await store.remove(nodeA);
    expect(await store.load(nodeA)).toBeUndefined();
  });
});
