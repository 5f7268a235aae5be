import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OwnAdvertisement, reannounceDelayMs } from './own-advertisement.js';
import { AdvertisementCache, ADVERTISEMENT_CACHE_FILE } from './advertisement-cache.js';
import { dialableEndpoints } from './advertisement-types.js';
import { ManualClock } from '../util/clock.js';
import { nativeCrypto } from '../crypto/native-provider.js';
import { verifyArtifact } from '../../../src-shared/protocol/verify.js';
import { ADVERTISEMENT_TTL_MS } from '../../../src-shared/protocol/profile.js';
import { ADVERTISEMENT_MAX_LIFETIME_MS } from '../../../src-shared/protocol/advertisement-rules.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { testIdentity } from '../../../tests/support/identities.js';

const endpoint = [{ url: 'ws://127.0.0.1:7001/peer', priority: 0 }];
let dir: { path: string; cleanup: () => void };
let clock: ManualClock;

beforeEach(() => {
  dir = makeTempDir();
  clock = new ManualClock();
});
afterEach(() => dir.cleanup());

function advertiser(byte: number, dataDir = dir.path): OwnAdvertisement {
  return new OwnAdvertisement({ identity: testIdentity(byte), dataDir, clock });
}

function cache(options: Partial<ConstructorParameters<typeof AdvertisementCache>[0]> = {}): AdvertisementCache {
  return new AdvertisementCache({ dataDir: dir.path, clock, crypto: nativeCrypto, ...options });
}

describe('own advertisement', () => {
  it('is a valid signed node-advertisement.v1 living one TTL', async () => {
    const adv = await advertiser(1).next(endpoint);
    expect(verifyArtifact('node-advertisement.v1', adv, { crypto: nativeCrypto, checkExpiry: true, now: clock.now() }).ok).toBe(true);
    expect(Date.parse(adv['expires-at']) - Date.parse(adv['advertised-at'])).toBe(ADVERTISEMENT_TTL_MS);
    expect(dialableEndpoints(adv)).toEqual(['ws://127.0.0.1:7001/peer']);
  });

  it('raises sequence/no on every advertisement, also across restarts', async () => {
    const first = advertiser(1);
    const a = await first.next(endpoint);
    const b = await first.next(endpoint);
    const afterRestart = await advertiser(1).next(endpoint);
    expect([a['sequence/no'], b['sequence/no'], afterRestart['sequence/no']]).toEqual([0, 1, 2]);
  });

  it('gives advertisements asked for at once different sequence numbers', async () => {
    const own = advertiser(1);
    const all = await Promise.all([own.next(endpoint), own.next(endpoint), own.next(endpoint)]);
    expect(all.map((a) => a['sequence/no']).sort()).toEqual([0, 1, 2]);
    expect((await advertiser(1).next(endpoint))['sequence/no']).toBe(3);
  });

  it('re-announces at TTL/3 within ±10 %', () => {
    const third = ADVERTISEMENT_TTL_MS / 3;
    expect(reannounceDelayMs(ADVERTISEMENT_TTL_MS, () => 0)).toBe(Math.round(third * 0.9));
    expect(reannounceDelayMs(ADVERTISEMENT_TTL_MS, () => 1)).toBe(Math.round(third * 1.1));
  });

  it('refuses to advertise with no endpoint', async () => {
    await expect(advertiser(1).next([])).rejects.toThrow(/at least one endpoint/);
  });
});

