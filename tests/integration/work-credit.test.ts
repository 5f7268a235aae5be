// Issue 13 §5 on real work: the scheduler credits what validation accepted. A project's tasks run
// on three PNodes, one of which lies on project work (its benchmark is honest, so it gets work);
// every result validation accepts becomes a signed credit receipt, delivered over the PNode's
// session into its ledger with the replica's task id; the liar's rejected results earn nothing,
// not even a receipt. Real sessions, sandboxes, stores, outbox and ledgers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrimesInput } from '../../src-node/kernel/workloads/demo/primes.js';
import { BENCHMARK_FROM } from '../../src-node/services/orchestrator/work/benchmark.js';
import type { ValidatedResult } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import { creditFactOf } from '../../src-node/services/orchestrator/work/credit-facts.js';
import { computeCredit } from '../../src-shared/credit/credit-formula.js';
import type { ReceiptSummary } from '../../src-shared/control/credit-view.js';
import { isWasiTask } from '../../src-shared/vnode/workload.js';
import { wasiModule } from '../support/vnode/wasi-fixtures.js';
import { stdinTask } from '../support/test-project.js';
import { type WorkNet, lieWasi, startWorkNet, submitBatch, waitBatch, waitUntil } from '../support/work-net.js';

const LIAR = 2;
/** Numbers per task: ≈ 0.6 s of CPU near 2^29 on this machine's cores (above 432 ms: credit ≥ 1 µcs even at 1 MOPS). */
const TASK_SPAN = 500_000;
let net: WorkNet;
const validated: ValidatedResult[] = [];
const receipts = new Map<string, ReceiptSummary[]>();
/** Task ids each PNode finished ok (what it would wait for credit on). */
const finishedOk = new Map<string, string[]>();

beforeAll(async () => {
  net = await startWorkNet({
    contributors: 3,
    credit: { outbox: { fsync: false } },
    // The liar answers the benchmark (its window starts at BENCHMARK_FROM or above) truly, and lies on project work.
    contributor: (i) => (i === LIAR ? { runner: { resultTransform: (result, task) => (isWasiTask(task) && new DataView(task.stdin.buffer, task.stdin.byteOffset).getUint32(0, true) < BENCHMARK_FROM ? lieWasi(result) : result) } } : {}),
    scheduler: { onValidated: (result) => validated.push(result) },
  });
  for (const contributor of net.contributors) {
    receipts.set(contributor.nodeId, []);
    finishedOk.set(contributor.nodeId, []);
    contributor.credit!.on('receipt', (summary) => receipts.get(contributor.nodeId)!.push(summary));
    contributor.host.on('task-finished', (task) => {
      if (task.status === 'ok') finishedOk.get(contributor.nodeId)!.push(task.taskId);
    });
  }
  await net.waitContributing();
});

afterAll(async () => {
  await net?.stop();
});

describe('credit for validated work', () => {
  it('a PNode gets a receipt for each result validation accepted, and none for a rejected one', async () => {
    const primes = wasiModule('primes-wasi');
    // Credit is floor(CPU ms × benchmark MOPS / 432) (credit-formula.ts), and the benchmark is timed
    // by the orchestrator's wall clock: on a starved machine it can read as 1 MOPS. So each task
    // spends more CPU than 432 ms (CPU time, which load does not shrink): windows of big numbers
    // just under the benchmark's range, where trial division does its full work.
    const ranges = Array.from({ length: 6 }, (_, i) => [BENCHMARK_FROM - (i + 1) * TASK_SPAN, BENCHMARK_FROM - i * TASK_SPAN] as const);
    const made = await submitBatch(net, 'credited', primes.bytes, ranges.map(([lo, hi], i) => stdinTask(primes.hash, encodePrimesInput(lo, hi), { name: `r-${i}` })));
    await waitBatch(net, made.batch);
    const results = await net.project.results(made.batch);
    expect(results.map((r) => r['state'])).toEqual(Array(ranges.length).fill('accepted'));

    const liar = net.contributors[LIAR]!;
    const honest = net.contributors.filter((c) => c !== liar);
    const mine = validated.filter((v) => v.batch === made.batch);
    expect(mine.length).toBeGreaterThanOrEqual(2 * ranges.length);
    // Each validated result reaches its PNode's ledger as a receipt for the id its vnode-task carried.
    await waitUntil(() => mine.every((v) => receipts.get(v.pnode)!.some((r) => r.taskId === v.replica)), 'every validated result to reach its ledger');
    for (const result of mine) {
      const receipt = receipts.get(result.pnode)!.find((r) => r.taskId === result.replica)!;
      expect(receipt).toMatchObject({ orchestrator: net.orchestratorRuntime.identity.nodeId, outcome: 'validated', projectName: 'test project', cpuMs: result.cpuMs });
      // The award the formula gives for this result's claims, and not nothing.
      const fact = creditFactOf(result, 'test project');
      expect(receipt.credit).toBe(computeCredit({ outcome: 'validated', claim: fact.claim, budgetMs: fact.budgetMs, agreeing: fact.agreeing ?? [] }).creditMicro);
      expect(receipt.credit).toBeGreaterThan(0);
      // The replicas that agreed are credited alike (the lowest claim among them).
      expect(result.agreeing.length).toBeGreaterThanOrEqual(1);
    }
    expect(net.credit!.stats.issued).toBe(mine.length);

    // The liar ran project work (its results came back ok from its sandbox) and every one was rejected: no receipt.
    expect(net.scheduler.pnodeStats.get(liar.nodeId)?.lies ?? 0).toBeGreaterThan(0);
    expect(net.scheduler.pnodeStats.get(liar.nodeId)?.agreed ?? 0).toBe(0);
    expect(mine.some((v) => v.pnode === liar.nodeId)).toBe(false);
    expect(finishedOk.get(liar.nodeId)!.length).toBeGreaterThan(1); // the benchmark and at least one project task
    expect(receipts.get(liar.nodeId)).toEqual([]);
    expect(liar.credit!.state().credit).toMatchObject({ receipts: 0, total: 0 });
    // Its honest peers' ledgers hold exactly their validated results.
    for (const contributor of honest) {
      const credited = mine.filter((v) => v.pnode === contributor.nodeId).map((v) => v.replica).sort();
      expect(receipts.get(contributor.nodeId)!.map((r) => r.taskId).sort()).toEqual(credited);
    }
  });
});
