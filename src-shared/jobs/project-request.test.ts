import { describe, expect, it } from 'vitest';
import { portableCrypto } from '../protocol/crypto/portable-provider.js';
import { fingerprintFromPublicKey, nodeIdFromPublicKey } from '../protocol/did-key.js';
import { toBase64url } from '../protocol/encoding/base64url.js';
import { utf8 } from '../protocol/encoding/bytes.js';
import { signArtifact } from '../protocol/signing.js';
import type { JsonObject } from '../protocol/artifacts.js';
import { REQUEST_CLOCK_SKEW_MS } from './job-limits.js';
import { type ProjectRequest, checkProjectRequest, nonceExpiresAt, projectRequestHeader, signProjectRequest } from './project-request.js';

const crypto = portableCrypto;
const project = crypto.ed25519Signer(new Uint8Array(32).fill(0x41));
const stranger = crypto.ed25519Signer(new Uint8Array(32).fill(0x42));
const orchestrator = nodeIdFromPublicKey(crypto.ed25519Signer(new Uint8Array(32).fill(0x43)).publicKey);
const NOW = Date.parse('2026-12-07T12:00:00Z');
const body = utf8('{"name":"batch one"}');

function signed(change: Partial<Parameters<typeof signProjectRequest>[0]> = {}): ProjectRequest {
  return signProjectRequest({ audience: orchestrator, method: 'POST', target: '/v1/batches', body, now: NOW, ...change }, project);
}

function check(request: ProjectRequest | string | undefined, facts: Partial<Parameters<typeof checkProjectRequest>[0]> = {}) {
  return checkProjectRequest({
    authorization: typeof request === 'string' || request === undefined ? request : projectRequestHeader(request),
    method: 'POST',
    target: '/v1/batches',
    body,
    audience: orchestrator,
    now: NOW,
    crypto,
    ...facts,
  });
}

describe('project-request.v1', () => {
  it('a request signed by the project key checks, naming its key and nonce', () => {
    const request = signed();
    const result = check(request);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value['project/key']).toBe(fingerprintFromPublicKey(project.publicKey));
    expect(result.value.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(nonceExpiresAt(result.value)).toBe(NOW + REQUEST_CLOCK_SKEW_MS);
    expect(signed().nonce).not.toBe(request.nonce);
  });

  it('binds the body, method, target and audience', () => {
    expect(check(signed(), { body: utf8('{"name":"batch two"}') })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    expect(check(signed(), { method: 'PUT' })).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    expect(check(signed(), { target: '/v1/batches?x=1' })).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    const elsewhere = nodeIdFromPublicKey(stranger.publicKey);
    const result = check(signed(), { audience: elsewhere });
    expect(result).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    if (!result.ok) expect(result.error.detail).toContain('meant for');
  });

  it('refuses a request changed after signing, or signed by another key than it names', () => {
    const request = signed();
    const changed = { ...request, target: '/v1/batches/b-1/abort' };
    expect(check(changed, { target: '/v1/batches/b-1/abort' })).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
    const unsigned = { ...request } as Record<string, unknown>;
    delete unsigned['signature'];
    const claimed = signArtifact('project-request.v1', unsigned as JsonObject, stranger) as unknown as ProjectRequest;
    expect(check(claimed)).toMatchObject({ ok: false, error: { code: 'E_SIG_INVALID' } });
  });

  it('refuses requests outside the time window: old ones as expired, future ones as invalid', () => {
    expect(check(signed({ now: NOW - REQUEST_CLOCK_SKEW_MS }))).toMatchObject({ ok: true });
    expect(check(signed({ now: NOW - REQUEST_CLOCK_SKEW_MS - 1_000 }))).toMatchObject({ ok: false, error: { code: 'E_ADV_EXPIRED' } });
    expect(check(signed({ now: NOW + REQUEST_CLOCK_SKEW_MS + 1_000 }))).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
  });

  it('refuses a missing, foreign or malformed header with a code', () => {
    expect(check(undefined)).toMatchObject({ ok: false, error: { code: 'E_SIG_UNKNOWN_SIGNER' } });
    expect(check('Bearer abc')).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    expect(check('PNode-Request !!!')).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    expect(check(`PNode-Request ${toBase64url(utf8('{"schema/v":1}'))}`)).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    expect(check(`PNode-Request ${'A'.repeat(5_000)}`)).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
    const extra = { ...signed(), extra: 1 } as unknown as ProjectRequest;
    expect(check(extra)).toMatchObject({ ok: false, error: { code: 'E_PROTO_INVALID' } });
  });
});
