// Opens a data dir's registration authority for use: its key (authority-key.ts), the lock on its
// state, the state itself, and the rules over them (authority.ts). The module and the CLI both
// start here; whoever opens it holds the lock until close().
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { type FileWriter, jsonText, writeFileAtomic } from '../../kernel/storage/atomic-file.js';
import type { KeychainLoader } from '../../kernel/identity/keychain-keystore.js';
import type { KeystoreKind } from '../../kernel/identity/keystore.js';
import type { Clock } from '../../kernel/util/clock.js';
import { loadAuthorityKey, loadOrCreateAuthorityKey, type AuthorityKey } from './authority-key.js';
import { acquireAuthorityLock, readAuthorityState, revocationListPath, writeAuthorityState, type AuthorityLock } from './authority-store.js';
import { RegistrationAuthority } from './authority.js';
import type { RevocationList } from '../../../src-shared/trust/revocation-list.js';

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
  /** How the state files are written (default writeFileAtomic; tests put a full disk here). */
  readonly write?: FileWriter;
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
  let unpublished: RevocationList | null = null;
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
      // The state file is the commit point of every change. The list is derived from it (and made
      // again at every start): one that cannot be written is published with the next change.
      persist: async (snapshot, list) => {
        const write = options.write ?? writeFileAtomic;
        await writeAuthorityState(options.dataDir, snapshot, write);
        if (list) unpublished = list;
        if (!unpublished) return;
        try {
          await write(revocationListPath(options.dataDir), jsonText(unpublished), { mode: 0o644 });
          unpublished = null;
        } catch (error) {
          options.warn(`warning: the revocation list could not be written (${error instanceof Error ? error.message : String(error)}); it is written with the next change`);
        }
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
