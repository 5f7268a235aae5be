// The job API's blob uploads, at the store: resumable by offset, and whole after a crash.
import { appendFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { makeTempDir } from '../../../../tests/support/temp-dir.js';
import { BlobStore } from './blob-store.js';

const PROJECT = 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function store(): BlobStore {
  const dir = makeTempDir('pnode-blobs-');
  cleanups.push(dir.cleanup);
  return new BlobStore(dir.path);
}

const input = new TextEncoder().encode('the numbers a task reads on its stdin\n'.repeat(20));
const hash = `sha256:${createHash('sha256').update(input).digest('hex')}` as ContentHash;

describe('blob uploads', () => {
  it('take chunks at the offset received so far, and say where to go on otherwise', async () => {
    const blobs = store();
    expect(await blobs.append(PROJECT, hash, input.length, 'input', 0, input.subarray(0, 100), true)).toMatchObject({ ok: true, value: { state: 'partial', received: 100 } });
    const elsewhere = await blobs.append(PROJECT, hash, input.length, 'input', 0, input.subarray(0, 100), true);
    expect(elsewhere.ok).toBe(false);
    if (!elsewhere.ok) expect(elsewhere.error.detail).toMatch(/send the chunk at offset 100/);
    expect(await blobs.append(PROJECT, hash, input.length, 'input', 100, input.subarray(100), true)).toMatchObject({ ok: true, value: { state: 'complete', hash } });
    expect(await blobs.has(hash)).toBe(true);
  });

  it('finish an upload whose bytes all reached the disk before a crash cut its completion, whatever is resent', async () => {
    const blobs = store();
    await blobs.append(PROJECT, hash, input.length, 'input', 0, input.subarray(0, input.length - 1), true);
    // The last chunk was written, and the process died before completing the upload.
    const partialDir = join(blobs.dir, 'partial', PROJECT);
    const [partial] = readdirSync(partialDir);
    appendFileSync(join(partialDir, partial!), input.subarray(input.length - 1));
    // The project starts again from the beginning, as it would after losing the answer.
    expect(await blobs.append(PROJECT, hash, input.length, 'input', 0, input, true)).toMatchObject({ ok: true, value: { state: 'complete', hash } });
    expect(await blobs.has(hash)).toBe(true);
    expect(readdirSync(partialDir)).toEqual([]);
  });

  it('drop such an upload when its bytes are not what its name says', async () => {
    const blobs = store();
    await blobs.append(PROJECT, hash, input.length, 'input', 0, input.subarray(0, input.length - 1), true);
    const partialDir = join(blobs.dir, 'partial', PROJECT);
    const [partial] = readdirSync(partialDir);
    appendFileSync(join(partialDir, partial!), 'X');
    const answer = await blobs.append(PROJECT, hash, input.length, 'input', 0, input, true);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error.detail).toMatch(/the upload was dropped/);
    expect(await blobs.has(hash)).toBe(false);
    // The project's next try at offset 0 starts afresh.
    expect(await blobs.append(PROJECT, hash, input.length, 'input', 0, input, true)).toMatchObject({ ok: true, value: { state: 'complete' } });
  });
});
