// Issue 5 §2–§4 in one process: real runtimes on loopback (real sessions, real crypto), an
// orchestrator with short intervals, contributors with the membership module.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestNode } from '../support/nodes.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { OrchestratorModule } from '../../src-node/services/orchestrator/orchestrator-module.js';
import { AdminExtensions } from '../../src-node/kernel/http/admin-extension.js';
import { membershipParts, type MembershipParts } from '../support/contributors.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import { openOutbound, type PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { testIdentity } from '../support/identities.js';
import { signDescriptor } from '../../src-shared/membership/descriptor.js';
import { unknownHardwareSummary } from '../../src-shared/hardware/hardware-summary.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import type { NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';

type Running = NodeRuntime & { cleanup: () => Promise<void> };
const nodes: Running[] = [];
const sockets: PeerConnection[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(nodes.splice(0).reverse().map((n) => n.cleanup()));
});

const INTERVAL_MS = 200;
const fastKeepalive = { keepalive: { intervalMs: 1_000, timeoutMs: 10_000 } };

async function orchestrator(options: { heartbeatIntervalMs?: number; dataDir?: string; listen?: string[] } = {}) {
  let module: OrchestratorModule | undefined;
  const runtime = await startTestNode({
    role: 'orchestrator',
    modules: (r) => [(module = new OrchestratorModule({ ...r.components, admin: new AdminExtensions() }, { heartbeatIntervalMs: options.heartbeatIntervalMs ?? INTERVAL_MS }))],
    timing: fastKeepalive, ...(options.dataDir ? { dataDir: options.dataDir } : {}), ...(options.listen ? { listen: options.listen } : {}) });
  nodes.push(runtime);
  return { runtime, module: module!, core: module!.orchestrator, target: { nodeId: runtime.identity.nodeId, urls: runtime.listenUrls() } };
}

async function contributor(targets: Array<{ nodeId: string; urls: readonly string[] }>) {
  let parts: MembershipParts | undefined;
  const runtime = await startTestNode({
    modules: (r) => (parts = membershipParts(r, { orchestrators: targets, backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 })).modules,
    listenOn: false,
    timing: fastKeepalive,
  });
  nodes.push(runtime);
  return { runtime, membership: parts!.membership, availability: parts!.availability };
}

/** A bare session to the orchestrator, as a hand-written client would open it. */
async function rawSession(identity: NodeIdentity, url: string) {
  const connection = await openOutbound({ crypto: nativeCrypto, identity, clock: systemClock, nonces: new HandshakeNonceCache() }, { url, transport: { policy: { insecureLoopback: true } } });
  const messages: SessionMessage[] = [];
  connection.on('message', (m) => messages.push(m));
  connection.start();
  sockets.push(connection);
  return { connection, messages };
}

describe('registration and heartbeats', () => {
  it('a contributor registers, heartbeats at the interval the ack says, and shows it in its state', async () => {
    const orch = await orchestrator();
    const { runtime, membership } = await contributor([orch.target]);
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
    await expect.poll(() => membership.state().orchestrators?.[0]?.heartbeatsAcked ?? 0).toBeGreaterThanOrEqual(3);
    const view = membership.state().orchestrators![0]!;
    expect(view).toMatchObject({ nodeId: orch.target.nodeId, primary: true, heartbeatIntervalMs: INTERVAL_MS });
    expect(view.leaseExpiresAt).toBeGreaterThan(view.lastHeartbeatAt! - INTERVAL_MS);
    expect(membership.suspendReasons()).toEqual([]);
    const entry = orch.core.registry.get(runtime.identity.nodeId)!;
    expect(entry).toMatchObject({ state: 'registered', primary: true, contributing: true, trust: 'untrusted' });
    expect(entry.heartbeats).toBeGreaterThanOrEqual(3);
    expect(orch.core.counters.heartbeats).toBeGreaterThanOrEqual(3);
  });

  it('answers a heartbeat from a node that never registered with E_HS_UNKNOWN_REF and its re/id', async () => {
    const orch = await orchestrator();
    const { connection, messages } = await rawSession(testIdentity(0x51), orch.target.urls[0]!);
    connection.send('heartbeat', { 'req/id': 'hb:1', seq: 1, primary: true, contributing: true, 'load/permille': 10, 'memory/available-mb': 100, vnodes: [] });
    await expect.poll(() => messages.find((m) => m.kind === 'error')?.body).toMatchObject({ code: 'E_HS_UNKNOWN_REF', 're/id': 'hb:1' });
    expect(orch.core.counters.heartbeatsUnknown).toBe(1);
  });

  it('refuses a descriptor signed by another node, or naming another node, with a coded error carrying re/id', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x52);
    const other = testIdentity(0x53);
    const { connection, messages } = await rawSession(me, orch.target.urls[0]!);
    const hardware = unknownHardwareSummary('2026-11-21T12:00:00Z');
    const forged = { ...signDescriptor({ nodeId: me.nodeId, hardware, offer: { cores: 1, 'memory-mb': 64 }, softwareVersion: 't', now: Date.now() }, other.signer) };
    connection.send('pnode-register', { 'req/id': 'reg:forged', descriptor: forged as unknown as Record<string, unknown>, primary: true });
    const foreign = signDescriptor({ nodeId: other.nodeId, hardware, offer: { cores: 1, 'memory-mb': 64 }, softwareVersion: 't', now: Date.now() }, other.signer);
    connection.send('pnode-register', { 'req/id': 'reg:foreign', descriptor: foreign as unknown as Record<string, unknown>, primary: true });
    await expect.poll(() => messages.filter((m) => m.kind === 'error').length).toBe(2);
    const errors = messages.filter((m) => m.kind === 'error').map((m) => m.body as { code: string; 're/id': string });
    expect(errors).toEqual(expect.arrayContaining([expect.objectContaining({ 're/id': 'reg:forged', code: 'E_SIG_INVALID' }), expect.objectContaining({ 're/id': 'reg:foreign', code: 'E_PROTO_INVALID' })]));
    expect(orch.core.registry.size).toBe(0);
  });
});

