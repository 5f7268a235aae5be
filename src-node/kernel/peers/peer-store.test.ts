import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptFileError } from '../storage/atomic-file.js';
import { ManualClock } from '../util/clock.js';
import {
  MAX_ADVERTISEMENT_BYTES,
  MAX_CAPABILITIES_PER_PEER,
  MAX_CAPABILITY_LENGTH,
  MAX_ENDPOINTS_PER_PEER,
  MAX_LABEL_LENGTH,
  MAX_REASON_LENGTH,
  TRIED_MAX_CONSECUTIVE_FAILURES,
  isBlockedAt,
} from './peer-record.js';
import {
  AUTO_BLOCK_DURATION_MS,
  BUSY_BACKOFF,
  MAX_NEW_PEERS_PER_GROUP,
  MAX_NEW_PEERS_PER_SOURCE,
  MAX_REMEMBERED_PEERS,
  NEW_MAX_FAILURES,
  PEERS_FILE_NAME,
  PEERS_SAVE_DELAY_MS,
  PROTOCOL_VIOLATION_BLOCK_THRESHOLD,
  PROTOCOL_VIOLATION_WINDOW_MS,
  PeerStore,
  type PeerStoreEvent,
  type PeerStoreOptions,
} from './peer-store.js';
import { MAX_CORRUPT_COPIES, PEERS_FILE_MAX_BYTES, PEERS_FILE_SCHEMA } from './peers-file.js';
import { ManualScheduler, advertisementFor, nodeIdFor } from '../../../tests/support/peers.js';
import { MAX_ADVERTISED_ENDPOINTS, MAX_ENDPOINT_URL_BYTES } from '../../../src-shared/protocol/advertisement-rules.js';
import { UNKNOWN_SOURCE, type SourceRef } from './provenance.js';

const id = nodeIdFor;
const T0 = Date.parse('2026-11-21T12:00:00Z');

let dir: string;
let clock: ManualClock;
let timers: ManualScheduler;
let errors: unknown[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pnode-peers-'));
  clock = new ManualClock(T0);
  timers = new ManualScheduler(clock);
  errors = [];
});

/** Stores a test opened: closed (their last save awaited) before the directory goes. */
const opened: PeerStore[] = [];

afterEach(async () => {
  // A save the test's clock set off may still be writing; removing the directory under it fails.
  await Promise.all(opened.splice(0).map((store) => store.close().catch(() => undefined)));
  await rm(dir, { recursive: true, force: true });
});

async function open(extra: Partial<PeerStoreOptions> = {}): Promise<PeerStore> {
  const store = await PeerStore.open({ dataDir: dir, clock, schedule: timers.schedule, random: () => 0.5, onError: (e) => errors.push(e), ...extra });
  opened.push(store);
  return store;
}

function gossip(store: PeerStore, n: number, sequence = 1, from: SourceRef = UNKNOWN_SOURCE) {
  return store.upsertAdvertisement(advertisementFor(id(n), sequence, [{ url: `wss://peer-${n}.example/peer` }]), 'gossip', from);
}

/** A gossiping source `k`, in its own /24 unless `group` says otherwise. */
function source(k: number, group = `net:10.0.${k}.0/24`): SourceRef {
  return { key: `peer:source-${k}`, group };
}

