import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeCrypto } from '../crypto/native-provider.js';
import { IdentityError } from './identity-error.js';
import { loadOrCreateIdentity } from './identity-store.js';
import type { KeychainLoader } from './keychain-keystore.js';
import { type KeystorePreference, openKeystore } from './keystore.js';
import { MemoryKeychain } from '../../../tests/support/memory-keychain.js';

const noKeychain: KeychainLoader = async () => {
  throw new IdentityError('keychain-unavailable', 'keychain unavailable: Cannot autolaunch D-Bus without X11 $DISPLAY');
};

let dataDir: string;
let warnings: string[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pnode-keystore-'));
  warnings = [];
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function open(preference: KeystorePreference, keychain: KeychainLoader) {
  return openKeystore({ dataDir, preference, keychain, crypto: nativeCrypto, warn: (line) => warnings.push(line) });
}

async function refusal(promise: Promise<unknown>): Promise<IdentityError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof IdentityError)) throw new Error(`expected an IdentityError, got ${String(error)}`);
  return error;
}

describe('openKeystore with no identity yet', () => {
  it('auto takes the keychain when one answers, silently', async () => {
    const store = await open('auto', new MemoryKeychain().loader());
    expect(store.kind).toBe('keychain');
    expect(store.warning).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('auto falls back to the file store when no keychain answers, and says so in one line naming the file and the reason', async () => {
    const store = await open('auto', noKeychain);
    expect(store.kind).toBe('file');
    expect(warnings).toHaveLength(1);
    const line = warnings[0]!;
    expect(line).toContain('secret key is kept in a plain file');
    expect(line).toContain(join(dataDir, 'identity', 'node-signing-key.v1.json'));
    expect(line).toContain('Cannot autolaunch D-Bus without X11 $DISPLAY');
    expect(line).not.toContain('\n');
    expect(store.warning).toBe(line);
  });

  it('file is taken as asked, with the same warning', async () => {
    const store = await open('file', new MemoryKeychain().loader());
    expect(store.kind).toBe('file');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('because the file keystore was chosen');
  });

  it('keychain with no keychain answering is an error, not a fallback', async () => {
    const error = await refusal(open('keychain', noKeychain));
    expect(error.code).toBe('keychain-unavailable');
    expect(error.message).toBe('keychain unavailable: Cannot autolaunch D-Bus without X11 $DISPLAY');
    expect(warnings).toEqual([]);
  });
});

describe('openKeystore with an existing identity follows its storage-ref', () => {
  it('a file identity stays on the file store under auto, even when a keychain answers', async () => {
    const first = await open('file', new MemoryKeychain().loader());
    await loadOrCreateIdentity({ dataDir, keystore: first, crypto: nativeCrypto });
    warnings = [];
    const store = await open('auto', new MemoryKeychain().loader());
    expect(store.kind).toBe('file');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('created with the file keystore');
  });

  it('a keychain identity stays on the keychain; with no keychain it is an error naming the identity', async () => {
    const keychain = new MemoryKeychain();
    const first = await open('auto', keychain.loader());
    const { identity } = await loadOrCreateIdentity({ dataDir, keystore: first, crypto: nativeCrypto });
    expect((await open('auto', keychain.loader())).kind).toBe('keychain');
    const error = await refusal(open('auto', noKeychain));
    expect(error.code).toBe('keychain-unavailable');
    expect(error.message).toContain(`keychain:pnode/${identity.nodeId}`);
    expect(warnings).toEqual([]);
  });

  it('an explicit choice that contradicts the identity is refused', async () => {
    const keychain = new MemoryKeychain();
    await loadOrCreateIdentity({ dataDir, keystore: await open('auto', keychain.loader()), crypto: nativeCrypto });
    expect((await refusal(open('file', keychain.loader()))).code).toBe('keystore-conflict');
  });
});
