// Several orchestrators serving one project (issue 13 §3): two orchestrators share one PostgreSQL
// job store and one blob directory; a project submits through one of them; both claim tasks
// (never the same one), each places replicas on its own PNodes, and every task is accepted once,
// with the right answer. Skipped with the reason where no PostgreSQL server is reachable
// (PNODE_TEST_POSTGRES_URL; `.ci/run` starts one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPrimesReference, decodePrimesOutput, encodePrimesInput } from '../../src-node/kernel/workloads/demo/primes.js';
import type { ValidatedFact } from '../../src-node/services/orchestrator/jobs/job-store.js';
import { wasiModule } from '../support/vnode/wasi-fixtures.js';
import { TestProject, stdinTask } from '../support/test-project.js';
import { freshDatabase, postgresUnavailable, type TestDatabase } from '../support/postgres.js';
import { type WorkNet, startWorkNet, submitBatch, waitBatch } from '../support/work-net.js';

const reason = await postgresUnavailable();
let db: TestDatabase;
let blobDir: string;
let a: WorkNet;
let b: WorkNet;
const facts: Array<ValidatedFact & { by: string }> = [];

describe.skipIf(reason !== null)(`two orchestrators on one PostgreSQL store${reason ? ` (skipped: ${reason})` : ''}`, () => {
  beforeAll(async () => {
    db = await freshDatabase();
    blobDir = mkdtempSync(join(tmpdir(), 'pnode-shared-blobs-'));
    a = await startWorkNet({ contributors: 2, scheduler: { store: db.url, blobDir } });
    b = await startWorkNet({ contributors: 2, scheduler: { store: db.url, blobDir } });
    a.scheduler.on('validated', (f) => facts.push({ ...f, by: 'a' }));
    b.scheduler.on('validated', (f) => facts.push({ ...f, by: 'b' }));
    await Promise.all([a.waitContributing(), b.waitContributing()]);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
    rmSync(blobDir, { recursive: true, force: true });
  });

  it('both orchestrators take tasks of a batch submitted through one, and every task is accepted once, right', async () => {
    const primes = wasiModule('primes-wasi');
    const ranges = Array.from({ length: 120 }, (_, i) => [i * 5_000, (i + 1) * 5_000] as const);
    const { batch, tasks } = await submitBatch(a, 'shared', primes.bytes, ranges.map(([lo, hi], i) => stdinTask(primes.hash, encodePrimesInput(lo, hi), { name: `r${i}` })));
    await waitBatch(a, batch, 120_000);
    const results = await a.project.results(batch);
    results.forEach((r, i) => expect(decodePrimesOutput(TestProject.stdout(r))).toBe(countPrimesReference(ranges[i]![0], ranges[i]![1])));
    // The same batch, read through the other orchestrator's API.
    expect((await b.project.batch(batch))['tasks']).toMatchObject({ total: 120, accepted: 120, open: 0 });
    for (const task of tasks) {
      // One or more results counted (PNodes that became reliable run tasks alone).
      const mine = facts.filter((f) => f.task === task.id);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      // One orchestrator decided it: never both.
      expect(new Set(mine.map((f) => f.by)).size).toBe(1);
    }
    // Both took part.
    expect(new Set(facts.filter((f) => f.batch === batch).map((f) => f.by))).toEqual(new Set(['a', 'b']));
  });
});
