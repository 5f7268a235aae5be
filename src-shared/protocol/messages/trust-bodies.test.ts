import { describe, expect, it } from 'vitest';
import { decodeSessionMessage, encodeSessionMessage } from './session-message.js';
import { encodeDeterministic } from '../encoding/dcbor.js';
import { portableCrypto } from '../crypto/portable-provider.js';
import { SESSION_KINDS } from './kinds.js';

const context = { crypto: portableCrypto };
const NODE = 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE';
const KEY = 'z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE';
const PROOF = { alg: 'ed25519', value: 'A'.repeat(86) };

function decode(kind: string, body: unknown) {
  return decodeSessionMessage(encodeDeterministic({ 'msg/kind': kind, body }), context);
}

function expectRefused(kind: string, body: unknown, field: string): void {
  const result = decode(kind, body);
  expect(result.ok, JSON.stringify(body)).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe('E_PROTO_INVALID');
    expect(result.error.detail).toContain(field);
  }
}

const enroll = { 'req/id': 'en:1', token: `pnode-enroll-${'A'.repeat(43)}`, 'operator/key': KEY, 'node/id': NODE, proof: PROOF };
const renew = { 'req/id': 'rn:1', 'credential/id': 'cred:01J', 'operator/key': KEY, ts: '2026-11-21T12:00:00Z', proof: PROOF };
const rotate = { ...renew, 'req/id': 'ro:1', 'operator/new-key': KEY, 'proof/new': PROOF };

describe('trusted-registration kinds', () => {
  it('are registered', () => {
    expect([...SESSION_KINDS]).toEqual(expect.arrayContaining(['operator-enroll', 'operator-renew', 'operator-rotate']));
  });

  it('pass as requests and replies, both ways through the codec', () => {
    const cases: Array<[string, unknown]> = [
      ['operator-enroll', enroll],
      ['operator-enroll', { 're/id': 'en:1', credential: { any: 'object; the PNode verifies it' } }],
      ['operator-renew', renew],
      ['operator-renew', { 're/id': 'rn:1', credential: {} }],
      ['operator-rotate', rotate],
      ['operator-rotate', { 're/id': 'ro:1', credential: {} }],
    ];
    for (const [kind, body] of cases) {
      const result = decode(kind, body);
      expect(result.ok ? 'ok' : result.error.detail, `${kind} ${JSON.stringify(body)}`).toBe('ok');
      expect(() => encodeSessionMessage(kind as 'operator-enroll', body as never)).not.toThrow();
    }
  });

  it('refuse mixed, incomplete or malformed shapes, naming the field', () => {
    expectRefused('operator-enroll', { ...enroll, 're/id': 'x' }, 're/id');
    expectRefused('operator-enroll', { token: enroll.token }, 'req/id');
    const { proof: _p, ...noProof } = enroll;
    expectRefused('operator-enroll', noProof, 'proof');
    expectRefused('operator-enroll', { ...enroll, 'node/id': 'participant:did:key:z6Mk' }, 'node/id');
    expectRefused('operator-enroll', { ...enroll, 'operator/key': NODE }, 'operator/key');
    expectRefused('operator-enroll', { ...enroll, credential: {} }, 'credential');
    expectRefused('operator-enroll', { 're/id': 'en:1' }, 'credential');
    expectRefused('operator-enroll', { 're/id': 'en:1', credential: {}, token: enroll.token }, 'token');
    expectRefused('operator-enroll', { ...enroll, token: 'x'.repeat(300) }, 'token');
    expectRefused('operator-renew', { ...renew, ts: 'yesterday' }, 'ts');
    expectRefused('operator-renew', { ...renew, 'operator/new-key': KEY }, 'operator/new-key');
    expectRefused('operator-rotate', { ...renew, 'req/id': 'ro:2' }, 'operator/new-key');
    expectRefused('operator-rotate', { ...rotate, 'proof/new': { alg: 'ed25519' } }, 'proof/new');
    expectRefused('operator-rotate', { ...rotate, extra: 1 }, 'extra');
  });
});

describe('revocation-list (issue 15 §5)', () => {
  const list = { 'schema/v': 1, 'issuer/key': KEY, 'sequence/no': 3, revoked: [] };

  it('passes a request, an answer with a list, a notice or nothing, and a push', () => {
    for (const body of [
      { 'req/id': 'rl:1', 'issuer/key': KEY, 'sequence/no': -1 },
      { 'req/id': 'rl:2', 'issuer/key': KEY, 'sequence/no': 7 },
      { 're/id': 'rl:1', list },
      { 're/id': 'rl:1', 'issuer/key': KEY, 'sequence/no': 9 },
      { 're/id': 'rl:1' },
      { list },
      { 'issuer/key': KEY, 'sequence/no': 9 },
    ]) {
      const decoded = decode('revocation-list', body);
      expect(decoded.ok, JSON.stringify(body)).toBe(true);
      if (decoded.ok) expect(decodeSessionMessage(encodeSessionMessage('revocation-list', body as never), context).ok).toBe(true);
    }
  });

  it('refuses malformed envelopes with the field at fault', () => {
    expectRefused('revocation-list', { 'req/id': 'rl:1', 're/id': 'rl:1', 'issuer/key': KEY, 'sequence/no': 1 }, 're/id');
    expectRefused('revocation-list', { 'req/id': 'rl:1' }, 'issuer/key');
    expectRefused('revocation-list', { 'req/id': 'rl:1', 'issuer/key': KEY }, 'sequence/no');
    expectRefused('revocation-list', { 'issuer/key': KEY, 'sequence/no': 1, list }, 'list');
    expectRefused('revocation-list', {}, 'list');
    expectRefused('revocation-list', { 'issuer/key': KEY, 'sequence/no': -1 }, 'sequence/no');
    expectRefused('revocation-list', { 'req/id': 'rl:1', 'issuer/key': 'not a key', 'sequence/no': 1 }, 'issuer/key');
    expectRefused('revocation-list', { 'req/id': 'rl:1', 'issuer/key': KEY, 'sequence/no': -2 }, 'sequence/no');
    expectRefused('revocation-list', { list: 'not an object' }, 'list');
    expectRefused('revocation-list', { list, extra: 1 }, 'extra');
  });
});
