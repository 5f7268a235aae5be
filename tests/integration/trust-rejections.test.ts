// Issue 5 §5, every rejection path over real sessions on loopback: hand-made (forged, expired,
// revoked, replayed, reused, malformed) enrollments, renewals, rotations and attestations against
// an orchestrator with the registration authority. Each is answered with its code and traced.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestNode } from '../support/nodes.js';
import { testIdentity } from '../support/identities.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { orchestratorParts, type OrchestratorParts } from '../../src-node/recipes/orchestrator-node.js';
import { membershipParts, type MembershipParts } from '../support/contributors.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import { TrustedRegistrationModule } from '../../src-node/contributor/trust/trusted-registration-module.js';
import { attestedDescriptor, codeOf, enrollBody, keyOf, randomSigner, rawSession, renewBody, rotateBody, type RawSession } from '../support/trust.js';
import { issueCredential, operatorIdFromKey, type OperatorCredential } from '../../src-shared/trust/credential.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import type { Ed25519Signer } from '../../src-shared/protocol/crypto/provider.js';
import type { JsonObject } from '../../src-shared/protocol/artifacts.js';
import { encodeDeterministic } from '../../src-shared/protocol/encoding/dcbor.js';
import { PATIENCE_MS, pause } from '../support/wait.js';

type Running = NodeRuntime & { cleanup: () => Promise<void> };
const nodes: Running[] = [];
const raws: RawSession[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.connection.terminate();
  await Promise.all(nodes.splice(0).reverse().map((n) => n.cleanup()));
});

const timing = { keepalive: { intervalMs: 1_000, timeoutMs: 10_000 } };

async function orchestrator(options: { credentialValidityMs?: number; withAuthority?: boolean; recheckIntervalMs?: number; heartbeatIntervalMs?: number } = {}) {
  let parts: OrchestratorParts | undefined;
  const runtime = await startTestNode({
    role: 'orchestrator',
    modules: (r) =>
      (parts = orchestratorParts(r, {
        authority: options.withAuthority === false ? null : options.credentialValidityMs !== undefined ? { credentialValidityMs: options.credentialValidityMs } : {},
        trust: options.recheckIntervalMs !== undefined ? { recheckIntervalMs: options.recheckIntervalMs } : {},
        orchestrator: { heartbeatIntervalMs: options.heartbeatIntervalMs ?? 200 },
      })).modules,
    timing,
  });
  const { authority, orchestrator: module } = parts!;
  nodes.push(runtime);
  const url = runtime.listenUrls()[0]!;
  const session = async (identity: NodeIdentity) => {
    const raw = await rawSession(identity, url);
    raws.push(raw);
    return raw;
  };
  /** The code of the trace the orchestrator wrote for a refusal, by request or by node. */
  const traced = (phase: string, match: { reqId?: string; peer?: string }) =>
    runtime.traces
      .recent(10_000)
      .filter((e) => e['event/type'] === 'error/occurred' && e.detail?.['phase'] === phase && (match.reqId === undefined || e.detail?.['req/id'] === match.reqId) && (match.peer === undefined || e.peer === match.peer))
      .map((e) => e.detail?.['code']);
  return { runtime, authority: authority?.authority ?? null, module, core: module.orchestrator, url, session, traced };
}

type Orch = Awaited<ReturnType<typeof orchestrator>>;

/** Sends a request on `raw` and expects `code` back, traced by the authority under its req/id. */
async function expectRefusal(orch: Orch, raw: RawSession, kind: 'operator-enroll' | 'operator-renew' | 'operator-rotate', body: { 'req/id': string }, code: string, detail?: RegExp) {
  raw.connection.send(kind, body as never);
  const answer = await raw.answer(body['req/id']);
  expect(codeOf(answer), JSON.stringify(answer.body)).toBe(code);
  if (detail) expect(String(answer.body['detail'])).toMatch(detail);
  await expect.poll(() => orch.traced('authority', { reqId: body['req/id'] })).toEqual([code]);
}

