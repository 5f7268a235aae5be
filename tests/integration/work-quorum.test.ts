// Issue 7 §3 and issue 13 §4: results count only as much as the PNodes behind them are independent
// and proven. A PNode that lies is outvoted (never accepted), its record drops, it stops getting
// work and is traced; a reliable (here: trusted) PNode runs tasks alone; a spot check catches a
// trusted one that lies (it is demoted). Real sessions and sandboxes, WASI tasks submitted through
// the job API; trust comes from the orchestrator's trust hook (standing in for trusted registration).
import { afterEach, describe, expect, it } from 'vitest';
import { countPrimesReference, decodePrimesOutput, encodePrimesInput } from '../../src-node/kernel/workloads/demo/primes.js';
import { LIE_PENALTY_POINTS } from '../../src-node/services/orchestrator/work/work-profile.js';
import { LIES_BEFORE_BAN } from '../../src-node/services/orchestrator/work/reputation.js';
import type { AcceptedTask } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import type { ValidatedFact } from '../../src-node/services/orchestrator/jobs/job-store.js';
import { wasiModule } from '../support/vnode/wasi-fixtures.js';
import { TestProject, stdinTask } from '../support/test-project.js';
import { type WorkContributor, type WorkNet, lieWasi, startWorkNet, submitBatch, waitBatch, waitUntil } from '../support/work-net.js';

let net: WorkNet | undefined;
afterEach(async () => {
  await net?.stop();
  net = undefined;
});

const primes = wasiModule('primes-wasi');

/** A batch of `count` prime-counting ranges; waits until it is done; returns its ranges and outputs. */
async function primesBatch(name: string, count: number, first = 0) {
  const ranges = Array.from({ length: count }, (_, i) => [(first + i) * 20_000, (first + i + 1) * 20_000] as const);
  const made = await submitBatch(net!, name, primes.bytes, ranges.map(([lo, hi], i) => stdinTask(primes.hash, encodePrimesInput(lo, hi), { name: `r-${i}` })));
  await waitBatch(net!, made.batch, 90_000);
  const results = await net!.project.results(made.batch);
  return { ...made, ranges, results };
}

function recorder() {
  const accepted: AcceptedTask[] = [];
  const validated: ValidatedFact[] = [];
  net!.scheduler.on('task-accepted', (t) => accepted.push(t));
  net!.scheduler.on('validated', (f) => validated.push(f));
  return { accepted, validated };
}

describe('a PNode that lies', () => {
  it('is outvoted by independent PNodes: never accepted, its record drops, it is banned, traced, and gets no more work', async () => {
    net = await startWorkNet({ contributors: 4, contributor: (i) => (i === 3 ? { runner: { resultTransform: lieWasi } } : {}) });
    await net.waitContributing();
    const liar: WorkContributor = net.contributors[3]!;
    const scheduler = net.scheduler;
    const { validated } = recorder();
    const scoreBefore = net.orchestrator.registry.score(net.orchestrator.registry.get(liar.nodeId)!);

    const batches = [];
    for (let round = 0; round < 6 && !scheduler.banned.has(liar.nodeId); round++) batches.push(await primesBatch(`round ${round}`, 6, round * 6));
    expect(scheduler.banned.has(liar.nodeId)).toBe(true);
    for (const { results, ranges, tasks } of batches) {
      expect(results.map((r) => r['state'])).toEqual(Array(ranges.length).fill('accepted'));
      results.forEach((r, i) => expect(decodePrimesOutput(TestProject.stdout(r))).toBe(countPrimesReference(ranges[i]![0], ranges[i]![1])));
      for (const task of tasks) {
        const winners = validated.filter((f) => f.task === task.id).map((f) => f.pnode);
        expect(winners).not.toContain(liar.nodeId);
        expect(new Set(winners).size).toBeGreaterThanOrEqual(2);
      }
    }
    const stats = scheduler.pnodeStats.get(liar.nodeId)!;
    expect(stats.lies).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    expect(stats.agreed).toBe(0);
    expect(scheduler.record(liar.nodeId)).toMatchObject({ validated: 0, streak: 0 });
    expect(net.orchestrator.registry.penalty(liar.nodeId)).toBe(stats.lies * LIE_PENALTY_POINTS);
    expect(net.orchestrator.registry.score(net.orchestrator.registry.get(liar.nodeId)!)).toBeLessThan(scoreBefore);
    for (const honest of net.contributors.slice(0, 3)) expect(scheduler.pnodeStats.get(honest.nodeId)?.lies ?? 0).toBe(0);
    // The store remembers the lies (a restart would not forgive them).
    const stored = await net.schedulerModule.store.reputations([liar.nodeId]);
    expect(stored.get(liar.nodeId)?.lies).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    const traced = net.orchestratorRuntime.traces.recent(10_000).filter((e) => e['event/type'] === 'error/occurred' && e.peer === liar.nodeId);
    expect(traced.some((e) => String(e.detail?.['message']).includes('no more work goes to this PNode'))).toBe(true);

    await waitUntil(() => liar.host.allocations().length === 0, 'the liar to lose its work VNodes');
    const received = liar.runner.stats.tasksReceived;
    const after = await primesBatch('after the ban', 3, 100);
    expect(after.results.map((r) => r['state'])).toEqual(['accepted', 'accepted', 'accepted']);
    expect(liar.runner.stats.tasksReceived).toBe(received);
  }, 240_000);
});

