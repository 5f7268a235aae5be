import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { REPLAY_JOURNAL_COMPACT_MIN_LINES, ReplayJournal } from './replay-journal.js';
import { HandshakeNonceCache } from './nonce-cache.js';
import { openReplayGuard } from './replay-guard.js';
import { ManualClock } from '../util/clock.js';
import { HANDSHAKE_MAX_CLOCK_SKEW_MS } from '../../../src-shared/protocol/profile.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';

const A = 'node:did:key:z6MkA';
let dir: { path: string; cleanup: () => void };
afterEach(() => dir?.cleanup());

describe('the replay journal', () => {
  it('keeps what it recorded across a reopen, until each entry lapses', () => {
    dir = makeTempDir('pnode-journal-');
    const { journal } = ReplayJournal.open(dir.path, 1_000);
    journal.record({ sender: A, nonce: 'n1', until: 5_000 }, 1_000);
    journal.record({ sender: A, nonce: 'n2', until: 9_000 }, 1_000);
    expect(ReplayJournal.open(dir.path, 2_000).load.entries.map((e) => e.nonce)).toEqual(['n1', 'n2']);
    expect(ReplayJournal.open(dir.path, 6_000).load.entries.map((e) => e.nonce)).toEqual(['n2']);
    expect(ReplayJournal.open(dir.path, 9_000).load.entries).toEqual([]);
  });

  it('cuts off a torn last line and skips unreadable ones, keeping the rest', () => {
    dir = makeTempDir('pnode-journal-');
    const { journal } = ReplayJournal.open(dir.path, 0);
    journal.record({ sender: A, nonce: 'kept', until: 10_000 }, 0);
    const path = ReplayJournal.pathIn(dir.path);
    appendFileSync(path, 'garbage\n{"s":1,"n":"x","x":5}\n{"s":"a","n":"torn","x":');
    const { journal: again, load } = ReplayJournal.open(dir.path, 0);
    expect(load).toMatchObject({ skippedLines: 2, entries: [{ nonce: 'kept' }] });
    expect(load.tornBytes).toBeGreaterThan(0);
    again.record({ sender: A, nonce: 'after', until: 10_000 }, 0);
    expect(ReplayJournal.open(dir.path, 0).load.entries.map((e) => e.nonce)).toEqual(['kept', 'after']);
  });

  it('stays bounded: lapsed entries leave the file when it is rewritten', () => {
    dir = makeTempDir('pnode-journal-');
    const { journal } = ReplayJournal.open(dir.path, 0);
    for (let i = 0; i < 5 * REPLAY_JOURNAL_COMPACT_MIN_LINES; i++) journal.record({ sender: A, nonce: `n${i}`, until: i + 10 }, i);
    const lines = readFileSync(ReplayJournal.pathIn(dir.path), 'utf8').split('\n').length - 1;
    expect(lines).toBeLessThanOrEqual(2 * REPLAY_JOURNAL_COMPACT_MIN_LINES);
    expect(statSync(ReplayJournal.pathIn(dir.path)).mode & 0o777).toBe(0o600);
  });
});

describe('a node’s nonce cache with its replay guard', () => {
  it('floors hellos at the second the node started and journals those signed in the current second or later', () => {
    dir = makeTempDir('pnode-journal-');
    const clock = new ManualClock(Date.parse('2026-12-01T12:00:00.600Z'));
    const { nonces } = openReplayGuard(dir.path, clock);
    expect(nonces.notBefore).toBe(Date.parse('2026-12-01T12:00:00Z'));
    const now = clock.now();
    nonces.remember(A, 'earlier-second', now, now - 1_000);
    nonces.remember(A, 'same-second', now, Date.parse('2026-12-01T12:00:00Z'));
    nonces.remember(A, 'ahead', now, now + 20_000);
    nonces.remember(A, 'an-ack', now);
    const journaled = ReplayJournal.open(dir.path, now).load.entries;
    expect(journaled.map((e) => e.nonce)).toEqual(['same-second', 'ahead']);
    expect(journaled[1]!.until).toBe(now + 20_000 + HANDSHAKE_MAX_CLOCK_SKEW_MS);
    // A later run knows them.
    clock.advance(5_000);
    const later = openReplayGuard(dir.path, clock).nonces;
    expect(later.has(A, 'ahead', clock.now())).toBe(true);
    expect(later.has(A, 'same-second', clock.now())).toBe(true);
  });

  it('refuses to answer a hello it cannot journal (E_TRANSPORT_UNAVAILABLE), and remembers it in memory all the same', () => {
    dir = makeTempDir('pnode-journal-');
    const clock = new ManualClock();
    const { nonces } = openReplayGuard(dir.path, clock);
    const path = ReplayJournal.pathIn(dir.path);
    // The journal's path is a directory now: every append fails.
    mkdirSync(path, { recursive: true });
    let error: unknown;
    try {
      nonces.remember(A, 'n', clock.now(), clock.now());
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('E_TRANSPORT_UNAVAILABLE');
    expect(nonces.has(A, 'n', clock.now())).toBe(true);
  });

  it('is a plain cache without a guard: no floor, no journal', () => {
    const cache = new HandshakeNonceCache();
    expect(cache.notBefore).toBe(Number.NEGATIVE_INFINITY);
    cache.remember(A, 'n', 0, 50_000);
    expect(cache.has(A, 'n', 0)).toBe(true);
  });
});

