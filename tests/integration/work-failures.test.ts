// Issue 7 §4 with WASI programs (issue 13): a memory bomb and an endless loop, submitted by a
// project and sent to real PNodes, end with their status reported back (memory-exceeded, timeout);
// the scheduler runs a failed task on another PNode and fails it after MAX_TASK_FAILURES PNodes
// reported a failure; the job API says which task failed and why, while the good task is accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TASK_FAILURES } from '../../src-node/services/orchestrator/work/work-profile.js';
import { text, decode, wasiModule } from '../support/vnode/wasi-fixtures.js';
import { TestProject } from '../support/test-project.js';
import { type WorkNet, startWorkNet, submitBatch, waitBatch } from '../support/work-net.js';

let net: WorkNet;
const probe = wasiModule('probe');
const task = (name: string, args: string[], extra: Record<string, unknown> = {}) => ({ name, args, limits: { 'memory-mb': 16, 'max-ms': 10_000 }, ...extra });

beforeAll(async () => {
  net = await startWorkNet({ contributors: 3 });
  await net.waitContributing();
});

afterAll(async () => {
  await net?.stop();
});

describe('tasks that misbehave', () => {
  it('a memory bomb and an endless loop end with a clear status, are tried on another PNode, and fail; the good task is accepted', async () => {
    const { batch, tasks } = await submitBatch(net, 'misbehaving', probe.bytes, [
      task('bomb', ['grow-trap']),
      task('loop', ['loop'], { limits: { 'memory-mb': 16, 'max-ms': 400 } }),
      task('echo', ['echo'], { stdin: Buffer.from('fine').toString('base64url') }),
    ]);
    const view = await waitBatch(net, batch, 90_000);
    expect(view['tasks']).toEqual({ total: 3, open: 0, accepted: 1, failed: 2, aborted: 0 });
    const [bomb, loop, echo] = await net.project.results(batch);
    expect(bomb).toMatchObject({ name: 'bomb', state: 'failed', detail: expect.stringMatching(/^memory-exceeded on 2 PNodes: /) });
    expect(loop).toMatchObject({ name: 'loop', state: 'failed', detail: expect.stringMatching(/^timeout on 2 PNodes: .*400 ms budget/) });
    expect(echo).toMatchObject({ name: 'echo', state: 'accepted' });
    expect(decode(TestProject.stdout(echo!))).toContain('fine');
    // Each failure came from a different PNode, recorded in the store with its status.
    const detail = (await net.project.call('GET', `/v1/tasks/${encodeURIComponent(tasks[0]!.id)}`)).body;
    const replicas = detail['replicas'] as Array<{ pnode: string; state: string }>;
    const failed = replicas.filter((r) => r.state === 'memory-exceeded');
    expect(failed.length).toBe(MAX_TASK_FAILURES);
    expect(new Set(failed.map((r) => r.pnode)).size).toBe(MAX_TASK_FAILURES);
    // Nobody lied: failures are not lies.
    expect(net.scheduler.counters.lies).toBe(0);
    // The PNodes are fine afterwards: their VNodes take the next task.
    const again = await submitBatch(net, 'after', probe.bytes, [task('echo', ['echo'], { stdin: Buffer.from(text('again')).toString('base64url') })]);
    expect((await waitBatch(net, again.batch))['tasks']).toMatchObject({ accepted: 1 });
  });

  it('a program that exits with an error on every PNode fails with its exit status', async () => {
    const { batch } = await submitBatch(net, 'exiting', probe.bytes, [task('exit', ['exit', '7'])]);
    await waitBatch(net, batch);
    const [result] = await net.project.results(batch);
    expect(result).toMatchObject({ state: 'failed', detail: expect.stringMatching(/^failed on 2 PNodes: exited with code 7/) });
  });
});
