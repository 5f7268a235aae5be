// Slots held per source, with a cap per source and a cap in all (issue 15 §2). Pure bookkeeping:
// the listeners decide what an item is (a socket, a session) and what eviction means (closing it).
//
// Admission of an item from `key`:
// - the source is at its own cap: refused ('address'), or, when the table allows it
//   (`evictAtAddressCap`), the source's own longest-idle item makes room: a flood from one address
//   then churns only its own connections, and an honest client sharing that address (the loopback
//   control server's only address, a NAT) still gets a turn;
// - the table is full: the longest-idle item of the source holding the most items makes room, so a
//   newcomer from a quiet address always gets in while one address (or a few) holds the rest;
//   refused ('total') when no item anywhere is idle.
// Only idle items are ever evicted: ones the owner marked busy (a request being served) are not.

export interface SlotLimits {
  /** Items in all. */
  readonly total: number;
  /** Items per source key. */
  readonly perAddress: number;
  /** At a source's cap, evict its own longest-idle item instead of refusing (default false). */
  readonly evictAtAddressCap?: boolean;
  /** When full, evict the heaviest source's longest-idle item instead of refusing (default true). */
  readonly evictAtTotalCap?: boolean;
}

export type Admission<T> =
  | { readonly admitted: true; readonly evicted: T | undefined }
  | { readonly admitted: false; readonly reason: 'address' | 'total' };

interface Held {
  readonly key: string;
  busy: boolean;
}

export class SlotTable<T> {
  private readonly held = new Map<T, Held>();
  /** Every item of a key, in admission order. */
  private readonly byKey = new Map<string, Set<T>>();
  /** The idle items of a key, longest idle first. */
  private readonly idleByKey = new Map<string, Set<T>>();

  constructor(readonly limits: SlotLimits) {
    if (!(limits.total >= 1) || !(limits.perAddress >= 1)) throw new RangeError('a slot table needs room for at least one item in all and per address');
  }

  get size(): number {
    return this.held.size;
  }

  /** Items held by `key`. */
  count(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }

  /** Source keys holding at least one item. */
  get sources(): number {
    return this.byKey.size;
  }

  has(item: T): boolean {
    return this.held.has(item);
  }

  /** Whether an item from `key` would get a slot without evicting anything. */
  hasRoomFor(key: string): boolean {
    return this.count(key) < this.limits.perAddress && this.held.size < this.limits.total;
  }

  /**
   * Takes a slot for `item` (idle at first). When an item had to make room it is returned as
   * `evicted`, already released: the caller closes it.
   */
  admit(key: string, item: T): Admission<T> {
    if (this.held.has(item)) return { admitted: true, evicted: undefined };
    let evicted: T | undefined;
    if (this.count(key) >= this.limits.perAddress) {
      if (!this.limits.evictAtAddressCap) return { admitted: false, reason: 'address' };
      evicted = this.longestIdle(key);
      if (evicted === undefined) return { admitted: false, reason: 'address' };
      this.release(evicted);
    } else if (this.held.size >= this.limits.total) {
      if (this.limits.evictAtTotalCap === false) return { admitted: false, reason: 'total' };
      const victimKey = this.heaviestWithIdle();
      evicted = victimKey === undefined ? undefined : this.longestIdle(victimKey);
      if (evicted === undefined) return { admitted: false, reason: 'total' };
      this.release(evicted);
    }
    this.held.set(item, { key, busy: false });
    setOf(this.byKey, key).add(item);
    setOf(this.idleByKey, key).add(item);
    return { admitted: true, evicted };
  }

  /** The owner is working for this item (not evictable) or done with it for now (evictable again, as the youngest idle one). */
  setBusy(item: T, busy: boolean): void {
    const entry = this.held.get(item);
    if (!entry || entry.busy === busy) return;
    entry.busy = busy;
    if (busy) removeFrom(this.idleByKey, entry.key, item);
    else setOf(this.idleByKey, entry.key).add(item);
  }

  /** Gives the slot back (idempotent). */
  release(item: T): boolean {
    const entry = this.held.get(item);
    if (!entry) return false;
    this.held.delete(item);
    removeFrom(this.byKey, entry.key, item);
    removeFrom(this.idleByKey, entry.key, item);
    return true;
  }

  private longestIdle(key: string): T | undefined {
    const idle = this.idleByKey.get(key);
    return idle ? idle.values().next().value : undefined;
  }

  /** The key holding the most items among those with an idle one (bounded: at most `total` keys). */
  private heaviestWithIdle(): string | undefined {
    let best: string | undefined;
    let bestCount = 0;
    for (const key of this.idleByKey.keys()) {
      const n = this.count(key);
      if (n > bestCount) {
        best = key;
        bestCount = n;
      }
    }
    return best;
  }
}

function setOf<T>(map: Map<string, Set<T>>, key: string): Set<T> {
  let set = map.get(key);
  if (!set) {
    set = new Set<T>();
    map.set(key, set);
  }
  return set;
}

function removeFrom<T>(map: Map<string, Set<T>>, key: string, item: T): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(item);
  if (set.size === 0) map.delete(key);
}
