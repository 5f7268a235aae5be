import { describe, expect, it } from 'vitest';
import { IndexedHeap } from './indexed-heap.js';

/** A small deterministic generator (the test must replay exactly). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('an indexed heap', () => {
  it('keeps the lowest (min) or highest (max) score on top through sets, changes and deletes', () => {
    for (const order of ['min', 'max'] as const) {
      const heap = new IndexedHeap<string>(order);
      const model = new Map<string, number>();
      const random = lcg(order === 'min' ? 7 : 11);
      for (let step = 0; step < 5_000; step++) {
        const key = `k${Math.floor(random() * 200)}`;
        if (random() < 0.3) {
          expect(heap.delete(key)).toBe(model.delete(key));
        } else {
          const score = Math.floor(random() * 1_000);
          heap.set(key, score);
          model.set(key, score);
        }
        expect(heap.size).toBe(model.size);
        if (model.size > 0) {
          const best = order === 'min' ? Math.min(...model.values()) : Math.max(...model.values());
          expect(heap.peekScore()).toBe(best);
          expect(model.get(heap.peek()!)).toBe(best);
        } else {
          expect(heap.peek()).toBeUndefined();
        }
      }
    }
  });

  it('answers the score of a key it holds', () => {
    const heap = new IndexedHeap<number>('min');
    heap.set(1, 10);
    heap.set(1, 5);
    expect(heap.score(1)).toBe(5);
    expect(heap.has(2)).toBe(false);
    expect(heap.score(2)).toBeUndefined();
  });
});
