// The latest signed revocation list of each registration authority a node follows (issue 15 §5),
// in memory and in `<dataDir>/revocations/<authority key>.json` (written atomically). A list only
// ever moves forward: one from elsewhere is taken when it verifies under its own issuer's key,
// fits MAX_DISTRIBUTED_REVOCATION_LIST_BYTES and has a higher sequence/no than the one held
// (src-shared/trust/revocation-list.ts, acceptNewer). A list signed by K speaks only of credentials
// K issued, so holding it is safe whoever sent it; what a node holds is bounded by the authorities it
// follows (`wanted`), at most MAX_REVOCATION_AUTHORITIES, so a flood of lists under fresh keys
// costs nothing but their refusal. A revocation learned is applied even when it cannot be stored
// (a full disk): the write is retried with the next change, and the failure is reported.
import { EventEmitter } from 'node:events';
import { readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ProtocolError, type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import type { RevocationEntry } from '../../../src-shared/trust/attestation.js';
import { acceptNewer, revocationIndex, type RevocationList } from '../../../src-shared/trust/revocation-list.js';
import { type FileWriter, jsonText, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';

export const REVOCATIONS_DIR = 'revocations';
/** Authorities whose lists one node keeps at most. */
export const MAX_REVOCATION_AUTHORITIES = 16;
const KEY_PATTERN = /^z[1-9A-HJ-NP-Za-km-z]{1,63}$/;

export interface RevocationBookOptions {
  readonly dataDir: string;
  readonly crypto: CryptoProvider;
  readonly warn: (line: string) => void;
  /** How files are written (default writeFileAtomic; tests put a full disk here). */
  readonly write?: FileWriter;
}

export interface RevocationBookEvents {
  /** A newer list of an authority was taken. */
  changed: [list: RevocationList];
}

export interface Taken {
  readonly list: RevocationList;
}

interface Held {
  readonly list: RevocationList;
  readonly index: Map<string, RevocationEntry>;
}

export class RevocationBook extends EventEmitter<RevocationBookEvents> {
  private readonly lists = new Map<string, Held>();
  private readonly dir: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: RevocationBookOptions) {
    super();
    this.dir = join(options.dataDir, REVOCATIONS_DIR);
  }

  /** Reads the stored lists again (each verified under the key its file is named for). */
  async load(): Promise<{ loaded: number; refused: number }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { loaded: 0, refused: 0 };
      throw error;
    }
    let loaded = 0;
    let refused = 0;
    for (const name of names.filter((n) => n.endsWith('.json')).slice(0, MAX_REVOCATION_AUTHORITIES)) {
      const key = name.slice(0, -'.json'.length);
      if (!KEY_PATTERN.test(key)) continue;
      let value: unknown;
      try {
        value = await readJsonFile(join(this.dir, name));
      } catch (error) {
        this.options.warn(`warning: revocations: ${error instanceof Error ? error.message : String(error)}`);
        refused++;
        continue;
      }
      const checked = acceptNewer(value, { crypto: this.options.crypto, issuerKey: key, heldSequence: undefined });
      if (!checked.ok) {
        this.options.warn(`warning: revocations: ${name} is not used (${checked.error.code} ${checked.error.detail})`);
        refused++;
        continue;
      }
      this.lists.set(key, { list: checked.value, index: revocationIndex(checked.value) });
      loaded++;
    }
    return { loaded, refused };
  }

  /** The authorities we hold a list of. */
  keys(): string[] {
    return [...this.lists.keys()];
  }

  get(issuerKey: string): RevocationList | undefined {
    return this.lists.get(issuerKey)?.list;
  }

  sequence(issuerKey: string): number | undefined {
    return this.lists.get(issuerKey)?.list['sequence/no'];
  }

  /** The revocation of `credentialId` by `issuerKey`, if its list says so. */
  revoked(credentialId: string, issuerKey: string): RevocationEntry | undefined {
    return this.lists.get(issuerKey)?.index.get(credentialId);
  }

  /**
   * Takes a list from elsewhere when `wanted` follows its issuer and it is newer (see the head of
   * this file). E_SIG_UNKNOWN_SIGNER for an authority not followed, E_ADV_STALE_SEQ for one no
   * newer, E_TRANSPORT_UNAVAILABLE when MAX_REVOCATION_AUTHORITIES are held already, the
   * verifier's code otherwise.
   */
  offer(value: unknown, wanted: (issuerKey: string) => boolean): Result<Taken> {
    const issuer = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['issuer/key'] : undefined;
    if (typeof issuer !== 'string' || !KEY_PATTERN.test(issuer)) return fail('E_PROTO_INVALID', 'revocation-list.v1 names no issuer/key');
    if (!wanted(issuer)) return fail('E_SIG_UNKNOWN_SIGNER', `revocation-list.v1 of ${issuer}: not an authority this node follows`);
    const held = this.lists.get(issuer);
    if (!held && this.lists.size >= MAX_REVOCATION_AUTHORITIES) return fail('E_TRANSPORT_UNAVAILABLE', `lists of ${MAX_REVOCATION_AUTHORITIES} authorities are held already`);
    const checked = acceptNewer(value, { crypto: this.options.crypto, issuerKey: issuer, heldSequence: held?.list['sequence/no'] });
    if (!checked.ok) return checked;
    const list = checked.value;
    this.lists.set(issuer, { list, index: revocationIndex(list) });
    this.store(issuer, list);
    this.emit('changed', list);
    return ok({ list });
  }

  /** Waits for the writes so far. */
  async flush(): Promise<void> {
    await this.writing;
  }

  private store(issuer: string, list: RevocationList): void {
    const write = this.options.write ?? writeFileAtomic;
    this.writing = this.writing
      .then(async () => {
        // The newest list of that authority, whatever came meanwhile.
        if (this.lists.get(issuer)?.list !== list) return;
        await mkdir(this.dir, { recursive: true });
        await write(join(this.dir, `${issuer}.json`), jsonText(list));
      })
      .catch((error: unknown) => {
        const failure = error instanceof ProtocolError ? error.detail : error instanceof Error ? error.message : String(error);
        this.options.warn(`warning: revocations: the list of ${issuer} could not be stored (${failure}); it applies anyway`);
      });
  }
}