/** A raw node enrolled for real: its session, operator key and credential. */
async function enrolled(orch: Orch, identity: NodeIdentity, operator: Ed25519Signer = randomSigner()) {
  const raw = await orch.session(identity);
  const { token } = await orch.authority!.issueToken();
  const body = enrollBody(identity, operator, token);
  raw.connection.send('operator-enroll', body);
  const answer = await raw.answer(body['req/id']);
  expect(codeOf(answer), JSON.stringify(answer.body)).toBe('ok');
  return { raw, operator, credential: answer.body['credential'] as unknown as OperatorCredential, body, token };
}

/** Registers `descriptor` on `raw`; the registration is accepted, and its trust answered. */
async function register(raw: RawSession, descriptor: unknown, reqId: string) {
  raw.connection.send('pnode-register', { 'req/id': reqId, descriptor: descriptor as Record<string, unknown>, primary: true });
  return raw.answer(reqId);
}

describe('enrollment refusals (authority)', () => {
  it('refuses a malformed token, another node, the node key as operator key, and a malformed body: E_PROTO_INVALID', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x61);
    const raw = await orch.session(me);
    const { token } = await orch.authority!.issueToken();
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(me, randomSigner(), 'pnode-enroll-short'), 'E_PROTO_INVALID', /enrollment token/);
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(me, randomSigner(), token, { 'node/id': testIdentity(0x62).nodeId }), 'E_PROTO_INVALID', /another node/);
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(me, me.signer, token), 'E_PROTO_INVALID', /must not be the node key/);
    // A body the codec refuses (no proof): our own send() will not encode it, so the frame is sealed by
    // hand. The session answers it with an error (no re/id: the body was not read) and traces it.
    const { proof: _dropped, ...noProof } = enrollBody(me, randomSigner(), token);
    expect(() => raw.connection.send('operator-enroll', noProof as never)).toThrow(/proof/);
    raw.connection.socket.send(raw.connection.session.channel.seal(encodeDeterministic({ 'msg/kind': 'operator-enroll', body: noProof })), { binary: true });
    await expect.poll(() => raw.messages.some((m) => m.kind === 'error' && (m.body as { code: string; 're/id'?: string }).code === 'E_PROTO_INVALID' && (m.body as { 're/id'?: string })['re/id'] === undefined)).toBe(true);
    await expect.poll(() => orch.traced('session', { peer: me.nodeId })).toEqual(['E_PROTO_INVALID']);
    // The token is still good after all of that.
    const good = enrollBody(me, randomSigner(), token);
    raw.connection.send('operator-enroll', good);
    expect(codeOf(await raw.answer(good['req/id']))).toBe('ok');
  });

  it('refuses a proof made by another key: E_SIG_INVALID, and the token is not burned', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x63);
    const raw = await orch.session(me);
    const { token } = await orch.authority!.issueToken();
    const operator = randomSigner();
    const forged = enrollBody(me, randomSigner(), token, { 'operator/key': keyOf(operator) });
    await expectRefusal(orch, raw, 'operator-enroll', forged, 'E_SIG_INVALID');
    const good = enrollBody(me, operator, token);
    raw.connection.send('operator-enroll', good);
    expect(codeOf(await raw.answer(good['req/id']))).toBe('ok');
  });

  it('refuses an unknown token (E_HS_UNKNOWN_REF), an expired one (E_ADV_EXPIRED) and a cancelled one (E_TRANSPORT_REJECTED)', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x64);
    const raw = await orch.session(me);
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(me, randomSigner(), `pnode-enroll-${'Q'.repeat(43)}`), 'E_HS_UNKNOWN_REF');
    const short = await orch.authority!.issueToken({ validForMs: 1 });
    await pause(20); // a token valid 1 ms has expired by now
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(me, randomSigner(), short.token), 'E_ADV_EXPIRED', /expired/);
    const cancelled = await orch.authority!.issueToken();
    expect(await orch.authority!.revoke(cancelled.tokenId, 'sent to the wrong person')).toBe(true);
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(me, randomSigner(), cancelled.token), 'E_TRANSPORT_REJECTED', /cancelled/);
  });

  it('refuses a replayed enrollment and a reused token: E_HS_REPLAY', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x65);
    const first = await enrolled(orch, me);
    // The very same request again.
    await expectRefusal(orch, first.raw, 'operator-enroll', { ...first.body, 'req/id': 'enroll:again' }, 'E_HS_REPLAY', /replayed/);
    // The same token by another node, with its own key.
    const other = testIdentity(0x66);
    const raw = await orch.session(other);
    await expectRefusal(orch, raw, 'operator-enroll', enrollBody(other, randomSigner(), first.token), 'E_HS_REPLAY', /used already/);
  });
});