describe('an orchestrator that no longer knows the PNode', () => {
  it('answers its next heartbeat "not registered", and the PNode registers again on the same session', async () => {
    const orch = await orchestrator();
    const { runtime, membership } = await contributor([orch.target]);
    await expect.poll(() => orch.core.registry.get(runtime.identity.nodeId)?.heartbeats ?? 0).toBeGreaterThan(0);
    const session = runtime.connections.get(orch.target.nodeId);
    const registrations = orch.core.counters.registrations;
    // The lease ends here as if the PNode had gone silent (an orchestrator restart looks the same to the PNode).
    orch.core.registry.get(runtime.identity.nodeId)!.leaseExpiresAt = 0;
    orch.core.tick();
    expect(orch.core.registry.get(runtime.identity.nodeId)?.state).toBe('expired');
    await expect.poll(() => orch.core.counters.heartbeatsUnknown).toBeGreaterThan(0);
    await expect.poll(() => orch.core.registry.get(runtime.identity.nodeId)?.state).toBe('registered');
    expect(orch.core.counters.registrations).toBeGreaterThan(registrations);
    expect(runtime.connections.get(orch.target.nodeId)).toBe(session);
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
  });
});

describe('VNodes', () => {
  it('allocates a VNode on a contributor: allocated → running on both sides, and released on request', async () => {
    const orch = await orchestrator();
    const { membership } = await contributor([orch.target]);
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
    await expect.poll(() => [...orch.core.registry.all()][0]?.contributing ?? false).toBe(true);
    const record = orch.core.requestVNode({ cores: 1, memoryMb: 16 });
    orch.core.placePending();
    await expect.poll(() => orch.core.vnodes.get(record.id)?.state).toBe('running');
    expect(membership.state().vnodes).toEqual([expect.objectContaining({ vnodeId: record.id, orchestrator: orch.target.nodeId, state: 'running', cores: 1, memoryMb: 16 })]);
    expect(orch.core.releaseVNode(record.id)).toBe(true);
    await expect.poll(() => membership.vnodes.size).toBe(0);
    expect(orch.core.vnodes.get(record.id)?.state).toBe('released');
  });

  it('never places more than a contributor offers: the rest stays pending', async () => {
    const orch = await orchestrator();
    const { runtime, membership } = await contributor([orch.target]);
    await expect.poll(() => [...orch.core.registry.all()][0]?.contributing ?? false).toBe(true);
    const offer = membership.offer(); // DEFAULT_LIMITS: 1 core
    expect(offer.cores).toBe(1);
    const first = orch.core.requestVNode({ cores: 1, memoryMb: 8 });
    const second = orch.core.requestVNode({ cores: 1, memoryMb: 8 });
    orch.core.placePending();
    await expect.poll(() => orch.core.vnodes.get(first.id)?.state).toBe('running');
    // Three more heartbeats, each a chance to place the pending VNode: it stays pending.
    const beats = orch.core.registry.get(runtime.identity.nodeId)?.heartbeats ?? 0;
    await expect.poll(() => orch.core.registry.get(runtime.identity.nodeId)?.heartbeats ?? 0).toBeGreaterThanOrEqual(beats + 3);
    expect(orch.core.vnodes.get(second.id)?.state).toBe('pending');
    expect(membership.vnodes.size).toBe(1);
  });
});

