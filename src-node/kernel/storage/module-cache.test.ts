import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentHash } from '../../../src-shared/vnode/content-hash.js';
import { MAX_MODULE_BYTES } from '../../../src-shared/vnode/limits.js';
import { MODULE_CACHE_DIR, ModuleCache, hashBytes } from './module-cache.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-modules-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const bytesOf = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('ModuleCache', () => {
  it('stores modules under <dataDir>/vnode-modules/<hex>.wasm and reads them back verified', async () => {
    const dir = dataDir();
    const cache = new ModuleCache(dir);
    const bytes = bytesOf(100);
    const put = await cache.put(bytes);
    expect(put).toEqual({ ok: true, value: contentHash(bytes) });
    expect(hashBytes(bytes)).toBe(contentHash(bytes));
    expect(await readdir(join(dir, MODULE_CACHE_DIR))).toEqual([`${contentHash(bytes).slice(7)}.wasm`]);
    expect(await cache.get(contentHash(bytes))).toEqual({ ok: true, value: bytes });
    expect(await cache.has(contentHash(bytes))).toBe(true);
    expect(await cache.get(contentHash(bytesOf(3)))).toBeNull();
  });

  it('refuses bytes that do not match the hash they were announced with', async () => {
    const cache = new ModuleCache(dataDir());
    const put = await cache.put(bytesOf(10), contentHash(bytesOf(11)));
    expect(put.ok).toBe(false);
    if (!put.ok) expect(put.error.detail).toMatch(/hash to sha256:[0-9a-f]{64}, not sha256:/);
    expect(await cache.list()).toEqual([]);
  });

  it('rejects a file whose bytes no longer match its name, and removes it', async () => {
    const cache = new ModuleCache(dataDir());
    const bytes = bytesOf(64);
    await cache.put(bytes);
    await writeFile(cache.pathOf(contentHash(bytes)), bytesOf(64, 2));
    const read = await cache.get(contentHash(bytes));
    expect(read?.ok).toBe(false);
    if (read && !read.ok) expect(read.error.detail).toMatch(/hashes to .*; the file was removed/);
    expect(await cache.has(contentHash(bytes))).toBe(false);
  });

  it('refuses modules over the size bound and malformed hashes', async () => {
    const cache = new ModuleCache(dataDir());
    expect((await cache.put(new Uint8Array(MAX_MODULE_BYTES + 1))).ok).toBe(false);
    expect((await cache.get('sha256:../../etc/passwd' as `sha256:${string}`))?.ok).toBe(false);
  });

  it('evicts the least recently used modules past its size bound', async () => {
    const cache = new ModuleCache(dataDir(), { maxBytes: 250 });
    const [a, b, c] = [bytesOf(100, 1), bytesOf(100, 2), bytesOf(100, 3)];
    await cache.put(a);
    await cache.put(b);
    await utimes(cache.pathOf(contentHash(a)), new Date(1_000_000), new Date(1_000_000));
    await utimes(cache.pathOf(contentHash(b)), new Date(2_000_000), new Date(2_000_000));
    await cache.get(contentHash(a)); // a is used now: b is the oldest
    await cache.put(c);
    expect((await cache.list()).map((m) => m.hash).sort()).toEqual([contentHash(a), contentHash(c)].sort());
  });
});
