// Smoke run of `npm run harden -- crash` (harden/crash/): 20 SIGKILL trials split between the
// writers (a node, the directory's log, an orchestrator), everything loaded after each, nothing
// unreadable and nothing lost; and proof that the checks see a damaged file or a lost write.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCrashWriter, runCrashTrials } from '../../harden/crash/trials.js';
import { checkNodeFiles, newProgress } from '../../harden/crash/checks.js';
import { crashClean, formatCrashTable } from '../../harden/crash/report.js';

const SEED = Number(process.env['PNODE_HARDEN_SEED'] ?? 20261121);
/** The bundle must sit inside the repo: its dependencies are resolved from node_modules. */
const WRITER = join('dist', 'harden', `crash-writer-test-${process.pid}.mjs`);
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'pnode-harden-crash-'));
  await buildCrashWriter(WRITER);
});
afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await rm(WRITER, { force: true });
});

describe('crash safety under SIGKILL (smoke)', () => {
  it('20 trials: every file loads after every kill, with its last completed write', async () => {
    const reports = await runCrashTrials({ seed: SEED, trials: 20, lanes: 2, workDir, writer: WRITER });
    const table = formatCrashTable(reports);
    expect(crashClean(reports), `${table}\n${reports.flatMap((r) => r.problems).join('\n')}`).toBe(true);
    expect(reports.reduce((n, r) => n + r.trials, 0)).toBe(20);
    expect(reports.every((r) => r.trials > 0 && r.filesChecked > 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.completedWrites, 0)).toBeGreaterThan(0);
  });

  it('the checks see a damaged file, and a write that is not there', async () => {
    const [report] = await runCrashTrials({ seed: SEED + 1, trials: 2, lanes: 1, workDir: join(workDir, 'damaged'), writer: WRITER });
    expect(report!.kind).toBe('node');
    const dataDir = join(workDir, 'damaged', 'node-0-1');
    writeFileSync(join(dataDir, 'peers.json'), '{"schema": "pnode-peers.v1", "peers": [');
    const progress = newProgress();
    progress.done.set('settings', Number.MAX_SAFE_INTEGER);
    const { checks } = await checkNodeFiles(dataDir, progress, 1, undefined, 'contributor');
    const verdict = (file: string) => checks.find((c) => c.file === file)?.verdict;
    expect(verdict('identity')).toBe('ok');
    expect(verdict('peers')).toBe('named');
    expect(verdict('settings')).toBe('lost');
  });
});
