// Workload format v1 and the task that carries it (issue 7 §1). A workload is a WebAssembly
// module addressed by its SHA-256, the input bytes, the entry to call and the declared needs. A
// task is one workload placed on one VNode. On the wire (session bodies, the JSON subset) bytes
// travel as base64url and keys follow the profile's `a/b` style; in memory they are bytes.
// A task carries either kind of workload: this host-API v1 one, or a WASI program
// (wasi-workload.ts), told apart on the wire by the workload's `format`.
import { type Result, attempt } from '../protocol/errors.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { type ContentHash, isContentHash } from './content-hash.js';
import { MAX_ENTRY_NAME_LENGTH, MAX_ID_LENGTH, MAX_INPUT_BYTES, MAX_MODULE_BYTES, type NEED_CORES_V1 } from './limits.js';
import { WASI_WORKLOAD_FORMAT_V1, type WasiTask, type WasiWorkloadWire, encodeWasiWorkload, readWasiWorkload } from './wasi-workload.js';
import { encodeNeeds, readNeeds } from './workload-needs.js';
import { base64urlBytes, closedObject, idText, integerIn, invalid } from './wire-check.js';

export const WORKLOAD_FORMAT_V1 = 'pnode-workload.v1';

export interface WorkloadNeeds {
  /** Linear memory the module may grow to, in MiB (the host caps the memory there). */
  readonly memoryMb: number;
  /** Running-time budget in ms: time the task was allowed to run (suspended time does not count). */
  readonly maxMs: number;
  /** Always 1 in v1. */
  readonly cores: typeof NEED_CORES_V1;
}

export interface Workload {
  /** Absent on host-API v1 workloads; WASI workloads say 'wasi'. */
  readonly kind?: undefined;
  readonly moduleHash: ContentHash;
  readonly moduleSize: number;
  /** The exported function to call. */
  readonly entry: string;
  readonly input: Uint8Array;
  readonly needs: WorkloadNeeds;
}

export interface VNodeTask extends Workload {
  readonly taskId: string;
  readonly vnodeId: string;
}

export interface WorkloadNeedsWire {
  readonly 'memory-mb': number;
  readonly 'max-ms': number;
  readonly cores: number;
}

export interface WorkloadWire {
  readonly format: typeof WORKLOAD_FORMAT_V1;
  readonly 'module/hash': ContentHash;
  readonly 'module/size': number;
  readonly entry: string;
  /** base64url, unpadded. */
  readonly input: string;
  readonly needs: WorkloadNeedsWire;
}

export interface TaskWire {
  readonly 'task/id': string;
  readonly 'vnode/id': string;
  readonly workload: WorkloadWire | WasiWorkloadWire;
}

/** A task of either kind: host API v1, or a WASI program. */
export type AnyTask = VNodeTask | WasiTask;

export function isWasiTask(task: AnyTask): task is WasiTask {
  return task.kind === 'wasi';
}

const ENTRY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEntryName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ENTRY_NAME_LENGTH && ENTRY_PATTERN.test(value);
}

function readWorkload(value: unknown): Workload {
  const f = closedObject(value, 'workload', ['format', 'module/hash', 'module/size', 'entry', 'input', 'needs']);
  if (f['format'] !== WORKLOAD_FORMAT_V1) throw invalid('workload.format', `must be "${WORKLOAD_FORMAT_V1}"`);
  const moduleHash = f['module/hash'];
  if (!isContentHash(moduleHash)) throw invalid('workload.module/hash', 'must be sha256: and 64 lowercase hex digits');
  const entry = f['entry'];
  if (!isEntryName(entry)) throw invalid('workload.entry', `must be an identifier of at most ${MAX_ENTRY_NAME_LENGTH} characters`);
  return {
    moduleHash,
    moduleSize: integerIn(f['module/size'], 'workload.module/size', 8, MAX_MODULE_BYTES),
    entry,
    input: base64urlBytes(f['input'], 'workload.input', MAX_INPUT_BYTES),
    needs: readNeeds(f['needs']),
  };
}

/** Checks that an in-memory workload is within the format's bounds (what the decoder enforces). */
export function checkWorkload(workload: Workload): Result<Workload> {
  return decodeWorkload(encodeWorkload(workload));
}

export function decodeWorkload(value: unknown): Result<Workload> {
  return attempt(() => readWorkload(value));
}

export function encodeWorkload(workload: Workload): WorkloadWire {
  return {
    format: WORKLOAD_FORMAT_V1,
    'module/hash': workload.moduleHash,
    'module/size': workload.moduleSize,
    entry: workload.entry,
    input: toBase64url(workload.input),
    needs: encodeNeeds(workload.needs),
  };
}

/** A task of either kind; the workload's `format` says which. */
export function decodeTask(value: unknown): Result<AnyTask> {
  return attempt(() => {
    const f = closedObject(value, 'task', ['task/id', 'vnode/id', 'workload']);
    const taskId = idText(f['task/id'], 'task/id', MAX_ID_LENGTH);
    const vnodeId = idText(f['vnode/id'], 'vnode/id', MAX_ID_LENGTH);
    const workload = f['workload'];
    const format = typeof workload === 'object' && workload !== null ? (workload as Record<string, unknown>)['format'] : undefined;
    if (format === WASI_WORKLOAD_FORMAT_V1) return { taskId, vnodeId, ...readWasiWorkload(workload) };
    return { taskId, vnodeId, ...readWorkload(workload) };
  });
}

export function encodeTask(task: AnyTask): TaskWire {
  return { 'task/id': task.taskId, 'vnode/id': task.vnodeId, workload: isWasiTask(task) ? encodeWasiWorkload(task) : encodeWorkload(task) };
}

/** Checks that an in-memory task is within the format's bounds. */
export function checkTask<T extends AnyTask>(task: T): Result<T> {
  return decodeTask(encodeTask(task)) as Result<T>;
}
