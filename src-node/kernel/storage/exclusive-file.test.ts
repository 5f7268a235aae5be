import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileExistsError, createFileAtomic } from './exclusive-file.js';
import { STALE_TEMP_MAX_AGE_MS, removeStaleTempFiles } from './temp-sweep.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pnode-exclusive-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createFileAtomic', () => {
  it('creates a file (and its folders) with the mode asked for, leaving no temp file', async () => {
    const path = join(dir, 'a', 'b', 'secret.json');
    await createFileAtomic(path, '{"x":1}\n', { mode: 0o600 });
    expect(await readFile(path, 'utf8')).toBe('{"x":1}\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['secret.json']);
  });

  it('never replaces an existing file', async () => {
    const path = join(dir, 'keep.json');
    await writeFile(path, 'original');
    await expect(createFileAtomic(path, 'new')).rejects.toBeInstanceOf(FileExistsError);
    expect(await readFile(path, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['keep.json']);
  });

  it('lets exactly one of many racing creators win', async () => {
    const path = join(dir, 'race.json');
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => createFileAtomic(path, `writer ${i}`)));
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(FileExistsError);
    expect(await readFile(path, 'utf8')).toMatch(/^writer \d+$/);
    expect(await readdir(dir)).toEqual(['race.json']);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes temp files of dead writers and old ones, and keeps live, recent and unrelated files', async () => {
    const dead = '.state.json.999999999.0a1b2c3d.tmp';
    const live = `.state.json.${process.pid}.0a1b2c3d.tmp`;
    const old = `.other.json.${process.pid}.deadbeef.tmp`;
    const unrelated = ['state.json', '.hidden', 'x.tmp', '.state.json.12.nothex!.tmp'];
    for (const name of [dead, live, old, ...unrelated]) await writeFile(join(dir, name), 'x');
    const longAgo = (Date.now() - STALE_TEMP_MAX_AGE_MS - 60_000) / 1000;
    await utimes(join(dir, old), longAgo, longAgo);
    const removed = await removeStaleTempFiles(dir);
    expect(removed.sort()).toEqual([dead, old].sort());
    expect((await readdir(dir)).sort()).toEqual([live, ...unrelated].sort());
  });

  it('answers nothing for a folder that does not exist', async () => {
    expect(await removeStaleTempFiles(join(dir, 'missing'))).toEqual([]);
  });
});
