import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { fingerprintFromPublicKey } from '../protocol/did-key.js';
import { checkProof, isEnrollmentToken, newEnrollmentToken, parseEnrollmentToken, signProof, tokenHash, tokenIdOf } from './enrollment.js';
import { ENROLL_PROOF_DOMAIN, RENEW_PROOF_DOMAIN } from './trust-profile.js';

const crypto = portableCrypto;

describe('enrollment tokens', () => {
  it('are the prefix and 32 random bytes, never the same twice, hashed for storage', () => {
    const a = newEnrollmentToken(crypto);
    const b = newEnrollmentToken(crypto);
    expect(a).toMatch(/^pnode-enroll-[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(isEnrollmentToken(a)).toBe(true);
    expect(parseEnrollmentToken(`  ${a}\n`)).toBe(a);
    const hash = tokenHash(a, crypto);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(a.slice(13));
    expect(tokenIdOf(hash)).toBe(`tok:${hash.slice(0, 16)}`);
  });

  it('refuses anything else as E_PROTO_INVALID', () => {
    for (const text of ['', 'pnode-enroll-', 'pnode-enroll-abc', `pnode-enrol-${'A'.repeat(43)}`, `pnode-enroll-${'A'.repeat(42)}=`]) {
      expect(() => parseEnrollmentToken(text), text).toThrow(expect.objectContaining({ code: 'E_PROTO_INVALID' }));
    }
  });
});

describe('proofs', () => {
  const operator = crypto.ed25519Signer(new Uint8Array(32).fill(7));
  const key = fingerprintFromPublicKey(operator.publicKey);
  const binding = { 'token/hash': 'h', 'node/id': 'node:did:key:z6Mk', 'operator/key': key };

  it('verify for the same binding and domain only', () => {
    const proof = signProof(ENROLL_PROOF_DOMAIN, binding, operator);
    expect(() => checkProof(ENROLL_PROOF_DOMAIN, binding, key, proof, crypto)).not.toThrow();
    expect(() => checkProof(ENROLL_PROOF_DOMAIN, { ...binding, 'token/hash': 'other' }, key, proof, crypto)).toThrow(expect.objectContaining({ code: 'E_SIG_INVALID' }));
    expect(() => checkProof(RENEW_PROOF_DOMAIN as typeof ENROLL_PROOF_DOMAIN, binding, key, proof, crypto)).toThrow(expect.objectContaining({ code: 'E_SIG_INVALID' }));
    expect(() => checkProof(ENROLL_PROOF_DOMAIN, binding, key, { alg: 'rsa', value: proof.value }, crypto)).toThrow(expect.objectContaining({ code: 'E_SIG_INVALID' }));
    expect(() => checkProof(ENROLL_PROOF_DOMAIN, binding, 'zNotAKey', proof, crypto)).toThrow(expect.objectContaining({ code: 'E_PROTO_INVALID' }));
  });
});
