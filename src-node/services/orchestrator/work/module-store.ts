// The modules an orchestrator ships (issue 7 §1): kept by hash with their chunks cut once, counted
// by the open jobs that use them. A module no open job uses stays until room is needed for
// another (PNodes that fetch late still find it); the store holds at most MAX_MODULE_STORE_BYTES.
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { MAX_MODULE_BYTES } from '../../../../src-shared/vnode/limits.js';
import { type ModuleChunkWire, splitModule } from '../../../../src-shared/vnode/module-chunks.js';
import { hashBytes } from '../../../kernel/storage/module-cache.js';
import { MAX_MODULE_STORE_BYTES } from './work-profile.js';

export interface StoredModule {
  readonly hash: ContentHash;
  readonly size: number;
  readonly chunks: readonly ModuleChunkWire[];
  /** Open jobs using it. */
  users: number;
  addedAt: number;
}

export class ModuleStore {
  private readonly modules = new Map<ContentHash, StoredModule>();
  private bytes = 0;

  constructor(private readonly maxBytes: number = MAX_MODULE_STORE_BYTES) {}

  get size(): number {
    return this.modules.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Keeps a module (or finds it kept already); throws when it is too large or the store is full of modules in use. */
  add(bytes: Uint8Array, now = Date.now()): StoredModule {
    if (bytes.length > MAX_MODULE_BYTES) throw new Error(`a module holds at most ${MAX_MODULE_BYTES} bytes; this one has ${bytes.length}`);
    const hash = hashBytes(bytes);
    const existing = this.modules.get(hash);
    if (existing) return existing;
    this.makeRoom(bytes.length);
    const stored: StoredModule = { hash, size: bytes.length, chunks: splitModule(bytes, hash), users: 0, addedAt: now };
    this.modules.set(hash, stored);
    this.bytes += bytes.length;
    return stored;
  }

  get(hash: ContentHash): StoredModule | undefined {
    return this.modules.get(hash);
  }

  use(hash: ContentHash): void {
    const stored = this.modules.get(hash);
    if (stored) stored.users++;
  }

  unuse(hash: ContentHash): void {
    const stored = this.modules.get(hash);
    if (stored && stored.users > 0) stored.users--;
  }

  /** Drops unused modules, oldest first, until `incoming` more bytes fit. */
  private makeRoom(incoming: number): void {
    if (this.bytes + incoming <= this.maxBytes) return;
    const unused = [...this.modules.values()].filter((m) => m.users === 0).sort((a, b) => a.addedAt - b.addedAt);
    for (const module of unused) {
      if (this.bytes + incoming <= this.maxBytes) break;
      this.modules.delete(module.hash);
      this.bytes -= module.size;
    }
    if (this.bytes + incoming > this.maxBytes) throw new Error(`the module store is full (${this.bytes} of ${this.maxBytes} bytes, all in use)`);
  }
}
