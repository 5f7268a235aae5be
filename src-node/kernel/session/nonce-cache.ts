// The handshake replay cache (spec digest §d.3): nonces seen per sender for NONCE_CACHE_TTL_MS.
// One cache per node, shared by every connection, because a replay can arrive on any of them.
// Bounded: at capacity the oldest entry goes first. Entries all live for the same TTL, so insertion
// order is expiry order and the evicted entry is always the one nearest to expiring anyway. The
// ±30 s `ts` window bounds how long a replay is accepted at all, well inside the 120 s TTL.
import { NONCE_CACHE_TTL_MS } from '../../../src-shared/protocol/profile.js';

/** Most (sender, nonce) pairs remembered: above 500 handshakes/s for the whole 120 s TTL. */
export const NONCE_CACHE_MAX_ENTRIES = 65_536;

export interface NonceCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
}

export class HandshakeNonceCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** key → expiry (ms); Map order is insertion order, hence expiry order. */
  private readonly entries = new Map<string, number>();

  constructor(options: NonceCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? NONCE_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? NONCE_CACHE_MAX_ENTRIES;
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

  /** Records a nonce. Call only once the handshake carrying it has a verified signature. */
  remember(sender: string, nonce: string, now: number): void {
    this.prune(now);
    const key = HandshakeNonceCache.key(sender, nonce);
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, now + this.ttlMs);
  }
}
