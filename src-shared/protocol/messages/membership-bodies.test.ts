import { describe, expect, it } from 'vitest';
import { decodeSessionMessage, encodeSessionMessage } from './session-message.js';
import { encodeDeterministic } from '../encoding/dcbor.js';
import { portableCrypto } from '../crypto/portable-provider.js';
import { SESSION_KINDS } from './kinds.js';
import { MAX_VNODES_PER_PNODE } from '../../membership/membership-profile.js';

const context = { crypto: portableCrypto };
const NODE = 'node:did:key:z6MkwJFpvJVFe15ygGgYLTYuiPwfhkkDRkMG4eKQFT8g65yE';

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

const heartbeatRequest = { 'req/id': 'hb:1', seq: 1, primary: true, contributing: true, 'load/permille': 250, 'memory/available-mb': 2048, vnodes: [{ 'vnode/id': 'vn:01J', state: 'running' }] };

describe('membership kinds', () => {
  it('are registered', () => {
    expect([...SESSION_KINDS]).toEqual(expect.arrayContaining(['pnode-register', 'heartbeat', 'vnode-allocate', 'vnode-release', 'vnode-status']));
  });

  it('pass in every shape they have, both ways through the codec', () => {
    const cases: Array<[string, unknown]> = [
      ['pnode-register', { 'req/id': 'reg:1', descriptor: { any: 'object; the orchestrator verifies it' }, primary: true }],
      ['pnode-register', { 're/id': 'reg:1', accepted: true, 'lease-ms': 30_000, 'heartbeat-interval-ms': 10_000, 'orchestrator/node-id': NODE, trust: 'untrusted', 'offer/accepted': { cores: 2, 'memory-mb': 1024 } }],
      ['pnode-register', { 're/id': 'reg:1', accepted: false, reason: 'registry full' }],
      ['heartbeat', heartbeatRequest],
      ['heartbeat', { ...heartbeatRequest, 'load/permille': null, 'memory/available-mb': null, vnodes: [], 'rtt/ms': 3 }],
      ['heartbeat', { 're/id': 'hb:1', 'lease-ms': 30_000, 'heartbeat-interval-ms': 10_000 }],
      ['vnode-allocate', { 'req/id': 'va:1', 'vnode/id': 'vn:01J', cores: 1, 'memory-mb': 512 }],
      ['vnode-allocate', { 're/id': 'va:1', 'vnode/id': 'vn:01J', accepted: true }],
      ['vnode-allocate', { 're/id': 'va:1', 'vnode/id': 'vn:01J', accepted: false, reason: 'not-primary' }],
      ['vnode-release', { 'req/id': 'vr:1', 'vnode/id': 'vn:01J', reason: 'moved' }],
      ['vnode-release', { 're/id': 'vr:1', 'vnode/id': 'vn:01J', state: 'unknown' }],
      ['vnode-status', { 'vnode/id': 'vn:01J', state: 'failed', reason: 'the sandbox died' }],
    ];
    for (const [kind, body] of cases) {
      const result = decode(kind, body);
      expect(result.ok ? 'ok' : result.error.detail, `${kind} ${JSON.stringify(body)}`).toBe('ok');
      expect(() => encodeSessionMessage(kind as 'heartbeat', body as never)).not.toThrow();
    }
  });

  it('refuse mixed, incomplete or out-of-range shapes, naming the field', () => {
    expectRefused('pnode-register', { 'req/id': 'a', 're/id': 'b', descriptor: {}, primary: true }, 're/id');
    expectRefused('pnode-register', { descriptor: {}, primary: true }, 'req/id');
    expectRefused('pnode-register', { 'req/id': 'a', primary: true }, 'descriptor');
    expectRefused('pnode-register', { 'req/id': 'a', descriptor: {} }, 'primary');
    expectRefused('pnode-register', { 'req/id': 'a', descriptor: 'signed', primary: true }, 'descriptor');
    expectRefused('pnode-register', { 're/id': 'a', accepted: true, 'lease-ms': 1 }, 'heartbeat-interval-ms');
    expectRefused('pnode-register', { 're/id': 'a', accepted: false }, 'reason');
    expectRefused('pnode-register', { 're/id': 'a', accepted: false, reason: 'no', 'lease-ms': 5 }, 'lease-ms');
    expectRefused('pnode-register', { 're/id': 'a', accepted: true, reason: 'x', 'lease-ms': 30_000, 'heartbeat-interval-ms': 10_000, 'orchestrator/node-id': NODE, trust: 'untrusted', 'offer/accepted': { cores: 1, 'memory-mb': 1 } }, 'reason');
    expectRefused('pnode-register', { 're/id': 'a', accepted: true, 'lease-ms': 30_000, 'heartbeat-interval-ms': 10_000, 'orchestrator/node-id': NODE, trust: 'blessed', 'offer/accepted': { cores: 1, 'memory-mb': 1 } }, 'trust');
    expectRefused('heartbeat', { ...heartbeatRequest, 'load/permille': 1001 }, 'load/permille');
    const { contributing: _omitted, ...withoutContributing } = heartbeatRequest;
    expectRefused('heartbeat', withoutContributing, 'contributing');
    expectRefused('heartbeat', { ...heartbeatRequest, vnodes: [{ 'vnode/id': 'vn:1', state: 'paused' }] }, 'state');
    expectRefused('heartbeat', { ...heartbeatRequest, vnodes: [{ 'vnode/id': 'vn:1', state: 'running' }, { 'vnode/id': 'vn:1', state: 'running' }] }, 'vnode/id');
    expectRefused('heartbeat', { ...heartbeatRequest, vnodes: Array.from({ length: MAX_VNODES_PER_PNODE + 1 }, (_, i) => ({ 'vnode/id': `vn:${i}`, state: 'running' })) }, 'vnodes');
    expectRefused('heartbeat', { 're/id': 'hb:1', 'lease-ms': 30_000, 'heartbeat-interval-ms': 10_000, seq: 4 }, 'seq');
    expectRefused('heartbeat', { 're/id': 'hb:1', 'lease-ms': 30_000, 'heartbeat-interval-ms': 1 }, 'heartbeat-interval-ms');
    expectRefused('heartbeat', { ...heartbeatRequest, extra: 1 }, 'extra');
    expectRefused('vnode-allocate', { 'req/id': 'va:1', 'vnode/id': 'vn:1', cores: 0, 'memory-mb': 1 }, 'cores');
    expectRefused('vnode-allocate', { 'req/id': 'va:1', 'vnode/id': 'vn:1', cores: 1 }, 'memory-mb');
    expectRefused('vnode-allocate', { 'req/id': 'va:1', 'vnode/id': 'vn 1', cores: 1, 'memory-mb': 1 }, 'vnode/id');
    expectRefused('vnode-allocate', { 're/id': 'va:1', 'vnode/id': 'vn:1', accepted: false }, 'reason');
    expectRefused('vnode-allocate', { 're/id': 'va:1', 'vnode/id': 'vn:1', accepted: true, reason: 'limit' }, 'reason');
    expectRefused('vnode-allocate', { 're/id': 'va:1', 'vnode/id': 'vn:1', accepted: true, cores: 1 }, 'cores');
    expectRefused('vnode-release', { 'req/id': 'vr:1', 'vnode/id': 'vn:1' }, 'reason');
    expectRefused('vnode-release', { 're/id': 'vr:1', 'vnode/id': 'vn:1', state: 'gone' }, 'state');
    expectRefused('vnode-status', { 'vnode/id': 'vn:1' }, 'state');
    expectRefused('vnode-status', { 'vnode/id': 'vn:1', state: 'running', 'req/id': 'x' }, 'req/id');
  });

  it('refuse floats anywhere: the bodies are integers only', () => {
    expect(() => encodeSessionMessage('heartbeat', { ...heartbeatRequest, 'rtt/ms': 1.5 } as never)).toThrow(/integer|float/);
    expect(() => encodeSessionMessage('heartbeat', { ...heartbeatRequest, 'load/permille': 0.5 } as never)).toThrow(/integer|float/);
  });
});
