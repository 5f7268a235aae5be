import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { DirectoryStore, type DirectoryStoreOptions, type PutOutcome } from './directory-store.js';
import { decodeCursor } from './directory-cursor.js';
import { encodePut } from './directory-log.js';
import { makePublisher, signedAdvertisement, type Publisher } from '../../../tests/support/directory.js';
import type { NodeAdvertisement } from '../../kernel/advertisement/advertisement-types.js';
import { canLimitFileSize, spawnWithFileSizeLimit } from '../../../tests/support/file-size-limit.js';
import { quotaChild, type QuotaLine } from '../../../tests/support/quota-child-bundle.js';
import { childGone } from '../../kernel/process/child-gone.js';

let dir: { path: string; cleanup: () => void };
let clock: ManualClock;
const open: DirectoryStore[] = [];

beforeEach(() => {
  dir = makeTempDir('pnode-directory-');
  clock = new ManualClock();
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
  dir.cleanup();
});

async function openStore(options: Partial<DirectoryStoreOptions> = {}): Promise<DirectoryStore> {
  const store = await DirectoryStore.open({ dataDir: dir.path, clock, crypto: nativeCrypto, ...options });
  open.push(store);
  return store;
}

async function close(store: DirectoryStore): Promise<void> {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

function ad(publisher: Publisher, sequence = 0, ttlMs?: number): NodeAdvertisement {
  return signedAdvertisement(publisher, { sequence, at: clock.now(), ...(ttlMs !== undefined ? { ttlMs } : {}) });
}

async function put(store: DirectoryStore, advertisement: NodeAdvertisement, source?: string): Promise<PutOutcome> {
  const verified = store.verify(advertisement);
  if (!verified.ok) throw verified.error;
  const outcome = store.put(verified.value, source);
  if (outcome.kind === 'stored' || outcome.kind === 'unchanged') await outcome.durable;
  return outcome;
}

function logLines(): string[] {
  return readFileSync(DirectoryStore.logPath(dir.path), 'utf8').split('\n').filter((l) => l !== '');
}

function allNodeIds(store: DirectoryStore): string[] {
  const out: string[] = [];
  let since: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const result = store.feed(since);
    if (!result.ok) throw result.error;
    out.push(...result.value.items.map((e) => e.nodeId));
    since = result.value.next;
    if (result.value.items.length < 100) return out;
  }
  throw new Error('the feed did not end');
}

