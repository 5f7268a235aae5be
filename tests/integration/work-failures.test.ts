// Issue 7 §4: a memory bomb and an endless loop, sent through an orchestrator to real PNodes, end
// with their status reported back (memory-exceeded, timeout); the scheduler runs a failed task on
// another PNode and fails it after MAX_TASK_FAILURES PNodes reported a failure; the job and the
// admin API say which task failed and why, while the job's good tasks are accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload, WorkloadNeeds } from '../../src-shared/vnode/workload.js';
import { compileWat } from '../support/vnode/wat.js';
import { ECHO_WAT, ENDLESS_LOOP_WAT, MEMORY_BOMB_WAT } from '../support/vnode/fixtures.js';
import { MAX_TASK_FAILURES } from '../../src-node/services/orchestrator/work/work-profile.js';
import { jobDetail } from '../../src-node/services/orchestrator/work/work-views.js';
import { type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';

let net: WorkNet;
const NEEDS: WorkloadNeeds = { memoryMb: 16, maxMs: 10_000, cores: 1 };

async function workload(wat: string, input = new Uint8Array(0), needs: Partial<WorkloadNeeds> = {}): Promise<Workload> {
  const module = net.scheduler.addModule(await compileWat(wat));
  return { moduleHash: module.hash, moduleSize: module.size, entry: 'run', input, needs: { ...NEEDS, ...needs } };
}

beforeAll(async () => {
  net = await startWorkNet({ contributors: 3 });
  await net.waitContributing();
});

afterAll(async () => {
  await net?.stop();
});

describe('tasks that misbehave', () => {
  it('a memory bomb and an endless loop end with a clear status, are tried on another PNode, and fail; the good task is accepted', async () => {
    const bomb = await workload(MEMORY_BOMB_WAT);
    const loop = await workload(ENDLESS_LOOP_WAT, undefined, { maxMs: 400 });
    const echo = await workload(ECHO_WAT, new TextEncoder().encode('fine'));
    const job = net.scheduler.submit({ name: 'misbehaving', workloads: [bomb, loop, echo] });
    await waitUntil(() => job.state !== 'running', 'the job to end', 90_000);
    expect(job.state).toBe('failed');
    expect(job.counts).toEqual({ accepted: 1, failed: 2, cancelled: 0 });
    const [bombTask, loopTask, echoTask] = job.tasks;
    expect(bombTask!.state).toBe('failed');
    expect(bombTask!.lastFailure?.status).toBe('memory-exceeded');
    expect(bombTask!.failures).toBe(MAX_TASK_FAILURES);
    expect(loopTask!.state).toBe('failed');
    expect(loopTask!.lastFailure?.status).toBe('timeout');
    expect(loopTask!.lastFailure?.detail).toMatch(/400 ms budget/);
    // Each failure came from a different PNode.
    expect(bombTask!.used.size).toBeGreaterThanOrEqual(MAX_TASK_FAILURES);
    expect(echoTask!.state).toBe('accepted');
    expect(net.scheduler.counters.attemptsEnded['memory-exceeded']).toBeGreaterThanOrEqual(MAX_TASK_FAILURES);
    expect(net.scheduler.counters.attemptsEnded.timeout).toBeGreaterThanOrEqual(MAX_TASK_FAILURES);
    const detail = jobDetail(net.orchestrator, net.scheduler, job);
    expect(detail.tasks).toMatchObject({ total: 3, done: 1, failed: 2, pending: 0 });
    expect(detail.failures).toEqual([
      { task: 0, status: 'memory-exceeded', detail: expect.stringMatching(/^memory-exceeded on 2 PNodes: /) },
      { task: 1, status: 'timeout', detail: expect.stringMatching(/^timeout on 2 PNodes: /) },
    ]);
    // Nobody lied: failures are not lies.
    expect(net.scheduler.counters.lies).toBe(0);
    // The PNodes are fine afterwards: their VNodes take the next task.
    const again = net.scheduler.submit({ name: 'after', workloads: [echo] });
    await waitUntil(() => again.state !== 'running', 'the next job');
    expect(again.state).toBe('done');
  });

  it('a task refused by every run (a module that refuses its input) fails with the refusal', async () => {
    const refusing = await workload(`(module (func (export "run") (result i32) (i32.const 7)))`);
    const job = net.scheduler.submit({ name: 'refusing', workloads: [refusing] });
    await waitUntil(() => job.state !== 'running', 'the job to end');
    expect(job.tasks[0]!.lastFailure).toMatchObject({ status: 'failed', detail: expect.stringMatching(/7/) });
  });
});
