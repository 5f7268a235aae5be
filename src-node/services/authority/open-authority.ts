// Opens a data dir's registration authority for use: its key (authority-key.ts), the lock on its
// state, the state itself, and the rules over them (authority.ts). The module and the CLI both
// start here; whoever opens it holds the lock until close().
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { jsonText, writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import type { KeychainLoader } from '../../kernel/identity/keychain-keystore.js';
import type { KeystoreKind } from '../../kernel/identity/keystore.js';
import type { Clock } from '../../kernel/util/clock.js';
import { loadAuthorityKey, loadOrCreateAuthorityKey, type AuthorityKey } from './authority-key.js';
import { acquireAuthorityLock, readAuthorityState, revocationListPath, writeAuthorityState, type AuthorityLock } from './authority-store.js';
import { RegistrationAuthority } from './authority.js';

export interface OpenAuthorityOptions {
  readonly dataDir: string;
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  readonly keychain?: KeychainLoader | undefined;
  readonly warn: (line: string) => void;
  readonly credentialValidityMs?: number | undefined;
  /** Make the key when the data dir has none, in a store of this kind. Without it, a missing authority is an error. */
  readonly create?: { readonly kind: KeystoreKind; readonly why?: string } | undefined;
  readonly lockWaitMs?: number;
  /** Told after a change to the revocations is stored. */
  readonly onRevocations?: () => void;
}

export interface OpenedAuthority {
  readonly authority: RegistrationAuthority;
  readonly key: AuthorityKey;
  /** Waits for pending writes and releases the lock. */
  close(): Promise<void>;
}

export async function openAuthority(options: OpenAuthorityOptions): Promise<OpenedAuthority> {
  const keyOptions = { dataDir: options.dataDir, crypto: options.crypto, keychain: options.keychain, warn: options.warn };
  const key = options.create
    ? await loadOrCreateAuthorityKey({ ...keyOptions, kind: options.create.kind, now: options.clock.now(), ...(options.create.why ? { why: options.create.why } : {}) })
    : await loadAuthorityKey(keyOptions);
  const lock: AuthorityLock = await acquireAuthorityLock(options.dataDir, options.lockWaitMs);
  try {
    const state = await readAuthorityState(options.dataDir);
    const authority = new RegistrationAuthority({
      signer: key.signer,
      fingerprint: key.fingerprint,
      crypto: options.crypto,
      clock: options.clock,
      state,
      ...(options.credentialValidityMs !== undefined ? { credentialValidityMs: options.credentialValidityMs } : {}),
      ...(options.onRevocations ? { onRevocations: options.onRevocations } : {}),
      persist: async (snapshot, list) => {
        await writeAuthorityState(options.dataDir, snapshot);
        if (list) await writeFileAtomic(revocationListPath(options.dataDir), jsonText(list), { mode: 0o644 });
      },
    });
    return {
      authority,
      key,
      async close() {
        await authority.flush();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
