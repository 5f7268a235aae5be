import { describe, expect, it } from 'vitest';
import {
  PeerRateLimiter,
  RATE_LIMIT_BURST,
  RATE_LIMIT_EVICTION_SCAN,
  RATE_LIMIT_FLOOD_MAX_DENIALS,
  RATE_LIMIT_FLOOD_MAX_MS,
  RATE_LIMIT_MAX_BUCKETS,
  RATE_LIMIT_MESSAGES_PER_SECOND,
  RATE_LIMIT_RECOVERY_FRACTION,
} from './rate-limiter.js';

const T0 = 1_000_000;
const TOKEN_MS = 1000 / RATE_LIMIT_MESSAGES_PER_SECOND;

function drain(limiter: PeerRateLimiter, id: string, now: number, count = RATE_LIMIT_BURST): void {
  for (let i = 0; i < count; i++) expect(limiter.take(id, now).verdict).toBe('allowed');
}

describe('the per-node-id rate limiter', () => {
  it('allows a burst of RATE_LIMIT_BURST at once and slows the next message', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    expect(limiter.take('a', T0)).toEqual({ verdict: 'slow', waitMs: TOKEN_MS });
  });

  it('refills at RATE_LIMIT_MESSAGES_PER_SECOND', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    expect(limiter.take('a', T0 + TOKEN_MS - 1).verdict).toBe('slow');
    expect(limiter.take('a', T0 + TOKEN_MS).verdict).toBe('allowed');
    // A peer at exactly its rate is never slowed.
    for (let i = 2; i < 200; i++) expect(limiter.take('a', T0 + i * TOKEN_MS).verdict).toBe('allowed');
  });

  it('keeps node-ids apart', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    expect(limiter.take('a', T0).verdict).toBe('slow');
    expect(limiter.take('b', T0).verdict).toBe('allowed');
  });

  it('drops a peer that keeps exceeding its rate for RATE_LIMIT_FLOOD_MAX_MS', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    // 1.5 times the allowed rate: 3 messages every 2 tokens' time, refused ones included.
    let firstRefusal: number | undefined;
    let dropped: { at: number; reason: string } | undefined;
    for (let step = 0; step < 100_000 && !dropped; step++) {
      const now = T0 + Math.floor(step / 3) * 2 * TOKEN_MS + (step % 3);
      const decision = limiter.take('a', now);
      if (decision.verdict === 'slow') firstRefusal ??= now;
      if (decision.verdict === 'drop') dropped = { at: now, reason: decision.reason };
    }
    expect(firstRefusal).toBeDefined();
    expect(dropped).toBeDefined();
    expect(dropped!.reason).toMatch(/for \d+ ms/);
    expect(dropped!.at - firstRefusal!).toBeGreaterThanOrEqual(RATE_LIMIT_FLOOD_MAX_MS);
    expect(dropped!.at - firstRefusal!).toBeLessThan(RATE_LIMIT_FLOOD_MAX_MS + 2 * TOKEN_MS);
  });

  it('lets a peer that slows down as asked recover without being dropped', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    const decision = limiter.take('a', T0);
    expect(decision.verdict).toBe('slow');
    // Quiet for twice the flood limit, then a normal rate again.
    const later = T0 + 2 * RATE_LIMIT_FLOOD_MAX_MS;
    for (let i = 0; i < 100; i++) expect(limiter.take('a', later + i * TOKEN_MS).verdict).toBe('allowed');
  });

  it('drops a peer with more than RATE_LIMIT_FLOOD_MAX_DENIALS refused messages in one flood', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    for (let i = 0; i < RATE_LIMIT_FLOOD_MAX_DENIALS; i++) expect(limiter.take('a', T0).verdict).toBe('slow');
    const decision = limiter.take('a', T0);
    expect(decision.verdict).toBe('drop');
    expect(decision.verdict === 'drop' && decision.reason).toMatch(/sustained flood/);
  });

  it('keeps answering drop until reset', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    for (let i = 0; i <= RATE_LIMIT_FLOOD_MAX_DENIALS; i++) limiter.take('a', T0);
    expect(limiter.isDropped('a')).toBe(true);
    expect(limiter.take('a', T0 + 3_600_000).verdict).toBe('drop');
    expect(limiter.sweep(T0 + 3_600_000)).toBe(0);
    limiter.reset('a');
    expect(limiter.take('a', T0 + 3_600_000).verdict).toBe('allowed');
  });

  it('ends a flood once the peer is quiet long enough to refill RATE_LIMIT_RECOVERY_FRACTION of the burst', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    for (let i = 0; i < RATE_LIMIT_FLOOD_MAX_DENIALS; i++) limiter.take('a', T0);
    const recovered = T0 + Math.ceil(RATE_LIMIT_BURST * RATE_LIMIT_RECOVERY_FRACTION) * TOKEN_MS;
    const tokens = Math.floor(RATE_LIMIT_BURST * RATE_LIMIT_RECOVERY_FRACTION);
    drain(limiter, 'a', recovered, tokens);
    // A new flood: its own allowance of refusals, not the old one's remainder.
    for (let i = 0; i < RATE_LIMIT_FLOOD_MAX_DENIALS; i++) expect(limiter.take('a', recovered).verdict).toBe('slow');
    expect(limiter.take('a', recovered).verdict).toBe('drop');
  });

  it('does not end a flood on a short pause', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    for (let i = 0; i < RATE_LIMIT_FLOOD_MAX_DENIALS; i++) limiter.take('a', T0);
    expect(limiter.take('a', T0 + TOKEN_MS).verdict).toBe('allowed');
    expect(limiter.take('a', T0 + TOKEN_MS).verdict).toBe('drop');
  });

  it('mints no tokens when the clock steps back', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'a', T0);
    expect(limiter.take('a', T0 - 60_000).verdict).toBe('slow');
    expect(limiter.take('a', T0).verdict).toBe('slow');
  });

  it('clamps a cost above the burst so it can still pass', () => {
    const limiter = new PeerRateLimiter();
    expect(limiter.take('a', T0, RATE_LIMIT_BURST * 10).verdict).toBe('allowed');
    expect(limiter.take('a', T0).verdict).toBe('slow');
  });

  it('sweeps only idle buckets', () => {
    const limiter = new PeerRateLimiter();
    drain(limiter, 'busy', T0);
    limiter.take('quiet', T0);
    expect(limiter.sweep(T0 + TOKEN_MS)).toBe(1);
    expect(limiter.size).toBe(1);
    expect(limiter.take('busy', T0 + TOKEN_MS).verdict).toBe('allowed');
    expect(limiter.take('busy', T0 + TOKEN_MS).verdict).toBe('slow');
  });

  it(`holds at most RATE_LIMIT_MAX_BUCKETS (${RATE_LIMIT_MAX_BUCKETS}) buckets, evicting the least recently used`, () => {
    const limiter = new PeerRateLimiter();
    for (let i = 0; i < RATE_LIMIT_MAX_BUCKETS; i++) limiter.take(`n${i}`, T0);
    expect(limiter.size).toBe(RATE_LIMIT_MAX_BUCKETS);
    // Nobody is idle yet (each took a token this instant): the oldest goes.
    limiter.take('newcomer', T0);
    expect(limiter.size).toBe(RATE_LIMIT_MAX_BUCKETS);
    drain(limiter, 'newcomer', T0, RATE_LIMIT_BURST - 1);
    expect(limiter.take('newcomer', T0).verdict).toBe('slow');
  });

  it('evicts idle buckets before busy ones when full', () => {
    const limiter = new PeerRateLimiter();
    const busy = 10;
    for (let i = 0; i < busy; i++) drain(limiter, `n${i}`, T0);
    for (let i = busy; i < RATE_LIMIT_MAX_BUCKETS; i++) limiter.take(`n${i}`, T0);
    // One token later every bucket that took one token is full again (idle); the drained are not.
    const later = T0 + TOKEN_MS;
    limiter.take('newcomer', later);
    expect(limiter.size).toBe(RATE_LIMIT_MAX_BUCKETS - (RATE_LIMIT_EVICTION_SCAN - busy) + 1);
    for (let i = 0; i < busy; i++) {
      expect(limiter.take(`n${i}`, later).verdict).toBe('allowed');
      expect(limiter.take(`n${i}`, later).verdict).toBe('slow');
    }
  });
});

