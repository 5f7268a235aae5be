import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCrypto } from '../crypto/native-provider.js';
import { checkSchema } from '../../../src-shared/protocol/schema-gate.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { ManualClock } from '../util/clock.js';
import { MemoryTraceSink } from '../trace/trace-sink.js';
import { FileKeystore } from './file-keystore.js';
import { IdentityError } from './identity-error.js';
import { identityRecordPath, keyFilePath } from './identity-paths.js';
import { emitIdentityEvent, installIdentity, loadIdentity, loadOrCreateIdentity, readIdentityRecord, readIdentitySecret } from './identity-store.js';
import { KEYCHAIN_SERVICE, KeychainKeystore } from './keychain-keystore.js';
import type { Keystore } from './keystore.js';
import { MemoryKeychain } from '../../../tests/support/memory-keychain.js';
import { FullDisk } from '../../../tests/support/full-disk.js';

let dataDir: string;
let keychain: MemoryKeychain;
let keystore: Keystore;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pnode-identity-'));
  keychain = new MemoryKeychain();
  keystore = new KeychainKeystore(keychain);
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<IdentityError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof IdentityError)) throw new Error(`expected an IdentityError, got ${String(error)}`);
  return error;
}

function fileStore(warning?: string): FileKeystore {
  return new FileKeystore({ dataDir, crypto: nativeCrypto, ...(warning ? { warning } : {}) });
}