describe('renewal and rotation refusals (authority)', () => {
  it('refuses an unknown credential, another node, another operator key, a forged proof, a replay and a stale request', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x67);
    const { raw, operator, credential } = await enrolled(orch, me);
    const id = credential['credential/id'];
    await expectRefusal(orch, raw, 'operator-renew', renewBody(me, operator, 'cred:01JNOSUCHCREDENTIAL'), 'E_HS_UNKNOWN_REF');
    const other = testIdentity(0x68);
    const otherRaw = await orch.session(other);
    await expectRefusal(orch, otherRaw, 'operator-renew', renewBody(other, operator, id), 'E_SIG_UNKNOWN_SIGNER', /another node|not for the session peer/);
    await expectRefusal(orch, raw, 'operator-renew', renewBody(me, randomSigner(), id), 'E_SIG_UNKNOWN_SIGNER', /vouches for operator key/);
    const forged = { ...renewBody(me, randomSigner(), id), 'operator/key': keyOf(operator) };
    await expectRefusal(orch, raw, 'operator-renew', forged, 'E_SIG_INVALID');
    await expectRefusal(orch, raw, 'operator-renew', renewBody(me, operator, id, { ts: Date.now() - 5 * 60_000 }), 'E_HS_REPLAY', /request time/);
    const once = renewBody(me, operator, id);
    raw.connection.send('operator-renew', once);
    expect(codeOf(await raw.answer(once['req/id']))).toBe('ok');
    const replayReq = { ...once };
    raw.messages.splice(0);
    await expectRefusal(orch, raw, 'operator-renew', replayReq, 'E_HS_REPLAY', /served already/);
  });

  it('refuses a rotation whose new key did not sign (E_SIG_INVALID), and renewal of a revoked credential (E_TRANSPORT_REJECTED)', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x69);
    const { raw, operator, credential } = await enrolled(orch, me);
    const id = credential['credential/id'];
    const next = randomSigner();
    const bad = { ...rotateBody(me, operator, randomSigner(), id), 'operator/new-key': keyOf(next) };
    await expectRefusal(orch, raw, 'operator-rotate', bad, 'E_SIG_INVALID', /proof\/new|does not verify/);
    expect(orch.authority!.isRevoked(id)).toBeUndefined();
    expect(await orch.authority!.revoke(id, 'test')).toBe(true);
    await expectRefusal(orch, raw, 'operator-renew', renewBody(me, operator, id), 'E_TRANSPORT_REJECTED', /revoked/);
    await expectRefusal(orch, raw, 'operator-rotate', rotateBody(me, operator, next, id), 'E_TRANSPORT_REJECTED', /revoked/);
  });

  it('refuses renewal of an expired credential: E_ADV_EXPIRED (enroll again)', async () => {
    const orch = await orchestrator({ credentialValidityMs: 1_000 });
    const me = testIdentity(0x6a);
    const { raw, operator, credential } = await enrolled(orch, me);
    await pause(Date.parse(credential['valid-until']) - Date.now() + 50); // until the credential has expired
    await expectRefusal(orch, raw, 'operator-renew', renewBody(me, operator, credential['credential/id']), 'E_ADV_EXPIRED', /expired/);
  });
});

