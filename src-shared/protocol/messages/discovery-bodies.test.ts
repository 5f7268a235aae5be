import { describe, expect, it } from 'vitest';
import { decodeSessionMessage, encodeSessionMessage } from './session-message.js';
import { encodeDeterministic } from '../encoding/dcbor.js';
import { portableCrypto } from '../crypto/portable-provider.js';
import { MAX_PEER_EXCHANGE_ADVERTISEMENTS } from './discovery-bodies.js';

const context = { crypto: portableCrypto };

function decode(body: unknown) {
  return decodeSessionMessage(encodeDeterministic({ 'msg/kind': 'peer-exchange', body }), context);
}

describe('peer-exchange bodies', () => {
  it('a request, its response and a push all pass', () => {
    expect(decode({ 'req/id': 'px:1', want: 32 }).ok).toBe(true);
    expect(decode({ 're/id': 'px:1', advertisements: [{ any: 'object' }] }).ok).toBe(true);
    expect(decode({ advertisements: [] }).ok).toBe(true);
    expect(() => encodeSessionMessage('peer-exchange', { 'req/id': 'px:2', want: 1 })).not.toThrow();
  });

  it(`refuses more than ${MAX_PEER_EXCHANGE_ADVERTISEMENTS} advertisements`, () => {
    const result = decode({ advertisements: Array.from({ length: MAX_PEER_EXCHANGE_ADVERTISEMENTS + 1 }, () => ({})) });
    expect(result).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
  });

  it('refuses mixed or incomplete shapes, naming the field', () => {
    for (const [body, field] of [
      [{ 'req/id': 'a', 're/id': 'b', advertisements: [] }, 're/id'],
      [{ 'req/id': 'a' }, 'want'],
      [{ 'req/id': 'a', want: 3, advertisements: [] }, 'advertisements'],
      [{ want: 3, advertisements: [] }, 'want'],
      [{}, 'advertisements'],
      [{ 'req/id': 'a', want: 0 }, 'want'],
      [{ 're/id': 'b', advertisements: ['x'] }, 'advertisements'],
      [{ advertisements: [], extra: 1 }, 'extra'],
    ] as const) {
      const result = decode(body);
      expect(result.ok, JSON.stringify(body)).toBe(false);
      if (!result.ok) expect(result.error.detail).toContain(field);
    }
  });
});
