import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { LogWriter, encodeHeader, encodePut, readLog } from './directory-log.js';

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = makeTempDir('pnode-directory-log-');
});
afterEach(() => dir.cleanup());

const header = encodeHeader({ epoch: '0123456789', next: 1 });
const row = (position: number): string => encodePut(position, 1_700_000_000_000, JSON.stringify({ 'node/id': `n${position}`, pad: 'é' }));

describe('directory log', () => {
  it('reads back what it wrote: the header and every put, in order', async () => {
    const path = join(dir.path, 'adv.log');
    const writer = await LogWriter.open(path, 0, header, { snapshot: () => '', shouldCompact: () => false });
    await Promise.all([writer.append(row(1)), writer.append(row(2)), writer.append(row(3))]);
    await writer.close();
    const loaded = await readLog(path);
    expect(loaded?.header).toEqual({ epoch: '0123456789', next: 1 });
    expect(loaded?.puts.map((p) => p.position)).toEqual([1, 2, 3]);
    expect(loaded?.puts[0]?.advertisement).toEqual({ 'node/id': 'n1', pad: 'é' });
    expect(loaded?.bytes).toBe(Buffer.byteLength(header + row(1) + row(2) + row(3)));
  });

  it('answers undefined for a log that does not exist yet', async () => {
    expect(await readLog(join(dir.path, 'none.log'))).toBeUndefined();
  });

  it('counts lines that are not records and cuts a torn tail off the file', async () => {
    const path = join(dir.path, 'adv.log');
    const torn = row(3).slice(0, 30);
    writeFileSync(path, `${header}${row(1)}not a record\n${row(2).replace('"pos":2', '"pos":7')}${torn}`);
    const loaded = await readLog(path);
    expect(loaded?.puts.map((p) => p.position)).toEqual([1]);
    expect(loaded?.corruptLines).toBe(2);
    expect(loaded?.tornBytes).toBe(torn.length);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  it.skipIf(!existsSync('/dev/full'))('a failed append is refused whole, and the log is rewritten from what is committed before the next', async () => {
    // The log "file" is a link to /dev/full: every write fails with ENOSPC, as on a full disk.
    const path = join(dir.path, 'adv.log');
    symlinkSync('/dev/full', path);
    const errors: string[] = [];
    const told: Array<string | null> = [];
    let compactions = 0;
    const committed: string[] = [header];
    const writer = await LogWriter.open(path, 0, undefined, {
      snapshot: () => committed.join(''),
      shouldCompact: () => false,
      onError: (error) => errors.push((error as NodeJS.ErrnoException).code ?? error.message),
      onCompacted: () => compactions++,
    });
    const settled = (line: string) => (error: Error | null) => {
      told.push(error ? (error as NodeJS.ErrnoException).code ?? 'error' : 'ok');
      if (!error) committed.push(line);
    };
    await expect(writer.append(row(1), settled(row(1)))).rejects.toThrow(/ENOSPC|no space/i);
    expect(errors).toEqual(['ENOSPC']);
    expect(told).toEqual(['ENOSPC']);
    // A character device cannot be cut back: the writer knows the file may differ from memory.
    expect(writer.needsRewrite).toBe(true);

    // The next append finds the log behind memory: the rewrite (of the committed rows only: row 1
    // was refused) replaces the link with a real file, then row 2 is appended.
    await writer.append(row(2), settled(row(2)));
    expect(writer.needsRewrite).toBe(false);
    expect(compactions).toBe(1);
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    await writer.append(row(3), settled(row(3)));
    await writer.close();
    expect(told).toEqual(['ENOSPC', 'ok', 'ok']);
    expect(readFileSync(path, 'utf8')).toBe(header + row(2) + row(3));
  });
});
