import { describe, expect, it } from 'vitest';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { encodeDeterministic } from '../protocol/encoding/dcbor.js';
import { MAX_SESSION_MESSAGE_BYTES } from '../protocol/messages/session-message.js';
import { contentHash } from './content-hash.js';
import {
  MAX_BLOB_BYTES,
  MAX_ID_LENGTH,
  MAX_INPUT_BYTES,
  MAX_OUTPUT_BYTES,
  MAX_WASI_ARGS,
  MAX_WASI_ARGS_BYTES,
  MAX_WASI_FILE_NAME_LENGTH,
  MAX_WASI_INPUT_FILES,
  MAX_WASI_INPUT_FILES_BYTES,
  MAX_WASI_OUTPUT_FILES,
  MAX_WASI_STDERR_BYTES,
} from './limits.js';
import { WASI_WORKLOAD_FORMAT_V1, type WasiTask, checkWasiWorkload, decodeWasiWorkload, encodeWasiWorkload, isWasiFileName } from './wasi-workload.js';
import { checkTask, decodeTask, encodeTask } from './workload.js';

const MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
const BLOB = contentHash(new Uint8Array([42]));

function task(overrides: Partial<WasiTask> = {}): WasiTask {
  return {
    kind: 'wasi',
    taskId: 'task-1',
    vnodeId: 'vnode-1',
    moduleHash: contentHash(MODULE),
    moduleSize: MODULE.length,
    args: ['-n', '10', '/work/db.fa'],
    stdin: new Uint8Array([1, 2, 3]),
    files: [
      { name: 'db.fa', hash: BLOB, size: 1 },
      { name: 'query.fa', bytes: new Uint8Array([62, 113]) },
    ],
    outputs: ['hits.tsv', 'log.txt'],
    outputCap: 4096,
    stderrCap: 512,
    needs: { memoryMb: 16, maxMs: 5_000, cores: 1 },
    ...overrides,
  };
}

function wire(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...encodeWasiWorkload(task()), ...overrides };
}

function refused(value: unknown): string {
  const result = decodeWasiWorkload(value);
  if (result.ok) throw new Error('decoded');
  expect(result.error.code).toBe('E_PROTO_INVALID');
  return result.error.detail;
}