describe('advertisement cache', () => {
  it('keeps one current advertisement per node and only a higher sequence replaces it', async () => {
    const peer = advertiser(2, makeTempDir().path);
    const older = await peer.next(endpoint);
    const newer = await peer.next(endpoint);
    const store = cache();
    expect(store.offer(older)).toMatchObject({ ok: true, value: { change: 'added' } });
    expect(store.offer(newer)).toMatchObject({ ok: true, value: { change: 'replaced' } });
    const stale = store.offer(older);
    expect(stale.ok).toBe(false);
    if (!stale.ok) expect(stale.error.code).toBe('E_ADV_STALE_SEQ');
    const again = store.offer(newer);
    if (!again.ok) expect(again.error.code).toBe('E_ADV_STALE_SEQ');
    expect(store.get(newer['node/id'])?.['sequence/no']).toBe(1);
  });

  it('refuses a stale sequence before checking its signature, forged or not', async () => {
    const peer = advertiser(2, makeTempDir().path);
    const held = await peer.next(endpoint);
    const store = cache();
    store.offer(held);
    const forgedStale = { ...held, endpoints: [{ ...held.endpoints[0], 'endpoint/url': 'wss://evil.example/peer' }] };
    expect(store.offer(forgedStale)).toMatchObject({ ok: false, error: { code: 'E_ADV_STALE_SEQ' } });
    expect(store.get(held['node/id'])?.endpoints[0]?.['endpoint/url']).toBe('ws://127.0.0.1:7001/peer');
    const forgedNewer = { ...forgedStale, 'sequence/no': 99 };
    expect(store.offer(forgedNewer)).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('rejects forged, expired and own advertisements with their codes', async () => {
    const adv = await advertiser(2, makeTempDir().path).next(endpoint);
    const store = cache({ selfNodeId: testIdentity(1).nodeId });
    const forged = { ...adv, endpoints: [{ ...adv.endpoints[0], 'endpoint/url': 'wss://evil.example/peer' }] };
    expect(store.offer(forged)).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    const own = await advertiser(1).next(endpoint);
    expect(store.offer(own)).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    clock.advance(ADVERTISEMENT_TTL_MS + 1);
    expect(store.offer(adv)).toMatchObject({ ok: false, error: { code: 'E_ADV_EXPIRED' } });
    expect(store.offer({ not: 'an advertisement' })).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
  });

  it(`refuses a validly signed advertisement living past ADVERTISEMENT_MAX_LIFETIME_MS (${ADVERTISEMENT_MAX_LIFETIME_MS / 3_600_000} h), like the directory`, async () => {
    const store = cache();
    const farFuture = await new OwnAdvertisement({ identity: testIdentity(2), dataDir: makeTempDir().path, clock, ttlMs: 10 * 365 * 24 * 3_600_000 }).next(endpoint);
    expect(store.offer(farFuture)).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID', detail: expect.stringContaining('lives longer') } });
    expect(store.check(farFuture).ok).toBe(false);
    const atTheCap = await new OwnAdvertisement({ identity: testIdentity(3), dataDir: makeTempDir().path, clock, ttlMs: ADVERTISEMENT_MAX_LIFETIME_MS }).next(endpoint);
    expect(store.offer(atTheCap).ok).toBe(true);
    expect(store.size).toBe(1);
  });

  it('drops at load a far-future advertisement an older build stored, and keeps the rest', async () => {
    const farFuture = await new OwnAdvertisement({ identity: testIdentity(2), dataDir: makeTempDir().path, clock, ttlMs: 10 * 365 * 24 * 3_600_000 }).next(endpoint);
    const fine = await advertiser(3, makeTempDir().path).next(endpoint);
    writeFileSync(join(dir.path, ADVERTISEMENT_CACHE_FILE), JSON.stringify({ 'schema/v': 1, items: [farFuture, fine] }));
    const store = cache();
    expect(await store.load()).toEqual({ loaded: 1, dropped: 1 });
    expect(store.get(farFuture['node/id'])).toBeUndefined();
    expect(store.get(fine['node/id'])).toBeDefined();
  });

  it('checks without storing, stores what it checked, and forgets a node on request', async () => {
    const store = cache();
    const adv = await advertiser(2, makeTempDir().path).next(endpoint);
    const checked = store.check(adv);
    expect(checked.ok).toBe(true);
    expect(store.size).toBe(0);
    if (checked.ok) expect(store.store(checked.value)).toMatchObject({ ok: true, value: { change: 'added' } });
    expect(store.check(adv)).toMatchObject({ ok: false, error: { code: 'E_ADV_STALE_SEQ' } });
    expect(store.remove(adv['node/id'])).toBe(true);
    expect(store.remove(adv['node/id'])).toBe(false);
    expect(store.get(adv['node/id'])).toBeUndefined();
  });

  it('drops advertisements as they expire', async () => {
    const store = cache();
    store.offer(await advertiser(2, makeTempDir().path).next(endpoint));
    expect(store.all()).toHaveLength(1);
    clock.advance(ADVERTISEMENT_TTL_MS);
    expect(store.all()).toHaveLength(0);
  });

  it('holds at most its capacity, evicting the soonest to expire', async () => {
    const store = cache({ maxEntries: 2 });
    const ads = [];
    for (const byte of [2, 3, 4]) {
      ads.push(await advertiser(byte, makeTempDir().path).next(endpoint));
      clock.advance(1_000);
    }
    for (const adv of ads) expect(store.offer(adv).ok).toBe(true);
    expect(store.size).toBe(2);
    expect(store.get(ads[0]!['node/id'])).toBeUndefined();
  });

  it('keeps the advertisements of tried peers past its capacity, evicting an untried one first', async () => {
    const ads = [];
    for (const byte of [2, 3, 4]) {
      ads.push(await advertiser(byte, makeTempDir().path).next(endpoint));
      clock.advance(1_000);
    }
    const tried = new Set([ads[0]!['node/id']]);
    const store = cache({ maxEntries: 2, isTried: (id) => tried.has(id) });
    for (const adv of ads) expect(store.offer(adv).ok).toBe(true);
    expect(store.get(ads[0]!['node/id'])).toBeDefined();
    expect(store.get(ads[1]!['node/id'])).toBeUndefined();
  });

  it('survives a restart, re-verifying what it loads', async () => {
    const store = cache();
    const adv = await advertiser(2, makeTempDir().path).next(endpoint);
    store.offer(adv);
    await store.flush();
    const reloaded = cache();
    expect(await reloaded.load()).toEqual({ loaded: 1, dropped: 0 });
    expect(reloaded.get(adv['node/id'])?.['advertisement/id']).toBe(adv['advertisement/id']);
  });

  it('sets a corrupt file aside instead of losing it, and starts empty', async () => {
    writeFileSync(join(dir.path, ADVERTISEMENT_CACHE_FILE), '{"items": [tru');
    const reports: string[] = [];
    const store = cache({ onCorruptFile: (_error, aside) => reports.push(aside) });
    expect(await store.load()).toEqual({ loaded: 0, dropped: 0 });
    expect(reports).toHaveLength(1);
    expect(readdirSync(dir.path).some((f) => f.startsWith(`${ADVERTISEMENT_CACHE_FILE}.corrupt-`))).toBe(true);
  });

  it('samples without repeating', async () => {
    const store = cache();
    for (const byte of [2, 3, 4, 5]) store.offer(await advertiser(byte, makeTempDir().path).next(endpoint));
    const sample = store.sample(3);
    expect(new Set(sample.map((a) => a['node/id'])).size).toBe(3);
    expect(store.sample(10)).toHaveLength(4);
  });
});
