// Who loses a row when the seed directory is full (issue 15 §3). Each row is charged, in bytes, to
// the source that PUT it: its publisher (the client's address key: an IPv4 address or an IPv6 /64)
// inside its neighbourhood (an IPv4 /24 or an IPv6 /48; kernel/transport/address-key.ts). A
// newcomer gets in at the cost of the neighbourhood holding the most bytes — within it, of the
// publisher holding the most, and of that publisher's oldest row — as long as that neighbourhood
// (or publisher) is heavier than the newcomer's own would be with the newcomer in. So one address,
// or one /24 of them, flooding the directory with thousands of identities loses its rows first and
// an honest newcomer gets in; the flood's own newcomers are refused, since their neighbourhood is
// the heaviest. Rows without a source (the directory's own advertisement) are never chosen.
//
// Pure bookkeeping: the store calls add/remove as rows come and go, and asks victim() when full.
import { IndexedHeap } from '../../kernel/util/indexed-heap.js';
import { addressKey, prefixKey } from '../../kernel/transport/address-key.js';

export interface EntrySource {
  /** The client's remote address as seen on the socket (kept in the log). */
  readonly address: string;
  readonly publisher: string;
  readonly prefix: string;
}

/** The source of a row PUT from `address`. */
export function sourceOf(address: string): EntrySource {
  return { address, publisher: addressKey(address), prefix: prefixKey(address) };
}

interface PublisherHold {
  bytes: number;
  /** Its rows' node-ids, oldest first. */
  readonly nodeIds: Set<string>;
}

export class DirectoryFairness {
  private readonly prefixBytes = new IndexedHeap<string>('max');
  private readonly publishers = new Map<string, Map<string, PublisherHold>>();

  /** Bytes charged to `source`'s neighbourhood and to its publisher. */
  charged(source: EntrySource): { prefix: number; publisher: number } {
    return { prefix: this.prefixBytes.score(source.prefix) ?? 0, publisher: this.publishers.get(source.prefix)?.get(source.publisher)?.bytes ?? 0 };
  }

  /** Neighbourhoods holding at least one row. */
  get neighbourhoods(): number {
    return this.prefixBytes.size;
  }

  add(nodeId: string, source: EntrySource, bytes: number): void {
    let byPublisher = this.publishers.get(source.prefix);
    if (!byPublisher) {
      byPublisher = new Map();
      this.publishers.set(source.prefix, byPublisher);
    }
    let hold = byPublisher.get(source.publisher);
    if (!hold) {
      hold = { bytes: 0, nodeIds: new Set() };
      byPublisher.set(source.publisher, hold);
    }
    hold.bytes += bytes;
    hold.nodeIds.add(nodeId);
    this.prefixBytes.set(source.prefix, (this.prefixBytes.score(source.prefix) ?? 0) + bytes);
  }

  remove(nodeId: string, source: EntrySource, bytes: number): void {
    const byPublisher = this.publishers.get(source.prefix);
    const hold = byPublisher?.get(source.publisher);
    if (!byPublisher || !hold || !hold.nodeIds.delete(nodeId)) return;
    hold.bytes -= bytes;
    if (hold.nodeIds.size === 0) byPublisher.delete(source.publisher);
    if (byPublisher.size === 0) {
      this.publishers.delete(source.prefix);
      this.prefixBytes.delete(source.prefix);
    } else {
      this.prefixBytes.set(source.prefix, (this.prefixBytes.score(source.prefix) ?? 0) - bytes);
    }
  }

  /**
   * The node-id whose row makes room for a newcomer of `bytes` from `source` (see the head of this
   * file), or undefined when the newcomer's own neighbourhood or publisher is the one that should
   * lose. With no source, the heaviest neighbourhood's heaviest publisher's oldest row (making room
   * at load, after the limits went down).
   */
  victim(source: EntrySource | undefined, bytes: number): string | undefined {
    const heaviest = this.prefixBytes.peek();
    if (heaviest === undefined) return undefined;
    const byPublisher = this.publishers.get(heaviest)!;
    if (source === undefined) return oldestOf(heaviestPublisher(byPublisher));
    const mine = this.charged(source);
    if (source.prefix !== heaviest) {
      if (this.prefixBytes.peekScore()! <= mine.prefix + bytes) return undefined;
      return oldestOf(heaviestPublisher(byPublisher));
    }
    const publisher = heaviestPublisher(byPublisher);
    if (!publisher || publisher.key === source.publisher || publisher.hold.bytes <= mine.publisher + bytes) return undefined;
    return oldestOf(publisher);
  }
}

function heaviestPublisher(byPublisher: Map<string, PublisherHold>): { key: string; hold: PublisherHold } | undefined {
  let best: { key: string; hold: PublisherHold } | undefined;
  for (const [key, hold] of byPublisher) if (!best || hold.bytes > best.hold.bytes) best = { key, hold };
  return best;
}

function oldestOf(publisher: { hold: PublisherHold } | undefined): string | undefined {
  return publisher?.hold.nodeIds.values().next().value;
}
