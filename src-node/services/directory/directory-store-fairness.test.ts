// A directory that stays useful when full (issue 15 §3): expired rows go first, then the rows of
// the source holding the most (by publisher address and /24), within a byte budget; rows are
// bounded in size and their endpoint URLs checked at the gate; all of it holds across restarts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync } from 'node:fs';
import { ManualClock } from '../../kernel/util/clock.js';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { DirectoryStore, type DirectoryStoreOptions, type PutOutcome } from './directory-store.js';
import { encodePut } from './directory-log.js';
import { makePublisher, signedAdvertisement, type AdvertisementOptions } from '../../../tests/support/directory.js';

let dir: { path: string; cleanup: () => void };
let clock: ManualClock;
const open: DirectoryStore[] = [];

beforeEach(() => {
  dir = makeTempDir('pnode-directory-fair-');
  clock = new ManualClock();
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
  dir.cleanup();
});

async function openStore(options: Partial<DirectoryStoreOptions> = {}): Promise<DirectoryStore> {
  const store = await DirectoryStore.open({ dataDir: dir.path, clock, crypto: nativeCrypto, fsync: false, ...options });
  open.push(store);
  return store;
}

/** A fresh identity's advertisement PUT from `source`; the outcome kind, or the refusal's code. */
async function putFrom(store: DirectoryStore, source: string, options: AdvertisementOptions = {}): Promise<{ kind: string; nodeId: string }> {
  const publisher = makePublisher();
  const verified = store.verify(signedAdvertisement(publisher, { at: clock.now(), ...options }));
  if (!verified.ok) return { kind: verified.error.code, nodeId: publisher.nodeId };
  const outcome: PutOutcome = store.put(verified.value, source);
  if (outcome.kind === 'stored' || outcome.kind === 'unchanged') await outcome.durable;
  return { kind: outcome.kind, nodeId: publisher.nodeId };
}

describe('a full directory', () => {
  it('lets an honest newcomer in at the cost of the address flooding it, and refuses the flood’s newcomers', async () => {
    const store = await openStore({ maxEntries: 20 });
    const flood: string[] = [];
    for (let i = 0; i < 18; i++) flood.push((await putFrom(store, '203.0.113.5')).nodeId);
    const honest = [await putFrom(store, '198.51.100.7'), await putFrom(store, '192.0.2.44')];
    expect(honest.map((h) => h.kind)).toEqual(['stored', 'stored']);
    expect(store.size).toBe(20);
    // Full now. The flood's next identity is refused; an honest newcomer evicts the flood's oldest.
    expect((await putFrom(store, '203.0.113.5')).kind).toBe('full');
    const newcomer = await putFrom(store, '198.51.100.99');
    expect(newcomer.kind).toBe('stored');
    expect(store.get(flood[0]!)).toBeUndefined();
    expect(store.get(newcomer.nodeId)).toBeDefined();
    for (const h of honest) expect(store.get(h.nodeId)).toBeDefined();
    expect(store.evicted).toBe(1);
    expect(store.size).toBe(20);
  });

  it('counts a /24 as one neighbourhood: a flood spread over many addresses of it loses first, its heaviest address before the others', async () => {
    const store = await openStore({ maxEntries: 12 });
    for (let i = 0; i < 10; i++) await putFrom(store, `203.0.113.${1 + (i % 3 === 0 ? 0 : i)}`);
    const honest = await putFrom(store, '198.51.100.7');
    await putFrom(store, '192.0.2.1');
    expect(store.size).toBe(12);
    // Another address of the flooding /24 still gets in over that /24's heaviest address (203.0.113.1)…
    const sameNeighbourhood = await putFrom(store, '203.0.113.200');
    expect(sameNeighbourhood.kind).toBe('stored');
    // …and a newcomer elsewhere gets in at the /24's cost; the honest rows stay.
    expect((await putFrom(store, '192.0.2.77')).kind).toBe('stored');
    expect(store.get(honest.nodeId)).toBeDefined();
    expect(store.evicted).toBe(2);
  });

  it('keeps within its byte budget: padded rows of a flood make room for honest small ones', async () => {
    const pad = { padding: 'x'.repeat(3_000) };
    const store = await openStore({ maxStoredBytes: 40_000 });
    let padded = 0;
    while ((await putFrom(store, '203.0.113.5', { extra: pad })).kind === 'stored') padded++;
    expect(padded).toBeGreaterThan(5);
    expect(store.storedBytes).toBeLessThanOrEqual(40_000);
    for (let i = 0; i < 20; i++) expect((await putFrom(store, `198.51.${100 + i}.7`)).kind).toBe('stored');
    expect(store.storedBytes).toBeLessThanOrEqual(40_000);
    expect(store.evicted).toBeGreaterThan(0);
  });

  it('never evicts for a newcomer unless it then fits', async () => {
    const store = await openStore({ maxStoredBytes: 9_000 });
    // Two neighbourhoods of four ~1 KB rows each. A ~3.9 KB newcomer from a third needs three rows'
    // room: the first two come from the heavier neighbourhoods, but then neither is heavier than the
    // newcomer would be, so it is refused, and the two rows chosen stay.
    for (let i = 0; i < 4; i++) await putFrom(store, '203.0.113.5', { extra: { padding: 'x'.repeat(390) } });
    for (let i = 0; i < 4; i++) await putFrom(store, '198.51.100.5', { extra: { padding: 'x'.repeat(390) } });
    const before = store.storedBytes;
    expect(before).toBeGreaterThan(9_000 - 1_000);
    expect((await putFrom(store, '192.0.2.6', { extra: { padding: 'x'.repeat(3_280) } })).kind).toBe('full');
    expect(store.size).toBe(8);
    expect(store.storedBytes).toBe(before);
    expect(store.evicted).toBe(0);
    // A smaller newcomer still fits, at the cost of one row.
    expect((await putFrom(store, '192.0.2.6', { extra: { padding: 'x'.repeat(1_000) } })).kind).toBe('stored');
    expect(store.evicted).toBe(1);
  });
});

