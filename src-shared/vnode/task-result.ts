// What a host reports for a task (issue 7 §2): the status, the output and its hash, and the CPU
// and wall time used. The output travels inline (it is bounded by MAX_OUTPUT_BYTES), and only
// with status `ok`; its hash is what redundant runs of one workload compare.
// A WASI task's result (issue 13 §2) carries a `wasi` part instead of `output`: exit code, stdout,
// stderr (capped) and output files with their hashes (wasi-output.ts); its `output/hash` is the
// digest over exit code, stdout and files, so replicas compare the same way.
import { type Result, attempt } from '../protocol/errors.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { type ContentHash, contentHash, isContentHash } from './content-hash.js';
import { MAX_DETAIL_LENGTH, MAX_ID_LENGTH, MAX_OUTPUT_BYTES, MAX_WASI_OUTPUT_FILES, MAX_WASI_STDERR_BYTES } from './limits.js';
import { type WasiOutputFile, type WasiRunOutput, outputFile, wasiOutputBytes, wasiOutputDigest } from './wasi-output.js';
import { isWasiFileName } from './wasi-workload.js';
import { type Fields, base64urlBytes, boundedArray, closedObject, idText, integerIn, invalid } from './wire-check.js';

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
  /** WASI tasks: what the program left (output is then null; outputHash is the WASI digest when ok). */
  readonly wasi?: WasiRunOutput;
}

export interface WasiOutputFileWire {
  readonly name: string;
  readonly data: string;
  readonly hash: ContentHash;
}

export interface WasiRunOutputWire {
  readonly 'exit-code'?: number;
  readonly stdout?: string;
  readonly stderr: string;
  readonly 'stderr/truncated'?: true;
  readonly files?: readonly WasiOutputFileWire[];
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
  readonly wasi?: WasiRunOutputWire;
}

/** Largest exit code (WASI's proc_exit takes a u32). */
const MAX_EXIT_CODE = 0xffffffff;

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

/** A WASI part as a result of this status carries it: stdout and files only when ok, an exit code only when ok or failed. */
function wasiPartFor(status: TaskStatus, wasi: WasiRunOutput): WasiRunOutput {
  if (status === 'ok') return { exitCode: 0, stdout: wasi.stdout ?? new Uint8Array(0), stderr: wasi.stderr, stderrTruncated: wasi.stderrTruncated, files: [...wasi.files].sort((a, b) => (a.name < b.name ? -1 : 1)) };
  const exitCode = status === 'failed' && wasi.exitCode !== null && wasi.exitCode !== 0 ? wasi.exitCode : null;
  return { exitCode, stdout: null, stderr: wasi.stderr, stderrTruncated: wasi.stderrTruncated, files: [] };
}

/**
 * Builds a result, hashing the output when the status is ok (and dropping it otherwise). With a
 * `wasi` part, the output is null and an ok result's hash is the WASI digest.
 */
export function makeTaskResult(fields: {
  taskId: string;
  vnodeId: string;
  status: TaskStatus;
  detail?: string | null;
  output?: Uint8Array | null;
  wasi?: WasiRunOutput | null;
  cpuMs: number;
  wallMs: number;
}): TaskResult {
  const ok = fields.status === 'ok';
  const wasi = fields.wasi ? wasiPartFor(fields.status, fields.wasi) : null;
  const output = ok && !wasi ? (fields.output ?? new Uint8Array(0)) : null;
  const outputHash = wasi && ok ? wasiOutputDigest(0, wasi.stdout!, wasi.files) : output ? contentHash(output) : null;
  return {
    taskId: fields.taskId,
    vnodeId: fields.vnodeId,
    status: fields.status,
    detail: ok ? null : clipDetail(fields.detail ?? fields.status),
    output,
    outputHash,
    cpuMs: Math.max(0, Math.round(fields.cpuMs)),
    wallMs: Math.max(0, Math.round(fields.wallMs)),
    ...(wasi ? { wasi } : {}),
  };
}

function encodeWasiPart(wasi: WasiRunOutput): WasiRunOutputWire {
  return {
    ...(wasi.exitCode !== null ? { 'exit-code': wasi.exitCode } : {}),
    ...(wasi.stdout !== null ? { stdout: toBase64url(wasi.stdout) } : {}),
    stderr: toBase64url(wasi.stderr),
    ...(wasi.stderrTruncated ? { 'stderr/truncated': true as const } : {}),
    ...(wasi.stdout !== null ? { files: wasi.files.map((f) => ({ name: f.name, data: toBase64url(f.bytes), hash: f.hash })) } : {}),
  };
}

