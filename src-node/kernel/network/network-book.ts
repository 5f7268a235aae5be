// The networks a node has joined (issue 12 §1), kept in <dataDir>/networks/:
//   book.json              which networks, where each came from, when last joined, the current one
//   <net_id>/descriptor.json  the newest valid signed descriptor of that network
//   <net_id>/psk           a private network's key (64 hex digits, mode 0600)
//   <net_id>/trust-roots.pem  the descriptor's CA certificates, as a file the TLS layer reads
// Rules: a network id belongs to the owner key that first signed it here (a descriptor for a known
// network signed by another key is refused, E_SIG_UNKNOWN_SIGNER); a stored descriptor is replaced
// only by a newer one of the same owner; every file is written atomically; a damaged book is set
// aside and the node starts with none; at most MAX_KNOWN_NETWORKS are remembered.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProtocolError, type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import type { NetworkSource } from '../../../src-shared/control/state.js';
import {
  type NetworkDescriptor,
  descriptorExpiresAt,
  formatPsk,
  networkTrustRoots,
  parsePsk,
  verifyNetworkDescriptor,
} from '../../../src-shared/network/network-descriptor.js';
import { isNewerVersion } from '../../../src-shared/network/invite.js';
import { CorruptFileError, jsonText, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';
import type { Clock } from '../util/clock.js';

export const NETWORKS_DIR = 'networks';
export const NETWORK_BOOK_FILE = 'book.json';
export const NETWORK_BOOK_SCHEMA = 'pnode-networks.v1';
export const NETWORK_DESCRIPTOR_FILE = 'descriptor.json';
export const NETWORK_PSK_FILE = 'psk';
export const NETWORK_TRUST_ROOTS_FILE = 'trust-roots.pem';
/** Networks remembered at most; the least recently joined (never the current one) is forgotten first. */
export const MAX_KNOWN_NETWORKS = 32;
/** Secrets (a network's key) are readable by their owner only. */
const SECRET_MODE = 0o600;
const SOURCES: readonly NetworkSource[] = ['invite', 'default', 'local', 'file'];

export interface BookEntry {
  readonly id: string;
  readonly source: NetworkSource;
  /** Where the invite said the descriptor is published (a u1 invite), for renewal. */
  readonly fetchedFrom: string | null;
  readonly lastJoinedAt: number | null;
}

export interface RememberedNetwork {
  readonly entry: BookEntry;
  readonly descriptor: NetworkDescriptor;
}

interface BookFile {
  readonly current: string | null;
  readonly networks: readonly BookEntry[];
}

export interface NetworkBookOptions {
  readonly crypto: CryptoProvider;
  readonly clock: Clock;
  readonly warn?: (line: string) => void;
}

/** The folder of one network: its id with the colon made safe for every file system. */
export function networkFolderName(id: string): string {
  return id.replace(/[^a-z0-9-]/g, '_');
}

function decodeEntry(raw: unknown): BookEntry | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const v = raw as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || !/^net:[a-z0-9]+(?:-[a-z0-9]+)*$/.test(v['id']) || v['id'].length > 64) return null;
  const source = SOURCES.includes(v['source'] as NetworkSource) ? (v['source'] as NetworkSource) : 'invite';
  const fetchedFrom = typeof v['fetchedFrom'] === 'string' && v['fetchedFrom'].length <= 2048 ? v['fetchedFrom'] : null;
  const lastJoinedAt = typeof v['lastJoinedAt'] === 'number' && Number.isFinite(v['lastJoinedAt']) ? v['lastJoinedAt'] : null;
  return { id: v['id'], source, fetchedFrom, lastJoinedAt };
}

export class NetworkBook {
  private entries = new Map<string, RememberedNetwork>();
  private currentId: string | null = null;
  private writing: Promise<void> = Promise.resolve();
  readonly dir: string;

  private constructor(
    dataDir: string,
    private readonly options: NetworkBookOptions,
  ) {
    this.dir = join(dataDir, NETWORKS_DIR);
  }

  /** Opens the book: every stored descriptor is verified again (signature, owner, rules); a broken one is dropped. */
  static async open(dataDir: string, options: NetworkBookOptions): Promise<NetworkBook> {
    const book = new NetworkBook(dataDir, options);
    await book.load();
    return book;
  }

