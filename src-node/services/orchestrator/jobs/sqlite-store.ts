// The job store on SQLite (issue 13 §3), embedded with better-sqlite3: one file,
// <dataDir>/jobs/jobs.sqlite, in WAL mode with synchronous=FULL, so a committed transaction is on
// disk before any method returns. better-sqlite3 is synchronous: every method runs one
// transaction without yielding, so transactions never interleave. See job-store.ts for the rules.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import {
  type ApplyOutcome,
  type BatchCounts,
  type BatchRow,
  type BlobRow,
  type ClaimedTask,
  type JobStore,
  type NewTask,
  type Page,
  type ReplicaRow,
  type ReputationDelta,
  type ReputationRow,
  type StoreCounts,
  StoreConflict,
  type TaskRow,
  type TaskState,
  type ValidatedFact,
  type WriteBatch,
} from './job-store.js';
import { STORE_SCHEMA_VERSION, batchFrom, blobFrom, replicaFrom, reputationFrom, taskFrom, type Row } from './store-rows.js';

export const SQLITE_FILE = 'jobs.sqlite';
/** How long a writer waits for another process's lock before failing (a second orchestrator on the same file). */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (project TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (project, nonce)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, ended_at INTEGER);
CREATE INDEX IF NOT EXISTS batches_project ON batches (project, id);
CREATE TABLE IF NOT EXISTS tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, batch TEXT NOT NULL, project TEXT NOT NULL, name TEXT NOT NULL,
  spec TEXT NOT NULL, deadline INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
  detail TEXT, accepted_replica TEXT, created_at INTEGER NOT NULL, decided_at INTEGER, owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS tasks_name ON tasks (batch, name);
