// No process outlives its supervisor (issue 15 §6): `pnode devnet` and `npm start` are killed at a
// random moment (seeded: PNODE_SUPERVISE_SEED replays a run) with SIGKILL, SIGTERM or SIGINT sent
// to their own pid alone, and then nothing of their trees — services, nodes, VNode sandboxes — may
// be left running (looked for by pid and by a scan of /proc). On the graceful path the children
// are also stopped politely: each writes its "stopped" line and the devnet removes devnet.json.
// `npm run harden -- supervise` runs many more trials and prints the figures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hasProcTable } from '../support/process-table.js';
import { runSupervisorTrial, seededRandom, type SupervisorTrial } from '../support/supervisor-trial.js';
import { makeTempDir } from '../support/temp-dir.js';
import { PNODE_BIN } from '../support/nodes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const seed = Number(process.env['PNODE_SUPERVISE_SEED'] ?? Date.now() % 2 ** 31);
const random = seededRandom(seed);
/** Kill moments are drawn from [0, this): from before the first child exists to a running network. */
const KILL_WINDOW_MS = 8_000;
/** Bound on the wait for a tree to be gone: a child's graceful stop after its lifeline breaks is 10 s at most. */
const GONE_WITHIN_MS = 45_000;
const TRIAL_TIMEOUT_MS = 180_000;

const dirs: Array<{ cleanup: () => void }> = [];
afterAll(() => {
  for (const dir of dirs) dir.cleanup();
});

function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  dirs.push(dir);
  return dir.path;
}

function explain(trial: SupervisorTrial): string {
  return `seed ${seed}: ${trial.signal} at ${Math.round(trial.killedAtMs)} ms; survivors ${JSON.stringify(trial.survivors)}\n${trial.output}`;
}

function devnetArgv(dir: string): string[] {
  return [PNODE_BIN, 'devnet', '--nodes', '1', '--data-dir', dir, '--heartbeat-interval-ms', '500'];
}

describe.skipIf(!hasProcTable())('killing `pnode devnet`', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`with ${signal} at a random moment leaves nothing of it running`, async () => {
      const trial = await runSupervisorTrial({ argv: devnetArgv(tempDir('pnode-sv-devnet-')), signal, killAfterMs: Math.floor(random() * KILL_WINDOW_MS), goneWithinMs: GONE_WITHIN_MS });
      expect(trial.survivors, explain(trial)).toEqual([]);
    }, TRIAL_TIMEOUT_MS);
  }

  it('with SIGKILL once it is up: its children see it gone and stop gracefully by themselves', async () => {
    const dir = tempDir('pnode-sv-devnet-');
    const trial = await runSupervisorTrial({ argv: devnetArgv(dir), signal: 'SIGKILL', killAfterOutput: /ready\s+1 of 1 nodes registered/, killAfterMs: Math.floor(random() * 2_000), goneWithinMs: GONE_WITHIN_MS });
    expect(trial.survivors, explain(trial)).toEqual([]);
    // A node's graceful stop removes its control.json (a crash, or a kill, would leave it).
    expect(existsSync(join(dir, 'node-1', 'control.json')), explain(trial)).toBe(false);
  }, TRIAL_TIMEOUT_MS);

  it('with SIGINT once it is up stops every child politely, sandboxes included, and removes devnet.json', async () => {
    const dir = tempDir('pnode-sv-devnet-');
    const trial = await runSupervisorTrial({ argv: devnetArgv(dir), signal: 'SIGINT', killAfterOutput: /ready\s+1 of 1 nodes registered/, killAfterMs: Math.floor(random() * 2_000), goneWithinMs: GONE_WITHIN_MS });
    expect(trial.survivors, explain(trial)).toEqual([]);
    // The devnet, its directory, orchestrator and node; the node's sandboxes when it had work by then.
    expect(trial.seen, explain(trial)).toBeGreaterThanOrEqual(4);
    expect(existsSync(join(dir, 'devnet.json')), explain(trial)).toBe(false);
    expect(trial.output).toMatch(/\nstopped\n/);
    for (const name of ['directory', 'orchestrator', 'node-1']) {
      expect(readFileSync(join(dir, name, 'devnet-output.log'), 'utf8'), `${name}: ${explain(trial)}`).toMatch(/stopped/);
    }
  }, TRIAL_TIMEOUT_MS);
});

describe.skipIf(!hasProcTable() || !existsSync(join(ROOT, 'dist', 'renderer', 'index.html')))('killing `npm start` (scripts/start.mjs)', () => {
  const startArgv = [join(ROOT, 'scripts', 'start.mjs'), '--web'];
  const env = (dir: string): Record<string, string> => ({ PNODE_DEV_DIR: dir, PNODE_DEVNET_NODES: '1', PNODE_DEVNET_HEARTBEAT_MS: '500', DISPLAY: '' });

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`with ${signal} to its own pid at a random moment leaves nothing of it running`, async () => {
      const trial = await runSupervisorTrial({ argv: startArgv, cwd: ROOT, env: env(tempDir('pnode-sv-start-')), signal, killAfterMs: Math.floor(random() * KILL_WINDOW_MS * 1.5), goneWithinMs: GONE_WITHIN_MS });
      expect(trial.survivors, explain(trial)).toEqual([]);
    }, TRIAL_TIMEOUT_MS);
  }

  it('with SIGTERM to its own pid once it is up stops everything', async () => {
    const dir = tempDir('pnode-sv-start-');
    const trial = await runSupervisorTrial({ argv: startArgv, cwd: ROOT, env: env(dir), signal: 'SIGTERM', killAfterOutput: /PNode dashboard:/, killAfterMs: 0, goneWithinMs: GONE_WITHIN_MS });
    expect(trial.survivors, explain(trial)).toEqual([]);
    // start.mjs, the devnet with its directory, orchestrator and node, and the volunteer's own node.
    expect(trial.seen, explain(trial)).toBeGreaterThanOrEqual(6);
    expect(trial.output, explain(trial)).toMatch(/\[devnet\] stopped/);
    expect(trial.output, explain(trial)).toMatch(/\[your-node\] stopped/);
  }, TRIAL_TIMEOUT_MS);
});