  private get bookPath(): string {
    return join(this.dir, NETWORK_BOOK_FILE);
  }

  folder(id: string): string {
    return join(this.dir, networkFolderName(id));
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let raw: unknown;
    try {
      raw = await readJsonFile(this.bookPath);
    } catch (error) {
      if (!(error instanceof CorruptFileError)) throw error;
      const aside = `${this.bookPath}.corrupt-${this.options.clock.now()}`;
      await rename(this.bookPath, aside);
      this.options.warn?.(`warning: ${error.message}; set aside as ${aside}`);
      return;
    }
    if (raw === undefined) return;
    const file = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const list = Array.isArray(file['networks']) ? file['networks'].slice(0, MAX_KNOWN_NETWORKS) : [];
    for (const item of list) {
      const entry = decodeEntry(item);
      if (!entry || this.entries.has(entry.id)) continue;
      const descriptor = await this.readDescriptor(entry.id);
      if (descriptor) this.entries.set(entry.id, { entry, descriptor });
    }
    const current = file['current'];
    this.currentId = typeof current === 'string' && this.entries.has(current) ? current : null;
  }

  /** A stored descriptor, verified (signature and rules; an expired one is kept: it may be renewed). */
  private async readDescriptor(id: string): Promise<NetworkDescriptor | null> {
    const path = join(this.folder(id), NETWORK_DESCRIPTOR_FILE);
    let value: unknown;
    try {
      value = await readJsonFile(path);
    } catch (error) {
      this.options.warn?.(`warning: ${error instanceof Error ? error.message : String(error)}; network ${id} forgotten`);
      return null;
    }
    if (value === undefined) return null;
    // Expiry is judged when the network is used, not here: verify as of its own creation time.
    const created = typeof value === 'object' && value !== null ? Date.parse(String((value as Record<string, unknown>)['created-at'])) : NaN;
    const verified = verifyNetworkDescriptor(value, { crypto: this.options.crypto, now: Number.isFinite(created) ? created : 0 });
    if (!verified.ok || verified.value['network/id'] !== id) {
      this.options.warn?.(`warning: the stored descriptor of network ${id} is refused (${verified.ok ? 'it names another network' : `${verified.error.code} ${verified.error.detail}`}); network forgotten`);
      return null;
    }
    return verified.value;
  }

  current(): RememberedNetwork | null {
    return this.currentId === null ? null : (this.entries.get(this.currentId) ?? null);
  }

  get(id: string): RememberedNetwork | null {
    return this.entries.get(id) ?? null;
  }

  /** Most recently joined first. */
  list(): RememberedNetwork[] {
    return [...this.entries.values()].sort((a, b) => (b.entry.lastJoinedAt ?? 0) - (a.entry.lastJoinedAt ?? 0));
  }

  isExpired(descriptor: NetworkDescriptor): boolean {
    return descriptorExpiresAt(descriptor) <= this.options.clock.now();
  }

  /** May this descriptor enter the book? A known network id keeps the owner it was first signed by. */
  admit(descriptor: NetworkDescriptor): Result<void> {
    const known = this.entries.get(descriptor['network/id']);
    if (known && known.descriptor['owner/node-id'] !== descriptor['owner/node-id']) {
      return fail(
        'E_SIG_UNKNOWN_SIGNER',
        `network ${descriptor['network/id']} belongs to ${known.descriptor['owner/node-id']}; this descriptor is signed by ${descriptor['owner/node-id']}, who does not own it`,
      );
    }
    return ok(undefined);
  }

