import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_BYTES } from '../vnode/limits.js';
import { DEFAULT_REPLICATION, readTaskSpec } from './task-spec.js';

const MODULE = `sha256:${'a'.repeat(64)}`;
const read = (value: unknown) => readTaskSpec(value, 'tasks.0');

describe('task specs', () => {
  it('take a module alone, with defaults', () => {
    expect(read({ module: MODULE })).toEqual({
      name: null,
      module: MODULE,
      args: [],
      stdin: new Uint8Array(0),
      files: [],
      outputs: [],
      memoryMb: null,
      maxMs: null,
      outputCap: MAX_OUTPUT_BYTES,
      stderrCap: 4096,
      randomSeed: null,
      replication: DEFAULT_REPLICATION,
      validator: { kind: 'exact' },
      deadline: null,
    });
  });

  it('read every field', () => {
    const spec = read({
      name: 'shard-0.fa',
      module: MODULE,
      args: ['-k', '5'],
      stdin: 'aGk',
      files: [{ name: 'q.fa', blob: MODULE }, { name: 'n.txt', data: 'eA' }],
      outputs: ['out.txt'],
      limits: { 'memory-mb': 32, 'max-ms': 1000 },
      'output-cap': 100,
      'stderr-cap': 10,
      'random-seed': 'seed-1',
      replication: { quorum: 3, 'max-results': 6, adaptive: false },
      validator: { kind: 'tolerance', absolute: 1e-9, relative: 1e-6 },
      deadline: '2026-12-31T00:00:00Z',
    });
    expect(spec).toMatchObject({ name: 'shard-0.fa', args: ['-k', '5'], stdin: new TextEncoder().encode('hi'), memoryMb: 32, maxMs: 1000, outputCap: 100, replication: { quorum: 3, maxResults: 6, adaptive: false }, validator: { kind: 'tolerance', absolute: 1e-9, relative: 1e-6 }, deadline: Date.parse('2026-12-31T00:00:00Z') });
    expect(spec.files).toEqual([{ name: 'q.fa', blob: MODULE }, { name: 'n.txt', bytes: new TextEncoder().encode('x') }]);
  });

  it('refuse what is out of bounds or malformed, naming the path', () => {
    const refused = (value: unknown, path: string) => expect(() => read(value)).toThrow(new RegExp(path.replace(/[.[\]]/g, '\\$&')));
    refused({}, 'tasks.0: is missing "module"');
    refused({ module: 'sha256:x' }, 'tasks.0.module');
    refused({ module: MODULE, name: '../x' }, 'tasks.0.name');
    refused({ module: MODULE, files: [{ name: 'a', blob: MODULE, data: 'eA' }] }, 'tasks.0.files.0');
    refused({ module: MODULE, files: [{ name: '.hidden', data: 'eA' }] }, 'tasks.0.files.0.name');
    refused({ module: MODULE, limits: { 'memory-mb': 0 } }, 'tasks.0.limits.memory-mb');
    refused({ module: MODULE, 'output-cap': MAX_OUTPUT_BYTES + 1 }, 'tasks.0.output-cap');
    refused({ module: MODULE, replication: { quorum: 1 } }, 'tasks.0.replication.quorum');
    refused({ module: MODULE, replication: { quorum: 3, 'max-results': 2 } }, 'tasks.0.replication.max-results');
    refused({ module: MODULE, validator: { kind: 'tolerance', absolute: 1 } }, 'tasks.0.validator');
    refused({ module: MODULE, validator: { kind: 'tolerance', absolute: -1, relative: 0 } }, 'tasks.0.validator.absolute');
    refused({ module: MODULE, validator: { kind: 'fuzzy' } }, 'tasks.0.validator.kind');
    refused({ module: MODULE, deadline: 'tomorrow' }, 'tasks.0.deadline');
    refused({ module: MODULE, args: ['a\u0000b'] }, 'tasks.0.args.0');
    refused({ module: MODULE, quota: 1 }, 'unknown field "quota"');
  });
});
