// A task as the job store keeps it (issue 13 §1, §3): the WASI workload in its wire form (so the
// scheduler sends exactly what was checked at submission), and how it is replicated and
// validated. One JSON text per task row.
import { type Result, attempt } from '../../../../src-shared/protocol/errors.js';
import { type ReplicationPolicy, type ValidatorSpec, encodeReplication, encodeValidator, readReplication, readValidator } from '../../../../src-shared/jobs/task-spec.js';
import { type WasiWorkload, encodeWasiWorkload, readWasiWorkload } from '../../../../src-shared/vnode/wasi-workload.js';
import { closedObject } from '../../../../src-shared/vnode/wire-check.js';

export interface StoredTask {
  readonly workload: WasiWorkload;
  readonly replication: ReplicationPolicy;
  readonly validator: ValidatorSpec;
}

export function encodeStoredTask(task: StoredTask): string {
  return JSON.stringify({ workload: encodeWasiWorkload(task.workload), replication: encodeReplication(task.replication), validator: encodeValidator(task.validator) });
}

export function decodeStoredTask(text: string): Result<StoredTask> {
  return attempt(() => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = null;
    }
    const f = closedObject(value, 'stored task', ['workload', 'replication', 'validator']);
    return { workload: readWasiWorkload(f['workload']), replication: readReplication(f['replication'], 'replication'), validator: readValidator(f['validator'], 'validator') };
  });
}
