// Rows of the job store's tables as both stores read them (SQLite and PostgreSQL name the columns
// alike; PostgreSQL returns BIGINT as text, so every number goes through Number()).
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { BatchRow, BatchState, BlobKind, BlobRow, ReplicaRow, ReplicaState, ReputationRow, TaskRow, TaskState } from './job-store.js';

/** Bumped when a table changes; a store holding another version is refused at open. */
export const STORE_SCHEMA_VERSION = 1;

export type Row = Readonly<Record<string, unknown>>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function batchFrom(r: Row): BatchRow {
  return { id: String(r['id']), project: String(r['project']), name: String(r['name']), state: r['state'] as BatchState, createdAt: num(r['created_at']), endedAt: numOrNull(r['ended_at']) };
}

export function taskFrom(r: Row): TaskRow {
  return {
    id: String(r['id']),
    batch: String(r['batch']),
    project: String(r['project']),
    seq: num(r['seq']),
    name: String(r['name']),
    spec: String(r['spec']),
    deadline: num(r['deadline']),
    state: r['state'] as TaskState,
    attempts: num(r['attempts']),
    failures: num(r['failures']),
    detail: textOrNull(r['detail']),
    acceptedReplica: textOrNull(r['accepted_replica']),
    createdAt: num(r['created_at']),
    decidedAt: numOrNull(r['decided_at']),
    owner: textOrNull(r['owner']),
    leaseUntil: num(r['lease_until']),
  };
}

export function replicaFrom(r: Row): ReplicaRow {
  return {
    id: String(r['id']),
    task: String(r['task']),
    pnode: String(r['pnode']),
    address: String(r['address']),
    prefix: String(r['prefix']),
    operator: textOrNull(r['operator']),
    session: String(r['session']),
    orchestrator: String(r['orchestrator']),
    state: r['state'] as ReplicaState,
    sentAt: num(r['sent_at']),
    endedAt: numOrNull(r['ended_at']),
    cpuMs: num(r['cpu_ms']),
    outputHash: textOrNull(r['output_hash']) as ContentHash | null,
    result: textOrNull(r['result']),
    detail: textOrNull(r['detail']),
  };
}

export function blobFrom(r: Row): BlobRow {
  return { hash: String(r['hash']) as ContentHash, size: num(r['size']), kind: r['kind'] as BlobKind, minPages: numOrNull(r['min_pages']), createdAt: num(r['created_at']) };
}

export function reputationFrom(r: Row): ReputationRow {
  return {
    pnode: String(r['pnode']),
    validated: num(r['validated']),
    streak: num(r['streak']),
    lies: num(r['lies']),
    benchmarkScore: numOrNull(r['benchmark_score']),
    benchmarkedAt: numOrNull(r['benchmarked_at']),
    updatedAt: num(r['updated_at']),
  };
}
