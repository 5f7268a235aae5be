// Blobs being shipped to PNodes (issue 13 §1: modules and input files alike), cut into their
// chunks once and kept while they are wanted: least recently used first out, at most
// CHUNK_CACHE_BYTES in all. A miss is read from the blob store by the caller.
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { type ModuleChunkWire, splitModule } from '../../../../src-shared/vnode/module-chunks.js';

export const CHUNK_CACHE_BYTES = 64 * 1024 * 1024;

export interface CachedBlob {
  readonly hash: ContentHash;
  readonly size: number;
  readonly chunks: readonly ModuleChunkWire[];
}

export class ChunkCache {
  private readonly blobs = new Map<ContentHash, CachedBlob>();
  private bytes = 0;

  constructor(private readonly maxBytes: number = CHUNK_CACHE_BYTES) {}

  get(hash: ContentHash): CachedBlob | undefined {
    const found = this.blobs.get(hash);
    if (found) {
      this.blobs.delete(hash);
      this.blobs.set(hash, found);
    }
    return found;
  }

  /** Keeps the bytes (already checked against their hash) as chunks. */
  add(hash: ContentHash, bytes: Uint8Array): CachedBlob {
    const known = this.get(hash);
    if (known) return known;
    const blob: CachedBlob = { hash, size: bytes.length, chunks: splitModule(bytes, hash) };
    this.blobs.set(hash, blob);
    this.bytes += bytes.length;
    for (const [oldest, old] of this.blobs) {
      if (this.bytes <= this.maxBytes || oldest === hash) break;
      this.blobs.delete(oldest);
      this.bytes -= old.size;
    }
    return blob;
  }

  drop(hash: ContentHash): void {
    const found = this.blobs.get(hash);
    if (!found) return;
    this.blobs.delete(hash);
    this.bytes -= found.size;
  }

  get size(): number {
    return this.blobs.size;
  }
}
