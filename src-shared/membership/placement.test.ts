import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  UNMEASURED_MAX_CORES,
  UNMEASURED_MAX_MEMORY_MB,
  UNTRUSTED_MAX_VNODE_CORES,
  UNTRUSTED_MAX_VNODE_MEMORY_MB,
  cappedCapacity,
  choosePNode,
  maxVNodeSize,
  misfit,
  rankCandidates,
  type PlacementCandidate,
} from './placement.js';
import { MAX_VNODES_PER_PNODE } from './membership-profile.js';

function candidate(nodeId: string, change: Partial<PlacementCandidate> = {}): PlacementCandidate {
  return {
    nodeId,
    trust: 'untrusted',
    score: 50,
    loadPermille: 100,
    offer: { cores: 4, memoryMb: 8_192 },
    measured: { logicalCores: 8, totalMemoryMb: 16_384, availableMemoryMb: 12_000 },
    used: { cores: 0, memoryMb: 0, vnodes: 0 },
    ...change,
  };
}

describe('capacity: the offer, capped by what the measurements support', () => {
  it('keeps an honest offer', () => {
    expect(cappedCapacity({ cores: 4, memoryMb: 8_192 }, { logicalCores: 8, totalMemoryMb: 16_384, availableMemoryMb: 12_000 }, 'untrusted')).toEqual({ cores: 4, memoryMb: 8_192, capped: { cores: false, memory: false } });
  });

  it('caps cores above the logical cores and memory above the total or the available memory measured', () => {
    expect(cappedCapacity({ cores: 64, memoryMb: 8_192 }, { logicalCores: 8, totalMemoryMb: 16_384, availableMemoryMb: 12_000 }, 'untrusted')).toMatchObject({ cores: 8, capped: { cores: true } });
    expect(cappedCapacity({ cores: 4, memoryMb: 1_000_000 }, { logicalCores: 8, totalMemoryMb: 16_384, availableMemoryMb: null }, 'untrusted')).toMatchObject({ memoryMb: 16_384, capped: { memory: true } });
    expect(cappedCapacity({ cores: 4, memoryMb: 16_000 }, { logicalCores: 8, totalMemoryMb: 16_384, availableMemoryMb: 3_000 }, 'trusted')).toMatchObject({ memoryMb: 3_000, capped: { memory: true } });
  });

  it('caps a claim no measurement supports hard for an untrusted PNode, not for a trusted one', () => {
    const unknown = { logicalCores: null, totalMemoryMb: null, availableMemoryMb: null };
    expect(cappedCapacity({ cores: 32, memoryMb: 64_000 }, unknown, 'untrusted')).toMatchObject({ cores: UNMEASURED_MAX_CORES, memoryMb: UNMEASURED_MAX_MEMORY_MB });
    expect(cappedCapacity({ cores: 32, memoryMb: 64_000 }, unknown, 'trusted')).toMatchObject({ cores: 32, memoryMb: 64_000 });
  });

  it('gives untrusted PNodes smaller allocations', () => {
    const capacity = { cores: 16, memoryMb: 32_000 };
    expect(maxVNodeSize(capacity, 'untrusted')).toEqual({ cores: UNTRUSTED_MAX_VNODE_CORES, memoryMb: UNTRUSTED_MAX_VNODE_MEMORY_MB });
    expect(maxVNodeSize(capacity, 'trusted')).toEqual(capacity);
    expect(misfit(candidate('a', { offer: { cores: 16, memoryMb: 8_192 }, measured: { logicalCores: 16, totalMemoryMb: 16_384, availableMemoryMb: null } }), { cores: 4, memoryMb: 512 })).toMatch(/largest VNode/);
    expect(misfit(candidate('a', { trust: 'trusted', offer: { cores: 16, memoryMb: 8_192 }, measured: { logicalCores: 16, totalMemoryMb: 16_384, availableMemoryMb: null } }), { cores: 4, memoryMb: 512 })).toBeNull();
  });
});

