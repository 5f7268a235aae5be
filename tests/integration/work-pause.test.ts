// Issue 7 §4 with a WASI program (issue 13): pausing a PNode stops its work (within a second: how
// soon is a figure of `npm run bench -- vnode`, not asserted here). A snooze keeps the VNode, which goes `paused`: its running task is suspended (the kernel stops its
// sandbox process and accounts it no more CPU time). Turning contribution off gives the VNode back:
// its task is cancelled and its sandbox ends. Either way the orchestrator, told by the heartbeat or
// the result, runs the task on another PNode; a paused PNode's result that comes after the pause is
// late and ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuTicks, processExists, processState } from '../support/vnode/host-fixtures.js';
import { pause } from '../support/wait.js';
import { decode, wasiModule } from '../support/vnode/wasi-fixtures.js';
import type { ValidatedFact } from '../../src-node/services/orchestrator/jobs/job-store.js';
import { TestProject } from '../support/test-project.js';
import { type WorkContributor, type WorkNet, startWorkNet, submitBatch, waitBatch, waitUntil } from '../support/work-net.js';

/** Rounds of arithmetic: a few seconds of CPU, so the pause lands mid-task. */
const ROUNDS = 600_000_000;

let net: WorkNet;
const probe = wasiModule('probe');
const validated: ValidatedFact[] = [];

/** Submits one busy task and waits until two PNodes really run it; returns them. */
async function busyOnTwo(name: string): Promise<{ batch: string; task: string; running: WorkContributor[] }> {
  const { batch, tasks } = await submitBatch(net, name, probe.bytes, [{ name: 'spin', args: ['spin', String(ROUNDS)], limits: { 'memory-mb': 16, 'max-ms': 120_000 } }]);
  const task = tasks[0]!.id;
  let running: WorkContributor[] = [];
  await waitUntil(() => {
    const sentTo = new Set(net.scheduler.runningAttempts().filter((a) => a.task?.id === task).map((a) => a.pnode));
    running = net.contributors.filter((c) => sentTo.has(c.nodeId) && c.host.running().some((r) => r.pid !== null && r.cpuMs > 0 && !r.suspended));
    return running.length === 2;
  }, 'two PNodes running the task', 60_000);
  return { batch, task, running };
}

beforeAll(async () => {
  net = await startWorkNet({ contributors: 3 });
  net.scheduler.on('validated', (f) => validated.push(f));
  await net.waitContributing();
});

afterAll(async () => {
  await net?.stop();
});

describe('pausing a PNode', () => {
  it('a snooze stops its work within a second (VNode paused, no more CPU) and the task is run elsewhere', async () => {
    const { batch, task, running } = await busyOnTwo('snoozed');
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
    const before = cpuTicks(pid);
    if (before !== null) {
      await pause(500);
      expect(cpuTicks(pid)! - before).toBeLessThanOrEqual(1);
    }
    // The heartbeat says the PNode is not contributing; the run there is given up and goes to the third PNode.
    await waitBatch(net, batch, 120_000);
    const [result] = await net.project.results(batch);
    expect(decode(TestProject.stdout(result!))).toMatch(new RegExp(`^spin ${ROUNDS} \\d+\\n$`));
    const winners = validated.filter((f) => f.task === task).map((f) => f.pnode);
    expect(winners).toHaveLength(2);
    expect(winners).not.toContain(paused.nodeId);
    expect(net.scheduler.pnodeStats.get(paused.nodeId)?.lost).toBeGreaterThanOrEqual(1);
    expect(net.scheduler.counters.retries).toBeGreaterThanOrEqual(1);

    // The snooze ends: the suspended task runs to its end, and its result is late.
    const late = net.scheduler.counters.lateResults;
    await paused.runtime.updateSettings((s) => ({ ...s, snoozedUntil: null }));
    await waitUntil(() => net.scheduler.counters.lateResults > late, 'the late result', 120_000);
  }, 300_000);

  it('turning contribution off ends its task at once (sandbox gone) and the task is run elsewhere', async () => {
    await net.waitContributing();
    const { batch, task, running } = await busyOnTwo('switched off');
    const off = running[0]!;
    const pid = off.host.running()[0]!.pid!;
    const stats = { ...(net.scheduler.pnodeStats.get(off.nodeId) ?? { cancelled: 0, lost: 0 }) };
    await off.runtime.updateSettings((s) => ({ ...s, contributionEnabled: false }));
    await waitUntil(() => off.host.running().length === 0 && !processExists(pid), 'the task to stop and its sandbox to end');
    expect(off.host.allocations()).toEqual([]);
    await waitBatch(net, batch, 120_000);
    expect(validated.filter((f) => f.task === task).map((f) => f.pnode)).not.toContain(off.nodeId);
    const after = net.scheduler.pnodeStats.get(off.nodeId)!;
    expect(after.cancelled + after.lost - stats.cancelled - stats.lost).toBe(1);
    await off.runtime.updateSettings((s) => ({ ...s, contributionEnabled: true }));
  }, 300_000);
});