function readOutputFile(value: unknown, i: number): WasiOutputFile {
  const what = `wasi.files.${i}`;
  const f = closedObject(value, what, ['name', 'data', 'hash']);
  const name = f['name'];
  if (!isWasiFileName(name)) throw invalid(`${what}.name`, 'must be a WASI file name');
  const file = outputFile(name, base64urlBytes(f['data'], `${what}.data`, MAX_OUTPUT_BYTES));
  if (f['hash'] !== file.hash) throw invalid(`${what}.hash`, 'does not match the data');
  return file;
}

/** The `wasi` part of a result of this status (see wasiPartFor for what each status carries). */
function readWasiPart(value: unknown, status: TaskStatus, fields: Fields): WasiRunOutput {
  const w = closedObject(value, 'wasi', ['stderr'], ['exit-code', 'stdout', 'stderr/truncated', 'files']);
  const stderr = base64urlBytes(w['stderr'], 'wasi.stderr', MAX_WASI_STDERR_BYTES);
  if ('stderr/truncated' in w && w['stderr/truncated'] !== true) throw invalid('wasi.stderr/truncated', 'is true when present');
  const stderrTruncated = 'stderr/truncated' in w;
  if (status !== 'ok') {
    if ('stdout' in w || 'files' in w) throw invalid('wasi', `a ${status} result carries no stdout or files`);
    if ('exit-code' in w && status !== 'failed') throw invalid('wasi.exit-code', `a ${status} result carries no exit code`);
    const exitCode = 'exit-code' in w ? integerIn(w['exit-code'], 'wasi.exit-code', 1, MAX_EXIT_CODE) : null;
    return { exitCode, stdout: null, stderr, stderrTruncated, files: [] };
  }
  if ('output' in fields) throw invalid('task result', 'a WASI result carries its output as wasi.stdout and wasi.files');
  if (!('stdout' in w) || !('files' in w) || !('exit-code' in w)) throw invalid('wasi', 'an ok result carries exit-code, stdout and files');
  const exitCode = integerIn(w['exit-code'], 'wasi.exit-code', 0, 0);
  const stdout = base64urlBytes(w['stdout'], 'wasi.stdout', MAX_OUTPUT_BYTES);
  const files = boundedArray(w['files'], 'wasi.files', MAX_WASI_OUTPUT_FILES).map(readOutputFile);
  for (let i = 1; i < files.length; i++) if (!(files[i - 1]!.name < files[i]!.name)) throw invalid('wasi.files', 'must be in ascending name order without repeats');
  if (wasiOutputBytes(stdout, files) > MAX_OUTPUT_BYTES) throw invalid('wasi', `stdout and files are over ${MAX_OUTPUT_BYTES} bytes together`);
  return { exitCode, stdout, stderr, stderrTruncated, files };
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
    ...(result.wasi ? { wasi: encodeWasiPart(result.wasi) } : {}),
  };
}

/** Strict decoding; an ok result must carry its output and the output's true hash. */
export function decodeTaskResult(value: unknown): Result<TaskResult> {
  return attempt(() => {
    const f = closedObject(value, 'task result', ['task/id', 'vnode/id', 'status', 'cpu-ms', 'wall-ms'], ['detail', 'output', 'output/hash', 'wasi']);
    const status = f['status'];
    if (!isTaskStatus(status)) throw invalid('status', `must be one of ${TASK_STATUSES.join(', ')}`);
    const ok = status === 'ok';
    let output: Uint8Array | null = null;
    let outputHash: ContentHash | null = null;
    let detail: string | null = null;
    const wasi = 'wasi' in f ? readWasiPart(f['wasi'], status, f) : null;
    if (ok && wasi) {
      if ('detail' in f) throw invalid('task result', 'an ok result carries no detail');
      const claimed = f['output/hash'];
      if (!isContentHash(claimed)) throw invalid('output/hash', 'must be sha256: and 64 lowercase hex digits');
      outputHash = wasiOutputDigest(0, wasi.stdout!, wasi.files);
      if (claimed !== outputHash) throw invalid('output/hash', 'does not match the WASI output');
    } else if (ok) {
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
      ...(wasi ? { wasi } : {}),
    };
  });
}
