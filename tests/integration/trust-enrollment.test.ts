// Issue 5 §5, end to end in one process: real runtimes on loopback (real sessions, real crypto,
// real files). An orchestrator with the registration authority and the trust check; contributors
// with membership and trusted registration, driven through the control surface as the UI drives it.
import { afterEach, describe, expect, it } from 'vitest';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode } from '../support/nodes.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { orchestratorParts, type OrchestratorParts } from '../../src-node/recipes/orchestrator-node.js';
import { membershipParts, type MembershipParts } from '../support/contributors.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import { EventEmitter } from 'node:events';
import { TrustedRegistrationModule, type RevocationWatch } from '../../src-node/contributor/trust/trusted-registration-module.js';
import { writeFileAtomic } from '../../src-node/kernel/storage/atomic-file.js';
import { pause } from '../support/wait.js';
import { MemoryKeychain } from '../support/memory-keychain.js';
import { trustFilePath } from '../../src-node/contributor/trust/trust-file.js';
import { openRoleKeystore, loadRoleKey } from '../../src-node/kernel/identity/role-keystore.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { attestedDescriptor, rawSession, type RawSession } from '../support/trust.js';
import type { TrustedView } from '../../src-shared/control/state.js';
import type { CommandResult } from '../../src-shared/control/commands.js';
import type { PnodeDescriptor } from '../../src-shared/membership/descriptor.js';
import { FullDisk } from '../support/full-disk.js';
import type { FileWriter } from '../../src-node/kernel/storage/atomic-file.js';

type Running = NodeRuntime & { cleanup: () => Promise<void> };
const nodes: Running[] = [];
const raws: RawSession[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.connection.terminate();
  await Promise.all(nodes.splice(0).reverse().map((n) => n.cleanup()));
});

const timing = { keepalive: { intervalMs: 1_000, timeoutMs: 10_000 } };

async function orchestrator(options: { credentialValidityMs?: number; dataDir?: string; listen?: string[] } = {}) {
  let parts: OrchestratorParts | undefined;
  const runtime = await startTestNode({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.listen ? { listen: options.listen } : {}),
    role: 'orchestrator',
    modules: (r) =>
      (parts = orchestratorParts(r, {
        authority: options.credentialValidityMs !== undefined ? { credentialValidityMs: options.credentialValidityMs } : {},
        orchestrator: { heartbeatIntervalMs: 200, adminListen: 'http://127.0.0.1:0' },
      })).modules,
    timing,
  });
  nodes.push(runtime);
  const { authority, trust, orchestrator: module } = parts!;
  return { runtime, authority: authority!, trust, module, core: module.orchestrator, target: { nodeId: runtime.identity.nodeId, urls: runtime.listenUrls() } };
}

async function contributor(target: { nodeId: string; urls: readonly string[] }, options: { keychain?: MemoryKeychain; write?: FileWriter; revocations?: RevocationWatch; requestTimeoutMs?: number } = {}) {
  let parts: (MembershipParts & { trusted: TrustedRegistrationModule }) | undefined;
  const runtime = await startTestNode({
    modules: (r) => {
      const built = membershipParts(r, { orchestrators: [target], backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 });
      parts = { ...built, trusted: new TrustedRegistrationModule({ ...r.components, membership: built.membership, ...(options.revocations ? { revocations: options.revocations } : {}) }, { requestTimeoutMs: options.requestTimeoutMs ?? 5_000, retry: { minMs: 100, maxMs: 1_000 }, ...(options.write ? { write: options.write } : {}) }) };
      return [...built.modules, parts.trusted];
    },
    listenOn: false,
    timing,
    ...(options.keychain ? { keystore: 'keychain' as const, keychain: options.keychain.loader() } : {}),
  });
  nodes.push(runtime);
  const { membership, trusted, availability } = parts!;
  const control = new NodeControl(runtime, { sources: [membership, trusted], availability });
  await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
  return { runtime, membership, trusted, control };
}

