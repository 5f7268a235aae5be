// The seed directory's store of registration authorities' revocation lists (issue 15 §5): the
// latest signed revocation-list.v1 of each authority the directory serves, one file each,
// `<dataDir>/directory/revocations/<authority key>.json`, written atomically before a PUT is
// answered. It serves only the authority keys it is told to (--authority-key) or that its network
// descriptor names — at most DIRECTORY_MAX_REVOCATION_AUTHORITIES — so a flood of lists under
// fresh keys is refused before anything is read or stored. A list is taken only when it verifies
// under that key, fits MAX_DISTRIBUTED_REVOCATION_LIST_BYTES and is newer than the one held (an
// older or equal sequence/no is E_ADV_STALE_SEQ). One write at a time per authority; a write that
// fails leaves the previous list served.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ProtocolError, type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { acceptNewer, type RevocationList } from '../../../src-shared/trust/revocation-list.js';
import { type FileWriter, readJsonFile, writeFileAtomic } from '../../kernel/storage/atomic-file.js';

export const DIRECTORY_REVOCATIONS_DIR = join('directory', 'revocations');
/** Authorities one directory serves lists for at most. */
export const DIRECTORY_MAX_REVOCATION_AUTHORITIES = 16;

export interface DirectoryRevocationsOptions {
  readonly dataDir: string;
  readonly crypto: CryptoProvider;
  /** The authority keys served (the first DIRECTORY_MAX_REVOCATION_AUTHORITIES). */
  readonly authorityKeys: readonly string[];
  readonly warn?: (line: string) => void;
  readonly write?: FileWriter;
}

export type RevocationPut = { readonly status: 'stored'; readonly list: RevocationList };

/** A newer list that verifies, refused for its key's rate: when to try again. */
export interface RevocationPutLimited {
  readonly ok: false;
  readonly error: ProtocolError;
  readonly retryAfterMs: number;
}

/** Asked just before a verified, newer list is stored: null to go on, or the retry hint of a refusal. */
export type RevocationPutAdmission = () => number | null;

interface Held {
  readonly list: RevocationList;
  /** The JSON served, as stored. */
  readonly body: Buffer;
}

export class DirectoryRevocations {
  private readonly served: Set<string>;
  private readonly held = new Map<string, Held>();
  private readonly writes = new Map<string, Promise<unknown>>();
  private readonly dir: string;

  private constructor(private readonly options: DirectoryRevocationsOptions) {
    this.served = new Set(options.authorityKeys.slice(0, DIRECTORY_MAX_REVOCATION_AUTHORITIES));
    this.dir = join(options.dataDir, DIRECTORY_REVOCATIONS_DIR);
  }

  /** Opens the store and reads the stored lists of the served keys (one that no longer verifies is left out, and said). */
  static async open(options: DirectoryRevocationsOptions): Promise<DirectoryRevocations> {
    const store = new DirectoryRevocations(options);
    for (const key of store.served) {
      let value: unknown;
      try {
        value = await readJsonFile(store.path(key));
      } catch (error) {
        options.warn?.(`warning: directory revocations: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (value === undefined) continue;
      const checked = acceptNewer(value, { crypto: options.crypto, issuerKey: key, heldSequence: undefined });
      if (!checked.ok) {
        options.warn?.(`warning: directory revocations: the stored list of ${key} is not served (${checked.error.code} ${checked.error.detail})`);
        continue;
      }
      store.held.set(key, { list: checked.value, body: Buffer.from(JSON.stringify(checked.value), 'utf8') });
    }
    return store;
  }

  /** The authority keys served. */
  keys(): string[] {
    return [...this.served];
  }

  serves(key: string): boolean {
    return this.served.has(key);
  }

  /** The list served for `key` (its JSON), if any. */
  get(key: string): { readonly list: RevocationList; readonly body: Buffer } | undefined {
    return this.held.get(key);
  }

  /**
   * Takes a newer list of `key` (see the head of this file), stored before it resolves.
   * E_SIG_UNKNOWN_SIGNER for a key not served, the verifier's code, E_ADV_STALE_SEQ, or
   * E_TRANSPORT_UNAVAILABLE when it could not be stored. `admit` is asked only for a list that
   * verifies and is newer — only the authority can make one — so a stranger's forgeries or
   * replays never spend the authority's rate (E_TRANSPORT_REJECTED with a retry hint when it refuses).
   */
  put(key: string, value: unknown, bytes: number, admit: RevocationPutAdmission = () => null): Promise<Result<RevocationPut> | RevocationPutLimited> {
    if (!this.served.has(key)) return Promise.resolve(fail('E_SIG_UNKNOWN_SIGNER', `this directory serves no revocation lists of ${key}`));
    const previous = this.writes.get(key) ?? Promise.resolve();
    const run = previous.then(async (): Promise<Result<RevocationPut> | RevocationPutLimited> => {
      const checked = acceptNewer(value, { crypto: this.options.crypto, issuerKey: key, heldSequence: this.held.get(key)?.list['sequence/no'], bytes });
      if (!checked.ok) return checked;
      const retryAfterMs = admit();
      if (retryAfterMs !== null) return { ok: false, error: new ProtocolError('E_TRANSPORT_REJECTED', `too many new revocation lists of ${key}`), retryAfterMs };
      const body = Buffer.from(JSON.stringify(checked.value), 'utf8');
      try {
        await mkdir(this.dir, { recursive: true });
        await (this.options.write ?? writeFileAtomic)(this.path(key), body);
      } catch (error) {
        return fail('E_TRANSPORT_UNAVAILABLE', `the list could not be stored (${error instanceof Error ? error.message : String(error)})`);
      }
      this.held.set(key, { list: checked.value, body });
      return ok({ status: 'stored', list: checked.value });
    });
    this.writes.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  private path(key: string): string {
    return join(this.dir, `${key}.json`);
  }
}
