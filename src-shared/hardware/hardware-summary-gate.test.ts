import { describe, expect, it } from 'vitest';
import {
  HARDWARE_MAX_GPUS,
  HARDWARE_MAX_INTEGER,
  HARDWARE_PROBES,
  HARDWARE_TEXT_MAX_LENGTH,
  HARDWARE_WARNING_REASONS,
  type HardwareSummary,
  unknownHardwareSummary,
} from './hardware-summary.js';
import schema from './hardware-summary.v1.schema.json' with { type: 'json' };
import { assertHardwareSummary, checkHardwareSummary } from './hardware-summary-gate.js';
import { ProtocolError } from '../protocol/errors.js';

const full: HardwareSummary = {
  'schema/v': 1,
  'detected-at': '2026-11-21T12:00:00Z',
  'cpu/brand': 'Xeon® Processor',
  'cpu/manufacturer': 'Intel',
  'cpu/physical-cores': 2,
  'cpu/logical-cores': 4,
  'cpu/speed-mhz': 2450,
  'cpu/speed-max-mhz': 3500,
  'memory/total-mb': 24105,
  'memory/available-mb': 23648,
  'os/platform': 'linux',
  'os/distro': 'Debian GNU/Linux',
  'os/release': '12',
  'os/kernel': '6.18.44',
  'os/arch': 'x64',
  gpus: [{ 'gpu/vendor': 'NVIDIA Corporation', 'gpu/model': 'GeForce RTX 3080', 'gpu/vram-mb': 10240 }],
  'disk/free-mb': 80914,
  'disk/total-mb': 258020,
  warnings: [],
};

type Mutable = Record<string, unknown>;

function withField(field: string, value: unknown): Mutable {
  return { ...full, [field]: value };
}

function rejection(value: unknown): string {
  const result = checkHardwareSummary(value);
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error.code).toBe('E_PROTO_INVALID');
  return result.error.detail;
}

