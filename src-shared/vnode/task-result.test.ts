import { describe, expect, it } from 'vitest';
import { contentHash } from './content-hash.js';
import { MAX_DETAIL_LENGTH, MAX_OUTPUT_BYTES } from './limits.js';
import { clipDetail, decodeTaskResult, encodeTaskResult, makeTaskResult } from './task-result.js';

const base = { taskId: 't1', vnodeId: 'v1', cpuMs: 12.4, wallMs: 30.6 };

describe('task results', () => {
  it('an ok result carries its output and the output hash', () => {
    const output = new Uint8Array([7, 8, 9]);
    const result = makeTaskResult({ ...base, status: 'ok', output, detail: 'ignored' });
    expect(result).toMatchObject({ status: 'ok', detail: null, outputHash: contentHash(output), cpuMs: 12, wallMs: 31 });
    const wire = encodeTaskResult(result);
    expect(wire).toEqual({ 'task/id': 't1', 'vnode/id': 'v1', status: 'ok', output: 'BwgJ', 'output/hash': contentHash(output), 'cpu-ms': 12, 'wall-ms': 31 });
    expect(decodeTaskResult(JSON.parse(JSON.stringify(wire)))).toEqual({ ok: true, value: result });
  });

  it('other results carry a detail and no output', () => {
    const result = makeTaskResult({ ...base, status: 'timeout', output: new Uint8Array([1]), detail: 'ran too long' });
    expect(result.output).toBeNull();
    expect(result.outputHash).toBeNull();
    const wire = encodeTaskResult(result);
    expect(wire).toEqual({ 'task/id': 't1', 'vnode/id': 'v1', status: 'timeout', detail: 'ran too long', 'cpu-ms': 12, 'wall-ms': 31 });
    expect(decodeTaskResult(wire)).toEqual({ ok: true, value: result });
  });

  it('refuses an ok result whose hash is not its output’s', () => {
    const wire = encodeTaskResult(makeTaskResult({ ...base, status: 'ok', output: new Uint8Array([1]) }));
    const forged = { ...wire, 'output/hash': contentHash(new Uint8Array([2])) };
    const decoded = decodeTaskResult(forged);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.detail).toMatch(/does not match/);
  });

  it.each([
    ['an unknown status', { status: 'done' }],
    ['an ok result without output', { status: 'ok', 'output/hash': contentHash(new Uint8Array(0)) }],
    ['a failed result with output', { status: 'failed', detail: 'x', output: 'AA', 'output/hash': contentHash(new Uint8Array([0])) }],
    ['a failed result without detail', { status: 'failed' }],
    ['output over the bound', { status: 'ok', output: 'A'.repeat(Math.ceil(((MAX_OUTPUT_BYTES + 3) * 4) / 3)), 'output/hash': contentHash(new Uint8Array(0)) }],
    ['negative cpu time', { status: 'trap', detail: 'x', 'cpu-ms': -1 }],
    ['an unknown field', { status: 'trap', detail: 'x', pid: 12 }],
  ])('refuses %s', (_name, change) => {
    expect(decodeTaskResult({ 'task/id': 't1', 'vnode/id': 'v1', 'cpu-ms': 1, 'wall-ms': 1, ...change }).ok).toBe(false);
  });

  it('clips long details without splitting a surrogate pair', () => {
    const long = 'a'.repeat(MAX_DETAIL_LENGTH - 2) + '😀😀😀';
    const clipped = clipDetail(long);
    expect(clipped.length).toBeLessThanOrEqual(MAX_DETAIL_LENGTH);
    expect(clipped.endsWith('…')).toBe(true);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(clipped)).toBe(false);
    expect(clipDetail('short')).toBe('short');
  });
});
