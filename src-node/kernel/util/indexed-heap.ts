// A binary heap of keys by a numeric score that can change: set, delete and the top in O(log n),
// O(1) to peek. `order: 'min'` keeps the lowest score on top, `'max'` the highest. Ties keep no
// particular order.

export class IndexedHeap<K> {
  private readonly keys: K[] = [];
  private readonly scores: number[] = [];
  private readonly index = new Map<K, number>();
  private readonly sign: number;

  constructor(order: 'min' | 'max') {
    this.sign = order === 'min' ? 1 : -1;
  }

  get size(): number {
    return this.keys.length;
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  score(key: K): number | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.scores[i];
  }

  /** The key on top, or undefined when empty. */
  peek(): K | undefined {
    return this.keys[0];
  }

  peekScore(): number | undefined {
    return this.scores[0];
  }

  /** Adds `key` or changes its score. */
  set(key: K, score: number): void {
    const at = this.index.get(key);
    if (at === undefined) {
      this.keys.push(key);
      this.scores.push(score);
      this.index.set(key, this.keys.length - 1);
      this.up(this.keys.length - 1);
      return;
    }
    const before = this.scores[at]!;
    this.scores[at] = score;
    if (this.before(score, before)) this.up(at);
    else this.down(at);
  }

  delete(key: K): boolean {
    const at = this.index.get(key);
    if (at === undefined) return false;
    const last = this.keys.length - 1;
    this.swap(at, last);
    this.keys.pop();
    this.scores.pop();
    this.index.delete(key);
    if (at < this.keys.length) {
      this.up(at);
      this.down(at);
    }
    return true;
  }

  private before(a: number, b: number): boolean {
    return this.sign * a < this.sign * b;
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    const ki = this.keys[i]!;
    const kj = this.keys[j]!;
    this.keys[i] = kj;
    this.keys[j] = ki;
    const si = this.scores[i]!;
    this.scores[i] = this.scores[j]!;
    this.scores[j] = si;
    this.index.set(kj, i);
    this.index.set(ki, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(this.scores[i]!, this.scores[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < n && this.before(this.scores[left]!, this.scores[best]!)) best = left;
      if (right < n && this.before(this.scores[right]!, this.scores[best]!)) best = right;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
