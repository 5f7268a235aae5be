// Issue 5 §6: `pnode devnet` starts an orchestrator and N contributors (and a seed directory when
// the binary has one) as child processes, writes devnet.json, its nodes register, and Ctrl-C
// (SIGINT) stops every process it started.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnPnode, type ChildNode as SpawnedPnode } from '../support/nodes.js';
import { readDevnetFile, type DevnetFile } from '../../src-node/tools/devnet/devnet.js';
import { connectControl } from '../../src-node/control/control-client.js';
import { makeTempDir } from '../support/temp-dir.js';
import { PATIENCE_MS } from '../support/wait.js';

let devnet: SpawnedPnode | undefined;
/** Every child pid seen, so a failed run leaves no process behind (devnet's children run detached). */
const seenPids = new Set<number>();

afterAll(async () => {
  await devnet?.stop('SIGKILL');
  for (const pid of seenPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function pidOf(file: string): Promise<number | null> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { pid: number }).pid;
  } catch {
    return null;
  }
}

describe('pnode devnet', () => {
  it('starts the network, writes devnet.json, its nodes register, and SIGINT stops every child', async () => {
    const dir = makeTempDir('pnode-devnet-').path;
    devnet = await spawnPnode(['devnet', '--nodes', '2', '--data-dir', dir, '--heartbeat-interval-ms', '200'], { readyPattern: /ready\s+2 of 2 nodes registered/, timeoutMs: 90_000 });
    const output = devnet.output();
    expect(output).toContain('a development tool');
    expect(output).toMatch(/orchestrator\s+node:did:key:z/);

    const file: DevnetFile = await readDevnetFile(dir);
    for (const node of file.nodes) seenPids.add(node.pid);
    for (const name of ['orchestrator', 'directory']) {
      const pid = await pidOf(join(dir, name, 'control.json'));
      if (pid !== null) seenPids.add(pid);
    }
    expect(Object.keys(file).sort()).toEqual(['authority', 'directory', 'jobs', 'nodes', 'orchestrator']);
    // The job API (issue 13 §1) on loopback, and the devnet's own project key.
    expect(file.jobs).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), 'project-key': join(dir, 'project.key'), project: expect.stringMatching(/^z/) });
    expect((await fetch(`${file.jobs!.url}/v1/orchestrator`).then((r) => r.json())) as unknown).toMatchObject({ 'node-id': file.orchestrator['node-id'] });
    expect(Object.keys(file.orchestrator).sort()).toEqual(['admin-token', 'admin-url', 'node-id', 'url']);
    expect(file.nodes).toHaveLength(2);
    for (const node of file.nodes) {
      expect(Object.keys(node).sort()).toEqual(['control-token', 'control-url', 'data-dir', 'node-id', 'peer-url', 'pid']);
      expect(alive(node.pid)).toBe(true);
    }
    if (file.directory !== null) expect(file.directory.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The admin API and every node's control surface answer with what devnet.json says.
    const response = await fetch(`${file.orchestrator['admin-url']}/pnodes`, { headers: { Authorization: `Bearer ${file.orchestrator['admin-token']}` } });
    const pnodes = ((await response.json()) as { pnodes: Array<{ 'node-id': string; state: string }> }).pnodes;
    expect(pnodes.filter((p) => p.state === 'registered').map((p) => p['node-id']).sort()).toEqual(file.nodes.map((n) => n['node-id']).sort());
    for (const node of file.nodes) {
      const client = await connectControl(node['control-url'], node['control-token'], { timeoutMs: PATIENCE_MS });
      try {
        await client.waitFor((s) => s.orchestrators.some((o) => o.nodeId === file.orchestrator['node-id'] && o.status === 'registered'), PATIENCE_MS);
        expect(client.state().identity?.nodeId).toBe(node['node-id']);
      } finally {
        client.close();
      }
    }

    const pids = [
      ...file.nodes.map((n) => n.pid),
      (await pidOf(join(dir, 'orchestrator', 'control.json')))!,
      ...(file.directory ? [(await pidOf(join(dir, 'directory', 'control.json')))!] : []),
    ];
    expect(pids.every((p) => typeof p === 'number' && alive(p))).toBe(true);

    expect(await devnet.stop('SIGINT')).toBe(0);
    expect(devnet.output()).toContain('stopped');
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(join(dir, 'devnet.json'))).toBe(false);
    devnet = undefined;
  });

  it('refuses bad usage with exit code 2', async () => {
    const dir = makeTempDir('pnode-devnet-').path;
    for (const args of [['devnet', '--data-dir', dir], ['devnet', '--nodes', '0', '--data-dir', dir], ['devnet', '--nodes', '2', '--data-dir', dir, '--heartbeat-interval-ms', '1']]) {
      const child = await spawnPnode(args, { readyPattern: /$^/ }).catch((error: Error) => error);
      expect(child).toBeInstanceOf(Error);
      expect((child as Error).message).toMatch(/exited early[\s\S]*pnode devnet: /);
    }
  });
});