describe('the per-node-id rate limiter under a flood of new node-ids', () => {
  it('keeps a dropped peer dropped, however many new node-ids come', () => {
    const limiter = new PeerRateLimiter({ maxBuckets: 4 });
    drain(limiter, 'flooder', T0);
    for (let i = 0; i <= RATE_LIMIT_FLOOD_MAX_DENIALS; i++) limiter.take('flooder', T0);
    expect(limiter.isDropped('flooder')).toBe(true);
    for (let i = 0; i < 1_000; i++) limiter.take(`sybil${i}`, T0 + 3_600_000 + i);
    expect(limiter.size).toBeLessThanOrEqual(4);
    expect(limiter.take('flooder', T0 + 7_200_000).verdict).toBe('drop');
  });

  it('keeps a flooding peer\'s count of refusals, however many new node-ids come', () => {
    const limiter = new PeerRateLimiter({ maxBuckets: 4 });
    drain(limiter, 'flooder', T0);
    for (let i = 0; i < RATE_LIMIT_FLOOD_MAX_DENIALS; i++) expect(limiter.take('flooder', T0).verdict).toBe('slow');
    // A token's time later the flooder could take one message again; it is still in its flood.
    for (let i = 0; i < 1_000; i++) limiter.take(`sybil${i}`, T0 + TOKEN_MS);
    expect(limiter.take('flooder', T0 + TOKEN_MS).verdict).toBe('allowed');
    expect(limiter.take('flooder', T0 + TOKEN_MS).verdict).toBe('drop');
  });

  it('slows a new node-id while every node-id held is limited, until one calms down', () => {
    const limiter = new PeerRateLimiter({ maxBuckets: 2 });
    drain(limiter, 'a', T0);
    drain(limiter, 'b', T0);
    expect(limiter.take('c', T0)).toEqual({ verdict: 'slow', waitMs: TOKEN_MS });
    expect(limiter.take('c', T0 + TOKEN_MS).verdict).toBe('allowed');
    expect(limiter.size).toBe(2);
  });
});
