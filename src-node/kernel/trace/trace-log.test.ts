import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../util/clock.js';
import { TRACE_LOG_MAX_BYTES, TraceLog, readTraceLog, rotatedTraceLogPath, traceLogPath } from './trace-log.js';

const SELF = 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE';
const PEER = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

let dataDir: string;
let logs: TraceLog[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pnode-tracelog-'));
  logs = [];
});

afterEach(async () => {
  for (const log of logs) log.close();
  await rm(dataDir, { recursive: true, force: true });
});

function openLog(options: Partial<ConstructorParameters<typeof TraceLog>[0]> = {}): TraceLog {
  const log = new TraceLog({ path: traceLogPath(dataDir), nodeSelf: SELF, clock: new ManualClock(), ...options });
  logs.push(log);
  return log;
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('TraceLog', () => {
  it('appends each event as one JSON line to traces/network.jsonl, and keeps it for recent()', async () => {
    const log = openLog();
    expect(log.path).toBe(join(dataDir, 'traces', 'network.jsonl'));
    const a = log.emit('peer/connected', { peer: PEER });
    const b = log.emit('handshake/rejected', { peer: PEER, detail: { code: 'E_HS_REPLAY', class: 'handshake/replay-suspected' } });
    log.flush();
    const written = (await lines(log.path)).map((l) => JSON.parse(l) as unknown);
    expect(written).toEqual([a, b]);
    expect(b).toMatchObject({ 'event/type': 'handshake/rejected', ts: '2026-11-21T12:00:00Z', 'node/self': SELF, peer: PEER });
    expect(log.recent(1)).toEqual([b]);
    expect(log.recent(10)).toEqual([a, b]);
    expect(log.recent(0)).toEqual([]);
  });

  it('writes queued events on the next turn of the event loop without being asked', async () => {
    const log = openLog();
    log.emit('peer/discovered', { peer: PEER });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await lines(log.path)).toHaveLength(1);
  });

  it('rotates by size into .1 … .N and keeps no more than N', async () => {
    const log = openLog({ maxBytes: 2_000, rotatedFiles: 2 });
    for (let i = 0; i < 60; i++) {
      log.emit('keepalive/lost', { peer: PEER, detail: { round: i } });
      log.flush();
    }
    log.close();
    const names = (await readdir(join(dataDir, 'traces'))).sort();
    expect(names).toEqual(['network.jsonl', 'network.jsonl.1', 'network.jsonl.2']);
    for (const name of names) expect((await stat(join(dataDir, 'traces', name))).size).toBeLessThanOrEqual(2_000);
    const all = await readTraceLog(log.path, { includeRotated: true, rotatedFiles: 2, limit: 1_000 });
    const rounds = all.events.map((e) => e.detail?.['round'] as number);
    // The newest events survive, in order, with nothing in between lost.
    expect(rounds.at(-1)).toBe(59);
    expect(rounds).toEqual(Array.from({ length: rounds.length }, (_, i) => 60 - rounds.length + i));
    // Two full rotated files and the active one: at least two files' worth of lines.
    const lineBytes = Buffer.byteLength(`${JSON.stringify(all.events[0])}\n`);
    expect(rounds.length).toBeGreaterThanOrEqual(2 * Math.floor(2_000 / lineBytes));
  });

  it('the default rotation size is 5 MiB', () => {
    expect(TRACE_LOG_MAX_BYTES).toBe(5 * 1024 * 1024);
  });

  it('never throws into the caller on a disk error, reports it once, and keeps events in memory', async () => {
    // A plain file where the traces folder should be: every write fails.
    await writeFile(join(dataDir, 'traces'), 'not a folder');
    const errors: Error[] = [];
    const log = openLog({ onError: (error) => errors.push(error) });
    for (let i = 0; i < 5; i++) {
      expect(() => log.emit('error/occurred', { detail: { code: 'E_TRANSPORT_UNAVAILABLE' } })).not.toThrow();
      expect(() => log.flush()).not.toThrow();
    }
    expect(errors).toHaveLength(1);
    expect(log.droppedLines).toBe(5);
    expect(log.recent(10)).toHaveLength(5);
    expect(() => log.close()).not.toThrow();
  });

  it('reports again after the disk recovered and failed anew', async () => {
    await writeFile(join(dataDir, 'traces'), 'not a folder');
    const errors: Error[] = [];
    const log = openLog({ onError: (error) => errors.push(error) });
    log.emit('peer/connected');
    log.flush();
    await rm(join(dataDir, 'traces'));
    log.emit('peer/connected');
    log.flush();
    expect(await lines(log.path)).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('a reporter that throws does not reach the caller', async () => {
    await writeFile(join(dataDir, 'traces'), 'not a folder');
    const log = openLog({
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    log.emit('peer/connected');
    expect(() => log.flush()).not.toThrow();
  });

  it('after close, events stay in memory only', async () => {
    const log = openLog();
    log.emit('peer/connected');
    log.close();
    log.emit('peer/disconnected');
    log.flush();
    expect(await lines(log.path)).toHaveLength(1);
    expect(log.recent(5)).toHaveLength(2);
  });

  it('ends a torn line left by a crash before appending, so the next event is whole', async () => {
    const path = traceLogPath(dataDir);
    await mkdir(join(dataDir, 'traces'), { recursive: true });
    const earlier = openLog();
    earlier.emit('peer/connected', { peer: PEER });
    earlier.close();
    await appendFile(path, '{"trace/id":"tr:01J","event/ty');
    const log = openLog();
    const next = log.emit('peer/disconnected', { peer: PEER });
    log.close();
    const read = await readTraceLog(path);
    expect(read.events.map((e) => e['event/type'])).toEqual(['peer/connected', 'peer/disconnected']);
    expect(read.events[1]).toEqual(next);
    expect(read.skippedLines).toBe(1);
    expect(read.tornTail).toBe(false);
  });
});

describe('readTraceLog', () => {
  async function writeLog(text: string): Promise<string> {
    const path = traceLogPath(dataDir);
    await mkdir(join(dataDir, 'traces'), { recursive: true });
    await writeFile(path, text);
    return path;
  }

  function eventLine(i: number): string {
    return `${JSON.stringify({ 'trace/id': `tr:${i}`, 'event/type': 'peer/discovered', ts: '2026-11-21T12:00:00Z', 'node/self': SELF, detail: { i } })}\n`;
  }

  it('skips a torn final line and says so', async () => {
    const whole = eventLine(1) + eventLine(2);
    const path = await writeLog(whole + eventLine(3).slice(0, 40));
    const read = await readTraceLog(path);
    expect(read.events.map((e) => e['trace/id'])).toEqual(['tr:1', 'tr:2']);
    expect(read.tornTail).toBe(true);
    expect(read.skippedLines).toBe(0);
  });

  it('keeps a final event that was written whole but lost its newline', async () => {
    const path = await writeLog(eventLine(1) + eventLine(2).trimEnd());
    const read = await readTraceLog(path);
    expect(read.events).toHaveLength(2);
    expect(read.tornTail).toBe(false);
  });

  it('skips lines that are not trace events and counts them', async () => {
    const path = await writeLog(`${eventLine(1)}garbage\n{"event/type":"not/a-type"}\n[]\n\n${eventLine(2)}`);
    const read = await readTraceLog(path);
    expect(read.events.map((e) => e['trace/id'])).toEqual(['tr:1', 'tr:2']);
    expect(read.skippedLines).toBe(3);
  });

  it('answers the most recent `limit` events, oldest first', async () => {
    const path = await writeLog(Array.from({ length: 50 }, (_, i) => eventLine(i)).join(''));
    const read = await readTraceLog(path, { limit: 5 });
    expect(read.events.map((e) => e['trace/id'])).toEqual(['tr:45', 'tr:46', 'tr:47', 'tr:48', 'tr:49']);
  });

  it('answers nothing for a log that does not exist yet', async () => {
    expect(await readTraceLog(traceLogPath(dataDir), { includeRotated: true })).toEqual({ events: [], skippedLines: 0, tornTail: false });
  });

  it('reads rotated files oldest first', async () => {
    const path = await writeLog(eventLine(3));
    await writeFile(rotatedTraceLogPath(path, 1), eventLine(2));
    await writeFile(rotatedTraceLogPath(path, 2), eventLine(1));
    const read = await readTraceLog(path, { includeRotated: true });
    expect(read.events.map((e) => e['trace/id'])).toEqual(['tr:1', 'tr:2', 'tr:3']);
  });
});