CREATE INDEX IF NOT EXISTS tasks_batch_state ON tasks (batch, state);
CREATE INDEX IF NOT EXISTS tasks_open ON tasks (seq) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS tasks_owned ON tasks (owner) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS replicas (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, pnode TEXT NOT NULL, address TEXT NOT NULL, prefix TEXT NOT NULL, operator TEXT, session TEXT NOT NULL,
  orchestrator TEXT NOT NULL, state TEXT NOT NULL, sent_at INTEGER NOT NULL, ended_at INTEGER, cpu_ms INTEGER NOT NULL DEFAULT 0,
  output_hash TEXT, result TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS replicas_task ON replicas (task);
CREATE INDEX IF NOT EXISTS replicas_running ON replicas (orchestrator) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS validated (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, batch TEXT NOT NULL, project TEXT NOT NULL, pnode TEXT NOT NULL, replica TEXT NOT NULL,
  cpu_ms INTEGER NOT NULL, benchmark_score INTEGER, validated_at INTEGER NOT NULL, UNIQUE (task, pnode));
CREATE TABLE IF NOT EXISTS reputation (
  pnode TEXT PRIMARY KEY, validated INTEGER NOT NULL DEFAULT 0, streak INTEGER NOT NULL DEFAULT 0, lies INTEGER NOT NULL DEFAULT 0,
  benchmark_score INTEGER, benchmarked_at INTEGER, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, kind TEXT NOT NULL, min_pages INTEGER, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_blobs (batch TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (batch, hash)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batch_blobs_hash ON batch_blobs (hash);
`;

const REPLICA_COLUMNS = 'id, task, pnode, address, prefix, operator, session, orchestrator, state, sent_at, ended_at, cpu_ms, output_hash, result, detail';

export class SqliteJobStore implements JobStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(readonly location: string) {
    mkdirSync(dirname(location), { recursive: true });
    this.db = new Database(location, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const version = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
    if (version === undefined) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', String(STORE_SCHEMA_VERSION));
    else if (Number(version.value) !== STORE_SCHEMA_VERSION) throw new Error(`${location} holds job store schema ${version.value}; this orchestrator reads ${STORE_SCHEMA_VERSION}`);
  }

  /** Opens (or makes) the store at `path`. */
  static open(path: string): SqliteJobStore {
    return new SqliteJobStore(path);
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // --- requests ---------------------------------------------------------------------------------

  async useNonce(project: string, nonce: string, expiresAt: number): Promise<boolean> {
    return this.sql('INSERT INTO nonces (project, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(project, nonce, expiresAt).changes === 1;
  }

  async purgeNonces(now: number): Promise<number> {
    return this.sql('DELETE FROM nonces WHERE expires_at < ?').run(now).changes;
  }

  // --- batches ----------------------------------------------------------------------------------

  async createBatch(batch: { id: string; project: string; name: string; now: number; maxLive: number }): Promise<BatchRow> {
    return this.tx(() => {
      const live = (this.sql("SELECT COUNT(*) AS n FROM batches WHERE project = ? AND state != 'retired'").get(batch.project) as { n: number }).n;
      if (live >= batch.maxLive) throw new StoreConflict('limit', `the project has ${live} batches that are not retired (at most ${batch.maxLive}): retire some first`);
      this.sql("INSERT INTO batches (id, project, name, state, created_at) VALUES (?, ?, ?, 'open', ?)").run(batch.id, batch.project, batch.name, batch.now);
      return { id: batch.id, project: batch.project, name: batch.name, state: 'open' as const, createdAt: batch.now, endedAt: null };
    });
  }

  async batch(id: string): Promise<BatchRow | null> {
    const row = this.sql('SELECT * FROM batches WHERE id = ?').get(id) as Row | undefined;
    return row ? batchFrom(row) : null;
  }

  async batches(project: string, after: string | null, limit: number): Promise<Page<BatchRow>> {
    const rows = this.sql('SELECT * FROM batches WHERE project = ? AND id > ? ORDER BY id LIMIT ?').all(project, after ?? '', limit + 1) as Row[];
    const items = rows.slice(0, limit).map(batchFrom);
    return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async batchCounts(id: string): Promise<BatchCounts> {
    const counts = { open: 0, accepted: 0, failed: 0, aborted: 0 };
    for (const row of this.sql('SELECT state, COUNT(*) AS n FROM tasks WHERE batch = ? GROUP BY state').all(id) as Array<{ state: TaskState; n: number }>) counts[row.state] = row.n;
    return counts;
  }

  async abortBatch(id: string, now: number): Promise<string[]> {
    return this.tx(() => {
      const batch = this.sql('SELECT state FROM batches WHERE id = ?').get(id) as { state: string } | undefined;
      if (!batch) throw new StoreConflict('not-found', `no batch ${id}`);
      if (batch.state !== 'open') throw new StoreConflict('conflict', `the batch is ${batch.state} already`);
      const ids = (this.sql("SELECT id FROM tasks WHERE batch = ? AND state = 'open'").all(id) as Array<{ id: string }>).map((r) => r.id);
      this.sql("UPDATE tasks SET state = 'aborted', detail = 'the batch was aborted', decided_at = ?, owner = NULL WHERE batch = ? AND state = 'open'").run(now, id);
      this.sql("UPDATE batches SET state = 'aborted', ended_at = ? WHERE id = ?").run(now, id);
      return ids;
    });
  }

  async retireBatch(id: string, now: number): Promise<ContentHash[]> {
    return this.tx(() => {
      const batch = this.sql('SELECT state FROM batches WHERE id = ?').get(id) as { state: string } | undefined;
      if (!batch) throw new StoreConflict('not-found', `no batch ${id}`);
      if (batch.state === 'retired') throw new StoreConflict('conflict', 'the batch is retired already');
      const open = (this.sql("SELECT COUNT(*) AS n FROM tasks WHERE batch = ? AND state = 'open'").get(id) as { n: number }).n;
      if (open > 0) throw new StoreConflict('conflict', `the batch has ${open} open tasks: abort it first, or wait for them`);
      this.sql('DELETE FROM replicas WHERE task IN (SELECT id FROM tasks WHERE batch = ?)').run(id);
      this.sql('DELETE FROM tasks WHERE batch = ?').run(id);
      const hashes = (this.sql('SELECT hash FROM batch_blobs WHERE batch = ?').all(id) as Array<{ hash: ContentHash }>).map((r) => r.hash);
      this.sql('DELETE FROM batch_blobs WHERE batch = ?').run(id);
      const freed: ContentHash[] = [];
      for (const hash of hashes) {
        if (this.sql('SELECT 1 FROM batch_blobs WHERE hash = ? LIMIT 1').get(hash) !== undefined) continue;
        this.sql('DELETE FROM blobs WHERE hash = ?').run(hash);
        freed.push(hash);
      }
      this.sql("UPDATE batches SET state = 'retired', ended_at = ? WHERE id = ?").run(now, id);
      return freed;
    });
  }

  // --- blobs ------------------------------------------------------------------------------------

  async attachBlob(batch: string, blob: BlobRow): Promise<void> {
    this.tx(() => {
      this.sql('INSERT INTO blobs (hash, size, kind, min_pages, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(blob.hash, blob.size, blob.kind, blob.minPages, blob.createdAt);
      this.sql('INSERT INTO batch_blobs (batch, hash) VALUES (?, ?) ON CONFLICT DO NOTHING').run(batch, blob.hash);
    });
  }

  async blob(hash: ContentHash): Promise<BlobRow | null> {
    const row = this.sql('SELECT * FROM blobs WHERE hash = ?').get(hash) as Row | undefined;
    return row ? blobFrom(row) : null;
  }

  async batchHasBlob(batch: string, hash: ContentHash): Promise<boolean> {
    return this.sql('SELECT 1 FROM batch_blobs WHERE batch = ? AND hash = ?').get(batch, hash) !== undefined;
  }

  async batchBlobs(batch: string, after: string | null, limit: number): Promise<Page<BlobRow>> {
    const rows = this.sql('SELECT b.* FROM batch_blobs bb JOIN blobs b ON b.hash = bb.hash WHERE bb.batch = ? AND bb.hash > ? ORDER BY bb.hash LIMIT ?').all(batch, after ?? '', limit + 1) as Row[];
    const items = rows.slice(0, limit).map(blobFrom);
    return { items, next: rows.length > limit ? items[items.length - 1]!.hash : null };
  }

  async projectHasBlob(project: string, hash: ContentHash): Promise<boolean> {
    return this.sql('SELECT 1 FROM batch_blobs bb JOIN batches b ON b.id = bb.batch WHERE b.project = ? AND bb.hash = ? LIMIT 1').get(project, hash) !== undefined;
  }

  async projectBlobBytes(project: string): Promise<number> {
    const row = this.sql(
      "SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE hash IN (SELECT bb.hash FROM batch_blobs bb JOIN batches b ON b.id = bb.batch WHERE b.project = ? AND b.state != 'retired')",
    ).get(project) as { n: number };
    return row.n;
  }

  // --- tasks ------------------------------------------------------------------------------------

  async submitTasks(batchId: string, tasks: readonly NewTask[], now: number, limits: { maxPerBatch: number; maxOpen: number }): Promise<void> {
    this.tx(() => {
      const batch = this.sql('SELECT project, state FROM batches WHERE id = ?').get(batchId) as { project: string; state: string } | undefined;
      if (!batch) throw new StoreConflict('not-found', `no batch ${batchId}`);
      if (batch.state !== 'open') throw new StoreConflict('conflict', `the batch is ${batch.state}: it takes no more tasks`);
      const inBatch = (this.sql('SELECT COUNT(*) AS n FROM tasks WHERE batch = ?').get(batchId) as { n: number }).n;
      if (inBatch + tasks.length > limits.maxPerBatch) throw new StoreConflict('limit', `a batch holds at most ${limits.maxPerBatch} tasks; it has ${inBatch}`);
      const open = (this.sql("SELECT COUNT(*) AS n FROM tasks WHERE state = 'open'").get() as { n: number }).n;
      if (open + tasks.length > limits.maxOpen) throw new StoreConflict('limit', `the orchestrator holds ${open} open tasks (at most ${limits.maxOpen}): try again later`);
      const insert = this.sql("INSERT INTO tasks (id, batch, project, name, spec, deadline, state, created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)");
      for (const task of tasks) {
        try {
          insert.run(task.id, batchId, batch.project, task.name, task.spec, task.deadline, now);
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreConflict('conflict', `the batch has a task named ${JSON.stringify(task.name)} already`);
          throw error;
        }
      }
    });
  }

  async task(id: string): Promise<TaskRow | null> {
    const row = this.sql('SELECT * FROM tasks WHERE id = ?').get(id) as Row | undefined;
    return row ? taskFrom(row) : null;
  }

  async taskByName(batch: string, name: string): Promise<TaskRow | null> {
    const row = this.sql('SELECT * FROM tasks WHERE batch = ? AND name = ?').get(batch, name) as Row | undefined;
    return row ? taskFrom(row) : null;
  }

  async tasks(batch: string, after: string | null, limit: number, state?: TaskState): Promise<Page<TaskRow>> {
    const from = after === null ? 0 : Number(after);
    const rows = (
      state === undefined
        ? this.sql('SELECT * FROM tasks WHERE batch = ? AND seq > ? ORDER BY seq LIMIT ?').all(batch, from, limit + 1)
        : this.sql('SELECT * FROM tasks WHERE batch = ? AND state = ? AND seq > ? ORDER BY seq LIMIT ?').all(batch, state, from, limit + 1)
    ) as Row[];
    const items = rows.slice(0, limit).map(taskFrom);
    return { items, next: rows.length > limit ? String(items[items.length - 1]!.seq) : null };
  }

  async replica(id: string): Promise<ReplicaRow | null> {
    const row = this.sql(`SELECT ${REPLICA_COLUMNS} FROM replicas WHERE id = ?`).get(id) as Row | undefined;
    return row ? replicaFrom(row) : null;
  }

  async replicasOf(task: string, limit: number): Promise<ReplicaRow[]> {
    return (this.sql(`SELECT ${REPLICA_COLUMNS} FROM replicas WHERE task = ? ORDER BY sent_at, id LIMIT ?`).all(task, limit) as Row[]).map(replicaFrom);
  }

  // --- the scheduler ----------------------------------------------------------------------------

  async claimTasks(owner: string, limit: number, now: number, leaseMs: number): Promise<ClaimedTask[]> {
    if (limit <= 0) return [];
    return this.tx(() => {
      const rows = this.sql("SELECT * FROM tasks WHERE state = 'open' AND lease_until <= ? AND deadline > ? ORDER BY seq LIMIT ?").all(now, now, limit) as Row[];
      if (rows.length === 0) return [];
      const claim = this.sql('UPDATE tasks SET owner = ?, lease_until = ? WHERE seq = ?');
      const replicas = this.sql(`SELECT ${REPLICA_COLUMNS} FROM replicas WHERE task = ? ORDER BY sent_at, id`);
      return rows.map((row) => {
        claim.run(owner, now + leaseMs, row['seq']);
        const task = taskFrom({ ...row, owner, lease_until: now + leaseMs });
        return { task, replicas: (replicas.all(task.id) as Row[]).map(replicaFrom) };
      });
    });
  }

  async renewLeases(owner: string, ids: readonly string[], now: number, leaseMs: number): Promise<string[]> {
    return this.tx(() => {
      const renew = this.sql("UPDATE tasks SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'open'");
      return ids.filter((id) => renew.run(now + leaseMs, id, owner).changes === 1);
    });
  }

  async releaseTasks(owner: string, ids: readonly string[], claimableAt: number): Promise<void> {
    this.tx(() => {
      const release = this.sql("UPDATE tasks SET owner = NULL, lease_until = ? WHERE id = ? AND owner = ? AND state = 'open'");
      for (const id of ids) release.run(claimableAt, id, owner);
    });
  }

  async recover(owner: string, now: number): Promise<number> {
    return this.tx(() => {
      this.sql("UPDATE replicas SET state = 'lost', ended_at = ?, detail = 'the orchestrator restarted' WHERE orchestrator = ? AND state = 'running'").run(now, owner);
      return this.sql("UPDATE tasks SET owner = NULL, lease_until = 0 WHERE owner = ? AND state = 'open'").run(owner).changes;
    });
  }

  async apply(owner: string, batch: WriteBatch): Promise<ApplyOutcome> {
    return this.tx(() => {
      const applied = new Set<string>();
      const upsert = this.sql(
        `INSERT INTO replicas (${REPLICA_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ? AND owner = ? AND state = 'open')
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, ended_at = excluded.ended_at, cpu_ms = excluded.cpu_ms, output_hash = excluded.output_hash, result = excluded.result, detail = excluded.detail`,
      );
      for (const r of batch.replicas) {
        upsert.run(r.id, r.task, r.pnode, r.address, r.prefix, r.operator, r.session, r.orchestrator, r.state, r.sentAt, r.endedAt, r.cpuMs, r.outputHash, r.result, r.detail, r.task, owner);
      }
      const progress = this.sql("UPDATE tasks SET attempts = ?, failures = ? WHERE id = ? AND owner = ? AND state = 'open'");
      for (const p of batch.progress) progress.run(p.attempts, p.failures, p.task, owner);
      const decide = this.sql("UPDATE tasks SET state = ?, detail = ?, accepted_replica = ?, decided_at = ?, owner = NULL WHERE id = ? AND owner = ? AND state = 'open'");
      const reputation: ReputationDelta[] = [...batch.reputation];
      for (const d of batch.decisions) {
        if (decide.run(d.state, d.detail, d.acceptedReplica, d.decidedAt, d.task, owner).changes !== 1) continue;
        applied.add(d.task);
        for (const fact of d.facts) this.insertFact(fact);
        reputation.push(...d.reputation);
      }
      const rep = this.sql(
        `INSERT INTO reputation (pnode, validated, streak, lies, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pnode) DO UPDATE SET validated = validated + excluded.validated, lies = lies + excluded.lies,
           streak = CASE WHEN excluded.lies > 0 THEN 0 ELSE streak + excluded.validated END, updated_at = excluded.updated_at`,
      );
      for (const r of reputation) rep.run(r.pnode, r.validated, r.lies > 0 ? 0 : r.validated, r.lies, r.at);
      const bench = this.sql(
        `INSERT INTO reputation (pnode, benchmark_score, benchmarked_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (pnode) DO UPDATE SET benchmark_score = excluded.benchmark_score, benchmarked_at = excluded.benchmarked_at, updated_at = excluded.updated_at`,
      );
      for (const b of batch.benchmarks) bench.run(b.pnode, b.score, b.at, b.at);
      return { applied };
    });
  }

  private insertFact(fact: ValidatedFact): void {
    this.sql('INSERT INTO validated (task, batch, project, pnode, replica, cpu_ms, benchmark_score, validated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
      fact.task,
      fact.batch,
      fact.project,
      fact.pnode,
      fact.replica,
      fact.cpuMs,
      fact.benchmarkScore,
      fact.validatedAt,
    );
  }

  async expireDeadlines(now: number): Promise<number> {
    return this.sql("UPDATE tasks SET state = 'failed', detail = 'the deadline passed', decided_at = ?, owner = NULL WHERE state = 'open' AND deadline <= ? AND lease_until <= ?").run(now, now, now).changes;
  }

  async reputations(pnodes: readonly string[]): Promise<Map<string, ReputationRow>> {
    const out = new Map<string, ReputationRow>();
    const get = this.sql('SELECT * FROM reputation WHERE pnode = ?');
    for (const pnode of pnodes) {
      const row = get.get(pnode) as Row | undefined;
      if (row) out.set(pnode, reputationFrom(row));
    }
    return out;
  }

  async validatedFacts(after: number, limit: number): Promise<Array<ValidatedFact & { readonly seq: number }>> {
    const rows = this.sql('SELECT * FROM validated WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as Row[];
    return rows.map((r) => ({
      seq: Number(r['seq']),
      task: String(r['task']),
      batch: String(r['batch']),
      project: String(r['project']),
      pnode: String(r['pnode']),
      replica: String(r['replica']),
      cpuMs: Number(r['cpu_ms']),
      benchmarkScore: r['benchmark_score'] === null ? null : Number(r['benchmark_score']),
      validatedAt: Number(r['validated_at']),
    }));
  }

  async counts(owner: string): Promise<StoreCounts> {
    return {
      openTasks: (this.sql("SELECT COUNT(*) AS n FROM tasks WHERE state = 'open'").get() as { n: number }).n,
      heldBy: (this.sql("SELECT COUNT(*) AS n FROM tasks WHERE state = 'open' AND owner = ?").get(owner) as { n: number }).n,
      batches: (this.sql("SELECT COUNT(*) AS n FROM batches WHERE state != 'retired'").get() as { n: number }).n,
      validated: (this.sql('SELECT COUNT(*) AS n FROM validated').get() as { n: number }).n,
    };
  }
}