describe('directory store', () => {
  it('keeps one row per node: a higher sequence replaces, the same artifact is unchanged, anything else is stale', async () => {
    const store = await openStore();
    const a = makePublisher();
    const first = ad(a, 1);
    expect((await put(store, first)).kind).toBe('stored');
    expect((await put(store, first)).kind).toBe('unchanged');
    expect((await put(store, ad(a, 1))).kind).toBe('stale');
    expect((await put(store, ad(a, 0))).kind).toBe('stale');
    expect((await put(store, ad(a, 2))).kind).toBe('stored');
    expect(store.get(a.nodeId)?.sequence).toBe(2);
    expect(store.size).toBe(1);
  });

  it('survives a restart with the same rows, epoch and a position counter that only grows', async () => {
    const store = await openStore();
    const publishers = [makePublisher(), makePublisher(), makePublisher()];
    const ads = publishers.map((p) => ad(p));
    for (const a of ads) await put(store, a);
    const lastBefore = store.get(publishers[2]!.nodeId)!.position;
    const epoch = store.epoch;
    await close(store);

    const again = await openStore();
    expect(again.epoch).toBe(epoch);
    expect(again.loadReport).toMatchObject({ loaded: 3, corruptLines: 0, tornBytes: 0 });
    for (const a of ads) expect(again.get(a['node/id'])?.body.toString()).toBe(JSON.stringify(a));
    const fresh = makePublisher();
    const outcome = await put(again, ad(fresh));
    expect(outcome.kind === 'stored' && outcome.entry.position).toBe(lastBefore + 1);
    expect(allNodeIds(again)).toEqual([...publishers, fresh].map((p) => p.nodeId));
  });

  it('ignores a torn tail after a crash, cuts it off, and appends cleanly after it', async () => {
    const store = await openStore();
    const kept = makePublisher();
    await put(store, ad(kept));
    await close(store);
    const path = DirectoryStore.logPath(dir.path);
    const sizeBefore = statSync(path).size;
    const torn = encodePut(99, clock.now(), JSON.stringify(ad(makePublisher())));
    appendFileSync(path, torn.slice(0, torn.length - 40));

    const again = await openStore();
    expect(again.loadReport).toMatchObject({ loaded: 1, tornBytes: torn.length - 40, corruptLines: 0 });
    expect(statSync(path).size).toBe(sizeBefore);
    const next = makePublisher();
    await put(again, ad(next));
    await close(again);

    const third = await openStore();
    expect(third.loadReport).toMatchObject({ loaded: 2, tornBytes: 0, corruptLines: 0 });
    expect(third.get(next.nodeId)).toBeDefined();
  });

  it('skips a damaged line (bad checksum) and keeps the rest', async () => {
    const store = await openStore();
    const [a, b] = [makePublisher(), makePublisher()];
    await put(store, ad(a));
    await put(store, ad(b));
    await close(store);
    const path = DirectoryStore.logPath(dir.path);
    const lines = readFileSync(path, 'utf8').split('\n');
    // Flip one character inside a's row: the CRC no longer matches.
    lines[1] = lines[1]!.replace('"sequence/no":0', '"sequence/no":7');
    writeFileSync(path, lines.join('\n'));

    const again = await openStore();
    expect(again.loadReport).toMatchObject({ loaded: 1, corruptLines: 1 });
    expect(again.get(a.nodeId)).toBeUndefined();
    expect(again.get(b.nodeId)).toBeDefined();
  });

  it('compaction rewrites the log with exactly the live rows, in position order', async () => {
    const store = await openStore();
    const [a, b, c] = [makePublisher(), makePublisher(), makePublisher()];
    for (let seq = 0; seq < 10; seq++) await put(store, ad(a, seq));
    await put(store, ad(b));
    await put(store, ad(c, 0, 60_000));
    for (let seq = 1; seq < 5; seq++) await put(store, ad(b, seq));
    clock.advance(60_000); // c expires
    const before = logLines().length;
    await store.compact();

    const lines = logLines();
    expect(before).toBe(1 + 10 + 1 + 1 + 4);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/"t":"head"/);
    const rows = lines.slice(1).map((l) => JSON.parse(l.slice(9)) as { pos: number; adv: NodeAdvertisement });
    expect(rows.map((r) => [r.adv['node/id'], r.adv['sequence/no']])).toEqual([
      [a.nodeId, 9],
      [b.nodeId, 4],
    ]);
    expect(rows[0]!.pos).toBeLessThan(rows[1]!.pos);
    expect(store.compactions).toBe(1);
    expect(store.logBytes).toBe(statSync(DirectoryStore.logPath(dir.path)).size);

    // Positions go on from where they were, also after a restart of the compacted log.
    const lastPosition = rows[1]!.pos;
    await close(store);
    const again = await openStore();
    expect(again.size).toBe(2);
    const d = makePublisher();
    const outcome = await put(again, ad(d));
    expect(outcome.kind === 'stored' && outcome.entry.position).toBe(lastPosition + 1);
  });

  it('compacts by itself once the log is COMPACTION_RATIO times the live rows', async () => {
    const store = await openStore({ compactionRatio: 3, compactionMinBytes: 0 });
    const a = makePublisher();
    for (let seq = 0; seq < 20; seq++) await put(store, ad(a, seq));
    await store.idle();
    expect(store.compactions).toBeGreaterThan(0);
    expect(logLines().length).toBeLessThanOrEqual(4);
    await close(store);
    expect((await openStore()).get(a.nodeId)?.sequence).toBe(19);
  });

  it('never serves an expired row and purges it on read, on maintenance and at load', async () => {
    const store = await openStore();
    const [a, b, c] = [makePublisher(), makePublisher(), makePublisher()];
    await put(store, ad(a, 0, 60_000));
    await put(store, ad(b, 0, 60_000));
    await put(store, ad(c, 0, 120_000));
    clock.advance(60_000);
    expect(store.get(a.nodeId)).toBeUndefined();
    expect(store.expiredPurged).toBe(1);
    expect(allNodeIds(store)).toEqual([c.nodeId]);
    expect(store.expiredPurged).toBe(2);
    clock.advance(60_000);
    await store.maintain();
    expect(store.size).toBe(0);
    expect(store.expiredPurged).toBe(3);
    await close(store);

    clock.set(clock.now() - 120_000 + 90_000); // back to when only a and b had expired
    const again = await openStore();
    expect(again.loadReport).toMatchObject({ loaded: 1, expired: 2 });
    expect(again.expiredPurged).toBe(2);
  });

  it('serves in the feed only rows that are on disk', async () => {
    const store = await openStore();
    const a = makePublisher();
    const verified = store.verify(ad(a));
    if (!verified.ok) throw verified.error;
    const outcome = store.put(verified.value);
    const before = store.feed(undefined);
    expect(before.ok && before.value.items).toHaveLength(0);
    if (outcome.kind === 'stored') await outcome.durable;
    const after = store.feed(undefined);
    expect(after.ok && after.value.items.map((e) => e.nodeId)).toEqual([a.nodeId]);
  });

  it('when full, refuses a new node-id from the source holding the most, still takes replacements, and makes room from expired rows first', async () => {
    const store = await openStore({ maxEntries: 2 });
    const [a, b, c] = [makePublisher(), makePublisher(), makePublisher()];
    await put(store, ad(a), '203.0.113.5');
    await put(store, ad(b, 0, 60_000), '203.0.113.5');
    expect((await put(store, ad(c), '203.0.113.5')).kind).toBe('full');
    expect((await put(store, ad(a, 1), '203.0.113.5')).kind).toBe('stored');
    clock.advance(60_000);
    expect((await put(store, ad(c), '203.0.113.5')).kind).toBe('stored');
    expect(store.evicted).toBe(0);
    expect(store.get(b.nodeId)).toBeUndefined();
  });

  it('answers the feed with opaque cursors of its own epoch and refuses anyone else’s', async () => {
    const store = await openStore();
    await put(store, ad(makePublisher()));
    const first = store.feed(undefined);
    if (!first.ok) throw first.error;
    expect(first.value.next).toMatch(/^cur:[0-9A-Z]{20}$/);
    expect(decodeCursor(first.value.next)).toEqual({ epoch: store.epoch, position: 1 });
    expect(store.feed('').ok).toBe(true);
    const other = `cur:${'0'.repeat(10)}${first.value.next.slice(14)}`;
    for (const bad of ['garbage', 'cur:', other, `cur:${store.epoch}0000000009`]) {
      const result = store.feed(bad);
      expect(result.ok ? 'accepted' : result.error.code).toBe('E_PROTO_INVALID');
    }
  });
});

