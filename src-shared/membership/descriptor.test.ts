import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { nodeIdFromPublicKey } from '../protocol/did-key.js';
import { checkSchema } from '../protocol/schema-gate.js';
import { signArtifact } from '../protocol/signing.js';
import { unknownHardwareSummary, type HardwareSummary } from '../hardware/hardware-summary.js';
import { DEFAULT_LIMITS } from '../control/state.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { offerFor, signDescriptor, unsignedDescriptor, verifyDescriptor, MAX_DESCRIPTOR_VALIDITY_MS, type DescriptorInput } from './descriptor.js';
import { DESCRIPTOR_TTL_MS } from './membership-profile.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const signer = portableCrypto.ed25519Signer(new Uint8Array(32).fill(9));
const other = portableCrypto.ed25519Signer(new Uint8Array(32).fill(10));
const nodeId = nodeIdFromPublicKey(signer.publicKey);

const hardware: HardwareSummary = {
  ...unknownHardwareSummary('2026-11-21T11:59:00Z'),
  'cpu/brand': 'Ryzen 7 5800X',
  'cpu/logical-cores': 16,
  'cpu/physical-cores': 8,
  'memory/total-mb': 32_768,
  'memory/available-mb': 20_000,
  gpus: [],
};

function input(change: Partial<DescriptorInput> = {}): DescriptorInput {
  return { nodeId, hardware, offer: { cores: 2, 'memory-mb': 8_192 }, softwareVersion: '0.1.0', now: NOW, ...change };
}

function resign(descriptor: JsonObject, change: (d: JsonObject) => void, by = signer): JsonObject {
  const copy = structuredClone(descriptor);
  change(copy);
  return signArtifact('pnode-descriptor.v1', copy, by);
}

describe('the offer', () => {
  it('applies the limits to the machine: min(maxCores, logical cores), memoryPercent of total memory', () => {
    expect(offerFor(hardware, { ...DEFAULT_LIMITS, maxCores: 4, memoryPercent: 25 })).toEqual({ cores: 4, 'memory-mb': 8_192 });
    expect(offerFor(hardware, { ...DEFAULT_LIMITS, maxCores: 64, memoryPercent: 33 })).toEqual({ cores: 16, 'memory-mb': 10_813 });
  });

  it('offers no memory and the limit for cores when the machine did not say', () => {
    expect(offerFor(unknownHardwareSummary('2026-11-21T12:00:00Z'), { ...DEFAULT_LIMITS, maxCores: 3 })).toEqual({ cores: 3, 'memory-mb': 0 });
  });
});

describe('pnode-descriptor.v1', () => {
  it('is built with integers only, a sequence that grows with time, and a day of validity', () => {
    const d = unsignedDescriptor(input());
    expect(d).toMatchObject({ 'schema/v': 1, 'node/id': nodeId, 'sequence/no': NOW, 'issued-at': '2026-11-21T12:00:00Z', 'protocol/version': 'pnode/1' });
    expect(Date.parse(d['expires-at']) - Date.parse(d['issued-at'])).toBe(DESCRIPTOR_TTL_MS);
    expect(unsignedDescriptor(input({ now: NOW + 1 }))['sequence/no']).toBeGreaterThan(d['sequence/no']);
    expect(d).not.toHaveProperty('operator');
  });

  it('passes the schema gate and verifies, signed by its node', () => {
    const descriptor = signDescriptor(input(), signer);
    expect(checkSchema('pnode-descriptor.v1', descriptor).ok).toBe(true);
    const verified = verifyDescriptor(descriptor, { crypto: portableCrypto, now: NOW, expectedNodeId: nodeId });
    expect(verified.ok ? 'ok' : verified.error.detail).toBe('ok');
  });

  it('carries an operator attestation in its slot, covered by the node signature', () => {
    const descriptor = signDescriptor(input({ operator: { 'operator/id': 'op:lab', credential: 'x' } }), signer) as unknown as JsonObject;
    expect(verifyDescriptor(descriptor, { crypto: portableCrypto, now: NOW }).ok).toBe(true);
    const swapped = { ...descriptor, operator: { 'operator/id': 'op:other', credential: 'x' } };
    expect(verifyDescriptor(swapped, { crypto: portableCrypto, now: NOW })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('is refused with the right code when forged, tampered, expired, from the future, for another node or another protocol', () => {
    const good = signDescriptor(input(), signer) as unknown as JsonObject;
    const cases: Array<[string, unknown, string, number?, string?]> = [
      ['signed by another key', signArtifact('pnode-descriptor.v1', { ...good }, other), 'E_SIG_INVALID'],
      ['an offer changed after signing', { ...good, offer: { cores: 64, 'memory-mb': 8_192 } }, 'E_SIG_INVALID'],
      ['expired', good, 'E_ADV_EXPIRED', NOW + DESCRIPTOR_TTL_MS + 1],
      ['issued in the future', good, 'E_PROTO_INVALID', NOW - 10 * 60_000],
      ['valid for too long', resign(good, (d) => (d['expires-at'] = new Date(NOW + MAX_DESCRIPTOR_VALIDITY_MS + 60_000).toISOString().replace('.000Z', 'Z'))), 'E_PROTO_INVALID'],
      ['expiring before it is issued', resign(good, (d) => (d['expires-at'] = '2026-11-21T11:00:00Z')), 'E_PROTO_INVALID'],
      ['another protocol version', resign(good, (d) => (d['protocol/version'] = 'pnode/2')), 'E_PROTO_VERSION'],
      ['a hardware summary that breaks its gate', resign(good, (d) => ((d['hardware'] as JsonObject)['cpu/logical-cores'] = 0)), 'E_PROTO_INVALID'],
      ['a hardware summary with a float', { ...good, hardware: { ...hardware, 'memory/total-mb': 1.5 } }, 'E_PROTO_INVALID'],
      ['an unknown field', { ...good, trusted: true }, 'E_PROTO_INVALID'],
      ['another node than the session peer', good, 'E_PROTO_INVALID', NOW, nodeIdFromPublicKey(other.publicKey)],
    ];
    for (const [label, value, code, now, expected] of cases) {
      const result = verifyDescriptor(value, { crypto: portableCrypto, now: now ?? NOW, ...(expected ? { expectedNodeId: expected } : {}) });
      expect(result.ok, label).toBe(false);
      if (!result.ok) expect(result.error.code, `${label}: ${result.error.detail}`).toBe(code);
    }
  });

  it('names the failing hardware path', () => {
    const bad = resign(signDescriptor(input(), signer) as unknown as JsonObject, (d) => ((d['hardware'] as JsonObject)['cpu/logical-cores'] = 0));
    const result = verifyDescriptor(bad, { crypto: portableCrypto, now: NOW });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.detail).toContain('$.hardware: hardware-summary.v1 $["cpu/logical-cores"]');
  });
});
