// The durable advertisement cache (spec digest §c.2, DESIGN.md §6): one current advertisement
// per node-id, verified on the way in; only a strictly higher sequence/no replaces; expired ones
// are dropped. Dialing after a restart reads it ("remembered peers").
//
// Every way in — gossip, a directory, this file at load — passes the same rules as the seed
// directory's gate (issue 15 §1, advertisement-rules.ts): a lifetime of at most
// ADVERTISEMENT_MAX_LIFETIME_MS and well-formed endpoints, so a validly signed advertisement with a
// far-future expiry is refused (E_PROTO_INVALID), and one an older build stored is dropped at load.
// Who may take room is the peer store's decision (its tried/new split and per-source fairness):
// the discovery intake (discovery/advertisement-intake.ts) checks here, asks the store, then
// stores here, and the runtime drops an advertisement when the store forgets its peer. The cache's
// own bound is only a backstop: past it, the soonest to expire among peers not tried goes first.
import { join } from 'node:path';
import { rename } from 'node:fs/promises';
import { ProtocolError, type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import { verifyArtifact } from '../../../src-shared/protocol/verify.js';
import type { CryptoProvider } from '../../../src-shared/protocol/crypto/provider.js';
import { parseTimestamp } from '../../../src-shared/protocol/time.js';
import { checkAdvertisedEndpoints, checkAdvertisementLifetime } from '../../../src-shared/protocol/advertisement-rules.js';
import { CorruptFileError, jsonText, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';
import type { Clock } from '../util/clock.js';
import type { NodeAdvertisement } from './advertisement-types.js';

export const ADVERTISEMENT_CACHE_FILE = 'advertisements.json';
/** Most advertisements kept; beyond it the soonest to expire among untried peers is dropped. */
export const MAX_CACHED_ADVERTISEMENTS = 2_000;
/**
 * Writes are batched: the first change after a write is saved this long after it. The whole cache
 * is rewritten each time (up to MAX_CACHED_ADVERTISEMENTS), so a busy network must not turn every
 * arriving advertisement into a write.
 */
export const CACHE_FLUSH_DELAY_MS = 5_000;

export type CacheChange = 'added' | 'replaced';

export interface CacheOffer {
  readonly advertisement: NodeAdvertisement;
  readonly change: CacheChange;
}

export interface AdvertisementCacheOptions {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly crypto: CryptoProvider;
  /** Our own node: never cached (we do not dial ourselves). */
  readonly selfNodeId?: string;
  readonly maxEntries?: number;
  /** Peers the node reached itself (the peer store's tried table): the backstop bound keeps them. */
  readonly isTried?: (nodeId: string) => boolean;
  /** Told when a stored file could not be trusted and was set aside. */
  readonly onCorruptFile?: (error: CorruptFileError, setAsidePath: string) => void;
}

export class AdvertisementCache {
  private readonly entries = new Map<string, { advertisement: NodeAdvertisement; expiresAt: number }>();
  private readonly path: string;
  private flushTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  /** The write in progress: writes never overlap (a slow disk would otherwise pile them up). */
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(offer: CacheOffer) => void>();

  constructor(private readonly options: AdvertisementCacheOptions) {
    this.path = join(options.dataDir, ADVERTISEMENT_CACHE_FILE);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Loads the file, re-verifying every entry; a corrupt file is set aside, never lost. */
  async load(): Promise<{ loaded: number; dropped: number }> {
    let stored: unknown;
    try {
      stored = await readJsonFile(this.path);
    } catch (error) {
      if (!(error instanceof CorruptFileError)) throw error;
      const aside = `${this.path}.corrupt-${this.options.clock.now()}`;
      await rename(this.path, aside);
      this.options.onCorruptFile?.(error, aside);
      return { loaded: 0, dropped: 0 };
    }
    const items = (stored as { items?: unknown } | undefined)?.items;
    if (stored !== undefined && !Array.isArray(items)) {
      const error = new CorruptFileError(this.path, 'no "items" array');
      const aside = `${this.path}.corrupt-${this.options.clock.now()}`;
      await rename(this.path, aside);
      this.options.onCorruptFile?.(error, aside);
      return { loaded: 0, dropped: 0 };
    }
    let loaded = 0;
    let dropped = 0;
    for (const item of (items as unknown[] | undefined) ?? []) {
      if (this.insert(item, false).ok) loaded++;
      else dropped++;
    }
    if (dropped > 0) this.scheduleFlush();
    return { loaded, dropped };
  }

  /**
   * Verifies and merges an advertisement. E_ADV_STALE_SEQ when we hold the same or a newer
   * sequence, E_ADV_EXPIRED when it has expired, the verifier's code when it is not authentic.
   */
  offer(candidate: unknown): Result<CacheOffer> {
    return this.insert(candidate, true);
  }

  /**
   * Everything offer() checks, without storing: the first half of the discovery intake. The
   * verified advertisement, or the code offer() would answer.
   */
  check(candidate: unknown): Result<NodeAdvertisement> {
    return this.verify(candidate, this.options.clock.now());
  }

  /** Stores an advertisement check() accepted (the second half); E_ADV_STALE_SEQ if a newer one came meanwhile. */
  store(advertisement: NodeAdvertisement): Result<CacheOffer> {
    return this.keep(advertisement, true);
  }

  /** Forgets a node's advertisement (its peer left the peer store); true when there was one. */
  remove(nodeId: string): boolean {
    if (!this.entries.delete(nodeId)) return false;
    this.scheduleFlush();
    return true;
  }

  private insert(candidate: unknown, notify: boolean): Result<CacheOffer> {
    const verified = this.verify(candidate, this.options.clock.now());
    return verified.ok ? this.keep(verified.value, notify) : verified;
  }

  private verify(candidate: unknown, now: number): Result<NodeAdvertisement> {
    // Gossip repeats itself: an advertisement no newer than the one we hold is refused before the
    // (costly) signature check. A forgery gains nothing by it: it is not stored either way.
    const claimed = candidate as { 'node/id'?: unknown; 'sequence/no'?: unknown } | null;
    if (typeof claimed?.['node/id'] === 'string' && typeof claimed['sequence/no'] === 'number') {
      const held = this.entries.get(claimed['node/id']);
      if (held && held.advertisement['sequence/no'] >= claimed['sequence/no'] && held.expiresAt > now) {
        return fail('E_ADV_STALE_SEQ', `${claimed['node/id']} sequence/no ${claimed['sequence/no']} is not above the cached ${held.advertisement['sequence/no']}`);
      }
    }
    const verified = verifyArtifact<NodeAdvertisement>('node-advertisement.v1', candidate, {
      crypto: this.options.crypto,
      checkExpiry: true,
      now,
    });
    if (!verified.ok) return verified;
    const advertisement = verified.value;
    if (advertisement['node/id'] === this.options.selfNodeId) return fail('E_PROTO_INVALID', 'our own advertisement is not cached');
    const lifetime = checkAdvertisementLifetime(advertisement, now);
    if (!lifetime.ok) return lifetime;
    const endpoints = checkAdvertisedEndpoints(advertisement.endpoints);
    if (!endpoints.ok) return endpoints;
    return this.fresher(advertisement);
  }

  /** The advertisement, unless we hold the same or a newer sequence of its node. */
  private fresher(advertisement: NodeAdvertisement): Result<NodeAdvertisement> {
    const nodeId = advertisement['node/id'];
    const current = this.entries.get(nodeId);
    if (current && current.advertisement['sequence/no'] >= advertisement['sequence/no']) {
      return fail('E_ADV_STALE_SEQ', `${nodeId} sequence/no ${advertisement['sequence/no']} is not above the cached ${current.advertisement['sequence/no']}`);
    }
    return ok(advertisement);
  }

  private keep(advertisement: NodeAdvertisement, notify: boolean): Result<CacheOffer> {
    const fresh = this.fresher(advertisement);
    if (!fresh.ok) return fresh;
    const nodeId = advertisement['node/id'];
    const current = this.entries.get(nodeId);
    this.entries.set(nodeId, { advertisement, expiresAt: parseTimestamp(advertisement['expires-at']) });
    this.enforceCapacity(nodeId);
    const offer: CacheOffer = { advertisement, change: current ? 'replaced' : 'added' };
    this.scheduleFlush();
    if (notify) for (const listener of this.listeners) listener(offer);
    return ok(offer);
  }

  private enforceCapacity(keep: string): void {
    const max = this.options.maxEntries ?? MAX_CACHED_ADVERTISEMENTS;
    const tried = this.options.isTried ?? (() => false);
    while (this.entries.size > max) {
      let victim: string | undefined;
      let best: [number, number] = [Infinity, Infinity];
      for (const [nodeId, entry] of this.entries) {
        if (nodeId === keep) continue;
        const rank: [number, number] = [tried(nodeId) ? 1 : 0, entry.expiresAt];
        if (rank[0] < best[0] || (rank[0] === best[0] && rank[1] < best[1])) {
          best = rank;
          victim = nodeId;
        }
      }
      if (victim === undefined) return;
      this.entries.delete(victim);
    }
  }

  get(nodeId: string): NodeAdvertisement | undefined {
    const entry = this.entries.get(nodeId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.clock.now()) {
      this.entries.delete(nodeId);
      this.scheduleFlush();
      return undefined;
    }
    return entry.advertisement;
  }

  /** Current (unexpired) advertisements. */
  all(): NodeAdvertisement[] {
    this.purgeExpired();
    return [...this.entries.values()].map((e) => e.advertisement);
  }

  /** A uniform random sample of up to `count` current advertisements. */
  sample(count: number, random: () => number = Math.random): NodeAdvertisement[] {
    const all = this.all();
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, Math.max(0, count));
  }

  purgeExpired(): number {
    const now = this.options.clock.now();
    let removed = 0;
    for (const [nodeId, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(nodeId);
        removed++;
      }
    }
    if (removed > 0) this.scheduleFlush();
    return removed;
  }

  onChange(listener: (offer: CacheOffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private scheduleFlush(): void {
    this.dirty = true;
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch(() => undefined);
    }, CACHE_FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  /** Writes pending changes now (shutdown, tests), after the write in progress. */
  async flush(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const run = this.writing.then(() => this.writeNow());
    this.writing = run.catch(() => undefined);
    await run;
  }

  private async writeNow(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await writeFileAtomic(this.path, jsonText({ 'schema/v': 1, items: [...this.entries.values()].map((e) => e.advertisement) }));
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }
}

export { ProtocolError };
