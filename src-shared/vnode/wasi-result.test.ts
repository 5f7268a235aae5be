// Results of WASI tasks on the wire (task-result.ts with its `wasi` part).
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { utf8 } from '../protocol/encoding/bytes.js';
import { contentHash } from './content-hash.js';
import { MAX_OUTPUT_BYTES, MAX_WASI_OUTPUT_FILES, MAX_WASI_STDERR_BYTES } from './limits.js';
import { type TaskResultWire, decodeTaskResult, encodeTaskResult, makeTaskResult } from './task-result.js';
import { type WasiRunOutput, outputFile, wasiOutputDigest } from './wasi-output.js';

const base = { taskId: 't1', vnodeId: 'v1', cpuMs: 40, wallMs: 55 };
const run: WasiRunOutput = {
  exitCode: 0,
  stdout: utf8('step 1 0.5\n'),
  stderr: utf8('warming up\n'),
  stderrTruncated: true,
  files: [outputFile('z.out', utf8('last')), outputFile('a.out', utf8('first'))],
};

function okWire(): TaskResultWire {
  return encodeTaskResult(makeTaskResult({ ...base, status: 'ok', wasi: run }));
}

function refused(value: unknown): string {
  const result = decodeTaskResult(value);
  if (result.ok) throw new Error('decoded');
  expect(result.error.code).toBe('E_PROTO_INVALID');
  return result.error.detail;
}

