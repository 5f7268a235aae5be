// Regressions found by the hardening harness (`npm run harden -- fuzz`, target dcbor-encode).
import { describe, expect, it } from 'vitest';
import { decodeDeterministic, encodeDeterministic } from './dcbor.js';

describe('deterministic CBOR round trip of text starting with U+FEFF', () => {
  it('decodes what it encodes, byte order mark kept, in values and in keys', () => {
    for (const value of [{ k: '\uFEFFx' }, { '\uFEFFa': 1, a: 2 }, ['\uFEFF'], '\uFEFF\uFEFF', { long: `\uFEFF${'é'.repeat(40)}` }]) {
      expect(decodeDeterministic(encodeDeterministic(value))).toEqual(value);
    }
  });

  it('still refuses the same map key written twice, and other text is unchanged', () => {
    expect(decodeDeterministic(encodeDeterministic({ a: 'plain', b: 'ünïcødé', c: 'x\uFEFF' }))).toEqual({ a: 'plain', b: 'ünïcødé', c: 'x\uFEFF' });
    // {"\uFEFFa": 1, "\uFEFFa": 2}: a duplicate key even though a BOM-dropping decoder would see "a" twice.
    const key = [0x64, 0xef, 0xbb, 0xbf, 0x61];
    expect(() => decodeDeterministic(Uint8Array.from([0xa2, ...key, 0x01, ...key, 0x02]))).toThrow(/E_PROTO_INVALID/);
  });
});