describe('with the VNode host module (issue 7)', () => {
  it('hands accepted VNodes to the host and takes released ones back; the host shows them', async () => {
    const orch = await orchestrator();
    let parts: MembershipParts | undefined;
    const runtime = await startTestNode({
      modules: (r) => (parts = membershipParts(r, { orchestrators: [orch.target], backoff: { minMs: 50, maxMs: 400 } }, { vnodeHost: {} })).modules,
      listenOn: false,
      timing: fastKeepalive,
    });
    nodes.push(runtime);
    const { membership, availability } = parts!;
    const vnodeHost = parts!.vnodes!;
    await expect.poll(() => orch.core.registry.get(runtime.identity.nodeId)?.contributing ?? false).toBe(true);
    const record = orch.core.requestVNode({ cores: 1, memoryMb: 16 });
    orch.core.placePending();
    await expect.poll(() => record.state).toBe('running');
    expect(vnodeHost.host!.allocations()).toEqual([{ vnodeId: record.id, orchestrator: orch.target.nodeId, cores: 1, memoryMb: 16 }]);
    expect(membership.state()).not.toHaveProperty('vnodes');
    expect(new NodeControl(runtime, { sources: [vnodeHost, membership], availability }).snapshot().vnodes).toMatchObject([{ vnodeId: record.id, orchestrator: orch.target.nodeId }]);
    orch.core.releaseVNode(record.id);
    await expect.poll(() => vnodeHost.host!.allocations().length).toBe(0);
  });
});

describe("the volunteer's switches", () => {
  it('a snooze stops new placements but keeps the VNodes; turning contribution off gives them back', async () => {
    const orch = await orchestrator();
    const { runtime, membership, availability } = await contributor([orch.target]);
    const entry = () => orch.core.registry.get(runtime.identity.nodeId);
    await expect.poll(() => entry()?.contributing ?? false).toBe(true);
    const record = orch.core.requestVNode({ cores: 1, memoryMb: 8 });
    orch.core.placePending();
    await expect.poll(() => record.state).toBe('running');

    await runtime.updateSettings((s) => ({ ...s, snoozedUntil: Date.now() + 60_000 }));
    await expect.poll(() => entry()?.contributing).toBe(false);
    expect(membership.vnodes.size).toBe(1);
    expect(record.state).toBe('running');

    await runtime.updateSettings((s) => ({ ...s, snoozedUntil: null, contributionEnabled: false }));
    await expect.poll(() => record.state).toBe('pending');
    expect(membership.vnodes.size).toBe(0);
    expect(new NodeControl(runtime, { sources: [membership], availability }).snapshot().contribution.status).toBe('off');

    await runtime.updateSettings((s) => ({ ...s, contributionEnabled: true }));
    await expect.poll(() => record.state).toBe('running');
  });

  it('leaving the network stops registering and gives the VNodes back', async () => {
    const orch = await orchestrator();
    const { runtime, membership } = await contributor([orch.target]);
    await expect.poll(() => orch.core.registry.get(runtime.identity.nodeId)?.contributing ?? false).toBe(true);
    const record = orch.core.requestVNode({ cores: 1, memoryMb: 8 });
    orch.core.placePending();
    await expect.poll(() => record.state).toBe('running');
    await runtime.leave();
    await expect.poll(() => record.state).toBe('pending');
    expect(membership.state().orchestrators?.[0]?.status).toBe('lost');
    await expect.poll(() => orch.core.registry.get(runtime.identity.nodeId)?.state).toBe('expired');
  });
});