describe('loadOrCreateIdentity', () => {
  it('generates an identity on first start and loads the same one afterwards', async () => {
    const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
    const first = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto, clock });
    expect(first.created).toBe(true);
    expect(first.event.type).toBe('identity/generated');
    expect(first.recordPath).toBe(identityRecordPath(dataDir));
    const record = JSON.parse(await readFile(first.recordPath, 'utf8')) as Record<string, unknown>;
    expect(checkSchema('node-identity.v1', record).ok).toBe(true);
    expect(record).toEqual(first.identity.record);
    expect(record['created-at']).toBe('2026-11-21T12:00:00Z');
    expect(record['key/storage-ref']).toBe(`keychain:pnode/${first.identity.nodeId}`);
    expect(JSON.stringify(record)).not.toMatch(/seed|secret/);
    expect(keychain.size).toBe(1);

    clock.advance(60_000);
    const second = await loadOrCreateIdentity({ dataDir, keystore: new KeychainKeystore(keychain), crypto: nativeCrypto, clock });
    expect(second.created).toBe(false);
    expect(second.event.type).toBe('identity/loaded');
    expect(second.identity.nodeId).toBe(first.identity.nodeId);
    expect(second.identity.record['created-at']).toBe('2026-11-21T12:00:00Z');
    const message = new TextEncoder().encode('hello');
    expect(nativeCrypto.ed25519Verify(first.identity.publicKey, message, second.identity.signer.sign(message))).toBe(true);
    expect(second.identity.staticX25519.publicKey).toEqual(first.identity.staticX25519.publicKey);
  });

  it('describes the keystore in the trace detail, with the file warning, and emits to a sink given', async () => {
    const sink = new MemoryTraceSink('node:did:key:zSelf');
    const warning = 'warning: the node secret key is kept in a plain file';
    const result = await loadOrCreateIdentity({ dataDir, keystore: fileStore(warning), crypto: nativeCrypto, trace: sink });
    expect(result.event.detail).toEqual({ keystore: 'file', 'key/storage-ref': 'local-file:identity/node-signing-key.v1.json', warning });
    expect(sink.ofType('identity/generated')).toHaveLength(1);
    const later = new MemoryTraceSink(result.identity.nodeId);
    emitIdentityEvent(later, await loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto }));
    expect(later.events.map((e) => [e['event/type'], e['node/self'], e.detail?.['keystore']])).toEqual([['identity/loaded', result.identity.nodeId, 'file']]);
  });

  it('writes the public record 0644 and the file key 0600', async () => {
    await loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto });
    expect((await stat(identityRecordPath(dataDir))).mode & 0o777).toBe(0o644);
    expect((await stat(keyFilePath(dataDir))).mode & 0o777).toBe(0o600);
  });

  it('refuses a record that is not JSON, and leaves it and the key alone', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    await writeFile(identityRecordPath(dataDir), '{"schema/v": 1, "node/id"');
    const error = await refusal(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto }));
    expect(error.code).toBe('identity-corrupt');
    expect(error.path).toBe(identityRecordPath(dataDir));
    expect(error.message).toContain(identityRecordPath(dataDir));
    expect(await readFile(identityRecordPath(dataDir), 'utf8')).toBe('{"schema/v": 1, "node/id"');
    expect(keychain.size).toBe(1);
    expect(await keychain.getPassword(KEYCHAIN_SERVICE, identity.nodeId)).not.toBeNull();
  });

  it('refuses a record that fails the schema gate or the id/key binding', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    const record: Record<string, unknown> = { ...identity.record };
    delete record['created-at'];
    await writeFile(identityRecordPath(dataDir), JSON.stringify(record));
    const missing = await refusal(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto }));
    expect(missing.code).toBe('identity-corrupt');
    expect(missing.message).toContain('E_PROTO_INVALID');
    expect(missing.message).toContain('created-at');

    const other = nodeIdFromPublicKey(nativeCrypto.ed25519Signer(new Uint8Array(32).fill(1)).publicKey);
    await writeFile(identityRecordPath(dataDir), JSON.stringify({ ...identity.record, 'node/id': other }));
    expect((await refusal(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto }))).code).toBe('identity-corrupt');
  });

  it('refuses a record whose identity/status is not active', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    await writeFile(identityRecordPath(dataDir), JSON.stringify({ ...identity.record, 'identity/status': 'revoked' }));
    const error = await refusal(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto }));
    expect(error.code).toBe('identity-inactive');
    expect(error.message).toContain('"revoked"');
  });

  it('accepts a record without identity/status (absent means active)', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    const record: Record<string, unknown> = { ...identity.record };
    delete record['identity/status'];
    await writeFile(identityRecordPath(dataDir), JSON.stringify(record));
    expect((await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto })).identity.nodeId).toBe(identity.nodeId);
  });

  it('refuses a record whose key is missing from the keystore, and generates nothing', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    await keychain.deletePassword(KEYCHAIN_SERVICE, identity.nodeId);
    const before = await readFile(identityRecordPath(dataDir), 'utf8');
    const error = await refusal(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto }));
    expect(error.code).toBe('identity-key-missing');
    expect(error.message).toContain(`keychain:pnode/${identity.nodeId}`);
    expect(error.message).toContain('pnode identity import');
    expect(await readFile(identityRecordPath(dataDir), 'utf8')).toBe(before);
    expect(keychain.size).toBe(0);
  });

  it('refuses a keystore key that does not match the record', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    await keychain.setPassword(KEYCHAIN_SERVICE, identity.nodeId, Buffer.alloc(32, 9).toString('base64url'));
    expect((await refusal(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto }))).code).toBe('identity-mismatch');
  });

  it('refuses a keystore that is not the one the record names', async () => {
    await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    expect((await refusal(loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto }))).code).toBe('keystore-conflict');
  });

  it('rebuilds a missing public record from the only key the file store holds (a crash between the two writes)', async () => {
    const first = await loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto });
    await rm(identityRecordPath(dataDir));
    const again = await loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto });
    expect(again.created).toBe(false);
    expect(again.identity.nodeId).toBe(first.identity.nodeId);
    expect(again.event.type).toBe('identity/loaded');
    expect(again.event.detail['recovered']).toContain('public record rebuilt');
    expect((await readIdentityRecord(dataDir, nativeCrypto))?.['node/id']).toBe(first.identity.nodeId);
  });

  it('refuses to start over a corrupt key file with no record', async () => {
    await loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto });
    await rm(identityRecordPath(dataDir));
    await writeFile(keyFilePath(dataDir), 'garbage', { mode: 0o600 });
    expect((await refusal(loadOrCreateIdentity({ dataDir, keystore: fileStore(), crypto: nativeCrypto }))).code).toBe('keystore-corrupt');
    expect(await readFile(keyFilePath(dataDir), 'utf8')).toBe('garbage');
  });

  it('two starts at once on one data dir agree on one identity', async () => {
    for (const make of [() => new KeychainKeystore(keychain), () => fileStore()]) {
      await rm(join(dataDir, 'identity'), { recursive: true, force: true });
      const results = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateIdentity({ dataDir, keystore: make(), crypto: nativeCrypto })));
      const ids = new Set(results.map((r) => r.identity.nodeId));
      expect(ids.size).toBe(1);
      const loaded = await loadIdentity({ dataDir, keystore: make(), crypto: nativeCrypto });
      expect(ids.has(loaded.identity.nodeId)).toBe(true);
    }
    // Losers removed their keys from the keychain: only the winner's is left.
    expect(keychain.size).toBe(1);
  });

  it('sweeps temp files left by an interrupted write', async () => {
    await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    const stale = join(dataDir, 'identity', '.node-identity.v1.json.999999999.0badf00d.tmp');
    await writeFile(stale, 'partial');
    await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    expect(await readdir(join(dataDir, 'identity'))).toEqual(['node-identity.v1.json']);
  });
});

