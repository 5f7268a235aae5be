// The keychain backend. The first block runs against the real OS keychain when one answers (see
// docs: dbus-run-session + gnome-keyring-daemon --unlock on a headless Linux) and is skipped, with
// the probe's reason in its title, where none does. The rest uses a keychain in memory.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCrypto } from '../crypto/native-provider.js';
import { nodeIdFromPublicKey } from '../../../src-shared/protocol/did-key.js';
import { IdentityError } from './identity-error.js';
import {
  KEYCHAIN_SERVICE,
  type KeychainApi,
  KeychainKeystore,
  loadKeytar,
  probeKeychain,
  unansweredKeychainCalls,
} from './keychain-keystore.js';
import { MemoryKeychain } from '../../../tests/support/memory-keychain.js';
import { openKeystore } from './keystore.js';
import { installIdentity, loadIdentity, loadOrCreateIdentity, readIdentitySecret } from './identity-store.js';

const osKeychain = await probeKeychain({ timeoutMs: 5_000 });
const skipReason = osKeychain.ok ? '' : osKeychain.reason;
if (!osKeychain.ok) console.info(`[keychain tests] OS keychain tests skipped: keychain unavailable: ${skipReason}`);

function freshKey(): { seed: Uint8Array; nodeId: string } {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, nodeId: nodeIdFromPublicKey(nativeCrypto.ed25519Signer(seed).publicKey) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    throw error;
  }
  return 'no error';
}

describe.skipIf(!osKeychain.ok)(`KeychainKeystore on the OS keychain${osKeychain.ok ? '' : ` (skipped: ${skipReason})`}`, () => {
  const created: string[] = [];

  afterAll(async () => {
    const api = await loadKeytar();
    for (const account of created) await api.deletePassword(KEYCHAIN_SERVICE, account);
  });

  it('stores the seed as base64url under service pnode, account = node-id, and reads it back', async () => {
    const api = await loadKeytar();
    const store = new KeychainKeystore(api);
    const { seed, nodeId } = freshKey();
    created.push(nodeId);
    expect(store.storageRef(nodeId)).toBe(`keychain:pnode/${nodeId}`);
    expect(await store.load(nodeId)).toBeUndefined();
    await store.save(nodeId, seed);
    expect(await api.getPassword('pnode', nodeId)).toBe(Buffer.from(seed).toString('base64url'));
    expect(await new KeychainKeystore(await loadKeytar()).load(nodeId)).toEqual(seed);
  });

  it('never replaces a different key kept for the same node-id', async () => {
    const store = new KeychainKeystore(await loadKeytar());
    const { seed, nodeId } = freshKey();
    created.push(nodeId);
    await store.save(nodeId, seed);
    await store.save(nodeId, seed);
    expect(await codeOf(store.save(nodeId, freshKey().seed))).toBe('keystore-conflict');
    expect(await store.load(nodeId)).toEqual(seed);
  });

  it('removes an entry', async () => {
    const store = new KeychainKeystore(await loadKeytar());
    const { seed, nodeId } = freshKey();
    await store.save(nodeId, seed);
    await store.remove(nodeId);
    expect(await store.load(nodeId)).toBeUndefined();
  });

  it('auto picks it; an identity generated there loads again, and a second data dir can take the same key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pnode-os-keychain-'));
    const otherDir = await mkdtemp(join(tmpdir(), 'pnode-os-keychain-'));
    try {
      const warnings: string[] = [];
      const keystore = await openKeystore({ dataDir, preference: 'auto', warn: (line) => warnings.push(line) });
      expect(keystore.kind).toBe('keychain');
      expect(warnings).toEqual([]);
      const generated = await loadOrCreateIdentity({ dataDir, keystore, crypto: nativeCrypto });
      created.push(generated.identity.nodeId);
      expect(generated.created).toBe(true);
      expect(generated.identity.record['key/storage-ref']).toBe(`keychain:pnode/${generated.identity.nodeId}`);
      expect(await readdir(join(dataDir, 'identity'))).toEqual(['node-identity.v1.json']);

      const reopened = await openKeystore({ dataDir, preference: 'auto', warn: (line) => warnings.push(line) });
      const loaded = await loadIdentity({ dataDir, keystore: reopened, crypto: nativeCrypto });
      expect(loaded.identity.nodeId).toBe(generated.identity.nodeId);

      const { seed } = await readIdentitySecret({ dataDir, keystore: reopened, crypto: nativeCrypto });
      const other = await openKeystore({ dataDir: otherDir, preference: 'keychain', warn: (line) => warnings.push(line) });
      const installed = await installIdentity({ dataDir: otherDir, keystore: other, crypto: nativeCrypto, seed });
      expect(installed.outcome).toBe('installed');
      expect((await loadIdentity({ dataDir: otherDir, keystore: other, crypto: nativeCrypto })).identity.nodeId).toBe(generated.identity.nodeId);
      expect(warnings).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('the probe leaves no entry behind', async () => {
    // Probe entries use accounts "probe/…"; a probe deletes its own.
    expect(await probeKeychain()).toEqual({ ok: true });
  });
});

