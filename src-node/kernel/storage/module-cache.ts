// Workload modules on disk, addressed by hash: <dataDir>/vnode-modules/<hex>.wasm. Every read
// hashes the file again; a file that no longer matches its name is removed and reported (the
// orchestrator ships it again). Writes are atomic. The cache is bounded: past MODULE_CACHE_MAX_BYTES
// the least recently used modules go.
import { createHash } from 'node:crypto';
import { readFile, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { type Result, fail, ok } from '../../../src-shared/protocol/errors.js';
import { type ContentHash, contentHashHex, isContentHash } from '../../../src-shared/vnode/content-hash.js';
import { MAX_MODULE_BYTES } from '../../../src-shared/vnode/limits.js';
import { writeFileAtomic } from './atomic-file.js';

export const MODULE_CACHE_DIR = 'vnode-modules';
export const MODULE_CACHE_MAX_BYTES = 256 * 1024 * 1024;
const FILE_PATTERN = /^([0-9a-f]{64})\.wasm$/;

/** SHA-256 of bytes in the `sha256:<hex>` form, with node:crypto (the hot path). */
export function hashBytes(bytes: Uint8Array): ContentHash {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface CachedModule {
  readonly hash: ContentHash;
  readonly size: number;
  readonly usedAt: number;
}

export class ModuleCache {
  readonly dir: string;
  private readonly maxBytes: number;

  constructor(dataDir: string, options: { maxBytes?: number } = {}) {
    this.dir = join(dataDir, MODULE_CACHE_DIR);
    this.maxBytes = options.maxBytes ?? MODULE_CACHE_MAX_BYTES;
  }

  pathOf(hash: ContentHash): string {
    return join(this.dir, `${contentHashHex(hash)}.wasm`);
  }

  /** Stores a module under its hash; with `expected`, refuses bytes that hash to anything else. */
  async put(bytes: Uint8Array, expected?: ContentHash): Promise<Result<ContentHash>> {
    if (bytes.length > MAX_MODULE_BYTES) return fail('E_PROTO_INVALID', `module is ${bytes.length} bytes, over MAX_MODULE_BYTES (${MAX_MODULE_BYTES})`);
    const hash = hashBytes(bytes);
    if (expected !== undefined && hash !== expected) return fail('E_PROTO_INVALID', `module bytes hash to ${hash}, not ${expected}`);
    await writeFileAtomic(this.pathOf(hash), bytes);
    await this.evict(hash);
    return ok(hash);
  }

  /**
   * The module's bytes, checked against the hash; null when it is not cached. A file that does
   * not match is removed and reported as an error.
   */
  async get(hash: ContentHash): Promise<Result<Uint8Array> | null> {
    if (!isContentHash(hash)) return fail('E_PROTO_INVALID', `not a module hash: ${String(hash)}`);
    const path = this.pathOf(hash);
    let bytes: Uint8Array;
    try {
      const buffer = await readFile(path);
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const actual = hashBytes(bytes);
    if (actual !== hash) {
      await rm(path, { force: true });
      return fail('E_PROTO_INVALID', `cached module ${hash} hashes to ${actual}; the file was removed`);
    }
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return ok(bytes);
  }

  /** Whether a file for the hash exists (not verified: get() verifies). */
  async has(hash: ContentHash): Promise<boolean> {
    try {
      await stat(this.pathOf(hash));
      return true;
    } catch {
      return false;
    }
  }

  async remove(hash: ContentHash): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }

  async list(): Promise<CachedModule[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: CachedModule[] = [];
    for (const name of names) {
      const match = FILE_PATTERN.exec(name);
      if (!match) continue;
      try {
        const info = await stat(join(this.dir, name));
        out.push({ hash: `sha256:${match[1]!}`, size: info.size, usedAt: info.mtimeMs });
      } catch {
        // Removed meanwhile.
      }
    }
    return out;
  }

  /** Removes the least recently used modules until the cache fits, keeping `keep`. */
  private async evict(keep: ContentHash): Promise<void> {
    const modules = await this.list();
    let total = modules.reduce((sum, m) => sum + m.size, 0);
    if (total <= this.maxBytes) return;
    modules.sort((a, b) => a.usedAt - b.usedAt);
    for (const module of modules) {
      if (total <= this.maxBytes) break;
      if (module.hash === keep) continue;
      await this.remove(module.hash);
      total -= module.size;
    }
  }
}
