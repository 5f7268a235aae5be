// Replay across restarts (issue 15 §4). The nonce cache lives in memory, so a hello captured on the
// wire was accepted again once its victim restarted, as long as its `ts` was still within the
// ±HANDSHAKE_MAX_CLOCK_SKEW_MS window. A node closes that gap with both of:
//
// 1. A floor: hellos signed (`ts`) before the second this process started in are refused with
//    E_HS_REPLAY. `ts` has a resolution of one second (TIMESTAMP_RESOLUTION_MS), so the floor is
//    the start time rounded down to it: a hello signed after we started always passes. Any hello
//    the previous run answered was received before this run started; if it was signed in an earlier
//    second than the one it was answered in, the floor refuses it. No I/O for those. The cost: a
//    peer whose clock is d behind ours is refused for the first d (< 30 s) after we start, and gets
//    in on its next try (its reconnect backoff starts at 1 s).
// 2. A journal for the rest: a hello signed in the second we answer it, or later (a clock ahead of
//    ours), could pass the next run's floor, so it is written to a journal (replay-journal.ts)
//    before it is answered, and the next run loads the entries still within their window (until
//    ts + HANDSHAKE_MAX_CLOCK_SKEW_MS). One small synchronous append per such hello; the file is
//    bounded and rewritten now and then.
//
// What stays open: the journal is written but not fsynced (a process kill loses nothing; a power
// loss may lose the last lines, and a machine rarely reboots within the 30 s window), and the
// floor assumes the clock does not step back across the restart.
import { TIMESTAMP_RESOLUTION_MS } from '../../../src-shared/protocol/time.js';
import type { Clock } from '../util/clock.js';
import { HandshakeNonceCache } from './nonce-cache.js';
import { ReplayJournal, type JournalLoad } from './replay-journal.js';

export interface ReplayGuard {
  readonly nonces: HandshakeNonceCache;
  /** What the journal held at start. */
  readonly load: JournalLoad;
}

/** The nonce cache of a node with a data dir: floor at the current second, journal in the data dir (loaded now). */
export function openReplayGuard(dataDir: string, clock: Clock): ReplayGuard {
  const startedAt = clock.now();
  const { journal, load } = ReplayJournal.open(dataDir, startedAt);
  const nonces = new HandshakeNonceCache({ notBefore: Math.floor(startedAt / TIMESTAMP_RESOLUTION_MS) * TIMESTAMP_RESOLUTION_MS, journal });
  nonces.restore(load.entries);
  return { nonces, load };
}