  /**
   * Remembers a verified descriptor (and a private network's key): the newer of it and the stored
   * one is kept. Refused (nothing written) when another owner holds the network id.
   */
  async remember(descriptor: NetworkDescriptor, options: { source: NetworkSource; psk?: Uint8Array | undefined; fetchedFrom?: string | null }): Promise<RememberedNetwork> {
    const admitted = this.admit(descriptor);
    if (!admitted.ok) throw admitted.error;
    const id = descriptor['network/id'];
    const known = this.entries.get(id);
    const keep = known && !isNewerVersion(known.descriptor, descriptor) ? known.descriptor : descriptor;
    const folder = this.folder(id);
    await mkdir(folder, { recursive: true });
    if (keep !== known?.descriptor) await this.writeDescriptor(keep);
    if (options.psk) await writeFileAtomic(join(folder, NETWORK_PSK_FILE), formatPsk(options.psk), { mode: SECRET_MODE });
    const entry: BookEntry = {
      id,
      source: known?.entry.source === 'local' || known?.entry.source === 'default' ? known.entry.source : options.source,
      fetchedFrom: options.fetchedFrom ?? known?.entry.fetchedFrom ?? null,
      lastJoinedAt: known?.entry.lastJoinedAt ?? null,
    };
    const remembered = { entry, descriptor: keep };
    this.entries.set(id, remembered);
    await this.trim();
    await this.save();
    return remembered;
  }

  private async writeDescriptor(descriptor: NetworkDescriptor): Promise<void> {
    const folder = this.folder(descriptor['network/id']);
    await writeFileAtomic(join(folder, NETWORK_DESCRIPTOR_FILE), jsonText(descriptor));
    const roots = networkTrustRoots(descriptor);
    if (roots.length > 0) await writeFileAtomic(join(folder, NETWORK_TRUST_ROOTS_FILE), roots.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join(''));
    else await rm(join(folder, NETWORK_TRUST_ROOTS_FILE), { force: true });
  }

  /** A renewal: replaces the stored descriptor when this one is newer and signed by the same owner. */
  async renew(descriptor: NetworkDescriptor): Promise<boolean> {
    const known = this.entries.get(descriptor['network/id']);
    if (!known || !isNewerVersion(known.descriptor, descriptor)) return false;
    await this.writeDescriptor(descriptor);
    this.entries.set(known.entry.id, { entry: known.entry, descriptor });
    await this.save();
    return true;
  }

  /** The network this node runs in from now on (null: none); its last-joined time is now. */
  async setCurrent(id: string | null): Promise<void> {
    if (id !== null) {
      const known = this.entries.get(id);
      if (!known) throw new ProtocolError('E_PROTO_INVALID', `network ${id} is not known here`);
      this.entries.set(id, { ...known, entry: { ...known.entry, lastJoinedAt: this.options.clock.now() } });
    }
    this.currentId = id;
    await this.save();
  }

  /** Forgets a network that is not the current one (its descriptor, its key). */
  async forget(id: string): Promise<boolean> {
    if (id === this.currentId) throw new ProtocolError('E_PROTO_INVALID', `network ${id} is the current network; leave it first`);
    if (!this.entries.delete(id)) return false;
    await this.save();
    await rm(this.folder(id), { recursive: true, force: true });
    return true;
  }

  /** The key of a private network kept here, if any. */
  async psk(id: string): Promise<Uint8Array | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.folder(id), NETWORK_PSK_FILE), 'utf8');
    } catch {
      return undefined;
    }
    const parsed = parsePsk(text);
    return parsed.ok ? parsed.value : undefined;
  }

  /** A key for this network is kept here. */
  hasPsk(id: string): boolean {
    return existsSync(join(this.folder(id), NETWORK_PSK_FILE));
  }

  /** The PEM file of the network's trust roots, for the TLS layer (none when it has none). */
  trustRootFiles(id: string): string[] {
    const known = this.entries.get(id);
    return known && networkTrustRoots(known.descriptor).length > 0 ? [join(this.folder(id), NETWORK_TRUST_ROOTS_FILE)] : [];
  }

  private async trim(): Promise<void> {
    while (this.entries.size > MAX_KNOWN_NETWORKS) {
      const oldest = this.list()
        .reverse()
        .find((n) => n.entry.id !== this.currentId);
      if (!oldest) return;
      this.entries.delete(oldest.entry.id);
      await rm(this.folder(oldest.entry.id), { recursive: true, force: true });
    }
  }

  private save(): Promise<void> {
    const file: BookFile & { schema: string } = { schema: NETWORK_BOOK_SCHEMA, current: this.currentId, networks: [...this.entries.values()].map((n) => n.entry) };
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.bookPath, jsonText(file)));
    return this.writing;
  }
}