describe('reliable PNodes', () => {
  it('run alone: a trusted PNode that took a task first has it accepted on its result', async () => {
    net = await startWorkNet({ contributors: 3, scheduler: { scheduler: { spotCheckFraction: 0 } } });
    await net.waitContributing();
    await primesBatch('warm-up', 2);
    const trusted = net.contributors[0]!;
    await net.trust(trusted);
    const { accepted, validated } = recorder();
    const { tasks, results, ranges } = await primesBatch('trusted alone', 4, 10);
    results.forEach((r, i) => expect(decodePrimesOutput(TestProject.stdout(r))).toBe(countPrimesReference(ranges[i]![0], ranges[i]![1])));
    const alone = accepted.filter((a) => tasks.some((t) => t.id === a.id) && a.by === 'reliable');
    expect(alone.length).toBeGreaterThan(0);
    for (const task of alone) expect(validated.filter((f) => f.task === task.id).map((f) => f.pnode)).toEqual([trusted.nodeId]);
    expect(net.scheduler.counters.spotChecks).toBe(0);
  });

  it('are spot-checked: a trusted PNode that lies is caught by an independent PNode, outvoted, and demoted', async () => {
    let lying = false;
    net = await startWorkNet({ contributors: 4, contributor: (i) => (i === 0 ? { runner: { resultTransform: (r) => (lying ? lieWasi(r) : r) } } : {}), scheduler: { scheduler: { spotCheckFraction: 1 } } });
    await net.waitContributing();
    // Warm-up until the others are established: a tie-breaker is never a stranger, and here the
    // only other established PNode would be the liar itself.
    for (let round = 0; round < 8 && !net.contributors.slice(1).every((c) => net!.scheduler.standing(c.nodeId) !== 'new'); round++) await primesBatch(`warm-up ${round}`, 6, 40 + round * 6);
    expect(net.contributors.slice(1).map((c) => net!.scheduler.standing(c.nodeId))).not.toContain('new');
    const trusted = net.contributors[0]!;
    await net.trust(trusted);
    lying = true;
    const { validated } = recorder();
    const { tasks, results, ranges } = await primesBatch('spot checks', 4, 20);
    results.forEach((r, i) => expect(decodePrimesOutput(TestProject.stdout(r))).toBe(countPrimesReference(ranges[i]![0], ranges[i]![1])));
    for (const task of tasks) expect(validated.filter((f) => f.task === task.id).map((f) => f.pnode)).not.toContain(trusted.nodeId);
    expect(net.scheduler.demoted.has(trusted.nodeId)).toBe(true);
    expect(net.scheduler.counters.demotions).toBe(1);
    expect(net.scheduler.counters.acceptedAlone).toBe(0);
    expect(net.scheduler.isTrusted(trusted.nodeId)).toBe(false);
    expect(net.scheduler.standing(trusted.nodeId)).toBe('new');
    expect(net.orchestrator.registry.penalty(trusted.nodeId)).toBeGreaterThanOrEqual(LIE_PENALTY_POINTS);
  });
});
