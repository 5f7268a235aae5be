// A task as a project submits it (issue 13 §1): a WASI program named by its module's hash, its
// command line, stdin, input files (inline, or blobs uploaded to the batch), the output files to
// collect, limits, how it is replicated and validated, and its deadline. JSON, keys in the
// profile's `a-b` style:
//
//   { "name"?: "t-0001", "module": "sha256:…", "args"?: [...], "stdin"?: base64url,
//     "files"?: [{"name": "in.fa", "blob": "sha256:…"} | {"name": "n.txt", "data": base64url}],
//     "outputs"?: ["out.txt"], "limits"?: {"memory-mb": 64, "max-ms": 60000},
//     "output-cap"?: 32768, "stderr-cap"?: 4096, "random-seed"?: "…",
//     "replication"?: {"quorum": 2, "max-results": 5, "adaptive": true},
//     "validator"?: {"kind": "exact"} | {"kind": "tolerance", "absolute": 1e-9, "relative": 1e-9},
//     "deadline"?: "2026-12-31T00:00:00Z" }
//
// decodeTaskSpec checks the shape and every bound, naming the failing path (E_PROTO_INVALID); the
// orchestrator then resolves the blobs (their sizes, that they were uploaded) and checks the
// whole workload against the WASI format (src-shared/vnode/wasi-workload.ts).
import { isWellFormedText } from '../protocol/encoding/bytes.js';
import { parseTimestamp } from '../protocol/time.js';
import { type ContentHash, isContentHash } from '../vnode/content-hash.js';
import { MAX_NEED_MAX_MS, MAX_NEED_MEMORY_MB, MAX_OUTPUT_BYTES, MAX_WASI_STDERR_BYTES, MIN_NEED_MAX_MS, MIN_NEED_MEMORY_MB } from '../vnode/limits.js';
import { MAX_ABSOLUTE_TOLERANCE, MAX_RELATIVE_TOLERANCE, type ToleranceSpec } from '../vnode/tolerance.js';
import { MAX_ID_LENGTH, MAX_INPUT_BYTES } from '../vnode/limits.js';
import { base64urlBytes, boundedArray, closedObject, idText, integerIn, invalid } from '../vnode/wire-check.js';
import { isWasiFileName } from '../vnode/wasi-workload.js';
import { DEFAULT_MAX_RESULTS, DEFAULT_QUORUM, MAX_QUORUM, MAX_RESULTS_PER_TASK, MAX_TASK_NAME_LENGTH, MIN_QUORUM } from './job-limits.js';

/** How many agreeing results accept a task, and whether a long-reliable PNode may run it alone. */
export interface ReplicationPolicy {
  /** Agreeing results from independent PNodes that accept the output (MIN_QUORUM–MAX_QUORUM). */
  readonly quorum: number;
  /** Results the task may collect before it fails for want of a majority. */
  readonly maxResults: number;
  /** A reliable PNode's result alone may be accepted (randomly spot-checked); off: always a quorum. */
  readonly adaptive: boolean;
}

export const DEFAULT_REPLICATION: ReplicationPolicy = { quorum: DEFAULT_QUORUM, maxResults: DEFAULT_MAX_RESULTS, adaptive: true };

/** How replicas' outputs are compared: the output hash, or the tolerance comparator for floating-point outputs. */
export type ValidatorSpec = { readonly kind: 'exact' } | ({ readonly kind: 'tolerance' } & ToleranceSpec);

export const EXACT_VALIDATOR: ValidatorSpec = { kind: 'exact' };

export type TaskFileSpec = { readonly name: string; readonly blob: ContentHash } | { readonly name: string; readonly bytes: Uint8Array };

export interface TaskSpec {
  /** Unique in its batch; null: the orchestrator names it by its place. */
  readonly name: string | null;
  readonly module: ContentHash;
  readonly args: readonly string[];
  readonly stdin: Uint8Array;
  readonly files: readonly TaskFileSpec[];
  readonly outputs: readonly string[];
  readonly memoryMb: number | null;
  readonly maxMs: number | null;
  readonly outputCap: number;
  readonly stderrCap: number;
  readonly randomSeed: string | null;
  readonly replication: ReplicationPolicy;
  readonly validator: ValidatorSpec;
  /** Milliseconds since the epoch; null: the default deadline. */
  readonly deadline: number | null;
}

const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export function isTaskName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TASK_NAME_LENGTH && TASK_NAME.test(value);
}

function finiteIn(value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) throw invalid(what, `must be a number from 0 to ${max}`);
  return value;
}

export function readReplication(value: unknown, what: string): ReplicationPolicy {
  if (value === undefined) return DEFAULT_REPLICATION;
  const f = closedObject(value, what, [], ['quorum', 'max-results', 'adaptive']);
  const quorum = f['quorum'] === undefined ? DEFAULT_QUORUM : integerIn(f['quorum'], `${what}.quorum`, MIN_QUORUM, MAX_QUORUM);
  const maxResults = f['max-results'] === undefined ? Math.max(quorum, DEFAULT_MAX_RESULTS) : integerIn(f['max-results'], `${what}.max-results`, quorum, MAX_RESULTS_PER_TASK);
  if (f['adaptive'] !== undefined && typeof f['adaptive'] !== 'boolean') throw invalid(`${what}.adaptive`, 'must be true or false');
  return { quorum, maxResults, adaptive: f['adaptive'] === undefined ? true : (f['adaptive'] as boolean) };
}