describe('probeKeychain', () => {
  it('answers ok for a keychain that keeps what it is given', async () => {
    const keychain = new MemoryKeychain();
    expect(await probeKeychain({ loader: keychain.loader() })).toEqual({ ok: true });
    expect(keychain.size).toBe(0);
  });

  it('reports a keychain that does not answer in time, instead of hanging', async () => {
    const hanging: KeychainApi = {
      getPassword: () => new Promise(() => {}),
      setPassword: () => new Promise(() => {}),
      deletePassword: () => new Promise(() => {}),
    };
    const result = await probeKeychain({ loader: async () => hanging, timeoutMs: 50 });
    expect(result).toEqual({ ok: false, reason: 'the keychain did not answer within 50 ms' });
  });

  it('counts a call it gave up on until that call finally answers', async () => {
    let answer: () => void = () => {};
    const slow: KeychainApi = {
      getPassword: async () => null,
      setPassword: () => new Promise<void>((resolve) => (answer = resolve)),
      deletePassword: async () => true,
    };
    const before = unansweredKeychainCalls();
    expect((await probeKeychain({ loader: async () => slow, timeoutMs: 20 })).ok).toBe(false);
    expect(unansweredKeychainCalls()).toBe(before + 1);
    answer();
    await expect.poll(() => unansweredKeychainCalls()).toBe(before);
  });

  it('reports a keychain that fails with its own message', async () => {
    const failing: KeychainApi = {
      getPassword: async () => null,
      setPassword: async () => {
        throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
      },
      deletePassword: async () => false,
    };
    expect(await probeKeychain({ loader: async () => failing })).toEqual({ ok: false, reason: 'Cannot autolaunch D-Bus without X11 $DISPLAY' });
  });

  it('reports a missing keytar module', async () => {
    const result = await probeKeychain({
      loader: async () => {
        throw new IdentityError('keychain-unavailable', 'keychain unavailable: keytar cannot be loaded (Cannot find package keytar)');
      },
    });
    expect(result).toEqual({ ok: false, reason: 'keytar cannot be loaded (Cannot find package keytar)' });
  });

  it('reports a keychain that loses what it is given', async () => {
    const forgetful: KeychainApi = { getPassword: async () => null, setPassword: async () => {}, deletePassword: async () => true };
    const result = await probeKeychain({ loader: async () => forgetful });
    expect(result.ok).toBe(false);
  });
});

describe('KeychainKeystore', () => {
  it('calls a stored value that is not a 32-byte base64url seed corrupt', async () => {
    const keychain = new MemoryKeychain();
    const { nodeId } = freshKey();
    await keychain.setPassword(KEYCHAIN_SERVICE, nodeId, 'not a seed');
    expect(await codeOf(new KeychainKeystore(keychain).load(nodeId))).toBe('keystore-corrupt');
  });

  it('turns a keychain failure or a hang into keychain-unavailable', async () => {
    const hanging: KeychainApi = { getPassword: () => new Promise(() => {}), setPassword: async () => {}, deletePassword: async () => true };
    const store = new KeychainKeystore(hanging, { timeoutMs: 30 });
    const error = await store.load(freshKey().nodeId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('keychain-unavailable');
    expect((error as IdentityError).message).toMatch(/^keychain unavailable: reading keychain:pnode\/node:did:key:z.* \(the keychain did not answer within 30 ms\)$/);
  });

  it('refuses a keychain that accepts a write but keeps nothing', async () => {
    const forgetful: KeychainApi = { getPassword: async () => null, setPassword: async () => {}, deletePassword: async () => true };
    const { seed, nodeId } = freshKey();
    expect(await codeOf(new KeychainKeystore(forgetful).save(nodeId, seed))).toBe('keychain-unavailable');
  });
});
