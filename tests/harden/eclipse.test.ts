// Smoke run of `npm run harden -- eclipse` (issue 15 §1): a victim that knows six honest peers (and
// has dialed three) is flooded with validly signed advertisements of hundreds of identities, by a
// seed directory and by gossiping sessions from other loopback addresses — far-future ones first,
// then ones at the longest lifetime the rules allow — and restarts. Asserts what must hold, never
// how fast: every tried peer is kept through the attack and the restart, nothing far-future is
// kept, no attacker entry is pushed on to honest peers, the victim's dials go to honest peers, and
// its hot peers are honest again after the restart.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEclipse } from '../../harden/hostile/eclipse.js';
import { formatEclipse } from '../../harden/hostile/eclipse-report.js';
import { loopbackRangeUsable } from '../../harden/hostile/loopback.js';
import { MAX_NEW_PEERS_PER_SOURCE } from '../../src-node/kernel/peers/peer-store.js';

const workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-eclipse-'));
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('an eclipse attempt on the peer cache (smoke)', () => {
  it('keeps the honest peers through a flood from a directory and gossip, and a restart', async () => {
    const results = await runEclipse({
      workDir,
      honest: 6,
      tried: 3,
      identities: 400,
      gossipAddresses: 2,
      perPrefix: 1,
      sessionIdentities: 20,
      attackMs: 5_000,
      loopbackRange: await loopbackRangeUsable(),
      seed: 20261121,
      scenarios: ['far-future', 'both'],
    });
    const table = formatEclipse(results);
    const [farFuture, both] = results;
    for (const r of results) {
      expect(r.keptAfterAttack.tried, table).toBe(r.tried);
      expect(r.keptAfterRestart.tried, table).toBe(r.tried);
      expect(r.keptAfterRestart.rate, table).toBe(1);
      expect(r.forwarded, table).toBe(0);
      expect(r.victimDials.honestSucceeded, table).toBeGreaterThan(0);
      expect(r.recoverMs, table).not.toBeNull();
    }
    expect(farFuture!.attackerEntries.cache, table).toBe(0);
    expect(farFuture!.attackerEntries.afterRestartCache, table).toBe(0);
    expect(farFuture!.directoryHostile, table).toBe(true);
    expect(farFuture!.refusedInvalid, table).toBeGreaterThan(0);
    // A compliant flood holds at most a source's share per source, and what it holds survives only as such.
    expect(both!.attackerEntries.cache, table).toBeGreaterThan(0);
    expect(both!.attackerEntries.cache, table).toBeLessThanOrEqual(MAX_NEW_PEERS_PER_SOURCE * 3);
    expect(both!.heldBack, table).toBeGreaterThan(0);
  }, 240_000);
});
