import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCrypto } from '../crypto/native-provider.js';
import { MemoryKeychain } from '../../../tests/support/memory-keychain.js';
import { createRoleKey, kindOfStorageRef, loadRoleKey, openRoleKeystore, roleKeyFileName } from './role-keystore.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pnode-role-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';

describe('role keystores', () => {
  it('keep a key in a 0600 file, said loudly, and load it back checked against its fingerprint', async () => {
    const warnings: string[] = [];
    const store = await openRoleKeystore({ dataDir: dir, subdir: 'trust', role: 'operator', scope: 'node:did:key:z6Mk', kind: 'file', crypto: nativeCrypto, warn: (l) => warnings.push(l) });
    expect(warnings.join('\n')).toMatch(/operator key is kept in a plain file/);
    const { signer, fingerprint } = await createRoleKey(store, nativeCrypto);
    expect(store.storageRef(fingerprint)).toBe(`local-file:trust/${roleKeyFileName('operator', fingerprint)}`);
    expect(kindOfStorageRef(store.storageRef(fingerprint))).toBe('file');
    const path = join(dir, 'trust', roleKeyFileName('operator', fingerprint));
    if (posix) expect((await stat(path)).mode & 0o077).toBe(0);
    const loaded = await loadRoleKey(store, fingerprint, nativeCrypto);
    expect(loaded.publicKey).toEqual(signer.publicKey);
    // A file whose seed is another key's is refused, never used.
    const other = await createRoleKey(store, nativeCrypto);
    await writeFile(path, await readFile(join(dir, 'trust', roleKeyFileName('operator', other.fingerprint))));
    await expect(store.load(fingerprint)).rejects.toMatchObject({ code: 'identity-mismatch' });
    await store.remove(fingerprint);
    await expect(loadRoleKey(store, fingerprint, nativeCrypto)).rejects.toMatchObject({ code: 'identity-key-missing' });
  });

  it('keep a key in the keychain under <role>/<scope>/<fingerprint>, apart from the node key', async () => {
    const keychain = new MemoryKeychain();
    const store = await openRoleKeystore({ dataDir: dir, subdir: 'trust', role: 'operator', scope: 'node:did:key:z6Mk', kind: 'keychain', keychain: keychain.loader(), crypto: nativeCrypto, warn: () => undefined });
    const { fingerprint } = await createRoleKey(store, nativeCrypto);
    expect(store.storageRef(fingerprint)).toBe(`keychain:pnode/operator/node:did:key:z6Mk/${fingerprint}`);
    expect(await keychain.getPassword('pnode', `operator/node:did:key:z6Mk/${fingerprint}`)).not.toBeNull();
    expect(keychain.size).toBe(1);
    await store.remove(fingerprint);
    expect(keychain.size).toBe(0);
  });
});