async function admin(url: string, token: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function trusted(result: CommandResult): TrustedView {
  expect(result.ok ? 'ok' : JSON.stringify(result.error)).toBe('ok');
  return (result as { value: TrustedView }).value;
}

describe('trusted enrollment, the happy path', () => {
  it('token → enroll through the control surface → credential → re-registration → the admin API shows the PNode trusted', async () => {
    const orch = await orchestrator();
    const node = await contributor(orch.target);
    expect(orch.core.registry.get(node.runtime.identity.nodeId)?.trust).toBe('untrusted');
    expect(node.control.snapshot().trusted.state).toBe('not-enrolled');

    // The operator issues a token through the admin API (what `pnode authority issue-token` does while the orchestrator runs).
    const adminServer = orch.module.admin!;
    const issued = await admin(adminServer.url, adminServer.token, '/authority/tokens', { method: 'POST', body: JSON.stringify({ 'valid-minutes': 10, label: 'test volunteer' }) });
    expect(issued.status).toBe(201);
    const token = String(issued.body['token']);
    expect(token).toMatch(/^pnode-enroll-/);

    const approvals: TrustedView[] = [];
    node.trusted.on('trusted-approved', (view) => approvals.push(view));
    const view = trusted(await node.control.execute({ command: 'enroll', token }));
    expect(view).toMatchObject({ state: 'trusted', lastError: null });
    expect(view.operatorId).toMatch(/^operator:did:key:z/);
    expect(view.credentialId).toMatch(/^cred:/);
    expect(approvals).toHaveLength(1);
    expect(node.control.snapshot().trusted).toMatchObject({ state: 'trusted', credentialId: view.credentialId });

    // The next descriptor carries the attestation; the orchestrator verifies the chain.
    const nodeId = node.runtime.identity.nodeId;
    await expect.poll(() => orch.core.registry.get(nodeId)?.trust).toBe('trusted');
    const pnodes = await admin(adminServer.url, adminServer.token, '/pnodes');
    expect(pnodes.body['pnodes']).toEqual([expect.objectContaining({ 'node-id': nodeId, trust: 'trusted', 'operator-id': view.operatorId })]);
    const descriptor = orch.core.registry.get(nodeId)!.descriptor;
    expect((descriptor.operator as { credential: { 'credential/id': string } }).credential['credential/id']).toBe(view.credentialId);

    // The operator key is not the node key; only public parts are on disk, the key file is 0600.
    const operatorKey = node.trusted.operatorKey!;
    expect(`node:did:key:${operatorKey}`).not.toBe(nodeId);
    const file = await readFile(trustFilePath(node.runtime.config.dataDir), 'utf8');
    expect(file).toContain(view.credentialId!);
    expect(file).not.toContain('secret');
    const keyFiles = readdirSync(join(node.runtime.config.dataDir, 'trust')).filter((f) => f.startsWith('operator-signing-key'));
    expect(keyFiles).toEqual([`operator-signing-key.v1.${operatorKey}.json`]);
    if (process.platform !== 'win32') expect((await stat(join(node.runtime.config.dataDir, 'trust', keyFiles[0]!))).mode & 0o077).toBe(0);

    // The token was single-use and is listed by id only; the credential is listed as valid.
    const tokens = await admin(adminServer.url, adminServer.token, '/authority/tokens');
    expect(tokens.body['tokens']).toEqual([expect.objectContaining({ status: 'used', label: 'test volunteer', 'node/id': nodeId })]);
    expect(JSON.stringify(tokens.body)).not.toContain(token);
    const state = await readFile(join(orch.runtime.config.dataDir, 'authority', 'authority-state.json'), 'utf8');
    expect(state).not.toContain(token.slice('pnode-enroll-'.length));
  });

  it('waits, when asked to enroll, for an orchestrator whose lease lapsed to come back, rather than refusing', async () => {
    const first = await orchestrator();
    const dataDir = first.runtime.config.dataDir;
    const url = first.target.urls[0]!;
    // A request timeout long enough for the restart below on a loaded machine: it bounds the wait, the session ends it.
    const node = await contributor(first.target, { requestTimeoutMs: 60_000 });
    const issued = await first.authority.authority!.issueToken();
    await first.runtime.stop();
    nodes.splice(nodes.indexOf(first.runtime), 1);
    await expect.poll(() => node.membership.state().orchestrators?.[0]?.status, { timeout: 30_000 }).toBe('lost');
    expect(node.membership.reconnecting).toBe(true);
    const asked = node.control.execute({ command: 'enroll', token: issued.token });
    const again = await orchestrator({ dataDir, listen: [url] });
    expect(again.target.nodeId).toBe(first.target.nodeId);
    const view = trusted(await asked);
    expect(view.state).toBe('trusted');
  });

  it('keeps the operator key in the keychain when the node key is there, and loads it again after a restart', async () => {
    const orch = await orchestrator();
    const keychain = new MemoryKeychain();
    const node = await contributor(orch.target, { keychain });
    const issued = await orch.authority.authority!.issueToken();
    const view = trusted(await node.control.execute({ command: 'enroll', token: issued.token }));
    const operatorKey = node.trusted.operatorKey!;
    expect(await keychain.getPassword('pnode', `operator/${node.runtime.identity.nodeId}/${operatorKey}`)).not.toBeNull();
    expect(readdirSync(join(node.runtime.config.dataDir, 'trust')).some((f) => f.startsWith('operator-signing-key'))).toBe(false);

    // Restart the contributor on the same data dir: it is trusted again without enrolling.
    const dataDir = node.runtime.config.dataDir;
    await node.runtime.stop();
    let again: TrustedRegistrationModule | undefined;
    const restarted = await startTestNode({
      dataDir,
      modules: (r) => {
        const built = membershipParts(r, { orchestrators: [orch.target], backoff: { minMs: 50, maxMs: 400 } });
        again = new TrustedRegistrationModule({ ...r.components, membership: built.membership });
        return [...built.modules, again];
      },
      listenOn: false,
      timing,
      keystore: 'keychain',
      keychain: keychain.loader(),
    });
    nodes.push(restarted);
    expect(again!.view()).toMatchObject({ state: 'trusted', credentialId: view.credentialId });
    await expect.poll(() => orch.core.registry.get(restarted.identity.nodeId)?.trust).toBe('trusted');
  });
});

describe('trusted enrollment on a full disk (issue 15 §6)', () => {
  it('answers failed when the credential cannot be stored, and leaves no trace: no credential, no operator key, nothing on disk', async () => {
    const orch = await orchestrator();
    const disk = new FullDisk();
    const node = await contributor(orch.target, { write: disk.write });
    const dataDir = node.runtime.config.dataDir;
    const trustDir = join(dataDir, 'trust');
    const listTrust = (): string[] => (existsSync(trustDir) ? readdirSync(trustDir) : []);
    const before = listTrust();
    // The key is made and noted as pending; then the disk is full when the credential arrives.
    disk.fillAfter(1);
    const issued = await orch.authority.authority!.issueToken();
    const answer = await node.control.execute({ command: 'enroll', token: issued.token });
    expect(answer.ok ? 'ok' : answer.error.message).toMatch(/ENOSPC|no space/);
    expect(disk.refused).toBeGreaterThan(0);
    expect(node.control.snapshot().trusted).toMatchObject({ credentialId: null, operatorId: null });
    expect(node.trusted.operatorKey).toBeNull();
    expect(listTrust().filter((f) => f.startsWith('operator-signing-key'))).toEqual([]);
    const onDisk = await readFile(trustFilePath(dataDir), 'utf8').catch(() => '{}');
    expect(JSON.parse(onDisk)).not.toHaveProperty('credential.credential/id');
    expect(listTrust().filter((f) => !before.includes(f) && f !== 'trusted-registration.json')).toEqual([]);

    // Room again: a new token (the authority burned the first one when it answered) enrolls.
    disk.free();
    const again = await orch.authority.authority!.issueToken();
    const view = trusted(await node.control.execute({ command: 'enroll', token: again.token }));
    expect(view.state).toBe('trusted');
    expect(await readFile(trustFilePath(dataDir), 'utf8')).toContain(view.credentialId!);
  });
});

describe('renewal and rotation', () => {
  it('renews on its own at 2/3 of a short validity; the orchestrator keeps the PNode trusted with the new credential', async () => {
    const orch = await orchestrator({ credentialValidityMs: 3_000 });
    const node = await contributor(orch.target);
    const issued = await orch.authority.authority!.issueToken();
    const first = trusted(await node.control.execute({ command: 'enroll', token: issued.token }));
    const nodeId = node.runtime.identity.nodeId;
    await expect.poll(() => node.trusted.credential?.['credential/id']).not.toBe(first.credentialId);
    const renewed = node.trusted.credential!;
    expect(renewed['operator/id']).toBe(first.operatorId);
    expect(Date.parse(renewed['valid-until'])).toBeGreaterThan(Date.parse(first.validUntil!));
    const credentialOf = (d: PnodeDescriptor | undefined) => (d?.operator as { credential?: { 'credential/id'?: string } } | undefined)?.credential?.['credential/id'];
    await expect.poll(() => credentialOf(orch.core.registry.get(nodeId)?.descriptor)).toBe(renewed['credential/id']);
    expect(orch.core.registry.get(nodeId)?.trust).toBe('trusted');
    // And again: renewal keeps going while the credential is renewed in time.
    await expect.poll(() => node.trusted.credential?.['credential/id']).not.toBe(renewed['credential/id']);
    expect(node.trusted.view().state).toMatch(/^(trusted|expiring)$/);
  });

  it('rotation while the revocation of the old credential arrives: the trust file ends naming the new key, not revoked', async () => {
    const orch = await orchestrator();
    // The revocation list names the credential being rotated away, and arrives while the rotation
    // writes the trust file; a record written from the old state would land after it.
    const watch = Object.assign(new EventEmitter(), {
      oldCredential: '',
      asked: [] as string[],
      revoked(credentialId: string) {
        this.asked.push(credentialId);
        return credentialId === this.oldCredential ? { credentialId, revokedAt: new Date().toISOString(), reason: 'rotated' } : undefined;
      },
      followsChanged: () => undefined,
    });
    let rotating = false;
    const write: FileWriter = async (path, data, options) => {
      const text = typeof data === 'string' ? data : '';
      if (rotating && text.includes('"pending/key": null') && !text.includes(watch.oldCredential)) watch.emit('changed');
      // A record that still names the old credential (as revoked) is slow to reach the disk.
      if (rotating && text.includes(watch.oldCredential) && text.includes('"revoked": {')) await pause(200);
      return writeFileAtomic(path, data, options);
    };
    const node = await contributor(orch.target, { write, revocations: watch as unknown as RevocationWatch });
    const issued = await orch.authority.authority!.issueToken();
    trusted(await node.control.execute({ command: 'enroll', token: issued.token }));
    watch.oldCredential = node.trusted.credential!['credential/id'];
    rotating = true;
    const after = trusted(await node.control.execute({ command: 'rotate-operator-key' }));
    expect(after.state).toBe('trusted');
    // The list that came meanwhile is read once the rotation is done: against the new credential.
    await expect.poll(() => watch.asked.includes(after.credentialId!)).toBe(true);
    await pause(300);
    const onDisk = JSON.parse(await readFile(trustFilePath(node.runtime.config.dataDir), 'utf8')) as Record<string, unknown>;
    expect(onDisk['operator/key']).toBe(node.trusted.operatorKey);
    expect(onDisk['revoked']).toBeNull();
    expect(node.trusted.view().state).toBe('trusted');
  });

  it('rotation: a new operator key, the old credential revoked, and a descriptor with the old credential is not trusted', async () => {
    const orch = await orchestrator();
    const node = await contributor(orch.target);
    const issued = await orch.authority.authority!.issueToken();
    const before = trusted(await node.control.execute({ command: 'enroll', token: issued.token }));
    const oldKey = node.trusted.operatorKey!;
    const oldCredential = node.trusted.credential!;
    const store = await openRoleKeystore({ dataDir: node.runtime.config.dataDir, subdir: 'trust', role: 'operator', scope: node.runtime.identity.nodeId, kind: 'file', crypto: nativeCrypto, warn: () => undefined });
    const oldSigner = await loadRoleKey(store, oldKey, nativeCrypto);

    const after = trusted(await node.control.execute({ command: 'rotate-operator-key' }));
    expect(after.state).toBe('trusted');
    expect(after.operatorId).toBe(before.operatorId);
    expect(after.credentialId).not.toBe(before.credentialId);
    expect(node.trusted.operatorKey).not.toBe(oldKey);
    expect(await store.load(oldKey)).toBeUndefined();
    expect(orch.authority.authority!.isRevoked(before.credentialId!)).toMatchObject({ reason: expect.stringContaining('rotated') });
    const nodeId = node.runtime.identity.nodeId;
    await expect.poll(() => (orch.core.registry.get(nodeId)?.descriptor.operator as { 'operator/key'?: string } | undefined)?.['operator/key']).toBe(node.trusted.operatorKey);
    expect(orch.core.registry.get(nodeId)?.trust).toBe('trusted');

    // Someone holding the old key and credential registers the node with them: untrusted, traced.
    const identity = node.runtime.identity;
    await node.runtime.stop();
    const raw = await rawSession(identity, orch.target.urls[0]!);
    raws.push(raw);
    raw.connection.send('pnode-register', { 'req/id': 'reg:old', descriptor: attestedDescriptor(identity, oldCredential, oldSigner) as unknown as Record<string, unknown>, primary: true });
    expect(await raw.answer('reg:old')).toMatchObject({ kind: 'pnode-register', body: { accepted: true, trust: 'untrusted' } });
    expect(orch.runtime.traces.recent(1_000).some((e) => e['event/type'] === 'error/occurred' && e.peer === nodeId && e.detail?.['code'] === 'E_TRANSPORT_REJECTED' && e.detail?.['phase'] === 'trust')).toBe(true);
  });

  it('a revoked credential: the orchestrator drops the trust at once, and the PNode learns it at its next renewal', async () => {
    const orch = await orchestrator();
    const node = await contributor(orch.target);
    const issued = await orch.authority.authority!.issueToken();
    const view = trusted(await node.control.execute({ command: 'enroll', token: issued.token }));
    const nodeId = node.runtime.identity.nodeId;
    await expect.poll(() => orch.core.registry.get(nodeId)?.trust).toBe('trusted');
    expect(await orch.authority.authority!.revoke(view.credentialId!, 'left the organisation')).toBe(true);
    await expect.poll(() => orch.core.registry.get(nodeId)?.trust).toBe('untrusted');
    const refused = await node.control.execute({ command: 'renew-credential' });
    expect(refused).toMatchObject({ ok: false, error: { protocolCode: 'E_TRANSPORT_REJECTED' } });
    expect(node.trusted.view()).toMatchObject({ state: 'revoked', lastError: expect.stringContaining('E_TRANSPORT_REJECTED') });
    // The descriptor no longer carries the revoked credential.
    await expect.poll(() => orch.core.registry.get(nodeId)?.descriptor.operator).toBeUndefined();
    // The published revocation list names it, signed by the authority.
    const list = JSON.parse(await readFile(join(orch.runtime.config.dataDir, 'authority', 'revocation-list.v1.json'), 'utf8')) as { revoked: Array<{ 'credential/id': string; reason: string }>; 'issuer/key': string };
    expect(list['issuer/key']).toBe(orch.authority.key);
    expect(list.revoked).toEqual([expect.objectContaining({ 'credential/id': view.credentialId, reason: 'left the organisation' })]);
    // Enrolling again (new token) makes a new key and a new credential.
    const again = await orch.authority.authority!.issueToken();
    const fresh = trusted(await node.control.execute({ command: 'enroll', token: again.token }));
    expect(fresh.state).toBe('trusted');
    expect(fresh.operatorId).not.toBe(view.operatorId);
    await expect.poll(() => orch.core.registry.get(nodeId)?.trust).toBe('trusted');
  });
});

describe('several orchestrators, one authority', () => {
  it("another orchestrator trusts the authority's key and reads its published revocation list", async () => {
    const a = await orchestrator();
    const listFile = join(a.runtime.config.dataDir, 'authority', 'revocation-list.v1.json');
    let partsB: OrchestratorParts | undefined;
    const b = await startTestNode({
      role: 'orchestrator',
      modules: (r) => (partsB = orchestratorParts(r, { trust: { authorityKeys: [a.authority.key!], revocationListFiles: [listFile], revocationPollMs: 100 }, orchestrator: { heartbeatIntervalMs: 200 } })).modules,
      timing,
    });
    nodes.push(b);
    const moduleB = partsB!.orchestrator;
    const node = await contributor(a.target);
    node.membership.setOrchestrators([a.target, { nodeId: b.identity.nodeId, urls: b.listenUrls() }]);
    const nodeId = node.runtime.identity.nodeId;
    await expect.poll(() => moduleB.orchestrator.registry.get(nodeId)?.state).toBe('registered');
    const issued = await a.authority.authority!.issueToken();
    const view = trusted(await node.control.execute({ command: 'enroll', token: issued.token }));
    await expect.poll(() => moduleB.orchestrator.registry.get(nodeId)?.trust).toBe('trusted');
    expect(moduleB.orchestrator.registry.get(nodeId)?.operatorId).toBe(view.operatorId);
    // A revokes; B learns it from the re-published list, without a new registration.
    expect(await a.authority.authority!.revoke(view.credentialId!, 'test')).toBe(true);
    await expect.poll(() => moduleB.orchestrator.registry.get(nodeId)?.trust).toBe('untrusted');
    expect(b.traces.recent(1_000).some((e) => e['event/type'] === 'error/occurred' && e.peer === nodeId && e.detail?.['code'] === 'E_TRANSPORT_REJECTED')).toBe(true);
  });
});
