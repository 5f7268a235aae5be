// The handshake replay cache (spec digest §d.3): nonces seen per sender for NONCE_CACHE_TTL_MS.
// One cache per node, shared by every connection, because a replay can arrive on any of them.
// Bounded: at capacity the oldest entry goes first. Entries all live for the same TTL, so insertion
// order is expiry order and the evicted entry is always the one nearest to expiring anyway. The
// ±30 s `ts` window bounds how long a replay is accepted at all, well inside the 120 s TTL.
//
// Across restarts (issue 15 §4) a node's cache also refuses hellos signed before the process started
// (`notBefore`) and writes the hellos signed ahead of its clock to a journal before answering them;
// replay-guard.ts says why these two together close the gap, and builds the cache a node runs with.
import { HANDSHAKE_MAX_CLOCK_SKEW_MS, NONCE_CACHE_TTL_MS } from '../../../src-shared/protocol/profile.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import { TIMESTAMP_RESOLUTION_MS } from '../../../src-shared/protocol/time.js';
import type { JournalEntry, ReplayJournal } from './replay-journal.js';

/** Most (sender, nonce) pairs remembered: above 500 handshakes/s for the whole 120 s TTL. */
export const NONCE_CACHE_MAX_ENTRIES = 65_536;

export interface NonceCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Hellos signed (`ts`) before this time (ms) are refused as possible replays; default: none. */
  readonly notBefore?: number;
  /** Hellos signed ahead of our clock are written here before they are answered. */
  readonly journal?: ReplayJournal;
}

export class HandshakeNonceCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly notBefore: number;
  private readonly journal: ReplayJournal | undefined;
  /** key → expiry (ms); Map order is insertion order, hence expiry order. */
  private readonly entries = new Map<string, number>();

  constructor(options: NonceCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? NONCE_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? NONCE_CACHE_MAX_ENTRIES;
    this.notBefore = options.notBefore ?? Number.NEGATIVE_INFINITY;
    this.journal = options.journal;
  }

  /**
   * Takes back what a journal kept across a restart. Call before anything is remembered: these
   * lapse sooner than new entries, so Map order stays expiry order.
   */
  restore(entries: readonly JournalEntry[]): void {
    for (const entry of [...entries].sort((a, b) => a.until - b.until)) {
      this.entries.set(HandshakeNonceCache.key(entry.sender, entry.nonce), entry.until);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private static key(sender: string, nonce: string): string {
    // A NUL never occurs in a node id (base58), so the pair maps to one key.
    return `${sender}\u0000${nonce}`;
  }

  /** Drops expired entries (they sit at the front). */
  prune(now: number): void {
    for (const [key, expires] of this.entries) {
      if (expires > now) break;
      this.entries.delete(key);
    }
  }

  /** True while `nonce` from `sender` was recorded less than ttlMs ago. */
  has(sender: string, nonce: string, now: number): boolean {
    const expires = this.entries.get(HandshakeNonceCache.key(sender, nonce));
    return expires !== undefined && expires > now;
  }

  /**
   * Records a nonce. Call only once the handshake carrying it has a verified signature. For a
   * hello, give its `ts` as `signedAt`: one signed in the current second of our clock or later (a
   * later run's floor could not tell it from a fresh one) is also journaled, if this cache has a
   * journal; if that write fails the hello must not be answered (E_TRANSPORT_UNAVAILABLE is thrown).
   */
  remember(sender: string, nonce: string, now: number, signedAt?: number): void {
    this.prune(now);
    const key = HandshakeNonceCache.key(sender, nonce);
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, now + this.ttlMs);
    if (this.journal && signedAt !== undefined && signedAt >= Math.floor(now / TIMESTAMP_RESOLUTION_MS) * TIMESTAMP_RESOLUTION_MS) {
      try {
        // Past ts + the skew window, the ts check refuses a replay anyway.
        this.journal.record({ sender, nonce, until: signedAt + HANDSHAKE_MAX_CLOCK_SKEW_MS }, now);
      } catch (error) {
        throw new ProtocolError('E_TRANSPORT_UNAVAILABLE', `cannot record the hello in the replay journal (${error instanceof Error ? error.message : String(error)})`);
      }
    }
  }
}
