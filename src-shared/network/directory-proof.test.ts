import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { DIRECTORY_PROOF_SKEW_MS, checkDirectoryProof, directoryProof } from './directory-proof.js';

const crypto = portableCrypto;
const psk = new Uint8Array(32).fill(7);
const NOW = Date.parse('2026-12-01T12:00:00Z');

describe("a private network's directory proof", () => {
  it('holds for its network, method, path and time window only', () => {
    const proof = directoryProof(crypto, psk, 'net:lab', 'get', '/networks/net:lab/adv', NOW);
    expect(checkDirectoryProof(crypto, psk, 'net:lab', 'GET', '/networks/net:lab/adv', proof, NOW + DIRECTORY_PROOF_SKEW_MS - 1_000)).toBe(true);
    expect(checkDirectoryProof(crypto, psk, 'net:other', 'GET', '/networks/net:lab/adv', proof, NOW)).toBe(false);
    expect(checkDirectoryProof(crypto, psk, 'net:lab', 'PUT', '/networks/net:lab/adv', proof, NOW)).toBe(false);
    expect(checkDirectoryProof(crypto, psk, 'net:lab', 'GET', '/networks/net:lab/network', proof, NOW)).toBe(false);
    expect(checkDirectoryProof(crypto, new Uint8Array(32).fill(8), 'net:lab', 'GET', '/networks/net:lab/adv', proof, NOW)).toBe(false);
    expect(checkDirectoryProof(crypto, psk, 'net:lab', 'GET', '/networks/net:lab/adv', proof, NOW + DIRECTORY_PROOF_SKEW_MS + 2_000)).toBe(false);
  });

  it('refuses malformed headers without throwing', () => {
    for (const header of [undefined, '', 'abc', '123.', `123.${'A'.repeat(42)}`, `x.${'A'.repeat(43)}`, `${'9'.repeat(13)}.${'A'.repeat(43)}`, 'A'.repeat(200)]) {
      expect(checkDirectoryProof(crypto, psk, 'net:lab', 'GET', '/x', header, NOW)).toBe(false);
    }
  });
});