describe('WASI task results', () => {
  it('an ok result carries exit code, stdout, stderr and files in name order; its hash is the digest over them', () => {
    const result = makeTaskResult({ ...base, status: 'ok', wasi: run });
    expect(result.output).toBeNull();
    expect(result.wasi!.files.map((f) => f.name)).toEqual(['a.out', 'z.out']);
    expect(result.outputHash).toBe(wasiOutputDigest(0, run.stdout!, run.files));
    const wire = encodeTaskResult(result);
    expect(wire.wasi).toEqual({
      'exit-code': 0,
      stdout: toBase64url(run.stdout!),
      stderr: toBase64url(run.stderr),
      'stderr/truncated': true,
      files: [
        { name: 'a.out', data: toBase64url(utf8('first')), hash: contentHash(utf8('first')) },
        { name: 'z.out', data: toBase64url(utf8('last')), hash: contentHash(utf8('last')) },
      ],
    });
    expect(decodeTaskResult(JSON.parse(JSON.stringify(wire)))).toEqual({ ok: true, value: result });
  });

  it('the digest covers stdout and every file’s name and contents, not stderr', () => {
    const digest = wasiOutputDigest(0, run.stdout!, run.files);
    expect(wasiOutputDigest(0, run.stdout!, [...run.files].reverse())).toBe(digest);
    expect(wasiOutputDigest(0, utf8('step 1 0.6\n'), run.files)).not.toBe(digest);
    expect(wasiOutputDigest(0, run.stdout!, [outputFile('a.out', utf8('first')), outputFile('y.out', utf8('last'))])).not.toBe(digest);
    expect(wasiOutputDigest(0, run.stdout!, [outputFile('a.out', utf8('first')), outputFile('z.out', utf8('lasT'))])).not.toBe(digest);
    expect(wasiOutputDigest(0, run.stdout!, run.files.slice(1))).not.toBe(digest);
    expect(makeTaskResult({ ...base, status: 'ok', wasi: { ...run, stderr: utf8('other') } }).outputHash).toBe(digest);
  });

  it('a failed result keeps the exit code and stderr, and drops stdout and files', () => {
    const result = makeTaskResult({ ...base, status: 'failed', detail: 'exited with code 3', wasi: { ...run, exitCode: 3 } });
    expect(result).toMatchObject({ status: 'failed', output: null, outputHash: null, wasi: { exitCode: 3, stdout: null, files: [], stderrTruncated: true } });
    const wire = encodeTaskResult(result);
    expect(wire.wasi).toEqual({ 'exit-code': 3, stderr: toBase64url(run.stderr), 'stderr/truncated': true });
    expect(decodeTaskResult(wire)).toEqual({ ok: true, value: result });
    const trapped = makeTaskResult({ ...base, status: 'trap', detail: 'unreachable', wasi: { ...run, exitCode: null } });
    expect(encodeTaskResult(trapped).wasi).toEqual({ stderr: toBase64url(run.stderr), 'stderr/truncated': true });
  });

  it.each([
    ['a forged digest', (w: Record<string, unknown>) => ({ ...w, 'output/hash': contentHash(utf8('other')) }), /^output\/hash: does not match the WASI output/],
    ['a file whose hash is not its data’s', (w: Record<string, unknown>) => withWasi(w, { files: [{ name: 'a.out', data: toBase64url(utf8('first')), hash: contentHash(utf8('forged')) }] }), /^wasi.files.0.hash: does not match the data/],
    ['files out of order', (w: Record<string, unknown>) => withWasi(w, { files: [...(wasiOf(w)['files'] as unknown[])].reverse() }), /^wasi.files: must be in ascending/],
    ['a file name with a path', (w: Record<string, unknown>) => withWasi(w, { files: [{ name: '../a', data: '', hash: contentHash(new Uint8Array(0)) }] }), /^wasi.files.0.name/],
    ['too many files', (w: Record<string, unknown>) => withWasi(w, { files: Array.from({ length: MAX_WASI_OUTPUT_FILES + 1 }, (_, i) => ({ name: `f${String(i).padStart(2, '0')}`, data: '', hash: contentHash(new Uint8Array(0)) })) }), /^wasi.files: has more than/],
    ['stdout and files over the output bound together', (w: Record<string, unknown>) => withWasi(w, { stdout: toBase64url(new Uint8Array(MAX_OUTPUT_BYTES)) }), /^wasi: stdout and files are over/],
    ['stderr over its bound', (w: Record<string, unknown>) => withWasi(w, { stderr: toBase64url(new Uint8Array(MAX_WASI_STDERR_BYTES + 1)) }), /^wasi.stderr: is over/],
    ['a non-zero exit code on an ok result', (w: Record<string, unknown>) => withWasi(w, { 'exit-code': 1 }), /^wasi.exit-code/],
    ['an ok result without stdout', (w: Record<string, unknown>) => withWasi(w, { stdout: undefined }), /^wasi: an ok result carries exit-code, stdout and files/],
    ['an ok result with a v1 output too', (w: Record<string, unknown>) => ({ ...w, output: 'AA' }), /^task result: a WASI result carries its output as wasi.stdout and wasi.files/],
    ['stderr/truncated false', (w: Record<string, unknown>) => withWasi(w, { 'stderr/truncated': false }), /^wasi.stderr\/truncated: is true when present/],
    ['an unknown wasi field', (w: Record<string, unknown>) => withWasi(w, { env: {} }), /^wasi: has an unknown field "env"/],
    ['a wasi part that is not an object', (w: Record<string, unknown>) => ({ ...w, wasi: 'ok' }), /^wasi: must be an object/],
  ])('refuses an ok result with %s', (_name, change, detail) => {
    expect(refused(change(okWire() as unknown as Record<string, unknown>))).toMatch(detail);
  });

  it.each([
    ['stdout on a failed result', { status: 'failed', detail: 'x', wasi: { stderr: '', stdout: '' } }, /^wasi: a failed result carries no stdout or files/],
    ['an exit code on a trap', { status: 'trap', detail: 'x', wasi: { stderr: '', 'exit-code': 1 } }, /^wasi.exit-code: a trap result carries no exit code/],
    ['exit code 0 on a failed result', { status: 'failed', detail: 'x', wasi: { stderr: '', 'exit-code': 0 } }, /^wasi.exit-code: must be an integer from 1/],
    ['an exit code past u32', { status: 'failed', detail: 'x', wasi: { stderr: '', 'exit-code': 2 ** 32 } }, /^wasi.exit-code/],
  ])('refuses %s', (_name, change, detail) => {
    expect(refused({ 'task/id': 't1', 'vnode/id': 'v1', 'cpu-ms': 1, 'wall-ms': 1, ...change })).toMatch(detail);
  });
});

function wasiOf(wire: Record<string, unknown>): Record<string, unknown> {
  return wire['wasi'] as Record<string, unknown>;
}

function withWasi(wire: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const wasi = { ...wasiOf(wire), ...change };
  for (const key of Object.keys(wasi)) if (wasi[key] === undefined) delete wasi[key];
  return { ...wire, wasi };
}
