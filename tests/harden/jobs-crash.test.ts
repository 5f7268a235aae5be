// Smoke run of `npm run harden -- jobs-crash` (harden/jobs-crash/): an orchestrator with its job
// store SIGKILLed at random moments while a project submits and light PNodes answer; nothing it
// acknowledged is lost, and a restarted orchestrator finishes what was in flight. SQLite always,
// PostgreSQL when PNODE_TEST_POSTGRES_URL names a server (else skipped with the reason).
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJobsWriter, jobsCrashClean, runJobsCrashTrials } from '../../harden/jobs-crash/trials.js';
import { freshDatabase, postgresUnavailable } from '../support/postgres.js';

const SEED = Number(process.env['PNODE_HARDEN_SEED'] ?? 20261207);
const WRITER = join('dist', 'harden', `jobs-crash-writer-test-${process.pid}.mjs`);
const pgReason = await postgresUnavailable();
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pnode-jobs-crash-'));
  await buildJobsWriter(WRITER);
});
afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await rm(WRITER, { force: true });
});

describe('the job store under SIGKILL (smoke)', () => {
  it('SQLite: 6 kills, nothing acknowledged lost, everything in flight finished afterwards', async () => {
    const report = await runJobsCrashTrials({ seed: SEED, trials: 6, kind: 'sqlite', workDir, writer: WRITER });
    expect(jobsCrashClean([report]), JSON.stringify(report, null, 2)).toBe(true);
    expect(report.tasksAcked).toBeGreaterThan(0);
    expect(report.acceptedAcked).toBeGreaterThan(0);
    expect(report.drainedAccepted).toBe(report.tasksAcked);
  }, 240_000);

  it.skipIf(pgReason !== null)(`PostgreSQL: 6 kills, nothing acknowledged lost${pgReason ? ` (skipped: ${pgReason})` : ''}`, async () => {
    const db = await freshDatabase();
    try {
      const report = await runJobsCrashTrials({ seed: SEED, trials: 6, kind: 'postgres', workDir, writer: WRITER, postgresUrl: db.url });
      expect(jobsCrashClean([report]), JSON.stringify(report, null, 2)).toBe(true);
      expect(report.drainedAccepted).toBe(report.tasksAcked);
    } finally {
      await db.drop();
    }
  }, 240_000);
});
