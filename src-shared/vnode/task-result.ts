// What a host reports for a task (issue 7 §2): the status, the output and its hash, and the CPU
// and wall time used. The output travels inline (it is bounded by MAX_OUTPUT_BYTES), and only
// with status `ok`; its hash is what redundant runs of one workload compare.
import { type Result, attempt } from '../protocol/errors.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { type ContentHash, contentHash, isContentHash } from './content-hash.js';
import { MAX_DETAIL_LENGTH, MAX_ID_LENGTH, MAX_OUTPUT_BYTES } from './limits.js';
import { base64urlBytes, closedObject, idText, integerIn, invalid } from './wire-check.js';

/**
 * - ok: the entry returned (0 or nothing); output and hash are set.
 * - failed: the host refused the module or the task (imports, entry, needs, missing module), the
 *   entry returned a non-zero status, or the sandbox broke; see the detail.
 * - timeout: the task ran longer than needs.max-ms (running time) and was stopped.
 * - memory-exceeded: the module's declared memory is over the need, it trapped with its memory at
 *   the cap, or its sandbox hit the JS heap limit.
 * - trap: a WebAssembly trap (unreachable, out-of-bounds access, stack overflow, ...) or a misuse
 *   of the host API (a range outside memory or input, too much output).
 * - cancelled: stopped by the host (VNode released, host stopping, cancelTask).
 */
export const TASK_STATUSES = ['ok', 'failed', 'timeout', 'memory-exceeded', 'trap', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskResult {
  readonly taskId: string;
  readonly vnodeId: string;
  readonly status: TaskStatus;
  /** For people: why it was not ok. Null when ok. */
  readonly detail: string | null;
  readonly output: Uint8Array | null;
  readonly outputHash: ContentHash | null;
  /** CPU time the task's sandbox used (all its threads), ms. */
  readonly cpuMs: number;
  /** From the host starting the task (leaving its queue) to its result, ms, including suspended time. */
  readonly wallMs: number;
}

export interface TaskResultWire {
  readonly 'task/id': string;
  readonly 'vnode/id': string;
  readonly status: TaskStatus;
  readonly detail?: string;
  readonly output?: string;
  readonly 'output/hash'?: ContentHash;
  readonly 'cpu-ms': number;
  readonly 'wall-ms': number;
}

/** Longest time a result may report (a day, far above MAX_NEED_MAX_MS): rejects nonsense. */
const MAX_REPORTED_MS = 24 * 60 * 60_000;

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

/** At most MAX_DETAIL_LENGTH UTF-16 units, never cutting a surrogate pair in half. */
export function clipDetail(detail: string): string {
  if (detail.length <= MAX_DETAIL_LENGTH) return detail;
  let cut = detail.slice(0, MAX_DETAIL_LENGTH - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Builds a result, hashing the output when the status is ok (and dropping it otherwise). */
export function makeTaskResult(fields: {
  taskId: string;
  vnodeId: string;
  status: TaskStatus;
  detail?: string | null;
  output?: Uint8Array | null;
  cpuMs: number;
  wallMs: number;
}): TaskResult {
  const ok = fields.status === 'ok';
  const output = ok ? (fields.output ?? new Uint8Array(0)) : null;
  return {
    taskId: fields.taskId,
    vnodeId: fields.vnodeId,
    status: fields.status,
    detail: ok ? null : clipDetail(fields.detail ?? fields.status),
    output,
    outputHash: output ? contentHash(output) : null,
    cpuMs: Math.max(0, Math.round(fields.cpuMs)),
    wallMs: Math.max(0, Math.round(fields.wallMs)),
  };
}

export function encodeTaskResult(result: TaskResult): TaskResultWire {
  return {
    'task/id': result.taskId,
    'vnode/id': result.vnodeId,
    status: result.status,
    ...(result.detail !== null ? { detail: result.detail } : {}),
    ...(result.output !== null ? { output: toBase64url(result.output) } : {}),
    ...(result.outputHash !== null ? { 'output/hash': result.outputHash } : {}),
    'cpu-ms': result.cpuMs,
    'wall-ms': result.wallMs,
  };
}

/** Strict decoding; an ok result must carry its output and the output's true hash. */
export function decodeTaskResult(value: unknown): Result<TaskResult> {
  return attempt(() => {
    const f = closedObject(value, 'task result', ['task/id', 'vnode/id', 'status', 'cpu-ms', 'wall-ms'], ['detail', 'output', 'output/hash']);
    const status = f['status'];
    if (!isTaskStatus(status)) throw invalid('status', `must be one of ${TASK_STATUSES.join(', ')}`);
    const ok = status === 'ok';
    let output: Uint8Array | null = null;
    let outputHash: ContentHash | null = null;
    let detail: string | null = null;
    if (ok) {
      if (!('output' in f) || !('output/hash' in f)) throw invalid('task result', 'an ok result carries output and output/hash');
      if ('detail' in f) throw invalid('task result', 'an ok result carries no detail');
      output = base64urlBytes(f['output'], 'output', MAX_OUTPUT_BYTES);
      const claimed = f['output/hash'];
      if (!isContentHash(claimed)) throw invalid('output/hash', 'must be sha256: and 64 lowercase hex digits');
      outputHash = contentHash(output);
      if (claimed !== outputHash) throw invalid('output/hash', 'does not match the output');
    } else {
      if ('output' in f || 'output/hash' in f) throw invalid('task result', `a ${status} result carries no output`);
      const text = f['detail'];
      if (typeof text !== 'string' || text.length === 0 || text.length > MAX_DETAIL_LENGTH) throw invalid('detail', `must be 1–${MAX_DETAIL_LENGTH} characters`);
      detail = text;
    }
    return {
      taskId: idText(f['task/id'], 'task/id', MAX_ID_LENGTH),
      vnodeId: idText(f['vnode/id'], 'vnode/id', MAX_ID_LENGTH),
      status,
      detail,
      output,
      outputHash,
      cpuMs: integerIn(f['cpu-ms'], 'cpu-ms', 0, MAX_REPORTED_MS),
      wallMs: integerIn(f['wall-ms'], 'wall-ms', 0, MAX_REPORTED_MS),
    };
  });
}