describe('an inflated descriptor', () => {
  it('is capped to what its own measurements support, and the ack says so', async () => {
    const orch = await orchestrator();
    const me = testIdentity(0x54);
    const { connection, messages } = await rawSession(me, orch.target.urls[0]!);
    const hardware = { ...unknownHardwareSummary('2026-11-21T12:00:00Z'), 'cpu/logical-cores': 4, 'memory/total-mb': 8_192, 'memory/available-mb': 6_000 };
    const descriptor = signDescriptor({ nodeId: me.nodeId, hardware, offer: { cores: 64, 'memory-mb': 1_000_000 }, softwareVersion: 't', now: Date.now() }, me.signer);
    connection.send('pnode-register', { 'req/id': 'reg:big', descriptor: descriptor as unknown as Record<string, unknown>, primary: true });
    await expect.poll(() => messages.find((m) => m.kind === 'pnode-register')?.body).toMatchObject({
      're/id': 'reg:big',
      accepted: true,
      trust: 'untrusted',
      'offer/accepted': { cores: 4, 'memory-mb': 6_000 },
    });
    // A VNode larger than an untrusted PNode may take stays pending even though the claim is large.
    connection.send('heartbeat', { 'req/id': 'hb:1', seq: 1, primary: true, contributing: true, 'load/permille': 0, 'memory/available-mb': 6_000, vnodes: [] });
    const big = orch.core.requestVNode({ cores: 4, memoryMb: 1_024 });
    const small = orch.core.requestVNode({ cores: 2, memoryMb: 1_024 });
    orch.core.placePending();
    await expect.poll(() => messages.find((m) => m.kind === 'vnode-allocate')?.body).toMatchObject({ 'vnode/id': small.id, cores: 2 });
    expect(orch.core.vnodes.get(big.id)?.state).toBe('pending');
  });
});

describe('several orchestrators', () => {
  it('fails over to the standby when its primary goes; the contributor never holds VNodes of two orchestrators', async () => {
    const a = await orchestrator();
    const b = await orchestrator();
    const { membership } = await contributor([a.target, b.target]);
    const owners: number[] = [];
    membership.on('primary-changed', () => owners.push(membership.vnodes.owners().size));
    const runtime = nodes[nodes.length - 1]!;
    runtime.on('state-changed', () => owners.push(membership.vnodes.owners().size));
    await expect.poll(() => membership.state().orchestrators?.map((o) => o.status)).toEqual(['registered', 'registered']);
    expect(membership.primary).toBe(a.target.nodeId);
    await expect.poll(() => b.core.registry.get(runtime.identity.nodeId)?.primary).toBe(false);
    await expect.poll(() => a.core.registry.get(runtime.identity.nodeId)?.contributing ?? false).toBe(true);

    // B cannot allocate on a PNode whose primary is A (the PNode refuses; B does not even try).
    const onB = b.core.requestVNode({ cores: 1, memoryMb: 8 });
    b.core.placePending();
    const onA = a.core.requestVNode({ cores: 1, memoryMb: 8 });
    a.core.placePending();
    await expect.poll(() => a.core.vnodes.get(onA.id)?.state).toBe('running');
    expect(b.core.vnodes.get(onB.id)?.state).toBe('pending');

    // A goes away. When its lease runs out the PNode drops A's VNode and makes B its primary; B places its own.
    await nodes.splice(nodes.indexOf(a.runtime), 1)[0]!.cleanup();
    await expect.poll(() => membership.primary).toBe(b.target.nodeId);
    expect(membership.vnodes.listFor(a.target.nodeId)).toEqual([]);
    await expect.poll(() => b.core.vnodes.get(onB.id)?.state).toBe('running');
    expect([...membership.vnodes.owners()]).toEqual([b.target.nodeId]);
    expect(Math.max(...owners)).toBeLessThanOrEqual(1);
    expect(membership.state().orchestrators?.find((o) => o.nodeId === a.target.nodeId)?.status).not.toBe('registered');
  });

  it("tells the host when every orchestrator is lost (not when the volunteer leaves)", async () => {
    const orch = await orchestrator();
    const { runtime, membership } = await contributor([orch.target]);
    let lost = 0;
    membership.on('orchestrators-lost', () => lost++);
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
    expect(membership.reconnecting).toBe(false);
    await nodes.splice(nodes.indexOf(orch.runtime), 1)[0]!.cleanup();
    await expect.poll(() => lost).toBe(1);
    expect(membership.suspendReasons()).toEqual(['no-orchestrator']);
    expect(membership.primary).toBeNull();
    // Lost, and dialling again by itself.
    expect(membership.reconnecting).toBe(true);
    await runtime.leave();
    expect(lost).toBe(1);
    expect(membership.reconnecting).toBe(false);
  });

  it('re-registers with an orchestrator that restarted on the same data dir and address', async () => {
    const first = await orchestrator();
    const dataDir = first.runtime.config.dataDir;
    const url = first.target.urls[0]!;
    const { runtime, membership } = await contributor([first.target]);
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
    await first.runtime.stop();
    nodes.splice(nodes.indexOf(first.runtime), 1);
    const again = await orchestrator({ dataDir, listen: [url] });
    expect(again.target.nodeId).toBe(first.target.nodeId);
    await expect.poll(() => again.core.registry.get(runtime.identity.nodeId)?.state).toBe('registered');
    await expect.poll(() => membership.state().orchestrators?.[0]?.status).toBe('registered');
  });
});
