// Smoke run of `npm run harden -- replay` (issue 15 §4): three peers (one lagging 4 s, one leading
// 4 s) have hellos answered by a real `pnode node`, which is SIGKILLed and restarted; every
// captured hello is replayed. Asserts what must hold: no replay is accepted, the floor and the
// journal each refuse some, and every peer is served again afresh.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../harden/hostile/replay.js';
import { formatReplay } from '../../harden/hostile/report.js';

const workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-replay-'));
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('replay across a restart (smoke)', () => {
  it('accepts none of the captured hellos after SIGKILL and restart, and serves every peer afresh', async () => {
    const result = await runReplay({ workDir, identities: 3, hellosPerPeer: 2, rounds: 1, maxOffsetMs: 4_000, seed: 20261121 });
    const table = formatReplay(result);
    const round = result.rounds[0]!;
    expect(result.captured, table).toBe(6);
    expect(round.replayed, table).toBe(6);
    expect(round.byReason.ACCEPTED, table).toBe(0);
    expect(round.byReason.floor + round.byReason.journal, table).toBe(6);
    expect(round.byReason.floor, table).toBeGreaterThan(0);
    expect(round.byReason.journal, table).toBeGreaterThan(0);
    expect(round.allServedAfterMs, table).not.toBeNull();
    expect(round.journalBytes, table).toBeGreaterThan(0);
  }, 180_000);
});
