import { describe, expect, it } from 'vitest';
import { decodeSessionMessage, encodeSessionMessage } from './session-message.js';
import { encodeDeterministic } from '../encoding/dcbor.js';
import { portableCrypto } from '../crypto/portable-provider.js';
import { SESSION_KINDS } from './kinds.js';
import { MAX_CHUNKS_PER_MODULE_REQUEST } from './work-bodies.js';
import { contentHash } from '../../vnode/content-hash.js';
import { MODULE_CHUNK_BYTES, MAX_OUTPUT_BYTES } from '../../vnode/limits.js';
import { splitModule } from '../../vnode/module-chunks.js';
import { encodeTaskResult, makeTaskResult } from '../../vnode/task-result.js';
import { encodeTask } from '../../vnode/workload.js';

const context = { crypto: portableCrypto };

function decode(kind: string, body: unknown) {
  return decodeSessionMessage(encodeDeterministic({ 'msg/kind': kind, body }), context);
}

function expectRefused(kind: string, body: unknown, field: string): void {
  const result = decode(kind, body);
  expect(result.ok, JSON.stringify(body).slice(0, 200)).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe('E_PROTO_INVALID');
    expect(result.error.detail).toContain(field);
  }
}

const module = new Uint8Array(MODULE_CHUNK_BYTES * 2 + 5).map((_, i) => i % 251);
const moduleHash = contentHash(module);
const task = encodeTask({
  taskId: 'wt:01J',
  vnodeId: 'vn:01J',
  moduleHash,
  moduleSize: module.length,
  entry: 'tile',
  input: new Uint8Array([1, 2, 3]),
  needs: { memoryMb: 1, maxMs: 1_000, cores: 1 },
});
const okResult = encodeTaskResult(makeTaskResult({ taskId: 'wt:01J', vnodeId: 'vn:01J', status: 'ok', output: new Uint8Array([9, 9]), cpuMs: 12, wallMs: 15 }));
const trapResult = encodeTaskResult(makeTaskResult({ taskId: 'wt:01J', vnodeId: 'vn:01J', status: 'trap', detail: 'unreachable', cpuMs: 1, wallMs: 2 }));
const chunks = splitModule(module, moduleHash);

describe('work kinds', () => {
  it('are registered', () => {
    expect([...SESSION_KINDS]).toEqual(expect.arrayContaining(['vnode-task', 'vnode-result', 'vnode-module-request', 'vnode-module-chunk']));
  });

  it('pass in every shape they have, both ways through the codec', () => {
    const cases: Array<[string, unknown]> = [
      ['vnode-task', { 'req/id': 'wt:01J', 'vnode/id': 'vn:01J', task }],
      ['vnode-result', { 're/id': 'wt:01J', result: okResult }],
      ['vnode-result', { 're/id': 'wt:01J', result: trapResult }],
      ['vnode-module-request', { 'req/id': 'mr:1', 'module/hash': moduleHash, 'module/size': module.length }],
      ['vnode-module-request', { 'req/id': 'mr:1', 'module/hash': moduleHash, 'module/size': module.length, chunks: [2, 0] }],
      ['vnode-module-chunk', { 're/id': 'mr:1', chunk: chunks[0] }],
      ['vnode-module-chunk', { 're/id': 'mr:1', chunk: chunks[2] }],
    ];
    for (const [kind, body] of cases) {
      const result = decode(kind, body);
      expect(result.ok ? 'ok' : result.error.detail, kind).toBe('ok');
      expect(() => encodeSessionMessage(kind as 'vnode-task', body as never)).not.toThrow();
    }
  });

  it('carry the largest task output and the largest chunk within one session message', () => {
    const big = encodeTaskResult(makeTaskResult({ taskId: 'wt:'.padEnd(128, 'x'), vnodeId: 'vn:'.padEnd(64, 'y'), status: 'ok', output: new Uint8Array(MAX_OUTPUT_BYTES).fill(7), cpuMs: 1, wallMs: 1 }));
    expect(() => encodeSessionMessage('vnode-result', { 're/id': 'r'.repeat(64), result: big })).not.toThrow();
    expect(() => encodeSessionMessage('vnode-module-chunk', { 're/id': 'r'.repeat(64), chunk: chunks[0]! })).not.toThrow();
  });

  it('refuse malformed tasks, naming the field', () => {
    expectRefused('vnode-task', { 'vnode/id': 'vn:01J', task }, 'req/id');
    expectRefused('vnode-task', { 'req/id': 'wt:1', 'vnode/id': 'vn:01J', task, extra: 1 }, 'extra');
    expectRefused('vnode-task', { 'req/id': 'wt:1', 'vnode/id': 'vn:other', task }, 'vnode/id');
    expectRefused('vnode-task', { 'req/id': 'wt:1', 'vnode/id': 'vn:01J', task: { ...task, workload: { ...task.workload, entry: 'not an entry' } } }, 'entry');
    expectRefused('vnode-task', { 'req/id': 'wt:1', 'vnode/id': 'vn:01J', task: { ...task, workload: { ...task.workload, needs: { 'memory-mb': 1, 'max-ms': 1, cores: 2 } } } }, 'cores');
    expectRefused('vnode-task', { 'req/id': 'wt:1', 'vnode/id': 'vn 01J', task }, 'vnode/id');
  });

  it('refuse results whose output does not match its hash, or that mix ok and failure fields', () => {
    expectRefused('vnode-result', { 're/id': 'wt:1', result: { ...okResult, 'output/hash': contentHash(new Uint8Array([1])) } }, 'output/hash');
    expectRefused('vnode-result', { 're/id': 'wt:1', result: { ...trapResult, output: 'AA' } }, 'output');
    expectRefused('vnode-result', { 're/id': 'wt:1', result: { ...okResult, status: 'lied' } }, 'status');
    expectRefused('vnode-result', { 'req/id': 'wt:1', result: okResult }, 're/id');
  });

  it('refuse module requests out of bounds and chunks that do not fit their module', () => {
    const request = { 'req/id': 'mr:1', 'module/hash': moduleHash, 'module/size': module.length };
    expectRefused('vnode-module-request', { ...request, chunks: [3] }, 'chunks');
    expectRefused('vnode-module-request', { ...request, chunks: [1, 1] }, 'chunks');
    expectRefused('vnode-module-request', { ...request, chunks: Array.from({ length: MAX_CHUNKS_PER_MODULE_REQUEST + 1 }, (_, i) => i) }, 'chunks');
    expectRefused('vnode-module-request', { ...request, chunks: [] }, 'chunks');
    expectRefused('vnode-module-request', { ...request, 'module/hash': 'sha256:ABC' }, 'module/hash');
    expectRefused('vnode-module-request', { ...request, 'module/size': 9 * 1024 * 1024 }, 'module/size');
    expectRefused('vnode-module-chunk', { 're/id': 'mr:1', chunk: { ...chunks[0]!, 'chunk/index': 3 } }, 'chunk/index');
    expectRefused('vnode-module-chunk', { 're/id': 'mr:1', chunk: { ...chunks[0]!, bytes: chunks[0]!.bytes + 'AAAA' } }, 'bytes');
    expectRefused('vnode-module-chunk', { 're/id': 'mr:1' }, 'chunk');
  });
});
