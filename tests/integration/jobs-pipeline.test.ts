// A project's work end to end (issue 13 §1–§4), in one process on loopback: a project submits WASI
// tasks through the job API (signed requests), the orchestrator benchmarks its PNodes, places
// replicas on independent ones, validates the results and stores them; the project reads the
// outputs back. Real sessions, real sandboxes, a real SQLite store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPrimesReference, encodePrimesInput, decodePrimesOutput } from '../../src-node/kernel/workloads/demo/primes.js';
import { wasiModule } from '../support/vnode/wasi-fixtures.js';
import { type WorkNet, startWorkNet, waitUntil } from '../support/work-net.js';
import { TestProject, stdinTask } from '../support/test-project.js';
import type { ValidatedFact } from '../../src-node/services/orchestrator/jobs/job-store.js';

let net: WorkNet;
const validated: ValidatedFact[] = [];

beforeAll(async () => {
  net = await startWorkNet({ contributors: 3, scheduler: { onValidated: (fact) => validated.push(fact) } });
  await net.waitContributing();
});

afterAll(async () => {
  await net?.stop();
});

describe('a project submits work through the job API', () => {
  it('primes-wasi tasks are benchmarked for, replicated, validated, stored, and read back', async () => {
    const primes = wasiModule('primes-wasi');
    const batch = await net.project.createBatch('primes');
    const hash = await net.project.upload(batch, primes.bytes, 'module');
    const ranges: Array<[number, number]> = [0, 1, 2, 3, 4, 5].map((i) => [i * 50_000, (i + 1) * 50_000]);
    const tasks = await net.project.submit(batch, ranges.map(([lo, hi], i) => stdinTask(hash, encodePrimesInput(lo, hi), { name: `range-${i}` })));
    expect(tasks.map((t) => t.name)).toEqual(['range-0', 'range-1', 'range-2', 'range-3', 'range-4', 'range-5']);
    let view: Record<string, unknown> = {};
    await waitUntil(() => {
      void net.project.batch(batch).then((v) => (view = v));
      return view['done'] === true;
    }, 'the batch to finish', 90_000, 200);
    const results = await net.project.results(batch);
    expect(results.map((r) => r['state'])).toEqual(Array(6).fill('accepted'));
    for (const [i, result] of results.entries()) expect(decodePrimesOutput(TestProject.stdout(result))).toBe(countPrimesReference(ranges[i]![0], ranges[i]![1]));
    // Every accepted task: at least two validated results from different PNodes, each with its benchmark score.
    const facts = validated.filter((f) => f.batch === batch);
    for (const task of tasks) {
      const mine = facts.filter((f) => f.task === task.id);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(new Set(mine.map((f) => f.pnode)).size).toBe(mine.length);
      for (const fact of mine) expect(fact.benchmarkScore).toBeGreaterThan(0);
    }
    expect(net.scheduler.counters.benchmarksPassed).toBe(3);
    const stored = await net.schedulerModule.store.validatedFacts(0, 1_000);
    expect(stored.filter((f) => f.batch === batch).length).toBe(facts.length);
  });
});
