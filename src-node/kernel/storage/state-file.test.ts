import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoalescedFileWriter, readStateFile } from './state-file.js';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pnode-state-file-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a state file', () => {
  it('reads as missing when absent; a file that is not JSON is set aside, reported and read as missing', async () => {
    const d = dir();
    expect(await readStateFile(join(d, 'a.json'), 1)).toBeUndefined();
    writeFileSync(join(d, 'b.json'), '{"half":');
    const reported: string[] = [];
    expect(await readStateFile(join(d, 'b.json'), 42, (_error, aside) => reported.push(aside))).toBeUndefined();
    expect(reported).toEqual([join(d, 'b.json.corrupt-42')]);
    expect(readdirSync(d)).toEqual(['b.json.corrupt-42']);
  });

  it('writes the latest state after a burst of changes, at most one write behind, and nothing after close', async () => {
    const d = dir();
    const path = join(d, 's.json');
    let value = 0;
    let writes = 0;
    const writer = new CoalescedFileWriter(path, () => (writes++, `${value}\n`), () => undefined);
    for (value = 1; value <= 50; value++) writer.changed();
    value = 50;
    await writer.flush();
    expect(readFileSync(path, 'utf8')).toBe('50\n');
    expect(writes).toBeLessThanOrEqual(2);
    await writer.close();
    value = 99;
    writer.changed();
    await writer.flush();
    expect(readFileSync(path, 'utf8')).toBe('50\n');
    expect(writer.isClosed).toBe(true);
  });

  it('reports a failed write and writes again on the next change', async () => {
    const d = dir();
    const errors: unknown[] = [];
    // Its folder's name is taken by a file: the write fails (ENOTDIR).
    writeFileSync(join(d, 'later'), '');
    const path = join(d, 'later', 's.json');
    let value = 'x';
    const writer = new CoalescedFileWriter(path, () => `${value}\n`, (error) => errors.push(error));
    writer.changed();
    await writer.flush();
    expect(errors).toHaveLength(1);
    rmSync(join(d, 'later'));
    mkdirSync(join(d, 'later'));
    value = 'y';
    writer.changed();
    await writer.flush();
    expect(readFileSync(path, 'utf8')).toBe('y\n');
    expect(errors).toHaveLength(1);
  });
});
