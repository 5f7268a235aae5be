// WASI workload format v1 (issue 13 §2): a WASI preview1 program, addressed by its SHA-256 like
// a v1 module, with its command line, stdin bytes, input files (inline bytes, or a blob named by
// its hash and fetched like a module) placed read-only in the task's directory, the output files
// to collect from it, and caps on what comes back (stdout and output files together; stderr).
// Wire form: the profile's JSON subset, bytes as base64url, lists in ascending name order so one
// workload has one encoding. Every bound is a named constant in limits.ts; a task at every bound
// still fits one session message.
import { isWellFormedText, utf8 } from '../protocol/encoding/bytes.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { type Result, attempt } from '../protocol/errors.js';
import { type ContentHash, isContentHash } from './content-hash.js';
import {
  MAX_BLOB_BYTES,
  MAX_ID_LENGTH,
  MAX_INPUT_BYTES,
  MAX_MODULE_BYTES,
  MAX_OUTPUT_BYTES,
  MAX_WASI_ARGS,
  MAX_WASI_ARGS_BYTES,
  MAX_WASI_FILE_NAME_LENGTH,
  MAX_WASI_INPUT_FILES,
  MAX_WASI_INPUT_FILES_BYTES,
  MAX_WASI_OUTPUT_FILES,
  MAX_WASI_STDERR_BYTES,
} from './limits.js';
import { encodeNeeds, readNeeds } from './workload-needs.js';
import type { WorkloadNeeds, WorkloadNeedsWire } from './workload.js';
import { base64urlBytes, boundedArray, closedObject, idText, integerIn, invalid } from './wire-check.js';

export const WASI_WORKLOAD_FORMAT_V1 = 'pnode-wasi-workload.v1';

/** An input file whose bytes travel inside the task. */
export interface WasiInlineFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** An input file named by its hash: the node fetches it (like a module) and checks it. */
export interface WasiBlobFile {
  readonly name: string;
  readonly hash: ContentHash;
  readonly size: number;
}

export type WasiInputFile = WasiInlineFile | WasiBlobFile;

export interface WasiWorkload {
  readonly kind: 'wasi';
  readonly moduleHash: ContentHash;
  readonly moduleSize: number;
  /** The command line after argv[0] (which is WASI_PROGRAM_NAME). */
  readonly args: readonly string[];
  readonly stdin: Uint8Array;
  /** In ascending name order; placed in the task directory, read-only. */
  readonly files: readonly WasiInputFile[];
  /** Names of the files collected from the task directory, ascending; none is an input. */
  readonly outputs: readonly string[];
  /** Most bytes of stdout and output files together. */
  readonly outputCap: number;
  /** Most bytes of stderr kept (the rest is dropped, and the result says so). */
  readonly stderrCap: number;
  /** Seeds random_get (wasi-random.ts); default: the task id. Replicas of one task share it. */
  readonly randomSeed?: string;
  readonly needs: WorkloadNeeds;
}

export interface WasiTask extends WasiWorkload {
  readonly taskId: string;
  readonly vnodeId: string;
}

export type WasiInputFileWire = { readonly name: string; readonly data: string } | { readonly name: string; readonly hash: ContentHash; readonly size: number };

export interface WasiWorkloadWire {
  readonly format: typeof WASI_WORKLOAD_FORMAT_V1;
  readonly 'module/hash': ContentHash;
  readonly 'module/size': number;
  readonly args: readonly string[];
  /** base64url, unpadded. */
  readonly stdin: string;
  readonly files: readonly WasiInputFileWire[];
  readonly outputs: readonly string[];
  readonly 'output/cap': number;
  readonly 'stderr/cap': number;
  readonly 'random/seed'?: string;
  readonly needs: WorkloadNeedsWire;
}

const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One path component: letters, digits, '.', '_' and '-', not starting with '.' (so never "." or ".."). */
export function isWasiFileName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_WASI_FILE_NAME_LENGTH && FILE_NAME_PATTERN.test(value);
}

export function isBlobFile(file: WasiInputFile): file is WasiBlobFile {
  return 'hash' in file;
}

function fileName(value: unknown, what: string): string {
  if (!isWasiFileName(value)) throw invalid(what, `must be 1–${MAX_WASI_FILE_NAME_LENGTH} of A-Z a-z 0-9 . _ -, not starting with "."`);
  return value;
}

/** Strictly ascending names: one encoding per workload, and no name twice. */
function ascending(names: readonly string[], what: string): void {
  for (let i = 1; i < names.length; i++) if (!(names[i - 1]! < names[i]!)) throw invalid(what, `must be in ascending name order without repeats ("${names[i]}")`);
}

function readArgs(value: unknown): string[] {
  const list = boundedArray(value, 'workload.args', MAX_WASI_ARGS);
  let bytes = 0;
  return list.map((arg, i) => {
    const what = `workload.args.${i}`;
    if (typeof arg !== 'string' || !isWellFormedText(arg) || arg.includes('\0')) throw invalid(what, 'must be text without NUL');
    bytes += utf8(arg).length + 1;
    if (bytes > MAX_WASI_ARGS_BYTES) throw invalid('workload.args', `are over ${MAX_WASI_ARGS_BYTES} bytes in all`);
    return arg;
  });
}

