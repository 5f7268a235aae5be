// Issue 5 §5 in `pnode devnet`: the orchestrator runs with the registration authority, devnet.json
// names its key and where tokens come from, and tokens can be issued while the devnet runs, both
// through the admin API and with `pnode authority issue-token --data-dir <devnet>/orchestrator`.
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnPnode, type ChildNode } from '../support/nodes.js';
import { readDevnetFile } from '../../src-node/tools/devnet/devnet.js';
import { makeTempDir } from '../support/temp-dir.js';
import { makeAuthorityCommand } from '../../src-node/cli/commands/authority.js';
import { runCommand } from '../../src-node/cli/run.js';

let devnet: ChildNode | undefined;
const pids = new Set<number>();
afterAll(async () => {
  await devnet?.stop('SIGINT');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

describe('pnode devnet with trusted registration', () => {
  it('runs the authority in its orchestrator, names it in devnet.json, and issues tokens while it runs', async () => {
    const dir = makeTempDir('pnode-devnet-trust-');
    devnet = await spawnPnode(['devnet', '--nodes', '1', '--data-dir', dir.path, '--heartbeat-interval-ms', '200'], { readyPattern: /ready\s+1 of 1 nodes registered/, timeoutMs: 90_000 });
    const file = await readDevnetFile(dir.path);
    for (const node of file.nodes) pids.add(node.pid);
    expect(file.authority).not.toBeNull();
    const authority = file.authority!;
    const record = JSON.parse(await readFile(join(dir.path, 'orchestrator', 'authority', 'authority.json'), 'utf8')) as { 'key/public': string };
    expect(authority).toEqual({ key: record['key/public'], 'data-dir': join(dir.path, 'orchestrator'), 'tokens-url': `${file.orchestrator['admin-url']}/authority/tokens` });
    expect(devnet.output()).toContain(`authority   ${authority.key}`);

    const viaApi = await fetch(authority['tokens-url'], { method: 'POST', headers: { Authorization: `Bearer ${file.orchestrator['admin-token']}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(viaApi.status).toBe(201);
    expect(((await viaApi.json()) as { token: string }).token).toMatch(/^pnode-enroll-/);

    let stdout = '';
    let stderr = '';
    const code = await runCommand({ name: 'pnode', summary: 'test', subcommands: [makeAuthorityCommand()] }, ['authority', 'issue-token', '--data-dir', authority['data-dir']], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readStdin: async () => '',
      env: {},
      cwd: dir.path,
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^token\s+pnode-enroll-[A-Za-z0-9_-]{43}$/m);

    await devnet.stop('SIGINT');
    devnet = undefined;
    dir.cleanup();
  });
});