describe('learning about peers', () => {
  it('adds a seed with its endpoints and label', async () => {
    const store = await open();
    const result = store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'], label: 'seed one' });
    expect(result.outcome).toBe('added');
    expect(result.peer).toMatchObject({ source: 'seed', label: 'seed one', lifecycle: 'idle', temperature: 'cold' });
    expect(result.peer?.endpoints).toEqual([{ url: 'wss://seed.example/peer', priority: 0, role: 'listener', origin: 'seed' }]);
  });

  it('answers unchanged, and tells no one, when a seed is upserted again as it is', async () => {
    const store = await open();
    store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'], label: 'seed one' });
    const events: PeerStoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    expect(store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'], label: 'seed one' }).outcome).toBe('unchanged');
    store.applyHotSet([]);
    expect(events).toEqual([]);
    expect(store.upsertSeed({ nodeId: id(1), urls: ['wss://seed2.example/peer'] }).outcome).toBe('updated');
  });

  it('upgrades a remembered peer to inbound when it connects to us', async () => {
    const store = await open();
    gossip(store, 1);
    await store.close();
    const again = await open();
    expect(again.get(id(1))?.source).toBe('remembered');
    expect(again.inboundAccepted(id(1))).toMatchObject({ outcome: 'updated', peer: { source: 'inbound', lifecycle: 'connected' } });
  });

  it('refuses a seed with a bad node-id or no usable URL', async () => {
    const store = await open();
    expect(store.upsertSeed({ nodeId: 'node:did:key:zNOPE', urls: ['wss://x.example'] }).outcome).toBe('invalid');
    expect(store.upsertSeed({ nodeId: id(1), urls: ['not a url'] }).outcome).toBe('invalid');
    expect(store.size).toBe(0);
  });

  it('takes endpoints from an advertisement, dropping unsupported transports', async () => {
    const store = await open();
    const ad = advertisementFor(id(1), 3, [
      { url: 'wss://b.example/peer', priority: 5 },
      { url: 'wss://a.example/other', priority: 0, transport: 'quic' },
      { url: 'wss://a.example/peer', priority: 1, role: 'relay' },
      { url: 'wss://c.example/peer', priority: 1, role: 'mystery' },
    ]);
    const result = store.upsertAdvertisement(ad, 'directory');
    expect(result.outcome).toBe('added');
    expect(result.peer?.endpoints.map((e) => e.url)).toEqual(['wss://a.example/peer', 'wss://b.example/peer']);
    expect(result.peer?.advertisement?.['sequence/no']).toBe(3);
    expect(result.peer?.source).toBe('directory');
  });

  it('replaces an advertisement only with a strictly higher sequence', async () => {
    const store = await open();
    expect(gossip(store, 1, 5).outcome).toBe('added');
    expect(gossip(store, 1, 5).outcome).toBe('stale');
    expect(gossip(store, 1, 4).outcome).toBe('stale');
    expect(gossip(store, 1, 6).outcome).toBe('updated');
    expect(store.get(id(1))?.advertisement?.['sequence/no']).toBe(6);
  });

  it('keeps seed endpoints when an advertisement arrives, and the stronger source', async () => {
    const store = await open();
    store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'] });
    const result = gossip(store, 1);
    expect(result.peer?.source).toBe('seed');
    expect(result.peer?.endpoints.map((e) => e.origin)).toEqual(['seed', 'advertisement']);
  });

  it('refuses advertisements it cannot use', async () => {
    const store = await open();
    const noEndpoint = advertisementFor(id(1), 1, [{ url: 'wss://x.example', transport: 'quic' }]);
    expect(store.upsertAdvertisement(noEndpoint, 'gossip').outcome).toBe('invalid');
    expect(store.upsertAdvertisement({ ...advertisementFor(id(1), 1), 'node/id': 'node:did:key:z1' }, 'gossip').outcome).toBe('invalid');
    expect(store.upsertAdvertisement({ ...advertisementFor(id(1), 1), 'sequence/no': -1 }, 'gossip').outcome).toBe('invalid');
    expect(store.size).toBe(0);
  });

  it(`refuses an advertisement over MAX_ADVERTISEMENT_BYTES (${MAX_ADVERTISEMENT_BYTES})`, async () => {
    const store = await open();
    const base = advertisementFor(id(1), 1);
    const baseSize = Buffer.byteLength(JSON.stringify({ ...base, policy_annotations: { pad: '' } }));
    const fits = { ...base, policy_annotations: { pad: 'x'.repeat(MAX_ADVERTISEMENT_BYTES - baseSize) } };
    expect(store.upsertAdvertisement(fits, 'gossip').outcome).toBe('added');
    const over = { ...base, 'sequence/no': 2, policy_annotations: { pad: 'x'.repeat(MAX_ADVERTISEMENT_BYTES - baseSize + 1) } };
    expect(store.upsertAdvertisement(over, 'gossip')).toMatchObject({ outcome: 'invalid', detail: expect.stringContaining('larger than') });
  });

  it(`keeps at most MAX_ENDPOINTS_PER_PEER (${MAX_ENDPOINTS_PER_PEER}) endpoints, the preferred ones`, async () => {
    const store = await open();
    store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'] });
    const endpoints = Array.from({ length: MAX_ADVERTISED_ENDPOINTS }, (_, i) => ({ url: `wss://e${i}.example/peer`, priority: MAX_ADVERTISED_ENDPOINTS - i }));
    const peer = store.upsertAdvertisement(advertisementFor(id(1), 1, endpoints), 'gossip').peer;
    expect(peer?.endpoints).toHaveLength(MAX_ENDPOINTS_PER_PEER);
    expect(peer?.endpoints[0]?.url).toBe('wss://seed.example/peer');
    expect(peer?.endpoints.map((e) => e.url)).not.toContain('wss://e0.example/peer');
  });

  it('refuses an advertisement the directory would refuse: too many endpoints, a bad URL, a lifetime past the cap', async () => {
    const store = await open();
    const many = Array.from({ length: MAX_ADVERTISED_ENDPOINTS + 1 }, (_, i) => ({ url: `wss://e${i}.example/peer` }));
    expect(store.upsertAdvertisement(advertisementFor(id(1), 1, many), 'gossip')).toMatchObject({ outcome: 'invalid', detail: expect.stringContaining('at most') });
    const long = `wss://long.example/${'a'.repeat(MAX_ENDPOINT_URL_BYTES)}`;
    expect(store.upsertAdvertisement(advertisementFor(id(2), 1, [{ url: long }]), 'gossip').outcome).toBe('invalid');
    expect(store.upsertAdvertisement(advertisementFor(id(3), 1, [{ url: 'wss://user:pw@c.example/peer' }]), 'gossip').outcome).toBe('invalid');
    const farFuture = { ...advertisementFor(id(4), 1), 'expires-at': '2036-11-21T12:00:00Z' };
    expect(store.upsertAdvertisement(farFuture, 'gossip')).toMatchObject({ outcome: 'invalid', detail: expect.stringContaining('lives longer') });
    expect(store.size).toBe(0);
  });

  it('records an inbound session as a connected peer', async () => {
    const store = await open();
    const result = store.inboundAccepted(id(1));
    expect(result.outcome).toBe('added');
    expect(result.peer).toMatchObject({ source: 'inbound', lifecycle: 'connected', temperature: 'warm', successes: 1, connectedSince: T0 });
    expect(store.inboundAccepted('node:did:key:zBAD').outcome).toBe('invalid');
  });
});

describe('session events', () => {
  it('moves a peer through dialing, connected and a clean close', async () => {
    const store = await open();
    gossip(store, 1);
    expect(store.dialStarted(id(1), 'wss://peer-1.example/peer')).toMatchObject({ lifecycle: 'dialing', selectedEndpointUrl: 'wss://peer-1.example/peer' });
    clock.advance(100);
    expect(store.dialSucceeded(id(1))).toMatchObject({ lifecycle: 'connected', temperature: 'warm', successes: 1, connectedSince: T0 + 100 });
    clock.advance(60_000);
    const closed = store.sessionClosed(id(1), { lost: false });
    expect(closed).toMatchObject({ lifecycle: 'idle', temperature: 'cold', connectedSince: null, connectedMs: 60_000, failures: 0, cooldownUntil: null });
  });

  it('starts a backoff cooldown on a failed dial and lifts it when it expires', async () => {
    const store = await open();
    gossip(store, 1);
    store.dialStarted(id(1), 'wss://peer-1.example/peer');
    // random 0.5: half the ceiling; the ceiling doubles per consecutive failure.
    expect(store.dialFailed(id(1), 'E_TRANSPORT_UNAVAILABLE')).toMatchObject({ lifecycle: 'cooldown', cooldownUntil: T0 + 500, consecutiveFailures: 1, failures: 1, lastFailureReason: 'E_TRANSPORT_UNAVAILABLE' });
    expect(store.candidates()).toEqual([]);
    clock.advance(500);
    expect(store.candidates().map((p) => p.nodeId)).toEqual([id(1)]);
    expect(store.get(id(1))).toMatchObject({ lifecycle: 'idle', cooldownUntil: null });
    expect(store.dialFailed(id(1), 'again')?.cooldownUntil).toBe(T0 + 500 + 1_000);
  });

  it('counts a lost session as a failure with a cooldown', async () => {
    const store = await open();
    store.inboundAccepted(id(1));
    clock.advance(10_000);
    const peer = store.sessionClosed(id(1), { lost: true, reason: 'keepalive lost' });
    expect(peer).toMatchObject({ lifecycle: 'cooldown', failures: 1, consecutiveFailures: 1, connectedMs: 10_000, lastFailureReason: 'keepalive lost', cooldownUntil: T0 + 10_000 + 500 });
  });

  it('cools a peer that closed the session because it was full, longer each time in a row, without counting a failure', async () => {
    const store = await open();
    gossip(store, 1);
    const turnedAway = () => {
      store.dialStarted(id(1), 'wss://peer-1.example/peer');
      store.dialSucceeded(id(1));
      return store.sessionClosed(id(1), { lost: false, busy: true, reason: 'working set: over-limit' });
    };
    // random 0.5: half the ceiling, which doubles from BUSY_BACKOFF.minMs each time in a row.
    expect(turnedAway()).toMatchObject({ lifecycle: 'cooldown', failures: 0, consecutiveFailures: 0, cooldownUntil: T0 + BUSY_BACKOFF.minMs / 2 });
    expect(store.candidates()).toEqual([]);
    clock.advance(BUSY_BACKOFF.minMs / 2);
    expect(store.candidates().map((p) => p.nodeId)).toEqual([id(1)]);
    const now = clock.now();
    expect(turnedAway()?.cooldownUntil).toBe(now + BUSY_BACKOFF.minMs);
    clock.advance(BUSY_BACKOFF.minMs);
    // A session that ends any other way starts the count again.
    store.dialStarted(id(1), 'wss://peer-1.example/peer');
    store.dialSucceeded(id(1));
    store.sessionClosed(id(1), { lost: false });
    expect(turnedAway()?.cooldownUntil).toBe(clock.now() + BUSY_BACKOFF.minMs / 2);
  });

  it('resets consecutive failures on success', async () => {
    const store = await open();
    gossip(store, 1);
    store.dialFailed(id(1), 'x');
    store.dialFailed(id(1), 'y');
    expect(store.dialSucceeded(id(1))).toMatchObject({ consecutiveFailures: 0, failures: 2, successes: 1, cooldownUntil: null });
  });

  it('smooths RTT samples and ignores nonsense', async () => {
    const store = await open();
    gossip(store, 1);
    store.rttSample(id(1), 80);
    expect(store.rttSample(id(1), 160)).toMatchObject({ rttLastMs: 160, rttSmoothedMs: 90 });
    expect(store.rttSample(id(1), -5)).toBeUndefined();
    expect(store.rttSample(id(1), Number.NaN)).toBeUndefined();
  });

  it('ignores events for unknown peers', async () => {
    const store = await open();
    expect(store.dialSucceeded(id(9))).toBeUndefined();
    expect(store.protocolViolation(id(9), 'E_HS_REPLAY')).toBeUndefined();
    expect(store.block(id(9), { reason: 'x' })).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('marks hot peers from the working set', async () => {
    const store = await open();
    store.inboundAccepted(id(1));
    store.inboundAccepted(id(2));
    gossip(store, 3);
    store.applyHotSet([id(1), id(3)]);
    expect(store.get(id(1))?.temperature).toBe('hot');
    expect(store.get(id(2))?.temperature).toBe('warm');
    expect(store.get(id(3))?.temperature).toBe('cold');
    store.applyHotSet([]);
    expect(store.get(id(1))?.temperature).toBe('warm');
  });

  it(`keeps capability lists bounded: MAX_CAPABILITIES_PER_PEER (${MAX_CAPABILITIES_PER_PEER}), MAX_CAPABILITY_LENGTH (${MAX_CAPABILITY_LENGTH})`, async () => {
    const store = await open();
    gossip(store, 1);
    const many = Array.from({ length: MAX_CAPABILITIES_PER_PEER + 1 }, (_, i) => `plugin/p${String(i).padStart(3, '0')}`);
    expect(store.capabilitiesExchanged(id(1), many)?.capabilities).toHaveLength(MAX_CAPABILITIES_PER_PEER);
    const long = `plugin/${'a'.repeat(MAX_CAPABILITY_LENGTH - 7)}`;
    const tooLong = `plugin/${'b'.repeat(MAX_CAPABILITY_LENGTH - 6)}`;
    expect(store.capabilitiesExchanged(id(1), ['core/messaging', long, tooLong, 'core/messaging'])?.capabilities).toEqual(['core/messaging', long]);
  });

  it(`cuts labels at MAX_LABEL_LENGTH (${MAX_LABEL_LENGTH}) and reasons at MAX_REASON_LENGTH (${MAX_REASON_LENGTH})`, async () => {
    const store = await open();
    gossip(store, 1);
    expect(store.setLabel(id(1), 'x'.repeat(MAX_LABEL_LENGTH))?.label).toHaveLength(MAX_LABEL_LENGTH);
    expect(store.setLabel(id(1), 'x'.repeat(MAX_LABEL_LENGTH + 1))?.label).toHaveLength(MAX_LABEL_LENGTH);
    expect(store.dialFailed(id(1), 'r'.repeat(MAX_REASON_LENGTH + 1))?.lastFailureReason).toHaveLength(MAX_REASON_LENGTH);
    expect(store.setLabel(id(1), null)?.label).toBeNull();
  });
});

describe('blocking', () => {
  it(`blocks a peer automatically at PROTOCOL_VIOLATION_BLOCK_THRESHOLD (${PROTOCOL_VIOLATION_BLOCK_THRESHOLD}) strikes, for AUTO_BLOCK_DURATION_MS`, async () => {
    const store = await open();
    store.inboundAccepted(id(1));
    for (let i = 1; i < PROTOCOL_VIOLATION_BLOCK_THRESHOLD; i++) {
      expect(store.protocolViolation(id(1), 'E_PROTO_INVALID', 'bad frame')?.block).toBeNull();
      clock.advance(1_000);
    }
    const blocked = store.protocolViolation(id(1), 'E_HS_REPLAY');
    expect(blocked).toMatchObject({ lifecycle: 'blocked', temperature: 'blocked', replayIncidents: 1, protocolViolations: PROTOCOL_VIOLATION_BLOCK_THRESHOLD });
    expect(blocked?.block).toMatchObject({ automatic: true, until: clock.now() + AUTO_BLOCK_DURATION_MS });
    expect(blocked?.block?.reason).toContain('E_HS_REPLAY');
  });

  it('does not count incompatibility or bad luck as strikes', async () => {
    const store = await open();
    gossip(store, 1);
    for (let i = 0; i < 10; i++) {
      store.protocolViolation(id(1), 'E_PROTO_CAP_MISSING');
      store.protocolViolation(id(1), 'E_PROTO_VERSION');
      store.protocolViolation(id(1), 'E_TRANSPORT_UNAVAILABLE');
      store.protocolViolation(id(1), 'E_ADV_STALE_SEQ');
    }
    expect(store.get(id(1))).toMatchObject({ block: null, capabilityMissingCount: 10, protocolViolations: 40, violationStrikes: 0 });
  });

  it(`starts counting again after PROTOCOL_VIOLATION_WINDOW_MS of good behaviour`, async () => {
    const store = await open();
    gossip(store, 1);
    for (let i = 1; i < PROTOCOL_VIOLATION_BLOCK_THRESHOLD; i++) store.protocolViolation(id(1), 'E_SIG_INVALID');
    clock.advance(PROTOCOL_VIOLATION_WINDOW_MS + 1);
    expect(store.protocolViolation(id(1), 'E_SIG_INVALID')).toMatchObject({ block: null, violationStrikes: 1 });
    // Within the window the count goes on.
    for (let i = 2; i < PROTOCOL_VIOLATION_BLOCK_THRESHOLD; i++) {
      clock.advance(PROTOCOL_VIOLATION_WINDOW_MS);
      store.protocolViolation(id(1), 'E_SIG_INVALID');
    }
    clock.advance(PROTOCOL_VIOLATION_WINDOW_MS);
    expect(store.protocolViolation(id(1), 'E_SIG_INVALID')?.block?.automatic).toBe(true);
  });

  it('lifts an automatic block by itself when it expires, and says so', async () => {
    const store = await open();
    gossip(store, 1);
    for (let i = 0; i < PROTOCOL_VIOLATION_BLOCK_THRESHOLD; i++) store.protocolViolation(id(1), 'E_PROTO_INVALID');
    const events: PeerStoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    clock.advance(AUTO_BLOCK_DURATION_MS - 1);
    timers.runDue();
    expect(events).toEqual([]);
    clock.advance(1);
    timers.runDue();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'updated', peer: { block: null, lifecycle: 'idle', temperature: 'cold', violationStrikes: 0 } });
  });

  it('blocks by hand with an expiry, and refuses dials while blocked', async () => {
    const store = await open();
    gossip(store, 1);
    expect(store.block(id(1), { reason: 'operator says so', durationMs: 60_000 })).toMatchObject({ lifecycle: 'blocked', block: { automatic: false, until: T0 + 60_000 } });
    expect(store.isBlocked(id(1))).toBe(true);
    expect(store.isBlocked(id(2))).toBe(false);
    expect(store.dialStarted(id(1), 'wss://peer-1.example/peer')).toBeUndefined();
    expect(store.candidates()).toEqual([]);
    clock.advance(60_000);
    expect(store.dialStarted(id(1), 'wss://peer-1.example/peer')).toMatchObject({ lifecycle: 'dialing', block: null });
  });

  it('keeps a block without expiry until unblocked by hand', async () => {
    const store = await open();
    gossip(store, 1);
    store.block(id(1), { reason: 'spam' });
    clock.advance(365 * 24 * 3_600_000);
    expect(store.sweep()).toBe(0);
    expect(isBlockedAt(store.get(id(1))!, clock.now())).toBe(true);
    expect(store.unblock(id(1))).toMatchObject({ block: null, lifecycle: 'idle', temperature: 'cold' });
  });

  it('blocks a connected peer; the session close keeps it blocked; unblocking later makes it idle', async () => {
    const store = await open();
    store.inboundAccepted(id(1));
    expect(store.block(id(1), { reason: 'x' })).toMatchObject({ lifecycle: 'blocked', temperature: 'blocked' });
    expect(store.sessionClosed(id(1), { lost: false })).toMatchObject({ lifecycle: 'blocked', connectedSince: null });
    expect(store.unblock(id(1))?.lifecycle).toBe('idle');
  });

  it('tells when the next block or cooldown lifts', async () => {
    const store = await open();
    gossip(store, 1);
    gossip(store, 2);
    expect(store.nextExpiry()).toBeNull();
    store.block(id(1), { reason: 'x', durationMs: 5_000 });
    store.dialFailed(id(2), 'y');
    expect(store.nextExpiry()).toBe(T0 + 500);
  });
});

describe(`the bound of MAX_REMEMBERED_PEERS (${MAX_REMEMBERED_PEERS}), tried and new (issue 15 §1)`, () => {
  it('makes room at the cost of the heaviest source, first taking a new peer that is no use', async () => {
    const store = await open();
    const sources = 8;
    for (let i = 0; i < MAX_REMEMBERED_PEERS; i++) {
      expect(gossip(store, i, 1, source(i % sources)).outcome).toBe('added');
      clock.advance(1);
    }
    const removed: string[] = [];
    store.subscribe((e) => {
      if (e.type === 'removed') removed.push(`${e.reason}:${e.peer.nodeId}`);
    });
    // Peer 5 failed NEW_MAX_FAILURES dials in a row: it goes first, whoever's it is.
    for (let f = 0; f < NEW_MAX_FAILURES; f++) store.dialFailed(id(5), 'x');
    expect(gossip(store, MAX_REMEMBERED_PEERS, 1, source(100)).outcome).toBe('added');
    expect(removed).toEqual([`evicted:${id(5)}`]);
    // Then the oldest of one of the heaviest sources (each holds 125, the newcomer's 1).
    expect(gossip(store, MAX_REMEMBERED_PEERS + 1, 1, source(100)).outcome).toBe('added');
    expect(removed).toHaveLength(2);
    // The oldest of its source: one of the first `sources` peers, and not of peer 5's source (it has one fewer).
    const loser = [...Array(MAX_REMEMBERED_PEERS).keys()].find((i) => removed[1] === `evicted:${id(i)}`)!;
    expect(loser).toBeLessThan(sources);
    expect(loser).not.toBe(5);
    // A newcomer from a source as heavy as any other is refused: no one is heavier than it would be.
    expect(gossip(store, MAX_REMEMBERED_PEERS + 2, 1, source(0)).outcome).toBe('full');
    expect(store.size).toBe(MAX_REMEMBERED_PEERS);
  });

  it('lets a flooding source lose its own peers first, refuses its newcomers, and never pushes out a tried peer', async () => {
    const store = await open({ maxPeers: 10 });
    gossip(store, 0, 1, source(1));
    store.dialSucceeded(id(0));
    store.sessionClosed(id(0), { lost: false });
    gossip(store, 1, 1, source(1));
    for (let n = 100; n < 108; n++) expect(gossip(store, n, 1, source(9)).outcome).toBe('added');
    expect(store.size).toBe(10);
    // The flood's next one: its group is the heaviest; nobody is pushed out for it.
    expect(gossip(store, 108, 1, source(9)).outcome).toBe('full');
    // Another identity of the same neighbourhood gets in only at its own neighbourhood's cost.
    expect(gossip(store, 109, 1, { key: 'peer:other-flooder', group: source(9).group }).outcome).toBe('added');
    expect(store.heldBy(source(9).key)).toBe(7);
    expect(gossip(store, 110, 1, { key: 'peer:other-flooder', group: source(9).group }).outcome).toBe('added');
    expect(store.heldBy(source(9).key)).toBe(6);
    // An honest newcomer from elsewhere gets in at the flood's cost, again and again.
    for (let n = 200; n < 206; n++) expect(gossip(store, n, 1, source(n)).outcome).toBe('added');
    expect(store.heldBy(source(9).key) + store.heldBy('peer:other-flooder')).toBe(2);
    expect(store.get(id(0))).toBeDefined();
    expect(store.isTried(id(0))).toBe(true);
    expect(store.get(id(1))).toBeDefined();
  });

  it(`holds at most maxPerSource new peers per source, full or not (default MAX_NEW_PEERS_PER_SOURCE ${MAX_NEW_PEERS_PER_SOURCE})`, async () => {
    const store = await open({ maxPerSource: 3 });
    for (let n = 0; n < 3; n++) expect(gossip(store, n, 1, source(1)).outcome).toBe('added');
    expect(gossip(store, 3, 1, source(1))).toMatchObject({ outcome: 'full', detail: expect.stringContaining('holds 3') });
    expect(gossip(store, 3, 1, source(2)).outcome).toBe('added');
    // A peer it brought that we then reached ourselves no longer counts against it.
    store.dialSucceeded(id(0));
    expect(gossip(store, 4, 1, source(1)).outcome).toBe('added');
  });

  it(`holds at most maxPerGroup new peers per group, however many identities speak from it (default MAX_NEW_PEERS_PER_GROUP ${MAX_NEW_PEERS_PER_GROUP})`, async () => {
    const store = await open({ maxPerGroup: 4 });
    const neighbourhood = source(1).group;
    // Four identities of one address prefix, one new peer each: the group is full.
    for (let n = 0; n < 4; n++) expect(gossip(store, n, 1, { key: `peer:flooder-${n}`, group: neighbourhood }).outcome).toBe('added');
    expect(gossip(store, 4, 1, { key: 'peer:flooder-4', group: neighbourhood })).toMatchObject({ outcome: 'full', detail: expect.stringContaining(`${neighbourhood} holds 4`) });
    // Another neighbourhood is not held back by it.
    expect(gossip(store, 5, 1, source(2)).outcome).toBe('added');
    // A peer of the group we reached ourselves is tried, and no longer counts against it.
    store.dialSucceeded(id(0));
    expect(gossip(store, 6, 1, { key: 'peer:flooder-6', group: neighbourhood }).outcome).toBe('added');
    expect(store.size).toBe(6);
  });

  it('lets a seed push out new peers, then tried ones, then other seeds; never peers blocked by hand before those, nor live ones', async () => {
    const max = 5;
    const store = await open({ maxPeers: max });
    store.inboundAccepted(id(0), '10.1.1.1'); // live
    store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example'] }); // seed
    gossip(store, 2, 1, source(2));
    store.block(id(2), { reason: 'x' }); // blocked by hand
    gossip(store, 3, 1, source(3));
    store.dialSucceeded(id(3));
    store.sessionClosed(id(3), { lost: false }); // tried
    gossip(store, 4, 1, source(4)); // new
    const order: string[] = [];
    store.subscribe((e) => {
      if (e.type === 'removed') order.push(e.peer.nodeId);
    });
    clock.advance(1_000);
    for (let n = 10; n < 14; n++) expect(store.upsertSeed({ nodeId: id(n), urls: [`wss://seed-${n}.example`] }).outcome).toBe('added');
    // The fourth seed pushes out another seed: a peer blocked by hand outlives them (its block must hold).
    expect(order.slice(0, 3)).toEqual([id(4), id(3), id(1)]);
    expect([id(10), id(11), id(12)]).toContain(order[3]);
    expect(store.get(id(2))?.lifecycle).toBe('blocked');
    expect(store.get(id(0))?.lifecycle).toBe('connected');
    // Only live peers and seeds are left: an inbound stranger finds no room.
    expect(store.inboundAccepted(id(20), '10.2.2.2').outcome).toBe('full');
    expect(store.size).toBe(max);
  });

  it('does not let gossip, a directory or inbound sessions push out peers that worked', async () => {
    const store = await open({ maxPeers: 2 });
    gossip(store, 1, 1, source(1));
    store.dialSucceeded(id(1));
    store.sessionClosed(id(1), { lost: false });
    store.upsertSeed({ nodeId: id(2), urls: ['wss://seed.example'] });
    expect(gossip(store, 3, 1, source(3)).outcome).toBe('full');
    expect(store.upsertAdvertisement(advertisementFor(id(4), 1), 'directory', source(4)).outcome).toBe('full');
    expect(store.inboundAccepted(id(5), '10.9.9.9').outcome).toBe('full');
    // A seed may.
    expect(store.upsertSeed({ nodeId: id(6), urls: ['wss://seed6.example'] }).outcome).toBe('added');
    expect(store.get(id(1))).toBeUndefined();
  });

  it(`treats a tried peer that then failed TRIED_MAX_CONSECUTIVE_FAILURES (${TRIED_MAX_CONSECUTIVE_FAILURES}) times in a row as new again`, async () => {
    const store = await open({ maxPeers: 1 });
    gossip(store, 1, 1, source(1));
    store.dialSucceeded(id(1));
    store.sessionClosed(id(1), { lost: false });
    expect(gossip(store, 2, 1, source(2)).outcome).toBe('full');
    for (let f = 0; f < TRIED_MAX_CONSECUTIVE_FAILURES; f++) store.dialFailed(id(1), 'gone');
    expect(store.isTried(id(1))).toBe(false);
    expect(gossip(store, 2, 1, source(2)).outcome).toBe('added');
  });

  it('makes a peer tried only when we dialed it: an inbound session proves the identity, not the address', async () => {
    const store = await open();
    store.inboundAccepted(id(1), '10.1.1.1');
    expect(store.get(id(1))).toMatchObject({ successes: 1, verifiedAt: null, sources: [{ key: 'inbound:10.1.1.1', group: 'net:10.1.1.0/24' }] });
    expect(store.isTried(id(1))).toBe(false);
    store.sessionClosed(id(1), { lost: false });
    clock.advance(1_000);
    store.dialSucceeded(id(1));
    expect(store.get(id(1))?.verifiedAt).toBe(T0 + 1_000);
    expect(store.isTried(id(1))).toBe(true);
  });
});

describe('sources that turn out hostile (issue 15 §1)', () => {
  it('forgets the new peers only the source brought; peers others vouched for, tried peers and seeds stay', async () => {
    const store = await open();
    const hostile = source(66);
    for (let n = 0; n < 5; n++) gossip(store, n, 1, hostile);
    gossip(store, 1, 1, source(2)); // vouched for by another source too
    store.dialSucceeded(id(2)); // tried
    store.sessionClosed(id(2), { lost: false });
    store.upsertSeed({ nodeId: id(3), urls: ['wss://seed.example'] });
    const removed: string[] = [];
    store.subscribe((e) => {
      if (e.type === 'removed') removed.push(`${e.reason}:${e.peer.nodeId}`);
    });
    expect(store.dropSource(hostile.key)).toBe(2);
    expect(removed.sort()).toEqual([`dropped:${id(0)}`, `dropped:${id(4)}`].sort());
    expect(store.get(id(1))?.sources).toEqual([source(2)]);
    expect(store.heldBy(source(2).key)).toBe(1);
    expect(store.heldBy(hostile.key)).toBe(0);
    expect(store.get(id(2))).toBeDefined();
    expect(store.get(id(3))).toBeDefined();
  });

  it('forgets a new peer being dialed when its source is dropped, once the dial is over', async () => {
    const store = await open();
    const hostile = source(66);
    gossip(store, 1, 1, hostile);
    store.dialStarted(id(1), 'wss://peer-1.example/peer');
    expect(store.dropSource(hostile.key)).toBe(0);
    expect(store.get(id(1))?.sources).toEqual([]);
    store.dialFailed(id(1), 'no answer');
    expect(store.get(id(1))).toBeUndefined();
  });

  it('drops what a peer brought when it is blocked, by hand or for its strikes', async () => {
    const store = await open();
    gossip(store, 1, 1, source(1));
    gossip(store, 2, 1, source(1));
    const byOne = { key: `peer:${id(1)}`, group: 'net:10.0.1.0/24' };
    for (let n = 10; n < 13; n++) gossip(store, n, 1, byOne);
    store.block(id(1), { reason: 'flooding' });
    for (let n = 10; n < 13; n++) expect(store.get(id(n))).toBeUndefined();
    const byTwo = { key: `peer:${id(2)}`, group: 'net:10.0.1.0/24' };
    gossip(store, 20, 1, byTwo);
    for (let i = 0; i < PROTOCOL_VIOLATION_BLOCK_THRESHOLD; i++) store.protocolViolation(id(2), 'E_SIG_INVALID');
    expect(store.isBlocked(id(2))).toBe(true);
    expect(store.get(id(20))).toBeUndefined();
  });

  it('keeps who brought each peer and who was tried across a restart', async () => {
    const store = await open();
    gossip(store, 1, 1, source(1));
    gossip(store, 1, 1, source(2));
    gossip(store, 2, 1, source(1));
    store.dialSucceeded(id(2));
    await store.close();
    const again = await open({ maxPerSource: 1 });
    expect(again.get(id(1))?.sources).toEqual([source(1), source(2)]);
    expect(again.isTried(id(2))).toBe(true);
    expect(again.heldBy(source(1).key)).toBe(1);
    expect(gossip(again, 3, 1, source(1)).outcome).toBe('full');
    expect(again.dropSource(source(2).key)).toBe(0);
    expect(again.dropSource(source(1).key)).toBe(1);
  });
});

describe('persistence', () => {
  it('saves once, PEERS_SAVE_DELAY_MS after the first change, however many follow', async () => {
    const store = await open();
    const path = join(dir, PEERS_FILE_NAME);
    gossip(store, 1);
    clock.advance(PEERS_SAVE_DELAY_MS - 1);
    for (let i = 0; i < 10; i++) store.rttSample(id(1), 30 + i);
    expect(timers.runDue()).toBe(0);
    clock.advance(1);
    expect(timers.runDue()).toBe(1);
    await store.flush();
    const saved = JSON.parse(await readFile(path, 'utf8')) as { schema: string; peers: Array<{ nodeId: string; rttLastMs: number }> };
    expect(saved.schema).toBe(PEERS_FILE_SCHEMA);
    expect(saved.peers.map((p) => [p.nodeId, p.rttLastMs])).toEqual([[id(1), 39]]);
    expect(timers.due).toEqual([]);
  });

  it('round-trips through peers.json', async () => {
    const store = await open();
    store.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'], label: 'seed' });
    gossip(store, 2, 7);
    store.dialStarted(id(2), 'wss://peer-2.example/peer');
    store.dialSucceeded(id(2));
    store.rttSample(id(2), 42);
    store.capabilitiesExchanged(id(2), ['core/messaging', 'core/keepalive']);
    clock.advance(30_000);
    gossip(store, 3);
    store.block(id(3), { reason: 'spam', durationMs: 3_600_000 });
    store.protocolViolation(id(3), 'E_HS_REPLAY', 'nonce seen');
    store.dialFailed(id(1), 'E_TRANSPORT_UNAVAILABLE');
    await store.close();

    clock.advance(1_000);
    const again = await open();
    expect(again.loadReport).toEqual({ status: 'loaded', peers: 3 });
    const seed = again.get(id(1))!;
    expect(seed).toMatchObject({ label: 'seed', source: 'remembered', lifecycle: 'idle', failures: 1, consecutiveFailures: 1, cooldownUntil: null });
    const connected = again.get(id(2))!;
    expect(connected).toMatchObject({
      source: 'remembered',
      lifecycle: 'idle',
      temperature: 'cold',
      connectedSince: null,
      connectedMs: 30_000,
      successes: 1,
      rttLastMs: 42,
      capabilities: ['core/keepalive', 'core/messaging'],
      selectedEndpointUrl: 'wss://peer-2.example/peer',
    });
    expect(connected.advertisement?.['sequence/no']).toBe(7);
    expect(again.get(id(3))).toMatchObject({ lifecycle: 'blocked', temperature: 'blocked', replayIncidents: 1, block: { reason: 'spam', until: T0 + 30_000 + 3_600_000 } });
    // Seeds come back from configuration.
    expect(again.upsertSeed({ nodeId: id(1), urls: ['wss://seed.example/peer'] }).peer?.source).toBe('seed');
    // And a newer advertisement must still beat the remembered sequence.
    expect(gossip(again, 2, 7).outcome).toBe('stale');
  });

  it('saves synchronously for exit paths', async () => {
    const store = await open();
    gossip(store, 1);
    store.flushSync();
    expect(timers.due).toEqual([]);
    const again = await open();
    expect(again.get(id(1))).toBeDefined();
  });

  it('lifts a block that expired while the node was off, and re-arms one that did not', async () => {
    const store = await open();
    gossip(store, 1);
    gossip(store, 2);
    store.block(id(1), { reason: 'short', durationMs: 1_000 });
    store.block(id(2), { reason: 'long', durationMs: 10_000 });
    await store.close();
    clock.advance(5_000);
    timers = new ManualScheduler(clock);
    const again = await open();
    expect(again.get(id(1))?.block).toBeNull();
    expect(again.get(id(2))?.lifecycle).toBe('blocked');
    clock.advance(5_000);
    timers.runDue();
    expect(again.all().find((p) => p.nodeId === id(2))?.block).toBeNull();
  });

  it('keeps only the most useful MAX_REMEMBERED_PEERS of a larger file', async () => {
    const big = await open({ maxPeers: 4 });
    for (let n = 0; n < 4; n++) gossip(big, n);
    big.dialFailed(id(2), 'x');
    await big.close();
    const small = await open({ maxPeers: 3 });
    expect(small.size).toBe(3);
    expect(small.get(id(2))).toBeUndefined();
  });

  it('reads a file of an older build: no sources (unknown), a peer that had sessions was reached; a far-future advertisement is dropped with its endpoints', async () => {
    const store = await open();
    gossip(store, 1);
    store.inboundAccepted(id(1), '10.1.1.1');
    gossip(store, 2);
    await store.close();
    const path = join(dir, PEERS_FILE_NAME);
    const file = JSON.parse(await readFile(path, 'utf8')) as { peers: Array<Record<string, unknown>> };
    for (const peer of file.peers) {
      delete peer['sources'];
      delete peer['verifiedAt'];
    }
    const second = file.peers.find((p) => p['nodeId'] === id(2))!;
    second['advertisement'] = { ...(second['advertisement'] as object), 'expires-at': '2036-11-21T12:00:00Z' };
    await writeFile(path, JSON.stringify(file));
    const again = await open();
    expect(again.get(id(1))).toMatchObject({ sources: [UNKNOWN_SOURCE], verifiedAt: T0 });
    expect(again.get(id(2))).toMatchObject({ advertisement: null, endpoints: [], verifiedAt: null });
  });

  it('reports a write failure from a background save and keeps the changes for the next', async () => {
    const store = await PeerStore.open({ dataDir: join(dir, 'peers.json', 'nested'), clock, schedule: timers.schedule, onError: (e) => errors.push(e) });
    await writeFile(join(dir, 'peers.json'), 'a file where a folder must be');
    gossip(store, 1);
    clock.advance(PEERS_SAVE_DELAY_MS);
    timers.runDue();
    await expect(store.flush()).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});

describe('a peers.json that cannot be trusted', () => {
  async function filesInDir(): Promise<string[]> {
    return (await readdir(dir)).sort();
  }

  it('is reported with its path, moved aside, and the node starts empty', async () => {
    const path = join(dir, PEERS_FILE_NAME);
    await writeFile(path, '{"schema": "pnode-peers.v1", "peers": [');
    const store = await open();
    expect(store.size).toBe(0);
    const report = store.loadReport;
    expect(report.status).toBe('corrupt');
    if (report.status !== 'corrupt') return;
    expect(report.error).toBeInstanceOf(CorruptFileError);
    expect(report.error.path).toBe(path);
    expect(report.error.message).toContain(path);
    expect(report.movedTo).toBe(`${path}.corrupt-2026-11-21T120000Z`);
    expect(report.recovered).toBe(0);
    expect(await filesInDir()).toEqual(['peers.json.corrupt-2026-11-21T120000Z']);
    expect(await readFile(report.movedTo!, 'utf8')).toBe('{"schema": "pnode-peers.v1", "peers": [');
    // The store works and saves a fresh file.
    gossip(store, 1);
    await store.flush();
    expect(await filesInDir()).toEqual(['peers.json', 'peers.json.corrupt-2026-11-21T120000Z']);
  });

  it('never overwrites an earlier corrupt copy', async () => {
    const path = join(dir, PEERS_FILE_NAME);
    await writeFile(path, 'garbage one');
    await open();
    await writeFile(path, 'garbage two');
    const store = await open();
    expect(store.loadReport).toMatchObject({ movedTo: `${path}.corrupt-2026-11-21T120000Z-1` });
    expect(await readFile(`${path}.corrupt-2026-11-21T120000Z`, 'utf8')).toBe('garbage one');
  });

  it(`keeps the file in place and saves nothing when MAX_CORRUPT_COPIES (${MAX_CORRUPT_COPIES}) copies exist`, async () => {
    const path = join(dir, PEERS_FILE_NAME);
    for (let i = 0; i < MAX_CORRUPT_COPIES - 1; i++) await writeFile(`${path}.corrupt-2026-11-21T120000Z${i === 0 ? '' : `-${i}`}`, 'old');
    await writeFile(path, 'garbage');
    expect((await open()).loadReport).toMatchObject({ movedTo: `${path}.corrupt-2026-11-21T120000Z-${MAX_CORRUPT_COPIES - 1}` });
    await writeFile(path, 'more garbage');
    const store = await open();
    expect(store.loadReport).toMatchObject({ status: 'corrupt', movedTo: null });
    gossip(store, 1);
    await store.flush();
    store.flushSync();
    expect(await readFile(path, 'utf8')).toBe('more garbage');
  });

  it('is not a peers file when its schema is wrong', async () => {
    await writeFile(join(dir, PEERS_FILE_NAME), JSON.stringify({ schema: 'something-else', peers: [] }));
    const store = await open();
    expect(store.loadReport).toMatchObject({ status: 'corrupt', recovered: 0 });
    if (store.loadReport.status === 'corrupt') expect(store.loadReport.error.message).toContain(`not a ${PEERS_FILE_SCHEMA} file`);
  });

  it('keeps the valid records of a file with some bad ones, and the file aside', async () => {
    const good = await open();
    gossip(good, 1);
    gossip(good, 2);
    await good.close();
    const path = join(dir, PEERS_FILE_NAME);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { peers: Array<Record<string, unknown>> };
    saved.peers[1]!['successes'] = -4;
    saved.peers.push({ ...saved.peers[0]! });
    saved.peers.push({ nodeId: 'node:did:key:zBAD' });
    await writeFile(path, JSON.stringify(saved));
    const store = await open();
    expect(store.loadReport).toMatchObject({ status: 'corrupt', recovered: 1 });
    if (store.loadReport.status === 'corrupt') expect(store.loadReport.error.message).toContain('peer 1:');
    expect(store.get(id(1))).toBeDefined();
    expect(store.get(id(2))).toBeUndefined();
    // The recovered records are saved to a fresh file.
    clock.advance(PEERS_SAVE_DELAY_MS);
    timers.runDue();
    await store.flush();
    const rewritten = JSON.parse(await readFile(path, 'utf8')) as { peers: Array<{ nodeId: string }> };
    expect(rewritten.peers.map((p) => p.nodeId)).toEqual([id(1)]);
  });

  it(`is not read at all when larger than PEERS_FILE_MAX_BYTES (${PEERS_FILE_MAX_BYTES})`, async () => {
    const path = join(dir, PEERS_FILE_NAME);
    await writeFile(path, Buffer.alloc(PEERS_FILE_MAX_BYTES + 1, 0x20));
    const store = await open();
    expect(store.loadReport.status).toBe('corrupt');
    if (store.loadReport.status === 'corrupt') expect(store.loadReport.error.message).toContain('larger than');
    expect(await filesInDir()).toEqual(['peers.json.corrupt-2026-11-21T120000Z']);
  });

  it('reads a file of exactly PEERS_FILE_MAX_BYTES', async () => {
    const body = JSON.stringify({ schema: PEERS_FILE_SCHEMA, peers: [] });
    await writeFile(join(dir, PEERS_FILE_NAME), body + ' '.repeat(PEERS_FILE_MAX_BYTES - body.length));
    const store = await open();
    expect(store.loadReport).toEqual({ status: 'loaded', peers: 0 });
  });
});

describe('change events', () => {
  it('tells listeners about additions, updates and removals', async () => {
    const store = await open();
    const events: PeerStoreEvent[] = [];
    const unsubscribe = store.subscribe((e) => events.push(e));
    gossip(store, 1);
    store.rttSample(id(1), 10);
    store.forget(id(1));
    expect(events.map((e) => e.type)).toEqual(['added', 'updated', 'removed']);
    expect(events[1]).toMatchObject({ previous: { rttLastMs: null }, peer: { rttLastMs: 10 } });
    expect(events[2]).toMatchObject({ reason: 'forgotten' });
    unsubscribe();
    gossip(store, 2);
    expect(events).toHaveLength(3);
  });

  it('survives a listener that throws, reporting the error', async () => {
    const store = await open();
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    store.subscribe((e) => seen.push(e.type));
    expect(gossip(store, 1).outcome).toBe('added');
    expect(seen).toEqual(['added']);
    expect(errors).toEqual([new Error('listener bug')]);
  });
});