describe('hardware-summary.v1 schema gate', () => {
  it('accepts a full summary and types it', () => {
    const result = checkHardwareSummary(structuredClone(full));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value['memory/total-mb']).toBe(24105);
  });

  it('accepts a summary where everything is unknown, with the warnings that explain it', () => {
    const summary = unknownHardwareSummary('2026-11-21T12:00:00Z', [
      { probe: 'cpu', reason: 'timeout' },
      { probe: 'disk', reason: 'not-found' },
    ]);
    expect(checkHardwareSummary(summary).ok).toBe(true);
  });

  it('accepts an empty GPU list (none detected) and null (unknown)', () => {
    expect(checkHardwareSummary(withField('gpus', [])).ok).toBe(true);
    expect(checkHardwareSummary(withField('gpus', null)).ok).toBe(true);
  });

  it('accepts 0 where it is a reading: no memory available, a full disk', () => {
    expect(checkHardwareSummary(withField('memory/available-mb', 0)).ok).toBe(true);
    expect(checkHardwareSummary(withField('disk/free-mb', 0)).ok).toBe(true);
  });

  it('rejects floats, naming the path', () => {
    expect(rejection(withField('memory/total-mb', 24105.5))).toBe('hardware-summary.v1 $["memory/total-mb"]: must be integer or null');
    expect(rejection(withField('gpus', [{ ...full.gpus![0]!, 'gpu/vram-mb': 10.5 }]))).toContain('$.gpus[0]["gpu/vram-mb"]');
  });

  it('rejects 0 where unknown must be null', () => {
    for (const field of ['cpu/physical-cores', 'cpu/logical-cores', 'cpu/speed-mhz', 'cpu/speed-max-mhz', 'memory/total-mb', 'disk/total-mb']) {
      expect(rejection(withField(field, 0))).toContain(`$["${field}"]: must be >= 1`);
    }
    expect(rejection(withField('gpus', [{ ...full.gpus![0]!, 'gpu/vram-mb': 0 }]))).toContain('$.gpus[0]["gpu/vram-mb"]: must be >= 1');
  });

  it('rejects negative numbers', () => {
    expect(rejection(withField('disk/free-mb', -1))).toContain('$["disk/free-mb"]: must be >= 0');
    expect(rejection(withField('memory/available-mb', -5))).toContain('$["memory/available-mb"]');
  });

  it('rejects integers too large to stay integers in deterministic CBOR', () => {
    expect(rejection(withField('disk/free-mb', HARDWARE_MAX_INTEGER + 1))).toContain('$["disk/free-mb"]: must be <= 4294967295');
  });

  it('rejects a missing field, naming it', () => {
    for (const field of Object.keys(full)) {
      const value: Mutable = { ...full };
      delete value[field];
      expect(rejection(value)).toContain(`: is required`);
    }
    const value: Mutable = { ...full };
    delete value['cpu/speed-mhz'];
    expect(rejection(value)).toBe('hardware-summary.v1 $["cpu/speed-mhz"]: is required');
    const gpuMissingModel: Mutable = { 'gpu/vendor': 'AMD', 'gpu/vram-mb': null };
    expect(rejection(withField('gpus', [gpuMissingModel]))).toBe('hardware-summary.v1 $.gpus[0]["gpu/model"]: is required');
  });

  it('rejects empty or untrimmed text and control characters: unknown text is null', () => {
    expect(rejection(withField('cpu/brand', ''))).toContain('$["cpu/brand"]');
    expect(rejection(withField('os/distro', ' Debian'))).toContain('$["os/distro"]: must be trimmed text');
    expect(rejection(withField('os/kernel', '6.1\u0000'))).toContain('$["os/kernel"]');
    expect(rejection(withField('cpu/brand', 'x'.repeat(257)))).toContain('$["cpu/brand"]');
  });

  it('rejects strings and booleans where numbers belong', () => {
    expect(rejection(withField('cpu/logical-cores', '4'))).toContain('$["cpu/logical-cores"]');
    expect(rejection(withField('cpu/logical-cores', true))).toContain('$["cpu/logical-cores"]');
  });

  it('rejects unknown fields, other versions, bad timestamps and unknown warnings', () => {
    expect(rejection(withField('host/name', 'vm'))).toBe('hardware-summary.v1 $["host/name"]: is not allowed');
    expect(rejection(withField('schema/v', 2))).toBe('hardware-summary.v1 $["schema/v"]: must be 1');
    expect(rejection(withField('detected-at', 'yesterday'))).toContain('$["detected-at"]');
    expect(rejection(withField('warnings', [{ probe: 'cpu', reason: 'ENOENT /home/alice' }]))).toContain('$.warnings[0].reason: must be one of');
    expect(rejection(withField('warnings', [{ probe: 'cpu', reason: 'failed', detail: 'x' }]))).toContain('$.warnings[0].detail: is not allowed');
  });

  it('rejects more GPUs than the limit and non-objects', () => {
    const gpu = full.gpus![0]!;
    expect(rejection(withField('gpus', Array.from({ length: HARDWARE_MAX_GPUS + 1 }, () => gpu)))).toContain('$.gpus');
    expect(rejection(null)).toContain('$: must be object');
    expect(rejection([full])).toContain('$: must be object');
  });

  it('the schema and the TypeScript constants agree', () => {
    expect(schema.$defs.warning.properties.probe.enum).toEqual([...HARDWARE_PROBES]);
    expect(schema.$defs.warning.properties.reason.enum).toEqual([...HARDWARE_WARNING_REASONS]);
    expect(schema.properties.warnings.maxItems).toBe(HARDWARE_PROBES.length);
    expect(schema.properties.gpus.maxItems).toBe(HARDWARE_MAX_GPUS);
    expect(schema.$defs.text.maxLength).toBe(HARDWARE_TEXT_MAX_LENGTH);
    expect(schema.$defs.positive.maximum).toBe(HARDWARE_MAX_INTEGER);
    expect(schema.$defs['non-negative'].maximum).toBe(HARDWARE_MAX_INTEGER);
    expect([...schema.required].sort()).toEqual(Object.keys(unknownHardwareSummary('2026-11-21T12:00:00Z')).sort());
  });

  it('assertHardwareSummary throws the ProtocolError', () => {
    expect(() => assertHardwareSummary(withField('cpu/speed-mhz', 0))).toThrow(ProtocolError);
    expect(assertHardwareSummary(full)).toBe(full);
  });
});
