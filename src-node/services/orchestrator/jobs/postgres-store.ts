// The job store on PostgreSQL (issue 13 §3), for several orchestrators serving one project
// (`--store postgres://…`). Same tables and rules as the SQLite store (job-store.ts); what differs
// is concurrency: claims take rows with SELECT … FOR UPDATE SKIP LOCKED, so two orchestrators
// claiming at once get disjoint tasks; decisions are UPDATEs conditional on owner and state, which
// PostgreSQL re-checks on the locked row. A flush of the scheduler is a handful of multi-row
// statements in one transaction, whatever its size (the round trips, not the rows, cost).
import pg from 'pg';
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

/** Connections one orchestrator keeps to the server. */
export const POSTGRES_POOL_SIZE = 4;
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;
/** A statement running longer than this is cancelled by the server. */
export const POSTGRES_STATEMENT_TIMEOUT_MS = 30_000;
/** Parameters one statement carries at most (the protocol allows 65,535). */
const MAX_PARAMS = 30_000;
/** The advisory lock held while the schema is made, so two orchestrators starting at once do not race. */
const SCHEMA_LOCK = 0x706e6f64;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (project TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (project, nonce));
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, created_at BIGINT NOT NULL, ended_at BIGINT);
CREATE INDEX IF NOT EXISTS batches_project ON batches (project, id);
CREATE TABLE IF NOT EXISTS tasks (
  seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, batch TEXT NOT NULL, project TEXT NOT NULL, name TEXT NOT NULL,
  spec TEXT NOT NULL, deadline BIGINT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
  detail TEXT, accepted_replica TEXT, created_at BIGINT NOT NULL, decided_at BIGINT, owner TEXT, lease_until BIGINT NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS tasks_name ON tasks (batch, name);
CREATE INDEX IF NOT EXISTS tasks_batch_state ON tasks (batch, state);
CREATE INDEX IF NOT EXISTS tasks_open ON tasks (seq) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS tasks_owned ON tasks (owner) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS replicas (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, pnode TEXT NOT NULL, address TEXT NOT NULL, prefix TEXT NOT NULL, operator TEXT, session TEXT NOT NULL,
  orchestrator TEXT NOT NULL, state TEXT NOT NULL, sent_at BIGINT NOT NULL, ended_at BIGINT, cpu_ms BIGINT NOT NULL DEFAULT 0,
  output_hash TEXT, result TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS replicas_task ON replicas (task);
CREATE INDEX IF NOT EXISTS replicas_running ON replicas (orchestrator) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS validated (
  seq BIGSERIAL PRIMARY KEY, task TEXT NOT NULL, batch TEXT NOT NULL, project TEXT NOT NULL, pnode TEXT NOT NULL, replica TEXT NOT NULL,
  cpu_ms BIGINT NOT NULL, benchmark_score BIGINT, validated_at BIGINT NOT NULL, UNIQUE (task, pnode));
CREATE TABLE IF NOT EXISTS reputation (
  pnode TEXT PRIMARY KEY, validated BIGINT NOT NULL DEFAULT 0, streak BIGINT NOT NULL DEFAULT 0, lies BIGINT NOT NULL DEFAULT 0,
  benchmark_score BIGINT, benchmarked_at BIGINT, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size BIGINT NOT NULL, kind TEXT NOT NULL, min_pages INTEGER, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS batch_blobs (batch TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (batch, hash));
CREATE INDEX IF NOT EXISTS batch_blobs_hash ON batch_blobs (hash);
`;

const REPLICA_COLUMNS = ['id', 'task', 'pnode', 'address', 'prefix', 'operator', 'session', 'orchestrator', 'state', 'sent_at', 'ended_at', 'cpu_ms', 'output_hash', 'result', 'detail'] as const;
const REPLICA_TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'bigint', 'text', 'text', 'text'] as const;

type Client = pg.PoolClient;

/** `($1::text, $2::bigint), ($3::text, $4::bigint)` for `rows` rows of these column types, numbered from `first`. */
function valuesList(rows: number, types: readonly string[], first = 1): string {
  const out: string[] = [];
  let n = first;
  for (let r = 0; r < rows; r++) out.push(`(${types.map((t) => `$${n++}::${t}`).join(', ')})`);
  return out.join(', ');
}

/** Splits rows into chunks whose parameters stay under MAX_PARAMS. */
function chunks<T>(rows: readonly T[], perRow: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / perRow));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

function lastById<T extends { readonly id: string }>(rows: readonly T[]): T[] {
  return [...new Map(rows.map((r) => [r.id, r])).values()];
}

/** The URL without its password, for banners. */
export function redactedPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

export class PostgresJobStore implements JobStore {
  readonly kind = 'postgres' as const;
  readonly location: string;

  private constructor(private readonly pool: pg.Pool, url: string) {
    this.location = redactedPostgresUrl(url);
  }

  /** Connects, makes the tables if needed, and checks the schema version. */
  static async open(url: string): Promise<PostgresJobStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: POSTGRES_POOL_SIZE,
      connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
      statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    });
    // An idle connection the server drops must not take the process down.
    pool.on('error', () => undefined);
    const store = new PostgresJobStore(pool, url);
    try {
      await store.tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await c.query(SCHEMA);
        const version = await c.query("SELECT value FROM meta WHERE key = 'schema'");
        if (version.rows.length === 0) await c.query("INSERT INTO meta (key, value) VALUES ('schema', $1)", [String(STORE_SCHEMA_VERSION)]);
        else if (Number(version.rows[0].value) !== STORE_SCHEMA_VERSION) throw new Error(`${store.location} holds job store schema ${String(version.rows[0].value)}; this orchestrator reads ${STORE_SCHEMA_VERSION}`);
      });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  private async tx<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async rows(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(text, params as unknown[])).rows as Row[];
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  // --- requests ---------------------------------------------------------------------------------

  async useNonce(project: string, nonce: string, expiresAt: number): Promise<boolean> {
    const result = await this.pool.query('INSERT INTO nonces (project, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [project, nonce, expiresAt]);
    return result.rowCount === 1;
  }

  async purgeNonces(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM nonces WHERE expires_at < $1', [now])).rowCount ?? 0;
  }

  // --- batches ----------------------------------------------------------------------------------

  async createBatch(batch: { id: string; project: string; name: string; now: number; maxLive: number }): Promise<BatchRow> {
    return this.tx(async (c) => {
      // One project's batches are counted under a lock on the project, so two orchestrators cannot both pass the limit.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [batch.project]);
      const live = Number((await c.query("SELECT COUNT(*) AS n FROM batches WHERE project = $1 AND state != 'retired'", [batch.project])).rows[0].n);
      if (live >= batch.maxLive) throw new StoreConflict('limit', `the project has ${live} batches that are not retired (at most ${batch.maxLive}): retire some first`);
      await c.query("INSERT INTO batches (id, project, name, state, created_at) VALUES ($1, $2, $3, 'open', $4)", [batch.id, batch.project, batch.name, batch.now]);
      return { id: batch.id, project: batch.project, name: batch.name, state: 'open' as const, createdAt: batch.now, endedAt: null };
    });
  }

  async batch(id: string): Promise<BatchRow | null> {
    const [row] = await this.rows('SELECT * FROM batches WHERE id = $1', [id]);
    return row ? batchFrom(row) : null;
  }

  async batches(project: string, after: string | null, limit: number): Promise<Page<BatchRow>> {
    const rows = await this.rows('SELECT * FROM batches WHERE project = $1 AND id > $2 ORDER BY id LIMIT $3', [project, after ?? '', limit + 1]);
    const items = rows.slice(0, limit).map(batchFrom);
    return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async batchCounts(id: string): Promise<BatchCounts> {
    const counts = { open: 0, accepted: 0, failed: 0, aborted: 0 };
    for (const row of await this.rows('SELECT state, COUNT(*) AS n FROM tasks WHERE batch = $1 GROUP BY state', [id])) counts[row['state'] as TaskState] = Number(row['n']);
    return counts;
  }

  async abortBatch(id: string, now: number): Promise<string[]> {
    return this.tx(async (c) => {
      const batch = (await c.query('SELECT state FROM batches WHERE id = $1 FOR UPDATE', [id])).rows[0] as { state: string } | undefined;
      if (!batch) throw new StoreConflict('not-found', `no batch ${id}`);
      if (batch.state !== 'open') throw new StoreConflict('conflict', `the batch is ${batch.state} already`);
      const aborted = await c.query("UPDATE tasks SET state = 'aborted', detail = 'the batch was aborted', decided_at = $1, owner = NULL WHERE batch = $2 AND state = 'open' RETURNING id", [now, id]);
      await c.query("UPDATE batches SET state = 'aborted', ended_at = $1 WHERE id = $2", [now, id]);
      return aborted.rows.map((r: Row) => String(r['id']));
    });
  }

  async retireBatch(id: string, now: number): Promise<ContentHash[]> {
    return this.tx(async (c) => {
      const batch = (await c.query('SELECT state FROM batches WHERE id = $1 FOR UPDATE', [id])).rows[0] as { state: string } | undefined;
      if (!batch) throw new StoreConflict('not-found', `no batch ${id}`);
      if (batch.state === 'retired') throw new StoreConflict('conflict', 'the batch is retired already');
      const open = Number((await c.query("SELECT COUNT(*) AS n FROM tasks WHERE batch = $1 AND state = 'open'", [id])).rows[0].n);
      if (open > 0) throw new StoreConflict('conflict', `the batch has ${open} open tasks: abort it first, or wait for them`);
      await c.query('DELETE FROM replicas WHERE task IN (SELECT id FROM tasks WHERE batch = $1)', [id]);
      await c.query('DELETE FROM tasks WHERE batch = $1', [id]);
      const hashes = (await c.query('DELETE FROM batch_blobs WHERE batch = $1 RETURNING hash', [id])).rows.map((r: Row) => String(r['hash']));
      let freed: ContentHash[] = [];
      if (hashes.length > 0) {
        await c.query('SELECT hash FROM blobs WHERE hash = ANY($1::text[]) FOR UPDATE', [hashes]);
        const deleted = await c.query('DELETE FROM blobs b WHERE b.hash = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM batch_blobs bb WHERE bb.hash = b.hash) RETURNING hash', [hashes]);
        freed = deleted.rows.map((r: Row) => String(r['hash']) as ContentHash);
      }
      await c.query("UPDATE batches SET state = 'retired', ended_at = $1 WHERE id = $2", [now, id]);
      return freed;
    });
  }

  // --- blobs ------------------------------------------------------------------------------------

  async attachBlob(batch: string, blob: BlobRow): Promise<void> {
    await this.tx(async (c) => {
      // DO UPDATE (not NOTHING) locks the row, so a retire that frees this blob waits for us.
      await c.query('INSERT INTO blobs (hash, size, kind, min_pages, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO UPDATE SET hash = EXCLUDED.hash', [
        blob.hash,
        blob.size,
        blob.kind,
        blob.minPages,
        blob.createdAt,
      ]);
      await c.query('INSERT INTO batch_blobs (batch, hash) VALUES ($1, $2) ON CONFLICT DO NOTHING', [batch, blob.hash]);
    });
  }

  async blob(hash: ContentHash): Promise<BlobRow | null> {
    const [row] = await this.rows('SELECT * FROM blobs WHERE hash = $1', [hash]);
    return row ? blobFrom(row) : null;
  }

  async batchHasBlob(batch: string, hash: ContentHash): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM batch_blobs WHERE batch = $1 AND hash = $2', [batch, hash])).length > 0;
  }

  async batchBlobs(batch: string, after: string | null, limit: number): Promise<Page<BlobRow>> {
    const rows = await this.rows('SELECT b.* FROM batch_blobs bb JOIN blobs b ON b.hash = bb.hash WHERE bb.batch = $1 AND bb.hash > $2 ORDER BY bb.hash LIMIT $3', [batch, after ?? '', limit + 1]);
    const items = rows.slice(0, limit).map(blobFrom);
    return { items, next: rows.length > limit ? items[items.length - 1]!.hash : null };
  }

  async projectHasBlob(project: string, hash: ContentHash): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM batch_blobs bb JOIN batches b ON b.id = bb.batch WHERE b.project = $1 AND bb.hash = $2 LIMIT 1', [project, hash])).length > 0;
  }

  async projectBlobBytes(project: string): Promise<number> {
    const [row] = await this.rows(
      "SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE hash IN (SELECT bb.hash FROM batch_blobs bb JOIN batches b ON b.id = bb.batch WHERE b.project = $1 AND b.state != 'retired')",
      [project],
    );
    return Number(row!['n']);
  }

  // --- tasks ------------------------------------------------------------------------------------

  async submitTasks(batchId: string, tasks: readonly NewTask[], now: number, limits: { maxPerBatch: number; maxOpen: number }): Promise<void> {
    await this.tx(async (c) => {
      const batch = (await c.query('SELECT project, state FROM batches WHERE id = $1 FOR UPDATE', [batchId])).rows[0] as { project: string; state: string } | undefined;
      if (!batch) throw new StoreConflict('not-found', `no batch ${batchId}`);
      if (batch.state !== 'open') throw new StoreConflict('conflict', `the batch is ${batch.state}: it takes no more tasks`);
      const inBatch = Number((await c.query('SELECT COUNT(*) AS n FROM tasks WHERE batch = $1', [batchId])).rows[0].n);
      if (inBatch + tasks.length > limits.maxPerBatch) throw new StoreConflict('limit', `a batch holds at most ${limits.maxPerBatch} tasks; it has ${inBatch}`);
      const open = Number((await c.query("SELECT COUNT(*) AS n FROM tasks WHERE state = 'open'")).rows[0].n);
      if (open + tasks.length > limits.maxOpen) throw new StoreConflict('limit', `the orchestrator holds ${open} open tasks (at most ${limits.maxOpen}): try again later`);
      const types = ['text', 'text', 'text', 'text', 'text', 'bigint', 'bigint'];
      for (const chunk of chunks(tasks, types.length)) {
        const params = chunk.flatMap((t) => [t.id, batchId, batch.project, t.name, t.spec, t.deadline, now]);
        try {
          await c.query(`INSERT INTO tasks (id, batch, project, name, spec, deadline, created_at, state) SELECT v.*, 'open' FROM (VALUES ${valuesList(chunk.length, types)}) AS v`, params);
        } catch (error) {
          if ((error as { code?: string }).code === '23505') throw new StoreConflict('conflict', 'the batch has a task of that name already (task names are unique in a batch)');
          throw error;
        }
      }
    });
  }

  async task(id: string): Promise<TaskRow | null> {
    const [row] = await this.rows('SELECT * FROM tasks WHERE id = $1', [id]);
    return row ? taskFrom(row) : null;
  }

  async taskByName(batch: string, name: string): Promise<TaskRow | null> {
    const [row] = await this.rows('SELECT * FROM tasks WHERE batch = $1 AND name = $2', [batch, name]);
    return row ? taskFrom(row) : null;
  }

  async tasks(batch: string, after: string | null, limit: number, state?: TaskState): Promise<Page<TaskRow>> {
    const from = after === null ? 0 : Number(after);
    const rows =
      state === undefined
        ? await this.rows('SELECT * FROM tasks WHERE batch = $1 AND seq > $2 ORDER BY seq LIMIT $3', [batch, from, limit + 1])
        : await this.rows('SELECT * FROM tasks WHERE batch = $1 AND state = $2 AND seq > $3 ORDER BY seq LIMIT $4', [batch, state, from, limit + 1]);
    const items = rows.slice(0, limit).map(taskFrom);
    return { items, next: rows.length > limit ? String(items[items.length - 1]!.seq) : null };
  }

  async replica(id: string): Promise<ReplicaRow | null> {
    const [row] = await this.rows(`SELECT ${REPLICA_COLUMNS.join(', ')} FROM replicas WHERE id = $1`, [id]);
    return row ? replicaFrom(row) : null;
  }

  async replicasOf(task: string, limit: number): Promise<ReplicaRow[]> {
    return (await this.rows(`SELECT ${REPLICA_COLUMNS.join(', ')} FROM replicas WHERE task = $1 ORDER BY sent_at, id LIMIT $2`, [task, limit])).map(replicaFrom);
  }

  // --- the scheduler ----------------------------------------------------------------------------

  async claimTasks(owner: string, limit: number, now: number, leaseMs: number): Promise<ClaimedTask[]> {
    if (limit <= 0) return [];
    return this.tx(async (c) => {
      const claimed = await c.query(
        `WITH picked AS (SELECT seq FROM tasks WHERE state = 'open' AND lease_until <= $1 AND deadline > $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE tasks t SET owner = $3, lease_until = $4 FROM picked WHERE t.seq = picked.seq RETURNING t.*`,
        [now, limit, owner, now + leaseMs],
      );
      const tasks = (claimed.rows as Row[]).map(taskFrom).sort((a, b) => a.seq - b.seq);
      if (tasks.length === 0) return [];
      const replicas = await c.query(`SELECT ${REPLICA_COLUMNS.join(', ')} FROM replicas WHERE task = ANY($1::text[]) ORDER BY sent_at, id`, [tasks.map((t) => t.id)]);
      const byTask = new Map<string, ReplicaRow[]>();
      for (const row of replicas.rows as Row[]) {
        const replica = replicaFrom(row);
        const list = byTask.get(replica.task) ?? [];
        list.push(replica);
        byTask.set(replica.task, list);
      }
      return tasks.map((task) => ({ task, replicas: byTask.get(task.id) ?? [] }));
    });
  }

  async renewLeases(owner: string, ids: readonly string[], now: number, leaseMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.rows("UPDATE tasks SET lease_until = $1 WHERE id = ANY($2::text[]) AND owner = $3 AND state = 'open' RETURNING id", [now + leaseMs, ids, owner]);
    return rows.map((r) => String(r['id']));
  }

  async releaseTasks(owner: string, ids: readonly string[], claimableAt: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query("UPDATE tasks SET owner = NULL, lease_until = $1 WHERE id = ANY($2::text[]) AND owner = $3 AND state = 'open'", [claimableAt, ids, owner]);
  }

  async recover(owner: string, now: number): Promise<number> {
    return this.tx(async (c) => {
      await c.query("UPDATE replicas SET state = 'lost', ended_at = $1, detail = 'the orchestrator restarted' WHERE orchestrator = $2 AND state = 'running'", [now, owner]);
      return (await c.query("UPDATE tasks SET owner = NULL, lease_until = 0 WHERE owner = $1 AND state = 'open'", [owner])).rowCount ?? 0;
    });
  }

  async apply(owner: string, batch: WriteBatch): Promise<ApplyOutcome> {
    return this.tx(async (c) => {
      const applied = new Set<string>();
      const replicas = lastById(batch.replicas);
      const ownerParam = (rows: number, perRow: number) => rows * perRow + 1;
      for (const chunk of chunks(replicas, REPLICA_COLUMNS.length)) {
        const params: unknown[] = chunk.flatMap((r) => [r.id, r.task, r.pnode, r.address, r.prefix, r.operator, r.session, r.orchestrator, r.state, r.sentAt, r.endedAt, r.cpuMs, r.outputHash, r.result, r.detail]);
        params.push(owner);
        await c.query(
          `INSERT INTO replicas (${REPLICA_COLUMNS.join(', ')})
           SELECT v.* FROM (VALUES ${valuesList(chunk.length, REPLICA_TYPES)}) AS v(${REPLICA_COLUMNS.join(', ')})
           WHERE EXISTS (SELECT 1 FROM tasks t WHERE t.id = v.task AND t.owner = $${ownerParam(chunk.length, REPLICA_COLUMNS.length)} AND t.state = 'open')
           ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, ended_at = EXCLUDED.ended_at, cpu_ms = EXCLUDED.cpu_ms, output_hash = EXCLUDED.output_hash, result = EXCLUDED.result, detail = EXCLUDED.detail`,
          params,
        );
      }
      const progress = [...new Map(batch.progress.map((p) => [p.task, p])).values()];
      for (const chunk of chunks(progress, 3)) {
        const params: unknown[] = chunk.flatMap((p) => [p.task, p.attempts, p.failures]);
        params.push(owner);
        await c.query(
          `UPDATE tasks SET attempts = v.attempts, failures = v.failures FROM (VALUES ${valuesList(chunk.length, ['text', 'integer', 'integer'])}) AS v(id, attempts, failures)
           WHERE tasks.id = v.id AND tasks.owner = $${ownerParam(chunk.length, 3)} AND tasks.state = 'open'`,
          params,
        );
      }
      const decisions = [...new Map(batch.decisions.map((d) => [d.task, d])).values()];
      for (const chunk of chunks(decisions, 5)) {
        const params: unknown[] = chunk.flatMap((d) => [d.task, d.state, d.detail, d.acceptedReplica, d.decidedAt]);
        params.push(owner);
        const done = await c.query(
          `UPDATE tasks SET state = v.state, detail = v.detail, accepted_replica = v.accepted, decided_at = v.at, owner = NULL
           FROM (VALUES ${valuesList(chunk.length, ['text', 'text', 'text', 'text', 'bigint'])}) AS v(id, state, detail, accepted, at)
           WHERE tasks.id = v.id AND tasks.owner = $${ownerParam(chunk.length, 5)} AND tasks.state = 'open' RETURNING tasks.id`,
          params,
        );
        for (const row of done.rows as Row[]) applied.add(String(row['id']));
      }
      const facts: ValidatedFact[] = [];
      const reputation: ReputationDelta[] = [...batch.reputation];
      for (const d of decisions) {
        if (!applied.has(d.task)) continue;
        facts.push(...d.facts);
        reputation.push(...d.reputation);
      }
      for (const chunk of chunks(facts, 8)) {
        const params: unknown[] = chunk.flatMap((f) => [f.task, f.batch, f.project, f.pnode, f.replica, f.cpuMs, f.benchmarkScore, f.validatedAt]);
        await c.query(
          `INSERT INTO validated (task, batch, project, pnode, replica, cpu_ms, benchmark_score, validated_at)
           VALUES ${valuesList(chunk.length, ['text', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'bigint'])} ON CONFLICT DO NOTHING`,
          params,
        );
      }
      const summed = new Map<string, { validated: number; lies: number; at: number }>();
      for (const r of reputation) {
        const s = summed.get(r.pnode) ?? { validated: 0, lies: 0, at: 0 };
        summed.set(r.pnode, { validated: s.validated + r.validated, lies: s.lies + r.lies, at: Math.max(s.at, r.at) });
      }
      const deltas = [...summed].map(([pnode, s]) => ({ pnode, ...s }));
      for (const chunk of chunks(deltas, 5)) {
        const params: unknown[] = chunk.flatMap((r) => [r.pnode, r.validated, r.lies > 0 ? 0 : r.validated, r.lies, r.at]);
        await c.query(
          `INSERT INTO reputation (pnode, validated, streak, lies, updated_at) VALUES ${valuesList(chunk.length, ['text', 'bigint', 'bigint', 'bigint', 'bigint'])}
           ON CONFLICT (pnode) DO UPDATE SET validated = reputation.validated + EXCLUDED.validated, lies = reputation.lies + EXCLUDED.lies,
             streak = CASE WHEN EXCLUDED.lies > 0 THEN 0 ELSE reputation.streak + EXCLUDED.validated END, updated_at = EXCLUDED.updated_at`,
          params,
        );
      }
      const benchmarks = [...new Map(batch.benchmarks.map((b) => [b.pnode, b])).values()];
      for (const chunk of chunks(benchmarks, 3)) {
        const params: unknown[] = chunk.flatMap((b) => [b.pnode, b.score, b.at]);
        await c.query(
          `INSERT INTO reputation (pnode, benchmark_score, benchmarked_at, updated_at) SELECT v.pnode, v.score, v.at, v.at FROM (VALUES ${valuesList(chunk.length, ['text', 'bigint', 'bigint'])}) AS v(pnode, score, at)
           ON CONFLICT (pnode) DO UPDATE SET benchmark_score = EXCLUDED.benchmark_score, benchmarked_at = EXCLUDED.benchmarked_at, updated_at = EXCLUDED.updated_at`,
          params,
        );
      }
      return { applied };
    });
  }

  async expireDeadlines(now: number): Promise<number> {
    const result = await this.pool.query("UPDATE tasks SET state = 'failed', detail = 'the deadline passed', decided_at = $1, owner = NULL WHERE state = 'open' AND deadline <= $1 AND lease_until <= $1", [now]);
    return result.rowCount ?? 0;
  }

  async reputations(pnodes: readonly string[]): Promise<Map<string, ReputationRow>> {
    const out = new Map<string, ReputationRow>();
    if (pnodes.length === 0) return out;
    for (const row of await this.rows('SELECT * FROM reputation WHERE pnode = ANY($1::text[])', [pnodes])) {
      const rep = reputationFrom(row);
      out.set(rep.pnode, rep);
    }
    return out;
  }

  async validatedFacts(after: number, limit: number): Promise<Array<ValidatedFact & { readonly seq: number }>> {
    const rows = await this.rows('SELECT * FROM validated WHERE seq > $1 ORDER BY seq LIMIT $2', [after, limit]);
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
    const [row] = await this.rows(
      `SELECT (SELECT COUNT(*) FROM tasks WHERE state = 'open') AS open, (SELECT COUNT(*) FROM tasks WHERE state = 'open' AND owner = $1) AS held,
              (SELECT COUNT(*) FROM batches WHERE state != 'retired') AS batches, (SELECT COUNT(*) FROM validated) AS validated`,
      [owner],
    );
    return { openTasks: Number(row!['open']), heldBy: Number(row!['held']), batches: Number(row!['batches']), validated: Number(row!['validated']) };
  }
}
