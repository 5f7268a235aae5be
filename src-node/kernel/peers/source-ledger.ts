// Who holds how much of the peer store's "new" table (issue 15 §1): every peer the node has not
// reached itself is charged to the first source that brought it (provenance.ts), inside that
// source's group. When the store is full, a newcomer gets in only at the cost of the heaviest
// group — within it, of the heaviest source — and only while that group (or source) holds more
// than the newcomer's own would with the newcomer in. So a flood from one directory, one peer or
// one address prefix loses its own entries first, its own newcomers are refused (its group is the
// heaviest), and whoever else brings a peer still gets room. The idea is Bitcoin's address manager
// (new entries bucketed by the group they came from, tried entries kept apart), in our words: no
// buckets, an exact count per group and per source.
//
// Pure bookkeeping: the store calls charge/release as peers come, go or become tried, and asks
// loserFor() when full. Bounded by the store: one entry per peer it holds.
import { IndexedHeap } from '../util/indexed-heap.js';
import type { SourceRef } from './provenance.js';

export class SourceLedger {
  /** group → source key → charged node-ids (insertion order: oldest first). */
  private readonly groups = new Map<string, Map<string, Set<string>>>();
  private readonly groupSizes = new IndexedHeap<string>('max');
  private readonly keySizes = new Map<string, number>();
  private readonly owners = new Map<string, SourceRef>();

  /** Peers charged in all. */
  get size(): number {
    return this.owners.size;
  }

  ownerOf(nodeId: string): SourceRef | undefined {
    return this.owners.get(nodeId);
  }

  /** Peers charged to `key` (across the groups it spoke from). */
  countOfKey(key: string): number {
    return this.keySizes.get(key) ?? 0;
  }

  countOfGroup(group: string): number {
    return this.groupSizes.score(group) ?? 0;
  }

  /** The node-ids charged to `key` in `group`, oldest first. */
  chargedTo(ref: SourceRef): ReadonlySet<string> {
    return this.groups.get(ref.group)?.get(ref.key) ?? new Set();
  }

  /** Charges `nodeId` to `owner` (moving it if it was charged elsewhere). */
  charge(nodeId: string, owner: SourceRef): void {
    const held = this.owners.get(nodeId);
    if (held && held.key === owner.key && held.group === owner.group) return;
    if (held) this.release(nodeId);
    let byKey = this.groups.get(owner.group);
    if (!byKey) {
      byKey = new Map();
      this.groups.set(owner.group, byKey);
    }
    let ids = byKey.get(owner.key);
    if (!ids) {
      ids = new Set();
      byKey.set(owner.key, ids);
    }
    ids.add(nodeId);
    this.owners.set(nodeId, owner);
    this.keySizes.set(owner.key, (this.keySizes.get(owner.key) ?? 0) + 1);
    this.groupSizes.set(owner.group, this.countOfGroup(owner.group) + 1);
  }

  /** No longer charged (gone, tried, or configured). */
  release(nodeId: string): void {
    const owner = this.owners.get(nodeId);
    if (!owner) return;
    this.owners.delete(nodeId);
    const byKey = this.groups.get(owner.group)!;
    const ids = byKey.get(owner.key)!;
    ids.delete(nodeId);
    if (ids.size === 0) byKey.delete(owner.key);
    const keyLeft = (this.keySizes.get(owner.key) ?? 1) - 1;
    if (keyLeft > 0) this.keySizes.set(owner.key, keyLeft);
    else this.keySizes.delete(owner.key);
    if (byKey.size === 0) {
      this.groups.delete(owner.group);
      this.groupSizes.delete(owner.group);
    } else {
      this.groupSizes.set(owner.group, this.countOfGroup(owner.group) - 1);
    }
  }

  /**
   * The peers one of which makes room for a newcomer from `ref` (the heaviest group's heaviest
   * source), or undefined when the newcomer's own group or source is the one that should lose.
   */
  loserFor(ref: SourceRef): ReadonlySet<string> | undefined {
    const heaviest = this.groupSizes.peek();
    if (heaviest === undefined) return undefined;
    const byKey = this.groups.get(heaviest)!;
    if (heaviest !== ref.group) {
      if (this.groupSizes.peekScore()! <= this.countOfGroup(ref.group) + 1) return undefined;
      return heaviestSource(byKey)?.ids;
    }
    const top = heaviestSource(byKey);
    const mine = byKey.get(ref.key)?.size ?? 0;
    if (!top || top.key === ref.key || top.ids.size <= mine + 1) return undefined;
    return top.ids;
  }
}

function heaviestSource(byKey: Map<string, Set<string>>): { key: string; ids: Set<string> } | undefined {
  let best: { key: string; ids: Set<string> } | undefined;
  for (const [key, ids] of byKey) if (!best || ids.size > best.ids.size) best = { key, ids };
  return best;
}
