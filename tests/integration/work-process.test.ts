// Issue 7 §3 on the command line: `pnode orchestrator --demo …` starts the demo project (its first
// job is in GET /jobs and in the job store, the banner says so), and a bad --demo is refused with
// exit code 2.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnPnode, type ChildNode } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { readAdminFile } from '../../src-node/services/orchestrator/admin-file.js';

let child: ChildNode | undefined;
const dirs: Array<{ cleanup: () => void }> = [];
afterEach(async () => {
  await child?.stop('SIGKILL');
  child = undefined;
  for (const dir of dirs.splice(0)) dir.cleanup();
});

function tempDir(): string {
  const dir = makeTempDir('pnode-work-cli-');
  dirs.push(dir);
  return dir.path;
}

const base = (dir: string) => ['orchestrator', '--data-dir', dir, '--listen', 'ws://127.0.0.1:0/peer', '--insecure-loopback', '--keystore', 'file', '--admin-listen', 'http://127.0.0.1:0'];

describe('pnode orchestrator --demo', () => {
  it('starts the demo: its first job waits in /jobs for PNodes', async () => {
    const dir = tempDir();
    child = await spawnPnode([...base(dir), '--demo', 'mandelbrot:size=16,tiles=2,iterations=100'], { readyPattern: /work\s+demo mandelbrot:size=16,tiles=2,iterations=100/ });
    const admin = await readAdminFile(dir);
    const response = await fetch(`${admin.url}/jobs`, { headers: { Authorization: `Bearer ${admin.token}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { jobs: Array<Record<string, unknown>> };
    expect(body.jobs).toEqual([expect.objectContaining({ name: 'mandelbrot round 0', kind: 'demo:mandelbrot', state: 'running', tasks: { total: 4, done: 0, failed: 0, pending: 4 } })]);
    // The demo's work is in the job store, as any project's.
    expect(body).toMatchObject({ 'open-tasks': 4, batches: 1 });
    expect(await child.stop('SIGINT')).toBe(0);
  });

  it('refuses a bad --demo with exit code 2', async () => {
    const dir = tempDir();
    const failed = await spawnPnode([...base(dir), '--demo', 'mandelbrot:size=500'], { readyPattern: /$^/ }).catch((error: Error) => error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(/exited early[\s\S]*--demo: mandelbrot size must be a whole number from 1 to 128/);
  });
});