describe('attestation refusals (the orchestrator trust check)', () => {
  it('trusts a valid chain, and registers every broken one as untrusted with its code traced', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x6b);
    const { raw, operator, credential } = await enrolled(orch, me);
    let n = 0;
    const check = async (descriptor: unknown): Promise<{ trust: unknown; codes: unknown[] }> => {
      const reqId = `reg:${++n}`;
      const answer = await register(raw, descriptor, reqId);
      expect(answer.kind, JSON.stringify(answer.body)).toBe('pnode-register');
      const descriptorId = (descriptor as { 'descriptor/id': string })['descriptor/id'];
      const codes = orch.runtime.traces.recent(10_000).filter((e) => e['event/type'] === 'error/occurred' && e.detail?.['phase'] === 'trust' && e.detail?.['descriptor/id'] === descriptorId).map((e) => e.detail?.['code']);
      return { trust: answer.body['trust'], codes };
    };
    expect(await check(attestedDescriptor(me, credential, operator))).toEqual({ trust: 'trusted', codes: [] });
    expect(orch.core.registry.get(me.nodeId)?.operatorId).toBe(credential['operator/id']);

    // Forged: the authority's signature no longer covers what the credential says.
    const forged = { ...credential, 'valid-until': new Date(Date.parse(credential['valid-until']) + 86_400_000).toISOString().replace('.000Z', 'Z') };
    expect(await check(attestedDescriptor(me, forged, operator))).toEqual({ trust: 'untrusted', codes: ['E_SIG_INVALID'] });
    // Issued for another node.
    const other = testIdentity(0x6c);
    const theirs = await enrolled(orch, other);
    expect(await check(attestedDescriptor(me, theirs.credential, theirs.operator))).toEqual({ trust: 'untrusted', codes: ['E_SIG_UNKNOWN_SIGNER'] });
    // An issuer this orchestrator does not trust.
    const stranger = randomSigner();
    const foreign = issueCredential({ operatorId: operatorIdFromKey(keyOf(operator)), operatorKey: keyOf(operator), nodeId: me.nodeId, now: Date.now(), validFrom: Date.now(), validUntil: Date.now() + 86_400_000 }, stranger);
    expect(await check(attestedDescriptor(me, foreign, operator))).toEqual({ trust: 'untrusted', codes: ['E_SIG_UNKNOWN_SIGNER'] });
    // Operator signature mismatch: signed by another key that says so, or that claims to be the credential's.
    expect(await check(attestedDescriptor(me, credential, randomSigner()))).toEqual({ trust: 'untrusted', codes: ['E_SIG_UNKNOWN_SIGNER'] });
    expect(await check(attestedDescriptor(me, credential, randomSigner(), (a) => (a['operator/key'] = keyOf(operator))))).toEqual({ trust: 'untrusted', codes: ['E_SIG_INVALID'] });
    // Malformed.
    expect(await check(attestedDescriptor(me, credential, operator, (a) => delete a['credential']))).toEqual({ trust: 'untrusted', codes: ['E_PROTO_INVALID'] });
    expect(await check(attestedDescriptor(me, { ...credential, 'operator/id': 'operator:did:key:zNope' } as unknown as JsonObject, operator))).toEqual({ trust: 'untrusted', codes: ['E_PROTO_INVALID'] });
    // Revoked.
    expect(await orch.authority!.revoke(credential['credential/id'], 'test')).toBe(true);
    expect(await check(attestedDescriptor(me, credential, operator))).toEqual({ trust: 'untrusted', codes: ['E_TRANSPORT_REJECTED'] });
    // Through all of it the PNode stayed registered.
    expect(orch.core.registry.get(me.nodeId)?.state).toBe('registered');
  });

  it('an expired credential registers untrusted (E_ADV_EXPIRED), and a trusted PNode whose credential ends is re-checked to untrusted', async () => {
    const me = testIdentity(0x6d);
    // The credential must still be valid when the PNode registers: on a starved machine enrolling
    // and registering can outlast a short validity, and then the test starts again with a longer one.
    let validityMs = 1_000;
    let trusted: { orch: Orch; raw: RawSession; operator: Ed25519Signer; credential: OperatorCredential } | undefined;
    for (let attempt = 0; attempt < 4 && !trusted; attempt++, validityMs *= 4) {
      // A long lease: the hand-made PNode sends no heartbeats.
      const orch = await orchestrator({ credentialValidityMs: validityMs, recheckIntervalMs: 100, heartbeatIntervalMs: 5_000 });
      const { raw, operator, credential } = await enrolled(orch, me);
      const trust = (await register(raw, attestedDescriptor(me, credential, operator), 'reg:fresh')).body['trust'];
      if (trust === 'trusted') trusted = { orch, raw, operator, credential };
      // Untrusted only because the credential had ended by then.
      else expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(credential['valid-until']));
    }
    expect(trusted, 'registered before a credential of 64 s ended').toBeDefined();
    const { orch, raw, operator, credential } = trusted!;
    // No new registration: the periodic re-check takes the trust away once the credential ends.
    await expect.poll(() => orch.core.registry.get(me.nodeId)?.trust, { timeout: validityMs + PATIENCE_MS }).toBe('untrusted');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(credential['valid-until']));
    const late = attestedDescriptor(me, credential, operator);
    expect((await register(raw, late, 'reg:late')).body['trust']).toBe('untrusted');
    expect(orch.traced('trust', { peer: me.nodeId })).toContain('E_ADV_EXPIRED');
  });

  it('still refuses a forged descriptor outright (the node signature), attestation or not', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x6e);
    const { raw, operator, credential } = await enrolled(orch, me);
    const descriptor = attestedDescriptor(me, credential, operator);
    const forged = signArtifact('pnode-descriptor.v1', descriptor as unknown as JsonObject, testIdentity(0x6f).signer);
    const answer = await register(raw, forged, 'reg:forged');
    expect(codeOf(answer)).toBe('E_SIG_INVALID');
    expect(orch.core.registry.get(me.nodeId)).toBeUndefined();
  });
});