export function readValidator(value: unknown, what: string): ValidatorSpec {
  if (value === undefined) return EXACT_VALIDATOR;
  const f = closedObject(value, what, ['kind'], ['absolute', 'relative']);
  if (f['kind'] === 'exact') {
    if ('absolute' in f || 'relative' in f) throw invalid(what, 'an exact validator takes no tolerance');
    return EXACT_VALIDATOR;
  }
  if (f['kind'] !== 'tolerance') throw invalid(`${what}.kind`, 'must be "exact" or "tolerance"');
  if (!('absolute' in f) || !('relative' in f)) throw invalid(what, 'a tolerance validator needs absolute and relative');
  return { kind: 'tolerance', absolute: finiteIn(f['absolute'], `${what}.absolute`, MAX_ABSOLUTE_TOLERANCE), relative: finiteIn(f['relative'], `${what}.relative`, MAX_RELATIVE_TOLERANCE) };
}

export function encodeReplication(policy: ReplicationPolicy): Record<string, unknown> {
  return { quorum: policy.quorum, 'max-results': policy.maxResults, adaptive: policy.adaptive };
}

export function encodeValidator(validator: ValidatorSpec): Record<string, unknown> {
  return validator.kind === 'exact' ? { kind: 'exact' } : { kind: 'tolerance', absolute: validator.absolute, relative: validator.relative };
}

function readFile(value: unknown, what: string): TaskFileSpec {
  const f = closedObject(value, what, ['name'], ['blob', 'data']);
  const name = f['name'];
  if (!isWasiFileName(name)) throw invalid(`${what}.name`, 'must be a file name: letters, digits, ".", "_" and "-", not starting with "."');
  if ('blob' in f === 'data' in f) throw invalid(what, 'needs either blob (a hash uploaded to the batch) or data (base64url)');
  if ('blob' in f) {
    const blob = f['blob'];
    if (!isContentHash(blob)) throw invalid(`${what}.blob`, 'must be sha256: and 64 lowercase hex digits');
    return { name, blob };
  }
  return { name, bytes: base64urlBytes(f['data'], `${what}.data`, MAX_INPUT_BYTES) };
}

function readArgs(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  return boundedArray(value, what, 1_000).map((arg, i) => {
    if (typeof arg !== 'string' || !isWellFormedText(arg) || arg.includes('\0')) throw invalid(`${what}.${i}`, 'must be text without NUL');
    return arg;
  });
}

/** One task spec, checked (see the top of this file); `what` names it in errors (`tasks.3`). */
export function readTaskSpec(value: unknown, what: string): TaskSpec {
  const f = closedObject(
    value,
    what,
    ['module'],
    ['name', 'args', 'stdin', 'files', 'outputs', 'limits', 'output-cap', 'stderr-cap', 'random-seed', 'replication', 'validator', 'deadline'],
  );
  const name = f['name'] === undefined ? null : f['name'];
  if (name !== null && !isTaskName(name)) throw invalid(`${what}.name`, `must be 1–${MAX_TASK_NAME_LENGTH} of letters, digits, ".", "_" and "-", starting with a letter or digit`);
  const module = f['module'];
  if (!isContentHash(module)) throw invalid(`${what}.module`, 'must be sha256: and 64 lowercase hex digits');
  const files = f['files'] === undefined ? [] : boundedArray(f['files'], `${what}.files`, 1_000).map((file, i) => readFile(file, `${what}.files.${i}`));
  const outputs =
    f['outputs'] === undefined
      ? []
      : boundedArray(f['outputs'], `${what}.outputs`, 1_000).map((out, i) => {
          if (!isWasiFileName(out)) throw invalid(`${what}.outputs.${i}`, 'must be a file name');
          return out;
        });
  let memoryMb: number | null = null;
  let maxMs: number | null = null;
  if (f['limits'] !== undefined) {
    const limits = closedObject(f['limits'], `${what}.limits`, [], ['memory-mb', 'max-ms']);
    if (limits['memory-mb'] !== undefined) memoryMb = integerIn(limits['memory-mb'], `${what}.limits.memory-mb`, MIN_NEED_MEMORY_MB, MAX_NEED_MEMORY_MB);
    if (limits['max-ms'] !== undefined) maxMs = integerIn(limits['max-ms'], `${what}.limits.max-ms`, MIN_NEED_MAX_MS, MAX_NEED_MAX_MS);
  }
  let deadline: number | null = null;
  if (f['deadline'] !== undefined) {
    const text = f['deadline'];
    // RFC 3339 with a zone: what Date.parse reads the same everywhere.
    const when = typeof text === 'string' && RFC3339.test(text) ? parseTimestamp(text) : NaN;
    if (!Number.isFinite(when)) throw invalid(`${what}.deadline`, 'must be an RFC 3339 time (2026-12-31T00:00:00Z)');
    deadline = when;
  }
  return {
    name: name as string | null,
    module,
    args: readArgs(f['args'], `${what}.args`),
    stdin: f['stdin'] === undefined ? new Uint8Array(0) : base64urlBytes(f['stdin'], `${what}.stdin`, MAX_INPUT_BYTES),
    files,
    outputs,
    memoryMb,
    maxMs,
    outputCap: f['output-cap'] === undefined ? MAX_OUTPUT_BYTES : integerIn(f['output-cap'], `${what}.output-cap`, 0, MAX_OUTPUT_BYTES),
    stderrCap: f['stderr-cap'] === undefined ? MAX_WASI_STDERR_BYTES : integerIn(f['stderr-cap'], `${what}.stderr-cap`, 0, MAX_WASI_STDERR_BYTES),
    randomSeed: f['random-seed'] === undefined ? null : idText(f['random-seed'], `${what}.random-seed`, MAX_ID_LENGTH),
    replication: readReplication(f['replication'], `${what}.replication`),
    validator: readValidator(f['validator'], `${what}.validator`),
    deadline,
  };
}
