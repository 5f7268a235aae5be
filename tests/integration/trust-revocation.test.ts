// Issue 15 §5, end to end in one process (real runtimes on loopback, real sessions, real crypto,
// real files; short intervals): a revocation reaches people. Orchestrator A runs the registration
// authority and publishes its signed list to a seed directory; orchestrator B trusts A's key but
// has no revocation file; a PNode registered with both enrolled through A; and a bare node C that
// follows A's key and has no session with anyone. A revokes the PNode's credential: the PNode
// learns it over its session (it has no directory), shows it and says so; B stops counting it as
// trusted; C learns it from the directory.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestNode } from '../support/nodes.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { orchestratorParts, type OrchestratorParts } from '../../src-node/recipes/orchestrator-node.js';
import { membershipParts, type MembershipParts } from '../support/contributors.js';
import { NodeControl } from '../../src-node/control/node-control.js';
import { TrustedRegistrationModule } from '../../src-node/contributor/trust/trusted-registration-module.js';
import { NotificationsModule } from '../../src-node/contributor/notifications-module.js';
import { RevocationSync } from '../../src-node/kernel/revocation/revocation-sync.js';
import { DirectoryModule } from '../../src-node/services/directory/directory-module.js';
import type { TrustedView } from '../../src-shared/control/state.js';
import type { NotificationKind } from '../../src-shared/control/messages.js';

type Running = NodeRuntime & { cleanup: () => Promise<void> };
const nodes: Running[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).reverse().map((n) => n.cleanup()));
});

const timing = { keepalive: { intervalMs: 1_000, timeoutMs: 10_000 } };
/** The injected intervals: directories asked every FETCH_MS; a PUT retried from 50 ms. */
const FETCH_MS = 300;
const revocations = { fetchIntervalMs: FETCH_MS, publishBackoff: { minMs: 50, maxMs: 200 } };

async function orchestrator(directory: string, trustKeys: readonly string[], withAuthority: boolean) {
  let parts: OrchestratorParts | undefined;
  const runtime = await startTestNode({
    role: 'orchestrator',
    modules: (r) =>
      (parts = orchestratorParts(r, {
        authority: withAuthority ? {} : null,
        trust: { authorityKeys: [...trustKeys] },
        orchestrator: { heartbeatIntervalMs: 200 },
        directories: [directory],
        revocations,
      })).modules,
    timing,
  });
  nodes.push(runtime);
  return { runtime, parts: parts!, target: { nodeId: runtime.identity.nodeId, urls: runtime.listenUrls() } };
}

describe('revocation that reaches people (issue 15 §5)', () => {
  it('an authority revokes: the PNode learns it over its session, another orchestrator without the file and a node that only reads the directory learn it too', async () => {
    // The directory's port is chosen first: A publishes to it from its first start (retrying until it is up).
    const port = await freeLoopbackPort();
    const directoryUrl = `http://127.0.0.1:${port}`;
    const a = await orchestrator(directoryUrl, [], true);
    const authorityKey = a.parts.authority!.key!;
    let directory: DirectoryModule | undefined;
    nodes.push(await startTestNode({ role: 'directory', listenOn: false, modules: (r) => [(directory = new DirectoryModule(r.components, { listen: directoryUrl, authorityKeys: [authorityKey], fsync: false }))] }));
    const b = await orchestrator(directoryUrl, [authorityKey], false);
    let readerSync: RevocationSync | undefined;
    nodes.push(await startTestNode({ listenOn: false, modules: (r) => [(readerSync = new RevocationSync(r.components, { keys: () => [authorityKey], directories: () => [directoryUrl], fetchIntervalMs: FETCH_MS }))] }));

    // The PNode: registered with A (its primary, the authority) and B; no directory at all.
    let parts: (MembershipParts & { trusted: TrustedRegistrationModule; sync: RevocationSync }) | undefined;
    const pnode = await startTestNode({
      modules: (r) => {
        const built = membershipParts(r, { orchestrators: [a.target, b.target], backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 });
        const follows: { trusted?: TrustedRegistrationModule } = {};
        const sync = new RevocationSync(r.components, { keys: () => (follows.trusted?.credential ? [follows.trusted.credential['issuer/key']] : []), directories: () => [], fetchIntervalMs: 60_000 });
        const trusted = new TrustedRegistrationModule({ ...r.components, membership: built.membership, revocations: sync }, { requestTimeoutMs: 5_000, orchestrator: a.target.nodeId });
        follows.trusted = trusted;
        parts = { ...built, trusted, sync };
        return [...built.modules, sync, trusted, new NotificationsModule({ ...r.components, membership: built.membership, trusted })];
      },
      listenOn: false,
      timing,
    });
    nodes.push(pnode);
    const { membership, trusted, availability, sync } = parts!;
    const control = new NodeControl(pnode, { sources: [membership, trusted], availability });
    const notifications: NotificationKind[] = [];
    pnode.on('notification', (kind) => notifications.push(kind));
    await expect.poll(() => membership.state().orchestrators?.filter((o) => o.status === 'registered').length, { timeout: 10_000 }).toBe(2);

    const issued = await a.parts.authority!.authority!.issueToken();
    const result = await control.execute({ command: 'enroll', token: issued.token });
    expect(result.ok ? 'ok' : JSON.stringify(result.error)).toBe('ok');
    const credentialId = (result as { value: TrustedView }).value.credentialId!;
    const nodeId = pnode.identity.nodeId;
    for (const o of [a, b]) await expect.poll(() => o.parts.orchestrator.orchestrator.registry.get(nodeId)?.trust, { timeout: 10_000 }).toBe('trusted');
    // A's list (still empty) is in the directory; everyone holds it.
    await expect.poll(() => directory!.revocations!.get(authorityKey)?.list['sequence/no'], { timeout: 10_000 }).toBeGreaterThan(0);

    expect(await a.parts.authority!.authority!.revoke(credentialId, 'laptop stolen')).toBe(true);

    // The PNode, over its session with A: state, last error, notification; no longer trusted anywhere.
    await expect.poll(() => control.snapshot().trusted.state, { timeout: 10_000 }).toBe('revoked');
    expect(control.snapshot().trusted.lastError).toContain('laptop stolen');
    // What the renderer explains to the volunteer: when, and the authority's own words.
    expect(control.snapshot().trusted.revoked).toMatchObject({ reason: 'laptop stolen', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    await expect.poll(() => notifications.includes('trusted-revoked')).toBe(true);
    expect(sync.stats().takenFromSessions).toBeGreaterThan(0);
    // B, without any file: from the directory, or from the PNode that now holds the list.
    await expect.poll(() => b.parts.revocations.revoked(credentialId, authorityKey)?.reason, { timeout: 10_000 }).toBe('laptop stolen');
    await expect.poll(() => b.parts.orchestrator.orchestrator.registry.get(nodeId)?.trust, { timeout: 10_000 }).toBe('untrusted');
    await expect.poll(() => a.parts.orchestrator.orchestrator.registry.get(nodeId)?.trust, { timeout: 10_000 }).toBe('untrusted');
    // The directory serves the newest list; a node that only reads the directory learns it within its interval.
    await expect.poll(() => directory!.revocations!.get(authorityKey)?.list.revoked.map((r) => r['credential/id']), { timeout: 10_000 }).toEqual([credentialId]);
    await expect.poll(() => readerSync!.revoked(credentialId, authorityKey)?.reason, { timeout: 10_000 }).toBe('laptop stolen');
    expect(readerSync!.stats().fetchedNewer).toBeGreaterThan(0);
    expect(control.snapshot().trusted.credentialId).toBe(credentialId);
  }, 60_000);
});
