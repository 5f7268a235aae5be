// Issue 7 §4: pausing a PNode stops its work (within a second: how soon is a figure of `npm run
// bench -- vnode`, not asserted here). A snooze keeps the VNode, which goes
// `paused`: its running task is suspended (the kernel stops its sandbox process and accounts it no
// more CPU time). Turning contribution off gives the VNode back: its task is cancelled and its
// sandbox ends. Either way the orchestrator, told by the heartbeat or the result, runs the task on
// another PNode; a paused PNode's result that comes after the pause is late and ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_YIELDING_WAT, busyReference } from '../support/vnode/fixtures.js';
import { compileWat } from '../support/vnode/wat.js';
import { cpuTicks, processExists, processState, u32 } from '../support/vnode/host-fixtures.js';
import { contentHash } from '../../src-shared/vnode/content-hash.js';
import type { Workload } from '../../src-shared/vnode/workload.js';
import type { Job } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import { type WorkContributor, type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';
import { pause } from '../support/wait.js';

/** Busy rounds of a million steps: a few seconds of CPU, so the pause lands mid-task. */
const ROUNDS = 1_500;

let net: WorkNet;
let busy: Workload;

/** Submits one busy task and waits until two PNodes really run it; returns one of them. */
async function busyOnTwo(name: string): Promise<{ job: Job; running: WorkContributor[] }> {
  const job = net.scheduler.submit({ name, workloads: [busy] });
  let running: WorkContributor[] = [];
  await waitUntil(() => {
    const sentTo = new Set(net.scheduler.runningAttempts().filter((a) => a.task.job === job).map((a) => a.pnode));
    running = net.contributors.filter((c) => sentTo.has(c.nodeId) && c.host.running().some((r) => r.pid !== null && r.cpuMs > 0 && !r.suspended));
    return running.length === 2;
  }, 'two PNodes running the task');
  return { job, running };
}

beforeAll(async () => {
  net = await startWorkNet({ contributors: 3 });
  await net.waitContributing();
  const module = net.scheduler.addModule(await compileWat(BUSY_YIELDING_WAT));
  busy = { moduleHash: module.hash, moduleSize: module.size, entry: 'run', input: u32(ROUNDS), needs: { memoryMb: 1, maxMs: 120_000, cores: 1 } };
});

afterAll(async () => {
  await net?.stop();
});

describe('pausing a PNode', () => {
  it('a snooze stops its work (VNode paused, no more CPU) and the task is run elsewhere', async () => {
    const { job, running } = await busyOnTwo('snoozed');
    const paused = running[0]!;
    const pid = paused.host.running()[0]!.pid!;
    const vnodeId = paused.host.running()[0]!.vnodeId;
    await paused.runtime.updateSettings((s) => ({ ...s, snoozedUntil: Date.now() + 10 * 60_000 }));
    await waitUntil(
      () =>
        paused.host.paused &&
        paused.host.running()[0]?.suspended === true &&
        paused.host.views().find((v) => v.vnodeId === vnodeId)?.state === 'paused' &&
        (processState(pid) ?? 'T') === 'T',
      'the VNode to pause and the kernel to stop its sandbox',
    );
    expect(paused.host.views().find((v) => v.vnodeId === vnodeId)?.pausedReason).toBe('snoozed');
    // The kernel stopped the sandbox: its CPU time no longer moves.
    const before = cpuTicks(pid);
    if (before !== null) {
      await pause(500);
      expect(cpuTicks(pid)! - before).toBeLessThanOrEqual(1);
    }
    // The heartbeat says the PNode is not contributing; the run there is given up and goes to the third PNode.
    await waitUntil(() => job.state !== 'running', 'the task to be accepted elsewhere');
    expect(job.state).toBe('done');
    const task = job.tasks[0]!;
    expect(task.votes.map((v) => v.pnode)).not.toContain(paused.nodeId);
    expect(task.votes).toHaveLength(2);
    expect(task.acceptedHash).toBe(contentHash(busyReference(ROUNDS)));
    expect(job.pnodes.get(paused.nodeId)?.lost).toBe(1);
    expect(net.scheduler.counters.retries).toBeGreaterThanOrEqual(1);

    // The snooze ends: the suspended task runs to its end, and its result is late.
    const late = net.scheduler.counters.lateResults;
    await paused.runtime.updateSettings((s) => ({ ...s, snoozedUntil: null }));
    await waitUntil(() => net.scheduler.counters.lateResults > late, 'the late result');
    expect(job.tasks[0]!.votes).toHaveLength(2);
  });

  it('turning contribution off ends its task at once (sandbox gone) and the task is run elsewhere', async () => {
    await net.waitContributing();
    const { job, running } = await busyOnTwo('switched off');
    const off = running[0]!;
    const pid = off.host.running()[0]!.pid!;
    await off.runtime.updateSettings((s) => ({ ...s, contributionEnabled: false }));
    await waitUntil(() => off.host.running().length === 0 && !processExists(pid), 'the task to stop and its sandbox to end');
    expect(off.host.allocations()).toEqual([]);
    await waitUntil(() => job.state !== 'running', 'the task to be accepted elsewhere');
    expect(job.state).toBe('done');
    const task = job.tasks[0]!;
    expect(task.votes.map((v) => v.pnode)).not.toContain(off.nodeId);
    expect(task.acceptedHash).toBe(contentHash(busyReference(ROUNDS)));
    const stats = job.pnodes.get(off.nodeId)!;
    expect(stats.cancelled + stats.lost).toBe(1);
    await off.runtime.updateSettings((s) => ({ ...s, contributionEnabled: true }));
  });
});
