import { describe, expect, it } from 'vitest';
import { contentHash, isContentHash } from './content-hash.js';
import { MAX_INPUT_BYTES, MAX_NEED_MEMORY_MB } from './limits.js';
import { type VNodeTask, type WorkloadWire, WORKLOAD_FORMAT_V1, checkTask, decodeTask, decodeWorkload, encodeTask, encodeWorkload } from './workload.js';

const MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

function task(overrides: Partial<VNodeTask> = {}): VNodeTask {
  return {
    taskId: 'task-1',
    vnodeId: 'vnode-1',
    moduleHash: contentHash(MODULE),
    moduleSize: MODULE.length,
    entry: 'tile',
    input: new Uint8Array([1, 2, 3, 4, 5]),
    needs: { memoryMb: 16, maxMs: 5_000, cores: 1 },
    ...overrides,
  };
}

function wire(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...encodeWorkload(task()), ...overrides };
}

describe('content hashes', () => {
  it('name bytes as sha256: and 64 lowercase hex digits', () => {
    expect(contentHash(new Uint8Array(0))).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(isContentHash(contentHash(MODULE))).toBe(true);
    expect(isContentHash('sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855')).toBe(false);
    expect(isContentHash('sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(false);
    expect(isContentHash('sha256:e3b0')).toBe(false);
  });
});

describe('workload format v1', () => {
  it('round-trips a task through its wire form, input as base64url', () => {
    const wireTask = encodeTask(task());
    expect(wireTask.workload).toEqual({
      format: WORKLOAD_FORMAT_V1,
      'module/hash': contentHash(MODULE),
      'module/size': 8,
      entry: 'tile',
      input: 'AQIDBAU',
      needs: { 'memory-mb': 16, 'max-ms': 5_000, cores: 1 },
    } satisfies WorkloadWire);
    const back = decodeTask(JSON.parse(JSON.stringify(wireTask)));
    expect(back).toEqual({ ok: true, value: task() });
  });

  it.each([
    ['an unknown format', { format: 'pnode-workload.v2' }, 'workload.format'],
    ['a hash of another algorithm', { 'module/hash': 'sha1:abcd' }, 'workload.module/hash'],
    ['an uppercase hash', { 'module/hash': contentHash(MODULE).toUpperCase() }, 'workload.module/hash'],
    ['an entry that is not an identifier', { entry: 'run now' }, 'workload.entry'],
    ['an entry too long', { entry: 'e'.repeat(65) }, 'workload.entry'],
    ['padded base64', { input: 'AQIDBAU=' }, 'workload.input'],
    ['non-canonical base64url', { input: 'AQIDBAV' }, 'workload.input'],
    ['input over the bound', { input: 'A'.repeat(Math.ceil(((MAX_INPUT_BYTES + 3) * 4) / 3)) }, 'workload.input'],
    ['a module size of 0', { 'module/size': 0 }, 'workload.module/size'],
    ['two cores', { needs: { 'memory-mb': 16, 'max-ms': 5_000, cores: 2 } }, 'needs.cores'],
    ['zero memory', { needs: { 'memory-mb': 0, 'max-ms': 5_000, cores: 1 } }, 'needs.memory-mb'],
    ['memory over the bound', { needs: { 'memory-mb': MAX_NEED_MEMORY_MB + 1, 'max-ms': 5_000, cores: 1 } }, 'needs.memory-mb'],
    ['a float budget', { needs: { 'memory-mb': 16, 'max-ms': 1.5, cores: 1 } }, 'needs.max-ms'],
    ['an unknown needs field', { needs: { 'memory-mb': 16, 'max-ms': 5_000, cores: 1, gpu: 1 } }, 'needs'],
    ['an unknown field', { priority: 1 }, 'workload'],
  ])('refuses %s', (_name, change, where) => {
    const result = decodeWorkload(wire(change));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('E_PROTO_INVALID');
      expect(result.error.detail.startsWith(where)).toBe(true);
    }
  });

  it('refuses a task without ids or with ids out of shape', () => {
    expect(decodeTask({ 'task/id': 't', workload: wire() }).ok).toBe(false);
    expect(decodeTask({ 'task/id': 't 1', 'vnode/id': 'v', workload: wire() }).ok).toBe(false);
    expect(decodeTask({ 'task/id': 'x'.repeat(129), 'vnode/id': 'v', workload: wire() }).ok).toBe(false);
    expect(decodeTask(null).ok).toBe(false);
    expect(decodeTask([]).ok).toBe(false);
  });

  it('checks in-memory tasks by the same rules', () => {
    expect(checkTask(task()).ok).toBe(true);
    expect(checkTask(task({ input: new Uint8Array(MAX_INPUT_BYTES + 1) })).ok).toBe(false);
    expect(checkTask(task({ needs: { memoryMb: 0.5, maxMs: 1, cores: 1 } })).ok).toBe(false);
  });
});
