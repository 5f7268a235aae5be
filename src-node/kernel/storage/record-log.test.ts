import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { RecordAppender, decodeRecordLine, encodeRecord, frameRecord, parseRecords, readRecordAt, readRecordFile } from './record-log.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function file(name = 'log.log'): string {
  const dir = makeTempDir('pnode-record-log-');
  cleanups.push(dir.cleanup);
  return join(dir.path, name);
}

describe('record files', () => {
  it('frame each record with the CRC-32 of its JSON and read them back with their offsets', () => {
    const line = frameRecord('{"a":1}');
    expect(line).toMatch(/^[0-9a-f]{8} \{"a":1\}\n$/);
    const text = Buffer.from(encodeRecord({ t: 'x', n: 1 }) + encodeRecord({ t: 'x', n: 2 }));
    const parsed = parseRecords(text);
    expect(parsed.records.map((r) => r.record)).toEqual([{ t: 'x', n: 1 }, { t: 'x', n: 2 }]);
    expect(parsed.records[1]!.offset).toBe(parsed.records[0]!.length);
    expect(parsed).toMatchObject({ bytes: text.length, tornBytes: 0, corruptLines: 0 });
  });

  it('skip a damaged line (checksum, JSON, not an object) and report a torn tail', () => {
    const good = encodeRecord({ n: 1 });
    const flipped = good.replace('"n":1', '"n":2');
    const text = Buffer.from(good + flipped + frameRecord('[1,2]') + frameRecord('{"n":') + 'zzzzzzzz {}\n' + good.slice(0, 10));
    const parsed = parseRecords(text);
    expect(parsed.records.map((r) => r.record)).toEqual([{ n: 1 }]);
    expect(parsed.corruptLines).toBe(4);
    expect(parsed.tornBytes).toBe(10);
    expect(decodeRecordLine(Buffer.from('short'))).toBeUndefined();
  });

  it('cut a torn tail off when asked, and read one record at its offset', async () => {
    const path = file();
    writeFileSync(path, encodeRecord({ n: 1 }) + encodeRecord({ n: 2 }) + '0123');
    const read = await readRecordFile(path, { cutTornTail: true });
    expect(read!.tornBytes).toBe(4);
    expect(statSync(path).size).toBe(read!.bytes);
    const second = read!.records[1]!;
    expect(await readRecordAt(path, second.offset, second.length)).toEqual({ n: 2 });
    expect(await readRecordAt(path, second.offset, second.length - 1)).toBeUndefined();
    expect(await readRecordFile(file('missing.log'))).toBeUndefined();
  });
});

describe('the record appender', () => {
  it('appends with offsets, many at once in one batch, and carries on after reopening', async () => {
    const path = file();
    const appender = await RecordAppender.open(path, 0);
    const offsets = await Promise.all([1, 2, 3].map((n) => appender.append(encodeRecord({ n }))));
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBe(encodeRecord({ n: 1 }).length);
    await appender.close();
    const read = await readRecordFile(path);
    expect(read!.records.map((r) => r.record['n'])).toEqual([1, 2, 3]);
    const again = await RecordAppender.open(path, read!.bytes);
    expect(await again.append(encodeRecord({ n: 4 }))).toBe(read!.bytes);
    await again.close();
    expect((await readRecordFile(path))!.records).toHaveLength(4);
  });

  it('cuts away what follows the good length when opened (a torn tail left by a crash)', async () => {
    const path = file();
    writeFileSync(path, encodeRecord({ n: 1 }));
    const good = statSync(path).size;
    appendFileSync(path, '0000abcd {"n":');
    const appender = await RecordAppender.open(path, good);
    await appender.append(encodeRecord({ n: 2 }));
    await appender.close();
    const read = await readRecordFile(path);
    expect(read).toMatchObject({ corruptLines: 0, tornBytes: 0 });
    expect(read!.records.map((r) => r.record['n'])).toEqual([1, 2]);
  });

  it('refuses to open a file shorter than what was read', async () => {
    const path = file();
    writeFileSync(path, encodeRecord({ n: 1 }));
    await expect(RecordAppender.open(path, 10_000)).rejects.toThrow(/fewer than/);
  });

  it('rewrites the whole file from a snapshot taken after the appends queued before it', async () => {
    const path = file();
    const appender = await RecordAppender.open(path, 0);
    const live: number[] = [];
    const add = (n: number) => {
      live.push(n);
      return appender.append(encodeRecord({ n }));
    };
    await Promise.all([add(1), add(2)]);
    live.shift();
    const queued = add(3);
    await appender.rewrite(() => live.map((n) => encodeRecord({ n })).join(''));
    expect(await queued).toBeGreaterThanOrEqual(-1);
    await add(4);
    await appender.close();
    expect((await readRecordFile(path))!.records.map((r) => r.record['n'])).toEqual([2, 3, 4]);
  });

  it('answers a failed write with its error and leaves what was on disk as it was', async () => {
    const path = file();
    const appender = await RecordAppender.open(path, 0);
    await appender.append(encodeRecord({ n: 1 }));
    // The appender's own handle, closed under it: the next write fails as a lost disk would.
    const handle = (appender as unknown as { handle: { close(): Promise<void> } }).handle;
    await handle.close();
    await expect(appender.append(encodeRecord({ n: 2 }))).rejects.toThrow();
    await appender.close().catch(() => undefined);
    expect(readFileSync(path, 'utf8')).toBe(encodeRecord({ n: 1 }));
  });
});
