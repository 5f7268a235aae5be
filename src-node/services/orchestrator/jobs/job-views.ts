// What the job API answers (issue 13 §1), as JSON in the profile's `a-b` key style. Times are
// RFC 3339; bytes are base64url.
import { formatTimestamp } from '../../../../src-shared/protocol/time.js';
import { toBase64url } from '../../../../src-shared/protocol/encoding/base64url.js';
import { decodeTaskResult } from '../../../../src-shared/vnode/task-result.js';
import type { BatchCounts, BatchRow, BlobRow, ReplicaRow, TaskRow } from './job-store.js';
import { decodeStoredTask } from './stored-task.js';
import type { ProjectInfo } from './projects.js';

const time = (ms: number | null): string | null => (ms === null ? null : formatTimestamp(ms));

export function projectView(project: ProjectInfo) {
  return { key: project.key, name: project.name, ...(project.description !== undefined ? { description: project.description } : {}), ...(project.url !== undefined ? { url: project.url } : {}) };
}

export function batchView(batch: BatchRow, counts: BatchCounts | null) {
  const total = counts ? counts.open + counts.accepted + counts.failed + counts.aborted : null;
  return {
    'batch-id': batch.id,
    name: batch.name,
    state: batch.state,
    'created-at': time(batch.createdAt),
    'ended-at': time(batch.endedAt),
    ...(counts && total !== null
      ? {
          tasks: { total, open: counts.open, accepted: counts.accepted, failed: counts.failed, aborted: counts.aborted },
          done: counts.open === 0 && total > 0,
          'progress-permille': total === 0 ? 0 : Math.floor(((total - counts.open) * 1000) / total),
        }
      : {}),
  };
}

export function blobView(blob: BlobRow) {
  return { hash: blob.hash, size: blob.size, kind: blob.kind, 'created-at': time(blob.createdAt) };
}

export function taskSummary(task: TaskRow) {
  return {
    'task-id': task.id,
    name: task.name,
    state: task.state,
    attempts: task.attempts,
    failures: task.failures,
    detail: task.detail,
    deadline: time(task.deadline),
    'created-at': time(task.createdAt),
    'decided-at': time(task.decidedAt),
  };
}

function replicaView(replica: ReplicaRow) {
  return {
    'replica-id': replica.id,
    pnode: replica.pnode,
    state: replica.state,
    'sent-at': time(replica.sentAt),
    'ended-at': time(replica.endedAt),
    'cpu-ms': replica.cpuMs,
    'output/hash': replica.outputHash,
    ...(replica.detail !== null ? { detail: replica.detail } : {}),
  };
}

export function taskDetail(task: TaskRow, replicas: readonly ReplicaRow[]) {
  const stored = decodeStoredTask(task.spec);
  return {
    ...taskSummary(task),
    batch: task.batch,
    ...(stored.ok
      ? {
          module: stored.value.workload.moduleHash,
          args: stored.value.workload.args,
          outputs: stored.value.workload.outputs,
          replication: { quorum: stored.value.replication.quorum, 'max-results': stored.value.replication.maxResults, adaptive: stored.value.replication.adaptive },
          validator: stored.value.validator,
        }
      : {}),
    'accepted-replica': task.acceptedReplica,
    replicas: replicas.map(replicaView),
  };
}

/** The accepted output of a task: exit code, stdout, stderr and files, bytes as base64url. */
export function outputView(task: TaskRow, accepted: ReplicaRow | null) {
  if (task.state !== 'accepted' || !accepted || accepted.result === null) return { 'task-id': task.id, name: task.name, state: task.state, detail: task.detail, output: null };
  const decoded = decodeTaskResult(JSON.parse(accepted.result) as unknown);
  if (!decoded.ok || !decoded.value.wasi) return { 'task-id': task.id, name: task.name, state: task.state, detail: 'the stored result does not decode', output: null };
  const wasi = decoded.value.wasi;
  return {
    'task-id': task.id,
    name: task.name,
    state: task.state,
    detail: null,
    output: {
      'output/hash': decoded.value.outputHash,
      'exit-code': wasi.exitCode,
      stdout: toBase64url(wasi.stdout ?? new Uint8Array(0)),
      stderr: toBase64url(wasi.stderr),
      ...(wasi.stderrTruncated ? { 'stderr/truncated': true } : {}),
      files: wasi.files.map((f) => ({ name: f.name, hash: f.hash, size: f.bytes.length, data: toBase64url(f.bytes) })),
      'cpu-ms': accepted.cpuMs,
    },
  };
}