describe('refusals the PNode sees', () => {
  async function contributor(target: { nodeId: string; urls: readonly string[] }) {
    let parts: (MembershipParts & { trusted: TrustedRegistrationModule }) | undefined;
    const runtime = await startTestNode({
      modules: (r) => {
        const built = membershipParts(r, { orchestrators: [target], backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 });
        parts = { ...built, trusted: new TrustedRegistrationModule({ ...r.components, membership: built.membership }, { requestTimeoutMs: 5_000 }) };
        return [...built.modules, parts.trusted];
      },
      listenOn: false,
      timing,
    });
    nodes.push(runtime);
    const { membership, trusted, availability } = parts!;
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
    return { runtime, trusted, control: new NodeControl(runtime, { sources: [membership, trusted], availability }) };
  }
  const contributorTraces = (runtime: NodeRuntime) => runtime.traces.recent(1_000).filter((e) => e['event/type'] === 'error/occurred' && e.detail?.['phase'] === 'trusted-registration').map((e) => e.detail?.['code']);

  it('a malformed token fails the command and changes nothing; a used one fails with its code, shows the error state, and is traced', async () => {
    const orch = await orchestrator();
    const node = await contributor({ nodeId: orch.runtime.identity.nodeId, urls: [orch.url] });
    expect(await node.control.execute({ command: 'enroll', token: 'not a token' })).toMatchObject({ ok: false, error: { code: 'failed', protocolCode: 'E_PROTO_INVALID' } });
    // A typo is bad input, not a failed enrollment (issue 14 §2): no lasting error, nothing traced.
    expect(node.trusted.view()).toMatchObject({ state: 'not-enrolled', lastError: null });
    const used = await enrolled(orch, testIdentity(0x70));
    expect(await node.control.execute({ command: 'enroll', token: used.token })).toMatchObject({ ok: false, error: { protocolCode: 'E_HS_REPLAY' } });
    expect(node.trusted.view()).toMatchObject({ state: 'error', credentialId: null, lastError: expect.stringContaining('E_HS_REPLAY') });
    expect(contributorTraces(node.runtime)).toEqual(['E_HS_REPLAY']);
    expect(await node.control.execute({ command: 'renew-credential' })).toMatchObject({ ok: false, error: { protocolCode: 'E_HS_UNKNOWN_REF' } });
  });

  it('an orchestrator without an authority says so at once: E_PROTO_CAP_MISSING', async () => {
    const orch = await orchestrator({ withAuthority: false });
    const node = await contributor({ nodeId: orch.runtime.identity.nodeId, urls: [orch.url] });
    expect(await node.control.execute({ command: 'enroll', token: `pnode-enroll-${'A'.repeat(43)}` })).toMatchObject({ ok: false, error: { protocolCode: 'E_PROTO_CAP_MISSING' } });
  });
});