describe('loadIdentity and readIdentitySecret', () => {
  it('never create an identity', async () => {
    const error = await refusal(loadIdentity({ dataDir, keystore, crypto: nativeCrypto }));
    expect(error.code).toBe('identity-missing');
    expect((await refusal(readIdentitySecret({ dataDir, keystore, crypto: nativeCrypto }))).code).toBe('identity-missing');
    expect(keychain.size).toBe(0);
  });

  it('readIdentitySecret hands out the seed of the record', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    const { record, seed } = await readIdentitySecret({ dataDir, keystore, crypto: nativeCrypto });
    expect(record['node/id']).toBe(identity.nodeId);
    expect(nodeIdFromPublicKey(nativeCrypto.ed25519Signer(seed).publicKey)).toBe(identity.nodeId);
  });
});

describe('installIdentity', () => {
  const seed = new Uint8Array(32).fill(0x29);
  const nodeId = 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE';

  it('installs a known key into an empty data dir, keeping its created-at', async () => {
    const result = await installIdentity({ dataDir, keystore, crypto: nativeCrypto, seed, createdAt: '2026-01-02T03:04:05Z' });
    expect(result.outcome).toBe('installed');
    expect(result.identity.nodeId).toBe(nodeId);
    const loaded = await loadIdentity({ dataDir, keystore, crypto: nativeCrypto });
    expect(loaded.identity.nodeId).toBe(nodeId);
    expect(loaded.identity.record['created-at']).toBe('2026-01-02T03:04:05Z');
  });

  it('does nothing when the same identity is all there, and puts back a lost key', async () => {
    await installIdentity({ dataDir, keystore, crypto: nativeCrypto, seed });
    expect((await installIdentity({ dataDir, keystore, crypto: nativeCrypto, seed })).outcome).toBe('unchanged');
    await keychain.deletePassword(KEYCHAIN_SERVICE, nodeId);
    expect((await installIdentity({ dataDir, keystore, crypto: nativeCrypto, seed })).outcome).toBe('repaired');
    expect((await loadIdentity({ dataDir, keystore, crypto: nativeCrypto })).identity.nodeId).toBe(nodeId);
  });

  it('refuses a data dir holding a different identity, and says how to move it away', async () => {
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    const error = await refusal(installIdentity({ dataDir, keystore, crypto: nativeCrypto, seed }));
    expect(error.code).toBe('identity-exists');
    expect(error.message).toContain(identity.nodeId);
    expect(error.message).toContain('move');
    expect((await loadIdentity({ dataDir, keystore, crypto: nativeCrypto })).identity.nodeId).toBe(identity.nodeId);
  });
});

describe('identity on a full disk (issue 15 §6)', () => {
  it('an import whose record cannot be written leaves no key behind: the next start does not adopt it', async () => {
    const disk = new FullDisk();
    disk.fill();
    const seed = nativeCrypto.randomBytes(32);
    const imported = nodeIdFromPublicKey(nativeCrypto.ed25519Signer(seed).publicKey);
    for (const store of [keystore, fileStore()]) {
      await expect(installIdentity({ dataDir, keystore: store, crypto: nativeCrypto, seed, createRecord: disk.write })).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(await store.load(imported)).toBeUndefined();
      expect(await readIdentityRecord(dataDir, nativeCrypto)).toBeUndefined();
    }
    // A restart makes an identity of its own; the refused import is nowhere.
    const next = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
    expect(next.created).toBe(true);
    expect(next.identity.nodeId).not.toBe(imported);
  });

  it('a first start whose record cannot be written leaves no key behind either', async () => {
    const disk = new FullDisk();
    disk.fill();
    await expect(loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto, createRecord: disk.write })).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(keychain.size).toBe(0);
  });
});
