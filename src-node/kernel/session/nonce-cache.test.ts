import { describe, expect, it } from 'vitest';
import { NONCE_CACHE_TTL_MS } from '../../../src-shared/protocol/profile.js';
import { ManualClock } from '../util/clock.js';
import { HandshakeNonceCache, NONCE_CACHE_MAX_ENTRIES } from './nonce-cache.js';

const A = 'node:did:key:z6MkA';
const B = 'node:did:key:z6MkB';

describe('handshake nonce cache', () => {
  it('defaults to the profile TTL and the named capacity', () => {
    const cache = new HandshakeNonceCache();
    expect(cache.ttlMs).toBe(NONCE_CACHE_TTL_MS);
    expect(cache.maxEntries).toBe(NONCE_CACHE_MAX_ENTRIES);
  });

  it('remembers a nonce per sender for the TTL, then forgets it', () => {
    const clock = new ManualClock();
    const cache = new HandshakeNonceCache();
    cache.remember(A, 'n1', clock.now());
    expect(cache.has(A, 'n1', clock.now())).toBe(true);
    expect(cache.has(B, 'n1', clock.now())).toBe(false);
    expect(cache.has(A, 'n2', clock.now())).toBe(false);
    clock.advance(NONCE_CACHE_TTL_MS - 1);
    expect(cache.has(A, 'n1', clock.now())).toBe(true);
    clock.advance(1);
    expect(cache.has(A, 'n1', clock.now())).toBe(false);
    cache.prune(clock.now());
    expect(cache.size).toBe(0);
  });

  it('does not confuse sender/nonce boundaries', () => {
    const cache = new HandshakeNonceCache();
    cache.remember('node:did:key:z6Mkab', 'c', 0);
    expect(cache.has('node:did:key:z6Mka', 'bc', 0)).toBe(false);
  });

  it('crosses its capacity by dropping the oldest entry, never growing past it', () => {
    const clock = new ManualClock();
    const cache = new HandshakeNonceCache({ maxEntries: 3 });
    for (const nonce of ['n1', 'n2', 'n3']) {
      cache.remember(A, nonce, clock.now());
      clock.advance(1);
    }
    expect(cache.size).toBe(3);
    cache.remember(A, 'n4', clock.now());
    expect(cache.size).toBe(3);
    expect(cache.has(A, 'n1', clock.now())).toBe(false);
    expect(['n2', 'n3', 'n4'].every((n) => cache.has(A, n, clock.now()))).toBe(true);
  });

  it('expired entries make room before live ones are dropped', () => {
    const clock = new ManualClock();
    const cache = new HandshakeNonceCache({ maxEntries: 2, ttlMs: 10 });
    cache.remember(A, 'old', clock.now());
    clock.advance(5);
    cache.remember(A, 'live', clock.now());
    clock.advance(6);
    cache.remember(A, 'new', clock.now());
    expect(cache.size).toBe(2);
    expect(cache.has(A, 'live', clock.now())).toBe(true);
    expect(cache.has(A, 'new', clock.now())).toBe(true);
  });
});