describe('placement', () => {
  it('never exceeds what a PNode offers, whatever is already on it (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ cores: fc.integer({ min: 0, max: 64 }), memoryMb: fc.integer({ min: 0, max: 100_000 }) }),
        fc.record({ logicalCores: fc.option(fc.integer({ min: 1, max: 128 })), totalMemoryMb: fc.option(fc.integer({ min: 1, max: 200_000 })), availableMemoryMb: fc.option(fc.integer({ min: 0, max: 200_000 })) }),
        fc.record({ cores: fc.integer({ min: 0, max: 64 }), memoryMb: fc.integer({ min: 0, max: 100_000 }), vnodes: fc.integer({ min: 0, max: MAX_VNODES_PER_PNODE }) }),
        fc.record({ cores: fc.integer({ min: 1, max: 16 }), memoryMb: fc.integer({ min: 1, max: 20_000 }) }),
        fc.constantFrom('trusted' as const, 'untrusted' as const),
        (offer, measured, used, request, trust) => {
          const c = candidate('a', { offer, measured, used, trust });
          if (misfit(c, request) !== null) return;
          expect(used.cores + request.cores).toBeLessThanOrEqual(offer.cores);
          expect(used.memoryMb + request.memoryMb).toBeLessThanOrEqual(offer.memoryMb);
          if (measured.logicalCores !== null) expect(used.cores + request.cores).toBeLessThanOrEqual(measured.logicalCores);
          if (measured.totalMemoryMb !== null) expect(used.memoryMb + request.memoryMb).toBeLessThanOrEqual(measured.totalMemoryMb);
          expect(used.vnodes).toBeLessThan(MAX_VNODES_PER_PNODE);
          if (trust === 'untrusted') expect(request.cores).toBeLessThanOrEqual(UNTRUSTED_MAX_VNODE_CORES);
        },
      ),
    );
  });

  it('skips PNodes that are full', () => {
    const full = candidate('a', { used: { cores: 4, memoryMb: 0, vnodes: 4 } });
    const busyMemory = candidate('b', { used: { cores: 0, memoryMb: 8_000, vnodes: 1 } });
    expect(choosePNode([full, busyMemory], { cores: 1, memoryMb: 512 })).toBeNull();
    expect(choosePNode([full, busyMemory], { cores: 1, memoryMb: 100 })).toBe('b');
  });

  it('prefers trusted PNodes, then a higher peer score, then a lower load', () => {
    const low = candidate('low', { score: 40 });
    const high = candidate('high', { score: 80 });
    const trusted = candidate('trusted', { score: 30, trust: 'trusted' });
    const idle = candidate('idle', { score: 80, loadPermille: 5 });
    expect(choosePNode([low, high], { cores: 1, memoryMb: 64 })).toBe('high');
    expect(choosePNode([low, high, trusted], { cores: 1, memoryMb: 64 })).toBe('trusted');
    expect(choosePNode([low, high, idle], { cores: 1, memoryMb: 64 })).toBe('idle');
    expect(rankCandidates([low, high, trusted, idle], { cores: 1, memoryMb: 64 }).map((c) => c.nodeId)).toEqual(['trusted', 'idle', 'high', 'low']);
  });

  it('chooses the same PNode as the full ranking (the one-pass choice agrees with the sort)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ score: fc.integer({ min: 0, max: 100 }), load: fc.option(fc.integer({ min: 0, max: 1000 })), trusted: fc.boolean(), usedCores: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 12 }),
        (rows) => {
          const candidates = rows.map((r, i) => candidate(`n${i}`, { score: r.score, loadPermille: r.load, trust: r.trusted ? 'trusted' : 'untrusted', used: { cores: r.usedCores, memoryMb: 0, vnodes: r.usedCores } }));
          expect(choosePNode(candidates, { cores: 1, memoryMb: 64 })).toBe(rankCandidates(candidates, { cores: 1, memoryMb: 64 })[0]?.nodeId ?? null);
        },
      ),
    );
  });

  it('refuses an empty reservation', () => {
    expect(misfit(candidate('a'), { cores: 0, memoryMb: 1 })).toMatch(/at least one core/);
  });
});