function readFile(value: unknown, i: number): WasiInputFile {
  const what = `workload.files.${i}`;
  const f = closedObject(value, what, ['name'], ['data', 'hash', 'size']);
  const name = fileName(f['name'], `${what}.name`);
  if ('data' in f) {
    if ('hash' in f || 'size' in f) throw invalid(what, 'has data or hash and size, not both');
    return { name, bytes: base64urlBytes(f['data'], `${what}.data`, MAX_INPUT_BYTES) };
  }
  if (!('hash' in f) || !('size' in f)) throw invalid(what, 'needs data, or hash and size');
  const hash = f['hash'];
  if (!isContentHash(hash)) throw invalid(`${what}.hash`, 'must be sha256: and 64 lowercase hex digits');
  return { name, hash, size: integerIn(f['size'], `${what}.size`, 0, MAX_BLOB_BYTES) };
}

export function readWasiWorkload(value: unknown): WasiWorkload {
  const f = closedObject(value, 'workload', ['format', 'module/hash', 'module/size', 'args', 'stdin', 'files', 'outputs', 'output/cap', 'stderr/cap', 'needs'], ['random/seed']);
  if (f['format'] !== WASI_WORKLOAD_FORMAT_V1) throw invalid('workload.format', `must be "${WASI_WORKLOAD_FORMAT_V1}"`);
  const moduleHash = f['module/hash'];
  if (!isContentHash(moduleHash)) throw invalid('workload.module/hash', 'must be sha256: and 64 lowercase hex digits');
  const stdin = base64urlBytes(f['stdin'], 'workload.stdin', MAX_INPUT_BYTES);
  const files = boundedArray(f['files'], 'workload.files', MAX_WASI_INPUT_FILES).map(readFile);
  ascending(
    files.map((file) => file.name),
    'workload.files',
  );
  let inline = stdin.length;
  let total = 0;
  for (const file of files) {
    const size = isBlobFile(file) ? file.size : file.bytes.length;
    if (!isBlobFile(file)) inline += size;
    total += size;
  }
  if (inline > MAX_INPUT_BYTES) throw invalid('workload', `stdin and inline files are over ${MAX_INPUT_BYTES} bytes together`);
  if (total > MAX_WASI_INPUT_FILES_BYTES) throw invalid('workload.files', `are over ${MAX_WASI_INPUT_FILES_BYTES} bytes together`);
  const outputs = boundedArray(f['outputs'], 'workload.outputs', MAX_WASI_OUTPUT_FILES).map((name, i) => fileName(name, `workload.outputs.${i}`));
  ascending(outputs, 'workload.outputs');
  const inputNames = new Set(files.map((file) => file.name));
  const clash = outputs.find((name) => inputNames.has(name));
  if (clash !== undefined) throw invalid('workload.outputs', `"${clash}" is an input file (inputs are read-only)`);
  const seed = 'random/seed' in f ? idText(f['random/seed'], 'workload.random/seed', MAX_ID_LENGTH) : undefined;
  return {
    kind: 'wasi',
    moduleHash,
    moduleSize: integerIn(f['module/size'], 'workload.module/size', 8, MAX_MODULE_BYTES),
    args: readArgs(f['args']),
    stdin,
    files,
    outputs,
    outputCap: integerIn(f['output/cap'], 'workload.output/cap', 0, MAX_OUTPUT_BYTES),
    stderrCap: integerIn(f['stderr/cap'], 'workload.stderr/cap', 0, MAX_WASI_STDERR_BYTES),
    ...(seed !== undefined ? { randomSeed: seed } : {}),
    needs: readNeeds(f['needs']),
  };
}

export function decodeWasiWorkload(value: unknown): Result<WasiWorkload> {
  return attempt(() => readWasiWorkload(value));
}

export function encodeWasiWorkload(workload: WasiWorkload): WasiWorkloadWire {
  return {
    format: WASI_WORKLOAD_FORMAT_V1,
    'module/hash': workload.moduleHash,
    'module/size': workload.moduleSize,
    args: [...workload.args],
    stdin: toBase64url(workload.stdin),
    files: workload.files.map((file) => (isBlobFile(file) ? { name: file.name, hash: file.hash, size: file.size } : { name: file.name, data: toBase64url(file.bytes) })),
    outputs: [...workload.outputs],
    'output/cap': workload.outputCap,
    'stderr/cap': workload.stderrCap,
    ...(workload.randomSeed !== undefined ? { 'random/seed': workload.randomSeed } : {}),
    needs: encodeNeeds(workload.needs),
  };
}

/** Checks that an in-memory WASI workload is within the format's bounds (what the decoder enforces). */
export function checkWasiWorkload(workload: WasiWorkload): Result<WasiWorkload> {
  return attempt(() => readWasiWorkload(encodeWasiWorkload(workload)));
}

/** The seed a task's random_get stream starts from. */
export function wasiSeedOf(task: WasiTask): string {
  return task.randomSeed ?? task.taskId;
}