describe('the gate of the directory', () => {
  it('refuses rows over DIRECTORY_MAX_ENTRY_BYTES and endpoint URLs that are not wss:// (or loopback ws://) with a host and nothing else', async () => {
    const store = await openStore();
    expect((await putFrom(store, '198.51.100.7', { extra: { padding: 'x'.repeat(store.maxEntryBytes) } })).kind).toBe('E_PROTO_INVALID');
    for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'wss://user:secret@node.example/peer', `wss://node.example/${'a'.repeat(12 * 1024)}`, 'wss://node.example/peer#x', 'ws://node.example/peer']) {
      expect((await putFrom(store, '198.51.100.7', { url })).kind, url.slice(0, 40)).toBe('E_PROTO_INVALID');
    }
    expect(store.size).toBe(0);
    expect((await putFrom(store, '198.51.100.7', { url: 'wss://node.example:7443/peer' })).kind).toBe('stored');
  });

  it('refuses a lifetime over the shared cap (a far-future expiry)', async () => {
    const store = await openStore();
    expect((await putFrom(store, '198.51.100.7', { ttlMs: 7 * 60 * 60_000 })).kind).toBe('E_PROTO_INVALID');
    expect((await putFrom(store, '198.51.100.7', { ttlMs: 6 * 60 * 60_000 })).kind).toBe('stored');
  });
});

describe('across a restart', () => {
  it('remembers who PUT each row, so the flood still loses first', async () => {
    const store = await openStore({ maxEntries: 6 });
    const flood: string[] = [];
    for (let i = 0; i < 5; i++) flood.push((await putFrom(store, '203.0.113.5')).nodeId);
    await putFrom(store, '198.51.100.7');
    await store.close();
    open.splice(0);
    const again = await openStore({ maxEntries: 6 });
    expect(again.size).toBe(6);
    expect((await putFrom(again, '203.0.113.5')).kind).toBe('full');
    expect((await putFrom(again, '192.0.2.1')).kind).toBe('stored');
    expect(again.get(flood[0]!)).toBeUndefined();
  });

  it('drops rows an older version stored that break today’s rules, and applies lower caps fairly', async () => {
    const store = await openStore();
    for (let i = 0; i < 6; i++) await putFrom(store, '203.0.113.5');
    const honest = await putFrom(store, '198.51.100.7');
    await store.close();
    open.splice(0);
    // A row with a javascript: endpoint, as a version without the gate would have logged it.
    const bad = signedAdvertisement(makePublisher(), { at: clock.now(), url: 'javascript:alert(1)' });
    appendFileSync(DirectoryStore.logPath(dir.path), encodePut(1_000, clock.now(), JSON.stringify(bad), '192.0.2.9'));
    const again = await openStore({ maxEntries: 4 });
    expect(again.loadReport).toMatchObject({ refused: 1, evicted: 3, loaded: 4 });
    expect(again.get(bad['node/id'])).toBeUndefined();
    expect(again.get(honest.nodeId)).toBeDefined();
  });
});
