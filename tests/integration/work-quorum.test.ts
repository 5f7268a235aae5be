// Issue 7 §3, §4: the quorum catches a PNode that lies (its results are never accepted, its score
// drops, it stops getting work and is traced); trusted PNodes run alone, and a spot check catches
// a trusted one that lies (it is demoted). Real sessions and sandboxes; trust comes from the
// orchestrator's trust hook (standing in for trusted registration).
import { afterEach, describe, expect, it } from 'vitest';
import { contentHash } from '../../src-shared/vnode/content-hash.js';
import { type TaskResult, makeTaskResult } from '../../src-shared/vnode/task-result.js';
import { loadDemoModule } from '../../src-node/kernel/workloads/demo/demo-workloads.js';
import { type TileSpec, mandelbrotTileReference, tileSpecs, tileWorkload } from '../../src-node/kernel/workloads/demo/mandelbrot.js';
import { LIES_BEFORE_BAN, LIE_PENALTY_POINTS } from '../../src-node/services/orchestrator/work/work-profile.js';
import type { Job, WorkScheduler, WorkTask } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import { type WorkContributor, type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';

let net: WorkNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

/** A PNode that lies well: it changes the output and sends the hash of what it changed it to. */
function lie(result: TaskResult): TaskResult {
  if (result.status !== 'ok') return result;
  const output = Uint8Array.from(result.output!);
  output[0] = output[0]! ^ 0x01;
  return makeTaskResult({ ...result, output });
}

async function tileJob(scheduler: WorkScheduler, name: string, tiles: number): Promise<{ job: Job; specs: TileSpec[] }> {
  const module = await loadDemoModule('mandelbrot');
  scheduler.addModule(module.bytes);
  const specs = tileSpecs(16, tiles, 120);
  return { job: scheduler.submit({ name, workloads: specs.map((s) => tileWorkload(module, s)) }), specs };
}

function recordAccepted(scheduler: WorkScheduler): Array<{ task: WorkTask; output: Uint8Array }> {
  const out: Array<{ task: WorkTask; output: Uint8Array }> = [];
  scheduler.on('task-accepted', (task, output) => out.push({ task, output }));
  return out;
}

/** Runs a small job first, so every contributor holds a work VNode before the job under test. */
async function warmUp(): Promise<void> {
  const { job } = await tileJob(net!.scheduler, 'warm-up', 2);
  await waitUntil(() => job.state !== 'running', 'the warm-up job');
  await waitUntil(() => net!.scheduler.vnodes().filter((v) => v.state === 'allocated' || v.state === 'running').length === net!.contributors.length, 'a work VNode on every contributor');
}

function winners(task: WorkTask): string[] {
  return task.votes.filter((v) => v.hash === task.acceptedHash).map((v) => v.pnode);
}

describe('a PNode that lies', () => {
  it('is caught by the quorum: never accepted, its score drops, it is banned and traced, and gets no more work', async () => {
    net = await startWorkNet({ contributors: 4, contributor: (i) => (i === 3 ? { runner: { resultTransform: lie } } : {}) });
    await net.waitContributing();
    const liar: WorkContributor = net.contributors[3]!;
    const scheduler = net.scheduler;
    const accepted = recordAccepted(scheduler);
    const scoreBefore = net.orchestrator.registry.score(net.orchestrator.registry.get(liar.nodeId)!);

    // Jobs until the liar has lied often enough to be banned (bounded: a few jobs of 16 tiles).
    const jobs: Array<{ job: Job; specs: TileSpec[] }> = [];
    for (let round = 0; round < 6 && !scheduler.banned.has(liar.nodeId); round++) {
      const made = await tileJob(scheduler, `tiles ${round}`, 4);
      jobs.push(made);
      await waitUntil(() => made.job.state !== 'running', `job ${round}`);
    }
    expect(scheduler.banned.has(liar.nodeId)).toBe(true);

    for (const { job, specs } of jobs) {
      expect(job.state).toBe('done');
      for (const { task, output } of accepted.filter((a) => a.task.job === job)) {
        expect(contentHash(output)).toBe(contentHash(mandelbrotTileReference(specs[task.index]!)));
        expect(winners(task)).not.toContain(liar.nodeId);
        expect(new Set(winners(task)).size).toBeGreaterThanOrEqual(2);
      }
    }
    const stats = scheduler.pnodeStats.get(liar.nodeId)!;
    expect(stats.lies).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    expect(stats.agreed).toBe(0);
    expect(scheduler.counters.mismatches).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    expect(net.orchestrator.registry.penalty(liar.nodeId)).toBe(stats.lies * LIE_PENALTY_POINTS);
    const entry = net.orchestrator.registry.get(liar.nodeId)!;
    expect(net.orchestrator.registry.score(entry)).toBeLessThan(scoreBefore);
    for (const honest of net.contributors.slice(0, 3)) expect(scheduler.pnodeStats.get(honest.nodeId)?.lies ?? 0).toBe(0);
    // Traced, with the liar as the peer.
    const traced = net.orchestratorRuntime.traces.recent(10_000).filter((e) => e['event/type'] === 'error/occurred' && e.peer === liar.nodeId);
    expect(traced.some((e) => String(e.detail?.['message']).includes('no more work goes to this PNode'))).toBe(true);

    // Banned: its work VNodes are released and no task reaches it any more.
    await waitUntil(() => liar.host.allocations().length === 0, 'the liar to lose its work VNodes');
    expect(scheduler.vnodes().some((v) => v.pnode === liar.nodeId)).toBe(false);
    const received = liar.runner.stats.tasksReceived;
    const after = await tileJob(scheduler, 'after the ban', 3);
    await waitUntil(() => after.job.state !== 'running', 'the job after the ban');
    expect(after.job.state).toBe('done');
    expect(liar.runner.stats.tasksReceived).toBe(received);
    expect(after.job.pnodes.has(liar.nodeId)).toBe(false);
  }, 180_000);
});

describe('trusted PNodes', () => {
  it('run alone: a task whose first run went to a trusted PNode is accepted on its result', async () => {
    net = await startWorkNet({ contributors: 3, scheduler: { scheduler: { spotCheckFraction: 0 } } });
    await net.waitContributing();
    await warmUp();
    const trusted = net.contributors[0]!;
    await net.trust(trusted);
    const accepted = recordAccepted(net.scheduler);
    const { job, specs } = await tileJob(net.scheduler, 'trusted alone', 3);
    await waitUntil(() => job.state !== 'running', 'the job');
    expect(job.state).toBe('done');
    const alone = accepted.filter((a) => a.task.job === job && a.task.acceptedBy === 'trusted');
    expect(alone.length).toBeGreaterThan(0);
    for (const { task, output } of alone) {
      expect(task.votes).toEqual([expect.objectContaining({ pnode: trusted.nodeId, trusted: true })]);
      expect(contentHash(output)).toBe(contentHash(mandelbrotTileReference(specs[task.index]!)));
    }
    // Quorum overhead: tasks the trusted PNode took cost one run, the others two.
    expect(job.stats.okResults).toBe(job.stats.trustedAlone + 2 * job.stats.agreements);
    expect(job.stats.spotChecks).toBe(0);
  });

  it('are spot-checked: a trusted PNode that lies is caught on another PNode, outvoted, and demoted', async () => {
    let lying = false;
    net = await startWorkNet({ contributors: 4, contributor: (i) => (i === 0 ? { runner: { resultTransform: (r) => (lying ? lie(r) : r) } } : {}), scheduler: { scheduler: { spotCheckFraction: 1 } } });
    await net.waitContributing();
    await warmUp();
    const trusted = net.contributors[0]!;
    await net.trust(trusted);
    lying = true;
    const accepted = recordAccepted(net.scheduler);
    const { job, specs } = await tileJob(net.scheduler, 'spot checks', 3);
    await waitUntil(() => job.state !== 'running', 'the job', 90_000);
    expect(job.state).toBe('done');
    expect(net.scheduler.demoted.has(trusted.nodeId)).toBe(true);
    expect(net.scheduler.counters.demotions).toBe(1);
    expect(job.stats.spotChecks).toBeGreaterThanOrEqual(1);
    expect(job.stats.trustedAlone).toBe(0);
    expect(net.scheduler.isTrusted(trusted.nodeId)).toBe(false);
    expect(net.orchestrator.registry.penalty(trusted.nodeId)).toBeGreaterThanOrEqual(LIE_PENALTY_POINTS);
    for (const { task, output } of accepted.filter((a) => a.task.job === job)) {
      expect(winners(task)).not.toContain(trusted.nodeId);
      expect(contentHash(output)).toBe(contentHash(mandelbrotTileReference(specs[task.index]!)));
    }
  });
});
