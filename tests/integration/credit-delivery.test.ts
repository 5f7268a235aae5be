// Credit end to end (issue 13 §5), with the two recipes as `pnode orchestrator` and `pnode node`
// build them: a real orchestrator and a real PNode on loopback (real sessions, real crypto, real
// files). The orchestrator's outbox issues receipts through the hook the scheduler calls; they
// reach the PNode over its session, also after the PNode was away and the orchestrator restarted
// meanwhile (the outbox is on disk); the PNode verifies each, stores it in its ledger and shows it
// in its control state. An orchestrator it does not register with, and a replayed receipt, are
// refused with their codes and traced.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeConfig } from '../../src-node/kernel/runtime/node-config.js';
import { contributorNode, type ContributorNode } from '../../src-node/recipes/contributor-node.js';
import { orchestratorNode, type OrchestratorNode } from '../../src-node/recipes/orchestrator-node.js';
import { validatedFact } from '../support/credit.js';
import { waitUntil } from '../support/work-net.js';
import { traceCount } from '../support/nodes.js';

const roots: string[] = [];
const running: Array<{ stop(): Promise<void> }> = [];

afterEach(async () => {
  for (const node of running.splice(0).reverse()) await node.stop();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const timing = { keepalive: { intervalMs: 1_000, timeoutMs: 10_000 } };

function base(dataDir: string, role: NodeConfig['role'], listen: readonly string[]): NodeConfig {
  return { dataDir, role, listen, seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'test', initialSettings: { joined: true }, timing };
}

async function startOrchestrator(dataDir: string, listen = 'ws://127.0.0.1:0/peer'): Promise<OrchestratorNode> {
  const node = await orchestratorNode({ ...base(dataDir, 'orchestrator', [listen]), orchestrator: { orchestrator: { heartbeatIntervalMs: 300 }, credit: { tickMs: 100, ackTimeoutMs: 2_000 } } });
  running.push(node);
  return node;
}

async function startContributor(dataDir: string, orchestrator: { nodeId: string; urls: readonly string[] }): Promise<ContributorNode> {
  const node = await contributorNode({
    ...base(dataDir, 'contributor', ['ws://127.0.0.1:0/peer']),
    contributor: { activity: 'headless', orchestrators: [orchestrator], membership: { backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 } },
  });
  running.push(node);
  return node;
}

async function stop(node: { stop(): Promise<void> }): Promise<void> {
  running.splice(running.indexOf(node), 1);
  await node.stop();
}

function registered(node: ContributorNode): boolean {
  return node.control.snapshot().orchestrators.some((o) => o.status === 'registered');
}

describe('credit receipts from an orchestrator to a PNode', () => {
  it('are delivered, also after the PNode was away and the orchestrator restarted, verified, and shown', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pnode-credit-'));
    roots.push(root);
    let orchestrator = await startOrchestrator(join(root, 'orchestrator'));
    const target = { nodeId: orchestrator.runtime.identity.nodeId, urls: orchestrator.runtime.listenUrls() };
    let pnode = await startContributor(join(root, 'pnode'), target);
    const pnodeId = pnode.runtime.identity.nodeId;
    await waitUntil(() => registered(pnode), 'the PNode registered');

    const first = await orchestrator.credit.onValidated(validatedFact(pnodeId, 'att:first', { validatedAt: Date.now() }));
    await waitUntil(() => pnode.control.snapshot().credit.receipts === 1, 'the first receipt in the PNode’s ledger');
    await waitUntil(() => orchestrator.credit.outbox.waiting(pnodeId) === 0, 'the outbox acknowledged');
    expect(pnode.control.snapshot().credit).toMatchObject({ validated: 1, total: first.receipt!['credit/micro'], recent: [{ receiptId: first.receiptId, taskId: 'att:first' }] });

    // The PNode goes away; validation goes on; the orchestrator restarts on its port and data dir.
    await stop(pnode);
    const second = await orchestrator.credit.onValidated(validatedFact(pnodeId, 'att:second', { validatedAt: Date.now() }));
    const third = await orchestrator.credit.onValidated(validatedFact(pnodeId, 'att:third', { validatedAt: Date.now(), outcome: 'invalid' }));
    expect(orchestrator.credit.outbox.waiting(pnodeId)).toBe(2);
    await stop(orchestrator);
    orchestrator = await startOrchestrator(join(root, 'orchestrator'), target.urls[0]!);
    expect(orchestrator.runtime.identity.nodeId).toBe(target.nodeId);
    expect(orchestrator.credit.outbox.waiting(pnodeId)).toBe(2);

    pnode = await startContributor(join(root, 'pnode'), target);
    expect(pnode.control.snapshot().credit.receipts).toBe(1);
    await waitUntil(() => pnode.control.snapshot().credit.receipts === 3, 'the receipts issued while it was away');
    await waitUntil(() => orchestrator.credit.outbox.waiting(pnodeId) === 0, 'the outbox emptied');
    const state = pnode.control.snapshot();
    expect(state.credit).toMatchObject({ validated: 2, rejected: 1, gaps: 0, refused: 0, total: first.receipt!['credit/micro'] + second.receipt!['credit/micro'] });
    expect(state.credit.recent.map((r) => r.receiptId)).toEqual([third.receiptId, second.receiptId, first.receiptId]);
    expect(state.contributionHistory.allTime).toMatchObject({ tasksValidated: 2, tasksRejected: 1, credit: state.credit.total });
    const detail = await pnode.control.execute({ command: 'get-receipt', receiptId: second.receiptId });
    expect(detail).toMatchObject({ ok: true, value: { verified: true, receipt: second.receipt } });
    expect(orchestrator.credit.stats.delivered).toBe(2);
  });

  it('are refused from an orchestrator the PNode does not register with, and when replayed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pnode-credit-'));
    roots.push(root);
    const orchestrator = await startOrchestrator(join(root, 'orchestrator'));
    const pnode = await startContributor(join(root, 'pnode'), { nodeId: orchestrator.runtime.identity.nodeId, urls: orchestrator.runtime.listenUrls() });
    const pnodeId = pnode.runtime.identity.nodeId;
    await waitUntil(() => registered(pnode), 'the PNode registered');

    // A stranger: a real orchestrator with a session to the PNode, but not one it registers with.
    const stranger = await startOrchestrator(join(root, 'stranger'));
    await stranger.runtime.connections.connect(pnode.runtime.listenUrls(), { nodeId: pnodeId });
    const forged = await stranger.credit.onValidated(validatedFact(pnodeId, 'att:stranger', { validatedAt: Date.now() }));
    await waitUntil(() => stranger.credit.stats.refused === 1, 'the stranger’s receipt refused');
    expect(stranger.credit.outbox.waiting(pnodeId)).toBe(0);
    // Traced, but not counted for the volunteer: any node with a session could inflate that count.
    expect(pnode.control.snapshot().credit).toMatchObject({ receipts: 0, refused: 0 });
    expect((await pnode.control.execute({ command: 'get-receipt', receiptId: forged.receiptId })).ok).toBe(false);
    const refusals = () => pnode.runtime.traces.recent(1_000).filter((e) => e['event/type'] === 'error/occurred' && e.detail?.['kind'] === 'credit-receipt');
    expect(refusals().map((e) => e.detail?.['code'])).toEqual(['E_SIG_UNKNOWN_SIGNER']);

    // A receipt delivered, then sent again by hand: E_HS_REPLAY, nothing stored twice.
    const real = await orchestrator.credit.onValidated(validatedFact(pnodeId, 'att:real', { validatedAt: Date.now() }));
    await waitUntil(() => pnode.control.snapshot().credit.receipts === 1, 'the real receipt stored');
    const before = traceCount(orchestrator.runtime, 'error/occurred', pnodeId);
    expect(orchestrator.runtime.connections.send(pnodeId, 'credit-receipt', { 'req/id': 'cr:replay', receipt: real.receipt as unknown as Record<string, unknown> })).toBe(true);
    await waitUntil(() => traceCount(orchestrator.runtime, 'error/occurred', pnodeId) > before, 'the PNode answered the replay');
    expect(refusals().map((e) => e.detail?.['code'])).toEqual(['E_SIG_UNKNOWN_SIGNER', 'E_HS_REPLAY']);
    expect(pnode.control.snapshot().credit).toMatchObject({ receipts: 1, refused: 1 });
  });
});
