// The job store's contract (job-store.ts), run against SQLite and against a real PostgreSQL server
// (PNODE_TEST_POSTGRES_URL; skipped with the reason when there is none): all-or-nothing
// submissions, claims that never hand one task to two orchestrators, decisions that apply only for
// the owner of an open task, recovery after a restart, retire, nonces that survive a reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { freshDatabase, postgresUnavailable, type TestDatabase } from '../../../../tests/support/postgres.js';
import type { JobStore, NewTask, ReplicaRow } from './job-store.js';
import { StoreConflict } from './job-store.js';
import { PostgresJobStore } from './postgres-store.js';
import { SqliteJobStore } from './sqlite-store.js';

const NOW = 1_800_000_000_000;
const LEASE = 60_000;
const HASH = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as ContentHash;

interface Opened {
  open(): Promise<JobStore>;
  cleanup(): Promise<void>;
}

function sqlite(): Opened {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-store-'));
  return { open: async () => SqliteJobStore.open(join(dir, 'jobs.sqlite')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

const pgReason = await postgresUnavailable();

let db: TestDatabase | null = null;
function postgres(): Opened {
  return { open: async () => PostgresJobStore.open(db!.url), cleanup: async () => undefined };
}

function tasks(count: number, prefix = 't'): NewTask[] {
  return Array.from({ length: count }, (_, i) => ({ id: `task:${prefix}${i}`, name: `${prefix}${i}`, spec: '{}', deadline: NOW + 3_600_000 }));
}

function replica(task: string, id: string, pnode: string, state: ReplicaRow['state'], orchestrator = 'orch-a'): ReplicaRow {
  return { id, task, pnode, address: `10.0.${id.length}.1`, prefix: '10.0.0.0/24', operator: null, session: `s-${id}`, orchestrator, state, sentAt: NOW, endedAt: state === 'running' ? null : NOW + 10, cpuMs: 7, outputHash: state === 'ok' ? HASH(1) : null, result: state === 'ok' ? '{"r":1}' : null, detail: null };
}

const LIMITS = { maxPerBatch: 100, maxOpen: 1_000 };

function contract(name: string, make: () => Opened, skip: string | null) {
  describe.skipIf(skip !== null)(`the job store on ${name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let opened: Opened;
    let store: JobStore;
    beforeAll(async () => {
      if (name === 'PostgreSQL') db = await freshDatabase();
      opened = make();
      store = await opened.open();
    });
    afterAll(async () => {
      await store?.close();
      await opened?.cleanup();
      if (name === 'PostgreSQL') await db?.drop();
    });

    it('takes a batch\'s tasks all or none, and names a clash', async () => {
      await store.createBatch({ id: 'batch:a', project: 'zP', name: 'a', now: NOW, maxLive: 4 });
      await store.submitTasks('batch:a', tasks(3), NOW, LIMITS);
      await expect(store.submitTasks('batch:a', [...tasks(2, 'u'), { id: 'task:x', name: 't0', spec: '{}', deadline: NOW + 1 }], NOW, LIMITS)).rejects.toBeInstanceOf(StoreConflict);
      expect((await store.batchCounts('batch:a')).open).toBe(3);
      await expect(store.submitTasks('batch:a', tasks(200, 'big'), NOW, LIMITS)).rejects.toMatchObject({ kind: 'limit' });
      const page = await store.tasks('batch:a', null, 2);
      expect(page.items.map((t) => t.name)).toEqual(['t0', 't1']);
      expect((await store.tasks('batch:a', page.next, 2)).items.map((t) => t.name)).toEqual(['t2']);
    });

    it('limits the live batches of a project', async () => {
      for (const id of ['b', 'c', 'd']) await store.createBatch({ id: `batch:${id}`, project: 'zP', name: id, now: NOW, maxLive: 4 });
      await expect(store.createBatch({ id: 'batch:e', project: 'zP', name: 'e', now: NOW, maxLive: 4 })).rejects.toMatchObject({ kind: 'limit' });
      await store.createBatch({ id: 'batch:other', project: 'zQ', name: 'other', now: NOW, maxLive: 4 });
    });

    it('claims disjoint tasks for two orchestrators claiming at once, and renews only its own', async () => {
      await store.submitTasks('batch:b', tasks(40, 'c'), NOW, LIMITS);
      const [one, two] = await Promise.all([store.claimTasks('orch-a', 25, NOW, LEASE), store.claimTasks('orch-b', 25, NOW, LEASE)]);
      const a = one.map((c) => c.task.id);
      const b = two.map((c) => c.task.id);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect(a.length + b.length).toBe(43);
      expect(await store.claimTasks('orch-c', 10, NOW + 1, LEASE)).toEqual([]);
      expect((await store.renewLeases('orch-a', [...a, ...b], NOW + 10, LEASE)).sort()).toEqual([...a].sort());
      // A lease that ran out: another orchestrator may claim the task.
      const later = await store.claimTasks('orch-c', 100, NOW + 10 + LEASE + 1, LEASE);
      expect(later.map((c) => c.task.id).sort()).toEqual([...a, ...b].sort());
      await store.releaseTasks('orch-c', later.map((c) => c.task.id), 0);
    });

    it('applies a decision only for the owner of an open task, with its facts and reputation', async () => {
      await store.createBatch({ id: 'batch:dec', project: 'zQ', name: 'dec', now: NOW, maxLive: 8 });
      await store.submitTasks('batch:dec', tasks(2, 'd'), NOW, LIMITS);
      const claimed = await store.claimTasks('orch-a', 2, NOW + 10 * LEASE, LEASE);
      const [mine, other] = claimed.map((c) => c.task.id) as [string, string];
      const fact = (pnode: string) => ({ task: mine, batch: 'batch:dec', project: 'zQ', pnode, replica: `r-${pnode}`, cpuMs: 7, benchmarkScore: 100, validatedAt: NOW });
      const outcome = await store.apply('orch-a', {
        replicas: [replica(mine, 'r-p1', 'p1', 'running'), replica(mine, 'r-p1', 'p1', 'ok'), replica(mine, 'r-p2', 'p2', 'ok'), replica(mine, 'r-liar', 'liar', 'ok')],
        progress: [{ task: mine, attempts: 3, failures: 0 }],
        decisions: [
          { task: mine, state: 'accepted', detail: null, acceptedReplica: 'r-p1', decidedAt: NOW, facts: [fact('p1'), fact('p2')], reputation: [{ pnode: 'p1', validated: 1, lies: 0, at: NOW }, { pnode: 'p2', validated: 1, lies: 0, at: NOW }, { pnode: 'liar', validated: 0, lies: 1, at: NOW }] },
        ],
        benchmarks: [{ pnode: 'p1', score: 4_000, at: NOW }],
        reputation: [],
      });
      expect([...outcome.applied]).toEqual([mine]);
      expect(await store.task(mine)).toMatchObject({ state: 'accepted', acceptedReplica: 'r-p1', attempts: 3, owner: null });
      expect((await store.replica('r-p1'))?.state).toBe('ok');
      const facts = await store.validatedFacts(0, 10);
      expect(facts.filter((f) => f.task === mine).map((f) => f.pnode).sort()).toEqual(['p1', 'p2']);
      const reps = await store.reputations(['p1', 'liar']);
      expect(reps.get('p1')).toMatchObject({ validated: 1, streak: 1, lies: 0, benchmarkScore: 4_000 });
      expect(reps.get('liar')).toMatchObject({ validated: 0, streak: 0, lies: 1 });
      // Not the owner, or no longer open: nothing applies, no fact is recorded.
      const refused = await store.apply('orch-b', { replicas: [], progress: [], decisions: [{ task: other, state: 'failed', detail: 'x', acceptedReplica: null, decidedAt: NOW, facts: [{ ...fact('p9'), task: other }], reputation: [] }], benchmarks: [], reputation: [] });
      expect(refused.applied.size).toBe(0);
      const again = await store.apply('orch-a', { replicas: [], progress: [], decisions: [{ task: mine, state: 'failed', detail: 'x', acceptedReplica: null, decidedAt: NOW, facts: [], reputation: [] }], benchmarks: [], reputation: [] });
      expect(again.applied.size).toBe(0);
      expect((await store.validatedFacts(0, 100)).some((f) => f.pnode === 'p9')).toBe(false);
    });

    it('recovers after a restart: its running replicas are lost and its tasks claimable at once, with their votes', async () => {
      await store.createBatch({ id: 'batch:rec', project: 'zR', name: 'rec', now: NOW, maxLive: 8 });
      await store.submitTasks('batch:rec', tasks(1, 'r'), NOW, LIMITS);
      const [held] = await store.claimTasks('orch-r', 1, NOW + 20 * LEASE, LEASE);
      const id = held!.task.id;
      await store.apply('orch-r', { replicas: [replica(id, 'r-run', 'p1', 'running', 'orch-r'), replica(id, 'r-done', 'p2', 'ok', 'orch-r')], progress: [], decisions: [], benchmarks: [], reputation: [] });
      expect(await store.recover('orch-r', NOW + 20 * LEASE + 5)).toBe(1);
      const [again] = await store.claimTasks('orch-r', 1, NOW + 20 * LEASE + 6, LEASE);
      expect(again?.task.id).toBe(id);
      expect(again!.replicas.map((r) => [r.id, r.state])).toEqual([
        ['r-done', 'ok'],
        ['r-run', 'lost'],
      ]);
    });

    it('aborts, refuses to retire while tasks are open, and retires (freeing blobs no other batch holds)', async () => {
      await store.createBatch({ id: 'batch:ret', project: 'zS', name: 'ret', now: NOW, maxLive: 8 });
      await store.createBatch({ id: 'batch:keep', project: 'zS', name: 'keep', now: NOW, maxLive: 8 });
      await store.attachBlob('batch:ret', { hash: HASH(7), size: 10, kind: 'input', minPages: null, createdAt: NOW });
      await store.attachBlob('batch:ret', { hash: HASH(8), size: 20, kind: 'module', minPages: 2, createdAt: NOW });
      await store.attachBlob('batch:keep', { hash: HASH(8), size: 20, kind: 'module', minPages: 2, createdAt: NOW });
      expect(await store.projectBlobBytes('zS')).toBe(30);
      await store.submitTasks('batch:ret', tasks(2, 'x'), NOW, LIMITS);
      await expect(store.retireBatch('batch:ret', NOW)).rejects.toMatchObject({ kind: 'conflict' });
      expect((await store.abortBatch('batch:ret', NOW)).length).toBe(2);
      await expect(store.submitTasks('batch:ret', tasks(1, 'y'), NOW, LIMITS)).rejects.toMatchObject({ kind: 'conflict' });
      expect(await store.retireBatch('batch:ret', NOW)).toEqual([HASH(7)]);
      expect(await store.blob(HASH(7))).toBeNull();
      expect(await store.blob(HASH(8))).toMatchObject({ kind: 'module', minPages: 2 });
      expect(await store.batch('batch:ret')).toMatchObject({ state: 'retired' });
      expect(await store.projectBlobBytes('zS')).toBe(20);
    });

    it('fails open tasks past their deadline that nobody holds', async () => {
      await store.createBatch({ id: 'batch:late', project: 'zT', name: 'late', now: NOW, maxLive: 8 });
      await store.submitTasks('batch:late', [{ id: 'task:late', name: 'late', spec: '{}', deadline: NOW + 5 }], NOW, LIMITS);
      expect(await store.expireDeadlines(NOW + 100 * LEASE)).toBeGreaterThanOrEqual(1);
      expect(await store.task('task:late')).toMatchObject({ state: 'failed', detail: 'the deadline passed' });
    });

    it('remembers a nonce across a reopen: a replay after a restart is refused', async () => {
      expect(await store.useNonce('zP', 'nonce-0123456789abcdef', NOW + 1_000, NOW)).toBe(true);
      await store.close();
      store = await opened.open();
      expect(await store.useNonce('zP', 'nonce-0123456789abcdef', NOW + 1_000, NOW)).toBe(false);
      expect(await store.purgeNonces(NOW + 2_000)).toBeGreaterThanOrEqual(1);
      expect(await store.useNonce('zP', 'nonce-0123456789abcdef', NOW + 3_000, NOW + 2_500)).toBe(true);
    });
  });
}

contract('SQLite', sqlite, null);
contract('PostgreSQL', postgres, pgReason);
