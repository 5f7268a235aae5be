// Smoke run of `npm run harden -- directory-full` (issue 15 §3): a small directory (a 256 KiB
// budget) flooded with padded advertisements from eight addresses while honest newcomers arrive.
// Asserts what must hold, never how fast: honest newcomers are stored and served once it is full,
// honest rows stay, the budget holds, the gate refuses every bad endpoint URL, and a SIGKILLed
// directory comes back with every row.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDirectoryFull } from '../../harden/hostile/directory-full.js';
import { formatDirectoryFull } from '../../harden/hostile/report.js';
import { loopbackRangeUsable } from '../../harden/hostile/loopback.js';

const workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-directory-full-'));
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('a full directory under a flood (smoke)', () => {
  it('keeps serving honest newcomers and their rows, within its budget, and comes back whole after SIGKILL', async () => {
    const budget = 256 * 1024;
    const result = await runDirectoryFull({
      workDir,
      maxEntries: 100_000,
      maxStoredBytes: budget,
      addresses: 8,
      perPrefix: 4,
      identities: 120,
      maxFloodMs: 30_000,
      afterMs: 1_000,
      honestEveryMs: 150,
      badUrlAttempts: 1,
      loopbackRange: await loopbackRangeUsable(),
      seed: 20261121,
    });
    const table = formatDirectoryFull(result);
    if (process.env["PNODE_HARDEN_PRINT"]) console.log(table);
    expect(result.fullAfterMs, table).not.toBeNull();
    expect(result.attackerRefusedFull, table).toBeGreaterThan(0);
    expect(result.honestWhileFull.succeeded, table).toBeGreaterThan(0);
    expect(result.honestStillThere, table).toBe(result.honestStored);
    expect(result.storedBytes, table).toBeLessThanOrEqual(budget);
    expect(result.evicted, table).toBeGreaterThan(0);
    expect(result.badUrlAccepted, table).toBe(0);
    expect(result.entriesAfterRestart, table).toBe(result.entries);
    expect(result.honestStillThereAfterRestart, table).toBe(result.honestStored);
  }, 180_000);
});