describe('on a full disk (a real file-size quota on a child process: EFBIG)', () => {
  it.skipIf(!canLimitFileSize())('never serves, nor keeps, a row it answered as failed; the row it would have replaced stays current', async () => {
    const child = spawnWithFileSizeLimit(12 * 1024, [await quotaChild(), 'directory', dir.path]);
    const exited = childGone(child).then(() => child.exitCode);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    expect(await exited, err).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as QuotaLine);
    const puts = lines.filter((l) => l.op.startsWith('put')).map((l) => ({ ...l, memory: l.memory as { nodeId: string; sequence: number; served: number | null } }));
    const refused = puts.filter((p) => p.answer !== 'stored');
    // The quota was reached midway: some PUTs were stored, the rest refused with the quota's error.
    expect(refused.length, out).toBeGreaterThan(0);
    expect(puts.length - refused.length, out).toBeGreaterThan(0);
    expect(new Set(refused.map((p) => p.answer))).toEqual(new Set(['EFBIG']));
    // Memory, right after each answer: a stored row is served, a refused one is not.
    for (const p of puts) {
      if (p.answer === 'stored') expect(p.memory.served, p.op).toBe(p.memory.sequence);
      else expect(p.memory.served, p.op).not.toBe(p.memory.sequence);
    }
    // Disk, after a restart: each node's highest stored sequence, and nothing refused.
    const store = await openStore();
    expect(store.loadReport).toMatchObject({ corruptLines: 0, tornBytes: 0 });
    const storedMax = new Map<string, number>();
    for (const p of puts) if (p.answer === 'stored') storedMax.set(p.memory.nodeId, Math.max(storedMax.get(p.memory.nodeId) ?? -1, p.memory.sequence));
    for (const nodeId of new Set(puts.map((p) => p.memory.nodeId))) expect(store.get(nodeId)?.sequence ?? null, nodeId).toBe(storedMax.get(nodeId) ?? null);
    expect(store.size).toBe(storedMax.size);
  });
});