describe('WASI workload format v1', () => {
  it('round-trips a task through its wire form, and a task decodes by its workload’s format', () => {
    const wireTask = encodeTask(task({ randomSeed: 'job-1/task-9' }));
    expect(wireTask.workload).toEqual({
      format: WASI_WORKLOAD_FORMAT_V1,
      'module/hash': contentHash(MODULE),
      'module/size': 8,
      args: ['-n', '10', '/work/db.fa'],
      stdin: 'AQID',
      files: [
        { name: 'db.fa', hash: BLOB, size: 1 },
        { name: 'query.fa', data: 'PnE' },
      ],
      outputs: ['hits.tsv', 'log.txt'],
      'output/cap': 4096,
      'stderr/cap': 512,
      'random/seed': 'job-1/task-9',
      needs: { 'memory-mb': 16, 'max-ms': 5_000, cores: 1 },
    });
    expect(decodeTask(JSON.parse(JSON.stringify(wireTask)))).toEqual({ ok: true, value: task({ randomSeed: 'job-1/task-9' }) });
    expect(checkTask(task()).ok).toBe(true);
  });

  it('a task at every bound still fits one session message', () => {
    const big = task({
      taskId: 't'.repeat(MAX_ID_LENGTH),
      vnodeId: 'v'.repeat(MAX_ID_LENGTH),
      args: Array.from({ length: MAX_WASI_ARGS }, (_, i) => `${i}`.padEnd(Math.floor(MAX_WASI_ARGS_BYTES / MAX_WASI_ARGS) - 1, 'a')),
      stdin: new Uint8Array(MAX_INPUT_BYTES - 1),
      files: [
        { name: 'a'.repeat(MAX_WASI_FILE_NAME_LENGTH), bytes: new Uint8Array(1) },
        ...Array.from({ length: MAX_WASI_INPUT_FILES - 1 }, (_, i) => ({ name: `blob-${String(i).padStart(2, '0')}`.padEnd(MAX_WASI_FILE_NAME_LENGTH, 'x'), hash: BLOB, size: 1 })),
      ],
      outputs: Array.from({ length: MAX_WASI_OUTPUT_FILES }, (_, i) => `out-${String(i).padStart(2, '0')}`.padEnd(MAX_WASI_FILE_NAME_LENGTH, 'y')),
      randomSeed: 's'.repeat(MAX_ID_LENGTH),
    });
    expect(checkTask(big).ok).toBe(true);
    const message = encodeDeterministic({ 'msg/kind': 'vnode-task', body: { 'req/id': 'req:01JQ0000000000000000000000', 'vnode/id': big.vnodeId, task: encodeTask(big) } });
    expect(message.length).toBeLessThan(MAX_SESSION_MESSAGE_BYTES);
  });

  it('file names are one plain path component', () => {
    for (const name of ['in.txt', 'A_b-9.fa', 'x'.repeat(MAX_WASI_FILE_NAME_LENGTH)]) expect(isWasiFileName(name)).toBe(true);
    for (const name of ['', '.', '..', '.hidden', 'a/b', '../x', '/etc', 'a b', 'é', 'x'.repeat(MAX_WASI_FILE_NAME_LENGTH + 1), 'a\0b']) expect(isWasiFileName(name)).toBe(false);
  });

  it.each([
    ['another format', { format: 'pnode-workload.v1' }, /^workload.format/],
    ['an unknown field', { env: { HOME: '/' } }, /^workload: has an unknown field "env"/],
    ['a missing field', { outputs: undefined }, /^workload.outputs: must be an array/],
    ['args that are not a list', { args: '-n 10' }, /^workload.args: must be an array/],
    ['too many args', { args: Array.from({ length: MAX_WASI_ARGS + 1 }, () => 'a') }, /^workload.args: has more than 64 entries/],
    ['args over their bytes', { args: ['a'.repeat(MAX_WASI_ARGS_BYTES)] }, /^workload.args: are over 4096 bytes in all/],
    ['an arg with NUL', { args: ['a\0b'] }, /^workload.args.0: must be text without NUL/],
    ['an arg with a lone surrogate', { args: ['\uD800'] }, /^workload.args.0/],
    ['a number as an arg', { args: [7] }, /^workload.args.0/],
    ['stdin over the bound', { stdin: 'A'.repeat(Math.ceil(((MAX_INPUT_BYTES + 3) * 4) / 3)) }, /^workload.stdin: is over/],
    ['padded stdin', { stdin: 'AQID=' }, /^workload.stdin/],
    ['a file with a path', { files: [{ name: '../x', data: 'AA' }] }, /^workload.files.0.name/],
    ['a file named ".."', { files: [{ name: '..', data: 'AA' }] }, /^workload.files.0.name/],
    ['a file with both data and a hash', { files: [{ name: 'a', data: 'AA', hash: BLOB, size: 1 }] }, /^workload.files.0: has data or hash and size, not both/],
    ['a file with a hash and no size', { files: [{ name: 'a', hash: BLOB }] }, /^workload.files.0: needs data, or hash and size/],
    ['a file with a forged hash form', { files: [{ name: 'a', hash: 'sha256:ABC', size: 1 }] }, /^workload.files.0.hash/],
    ['a blob over the bound', { files: [{ name: 'a', hash: BLOB, size: MAX_BLOB_BYTES + 1 }] }, /^workload.files.0.size/],
    ['files out of order', { files: [{ name: 'b', data: 'AA' }, { name: 'a', data: 'AA' }] }, /^workload.files: must be in ascending name order without repeats \("a"\)/],
    ['a file twice', { files: [{ name: 'a', data: 'AA' }, { name: 'a', hash: BLOB, size: 1 }] }, /^workload.files: must be in ascending/],
    ['too many files', { files: Array.from({ length: MAX_WASI_INPUT_FILES + 1 }, (_, i) => ({ name: `f${String(i).padStart(3, '0')}`, data: '' })) }, /^workload.files: has more than 32 entries/],
    ['inline files and stdin over the inline bound', { stdin: toBase64url(new Uint8Array(MAX_INPUT_BYTES / 2 + 1)), files: [{ name: 'a', data: toBase64url(new Uint8Array(MAX_INPUT_BYTES / 2)) }] }, /^workload: stdin and inline files are over 32768 bytes together/],
    ['blobs over the total bound', { files: Array.from({ length: 9 }, (_, i) => ({ name: `b${i}`, hash: BLOB, size: MAX_BLOB_BYTES })) }, new RegExp(`^workload.files: are over ${MAX_WASI_INPUT_FILES_BYTES} bytes together`)],
    ['an output that is an input', { outputs: ['query.fa'] }, /^workload.outputs: "query.fa" is an input file/],
    ['outputs out of order', { outputs: ['b', 'a'] }, /^workload.outputs: must be in ascending/],
    ['too many outputs', { outputs: Array.from({ length: MAX_WASI_OUTPUT_FILES + 1 }, (_, i) => `o${String(i).padStart(2, '0')}`) }, /^workload.outputs: has more than 16 entries/],
    ['an output cap over the bound', { 'output/cap': MAX_OUTPUT_BYTES + 1 }, /^workload.output\/cap/],
    ['a negative output cap', { 'output/cap': -1 }, /^workload.output\/cap/],
    ['a stderr cap over the bound', { 'stderr/cap': MAX_WASI_STDERR_BYTES + 1 }, /^workload.stderr\/cap/],
    ['a seed with spaces', { 'random/seed': 'a b' }, /^workload.random\/seed/],
    ['a module size of 0', { 'module/size': 0 }, /^workload.module\/size/],
    ['two cores', { needs: { 'memory-mb': 16, 'max-ms': 5_000, cores: 2 } }, /^needs.cores/],
  ])('refuses %s', (_name, change, detail) => {
    expect(refused(wire(change))).toMatch(detail);
  });

  it('refuses a task whose workload is neither kind, or not an object', () => {
    for (const workload of [null, [], 'pnode-wasi-workload.v1', { format: 'pnode-wasi-workload.v2' }]) expect(decodeTask({ 'task/id': 't', 'vnode/id': 'v', workload }).ok).toBe(false);
  });

  it('checks in-memory workloads by the same rules', () => {
    expect(checkWasiWorkload(task()).ok).toBe(true);
    expect(checkWasiWorkload(task({ files: [{ name: 'in', bytes: new Uint8Array(MAX_INPUT_BYTES) }] })).ok).toBe(false);
    expect(checkWasiWorkload(task({ outputs: ['db.fa'] })).ok).toBe(false);
  });
});
