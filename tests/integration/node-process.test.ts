// Issue 3 §8, with nodes as real `pnode node` processes: a paused peer (SIGSTOP) is lost and then
// restored; `pnode signal send` reaches a running node through its control surface; SIGINT stops
// a node cleanly.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnPnode, PNODE_BIN, type ChildNode } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import { PATIENCE_MS, waitUntil } from '../support/wait.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';
import { readControlFile } from '../../src-node/control/control-file.js';
import { connectControl, type ControlClient } from '../../src-node/control/control-client.js';
import type { TraceEvent } from '../../src-shared/protocol/trace.js';

const run = promisify(execFile);
const children: ChildNode[] = [];
const clients: ControlClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const child of children.splice(0)) {
    child.process.kill('SIGCONT');
    await child.stop('SIGKILL');
  }
});

async function startNode(dataDir: string, port: number, extra: string[] = []): Promise<ChildNode> {
  const child = await spawnPnode([
    'node', '--data-dir', dataDir, '--listen', `ws://127.0.0.1:${port}/peer`, '--insecure-loopback', '--keystore', 'file',
    '--keepalive-interval-ms', '200', '--keepalive-timeout-ms', '1000', ...extra,
  ]);
  children.push(child);
  return child;
}

async function control(dataDir: string): Promise<{ client: ControlClient; traces: TraceEvent[] }> {
  const file = await readControlFile(dataDir);
  const client = await connectControl(file.url, file.token, { timeoutMs: PATIENCE_MS });
  clients.push(client);
  const traces: TraceEvent[] = [...client.state().traces];
  client.onEvent((event) => event.type === 'trace' && traces.push(event.event));
  return { client, traces };
}


describe('nodes as processes', () => {
  it('declares a paused peer lost after the keepalive timeout, and restored after it resumes', async () => {
    const dirB = makeTempDir().path;
    const portB = await freeLoopbackPort();
    const b = await startNode(dirB, portB);
    const dirA = makeTempDir().path;
    await startNode(dirA, await freeLoopbackPort(), ['--seed', `${b.nodeId}@ws://127.0.0.1:${portB}/peer`]);
    const a = await control(dirA);
    await a.client.waitFor((s) => s.peers.some((p) => p.nodeId === b.nodeId && p.lifecycle === 'connected'), PATIENCE_MS);

    // What A traced of B, to say what happened instead when a wait gives up.
    const seen = (): string => a.traces.filter((e) => e.peer === b.nodeId).map((e) => `${e['event/type']} ${JSON.stringify(e.detail ?? {})}`).join('\n');
    b.process.kill('SIGSTOP');
    await waitUntil(() => a.traces.some((e) => e['event/type'] === 'keepalive/lost' && e.peer === b.nodeId), () => `keepalive/lost; A traced of B:\n${seen()}`);
    b.process.kill('SIGCONT');
    await waitUntil(() => a.traces.some((e) => e['event/type'] === 'keepalive/restored' && e.peer === b.nodeId), () => `keepalive/restored; A traced of B:\n${seen()}`);
    // Restored by a fresh session (whichever side dialed it), after the loss.
    const lostAt = a.traces.findIndex((e) => e['event/type'] === 'keepalive/lost' && e.peer === b.nodeId);
    expect(a.traces.slice(lostAt).some((e) => e['event/type'] === 'session/established' && e.peer === b.nodeId)).toBe(true);
  });

  it('`pnode signal send` reaches a running node, which sends a verified marker to its peer', async () => {
    const dirB = makeTempDir().path;
    const portB = await freeLoopbackPort();
    const b = await startNode(dirB, portB);
    const dirA = makeTempDir().path;
    await startNode(dirA, await freeLoopbackPort(), ['--seed', `${b.nodeId}@ws://127.0.0.1:${portB}/peer`]);
    const watchB = await control(dirB);
    const sent = await run(process.execPath, [PNODE_BIN, 'signal', 'send', '--data-dir', dirA, '--to', b.nodeId, '--marker-ref', 'signal-marker:01JCLI']);
    expect(sent.stdout).toMatch(/^sent msg:/);
    await expect.poll(() => watchB.traces.some((e) => e['event/type'] === 'signal-marker/received' && e.detail?.['marker/ref'] === 'signal-marker:01JCLI')).toBe(true);
  });

  it('`pnode signal send` without a running node says so and exits 2', async () => {
    const dir = makeTempDir().path;
    const result = await run(process.execPath, [PNODE_BIN, 'signal', 'send', '--data-dir', dir, '--to', 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE', '--marker-ref', 'x']).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(2);
    expect((result as { stderr: string }).stderr).toMatch(/no running node/);
  });

  it('stops on SIGINT: closes sessions, flushes its files and removes its control file', async () => {
    const dir = makeTempDir().path;
    const node = await startNode(dir, await freeLoopbackPort());
    expect(existsSync(join(dir, 'control.json'))).toBe(true);
    expect(await node.stop('SIGINT')).toBe(0);
    expect(node.output()).toContain('stopped');
    expect(existsSync(join(dir, 'control.json'))).toBe(false);
    expect(existsSync(join(dir, 'traces', 'network.jsonl'))).toBe(true);
  });
});
