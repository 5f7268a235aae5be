import { describe, expect, it } from 'vitest';
import { cloneJson, vectors } from '../../tests/fixtures/vectors.js';
import { portableCrypto } from './crypto/portable-provider.js';
import { fromHex, toHex } from './encoding/hex.js';
import { toBase64url } from './encoding/base64url.js';
import { domainSeparator, signArtifact, signingInput } from './signing.js';
import { SIGNED_ARTIFACTS, type SignedSchemaName } from './artifacts.js';
import { nodeIdFromPublicKey } from './did-key.js';
import { verifyArtifact } from './verify.js';

const seed = fromHex(vectors.test_signer.secret_key_hex);

describe('conformance vectors', () => {
  for (const vector of vectors.vectors) {
    const schema = vector.artifact.split(' ')[0] as SignedSchemaName;

    it(`${vector.id}: reproduces the signing input byte for byte`, () => {
      const input = signingInput(schema, vector.fixture);
      expect(input.length).toBe(vector.expected_signing_input_length_bytes);
      expect(toHex(input)).toBe(vector.expected_signing_input_hex);
    });

    it(`${vector.id}: starts with the domain separator and leaves out exactly the listed fields`, () => {
      expect(toHex(domainSeparator(schema))).toBe(vector.domain_separator_hex);
      expect([...SIGNED_ARTIFACTS[schema].excluded].sort()).toEqual([...vector.fields_excluded_from_signed_map].sort());
    });

    it(`${vector.id}: reproduces the signature and verifies`, () => {
      const signed = signArtifact(schema, vector.fixture, portableCrypto.ed25519Signer(seed));
      expect(signed.signature.value).toBe(vector.expected_signature_base64url);
      expect(verifyArtifact(schema, vector.fixture, { crypto: portableCrypto }).ok).toBe(true);
    });

    it(`${vector.id}: a changed field, even an unsigned-by-schema one that is signed, fails verification`, () => {
      const tampered = cloneJson(vector.fixture);
      tampered['nonce'] = 'nonce:tampered';
      const result = verifyArtifact(schema, tampered, { crypto: portableCrypto });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('E_SIG_INVALID');
    });

    it(`${vector.id}: fields outside the signed map may change without breaking the signature`, () => {
      const changed = cloneJson(vector.fixture);
      changed['protocol/version'] = '0.2.0';
      expect(verifyArtifact(schema, changed, { crypto: portableCrypto }).ok).toBe(true);
    });
  }

  it('the test signer derives the published identity', () => {
    const signer = portableCrypto.ed25519Signer(seed);
    expect(toHex(signer.publicKey)).toBe(vectors.test_signer.derived_ed25519_public_key_hex);
    expect(nodeIdFromPublicKey(signer.publicKey)).toBe(vectors.test_signer.node_id);
    expect(toBase64url(signer.publicKey)).toBe('-kg0FH9uaQw2k-_2EzYEZAPNiuKhTzGzxAc1hWkjlWU');
  });
});
