// Issue 7 §3, the contributor's rules for a vnode-task, over real sessions: a PNode never runs a
// task for a VNode another orchestrator allocated (or none did), refuses work while paused, and
// holds at most MAX_TASKS_PER_VNODE tasks per VNode; every refusal is a vnode-result that says why.
// Tasks here are sent straight over the orchestrator's session (not by its scheduler), so their
// modules are put in the contributor's cache first: the orchestrator ships a blob only for a run
// its scheduler sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOutbound, type PeerConnection } from '../../src-node/kernel/connection/peer-connection.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { testIdentity } from '../support/identities.js';
import { MAX_TASKS_PER_VNODE } from '../../src-node/contributor/work/work-runner.js';
import { type WorkContributor, type WorkNet, startWorkNet, submitBatch, waitUntil } from '../support/work-net.js';
import { decodeTaskResult, type TaskResult } from '../../src-shared/vnode/task-result.js';
import { encodeTask } from '../../src-shared/vnode/workload.js';
import type { WasiWorkload } from '../../src-shared/vnode/wasi-workload.js';
import { wasiOutputDigest } from '../../src-shared/vnode/wasi-output.js';
import { encodePrimesInput } from '../../src-node/kernel/workloads/demo/primes.js';
import { wasiModule, wasiTaskFor } from '../support/vnode/wasi-fixtures.js';
import { stdinTask } from '../support/test-project.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import type { VNodeResultBody } from '../../src-shared/protocol/messages/work-bodies.js';

let net: WorkNet;
let contributor: WorkContributor;
let vnodeId: string;
let small: WasiWorkload;
const primes = wasiModule('primes-wasi');
const probe = wasiModule('probe');
const sockets: PeerConnection[] = [];

beforeAll(async () => {
  net = await startWorkNet({ contributors: 1, contributor: () => ({ listen: true }) });
  await net.waitContributing();
  contributor = net.contributors[0]!;
  // A work VNode on the contributor: one task does it (its benchmark first). One PNode cannot make
  // a quorum, so the task stays open with one result while we look at its VNode.
  const { tasks } = await submitBatch(net, 'place a VNode', primes.bytes, [stdinTask(primes.hash, encodePrimesInput(0, 1_000))]);
  await waitUntil(() => net.scheduler.heldTask(tasks[0]!.id)?.votes.length === 1 && contributor.runner.tasksHeld === 0, 'a work VNode that ran a task');
  vnodeId = contributor.host.allocations()[0]!.vnodeId;
  await contributor.host.modules.put(probe.bytes);
  const { taskId: _taskId, vnodeId: _vnode, ...workload } = wasiTaskFor(primes, { stdin: encodePrimesInput(0, 100), outputCap: 4, needs: { memoryMb: 1, maxMs: 60_000 } });
  small = workload;
});

afterAll(async () => {
  for (const s of sockets) s.terminate();
  await net?.stop();
});

/** Sends a vnode-task over a session and waits for the vnode-result answering it. */
async function ask(send: (body: { 'req/id': string; 'vnode/id': string; task: ReturnType<typeof encodeTask> }) => void, messages: () => SessionMessage[], reqId: string, workload: WasiWorkload = small, vnode = vnodeId): Promise<TaskResult> {
  send({ 'req/id': reqId, 'vnode/id': vnode, task: encodeTask({ ...workload, taskId: reqId, vnodeId: vnode }) });
  let found: VNodeResultBody | undefined;
  await waitUntil(() => {
    found = messages().find((m) => m.kind === 'vnode-result' && (m.body as VNodeResultBody)['re/id'] === reqId)?.body as VNodeResultBody | undefined;
    return found !== undefined;
  }, `the answer to ${reqId}`);
  const decoded = decodeTaskResult(found!.result);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

function fromOrchestrator() {
  const messages: SessionMessage[] = [];
  net.orchestratorRuntime.connections.on('message', (c, m) => {
    if (c.peerNodeId === contributor.nodeId) messages.push(m);
  });
  return {
    send: (body: Parameters<Parameters<typeof ask>[0]>[0]) => expect(net.orchestratorRuntime.connections.send(contributor.nodeId, 'vnode-task', body)).toBe(true),
    messages: () => messages,
  };
}

describe('the work runner', () => {
  it('never runs a task for a VNode another node allocated: it answers `cancelled` and why', async () => {
    const connection = await openOutbound({ crypto: nativeCrypto, identity: testIdentity(0x71), clock: systemClock, nonces: new HandshakeNonceCache() }, { url: contributor.runtime.listenUrls()[0]!, transport: { policy: { insecureLoopback: true } } });
    const messages: SessionMessage[] = [];
    connection.on('message', (m) => messages.push(m));
    connection.start();
    sockets.push(connection);
    const ran = contributor.runner.stats.tasksRun;
    const result = await ask((body) => connection.send('vnode-task', body), () => messages, 'wt:stranger');
    expect(result).toMatchObject({ status: 'cancelled', detail: `refused: VNode ${vnodeId} is not allocated here by this orchestrator`, output: null });
    expect(contributor.runner.stats.tasksRun).toBe(ran);
  });

  it('refuses a VNode it does not hold, even from its orchestrator', async () => {
    const orchestrator = fromOrchestrator();
    const result = await ask(orchestrator.send, orchestrator.messages, 'wt:no-such-vnode', small, 'vn:none');
    expect(result).toMatchObject({ status: 'cancelled', detail: 'refused: VNode vn:none is not allocated here by this orchestrator' });
  });

  it('holds at most MAX_TASKS_PER_VNODE tasks per VNode; the next is refused as busy', async () => {
    const orchestrator = fromOrchestrator();
    const { taskId: _taskId, vnodeId: _vnode, ...busy } = wasiTaskFor(probe, { args: ['spin', '300000000'], needs: { memoryMb: 16, maxMs: 60_000 } });
    // Awaited below; handled now, so a failure before that is this test's, not a stray rejection.
    const held = Promise.all(Array.from({ length: MAX_TASKS_PER_VNODE }, (_, i) => ask(orchestrator.send, orchestrator.messages, `wt:busy-${i}`, busy)));
    held.catch(() => undefined);
    await waitUntil(() => contributor.runner.tasksHeld === MAX_TASKS_PER_VNODE, 'the VNode to hold its tasks');
    const refused = await ask(orchestrator.send, orchestrator.messages, 'wt:one-too-many', busy);
    expect(refused).toMatchObject({ status: 'cancelled', detail: expect.stringMatching(/^refused: busy/) });
    for (const result of await held) expect(`${result.status} ${result.detail}`).toBe('ok null');
  });

  it('refuses work while paused, saying why', async () => {
    const orchestrator = fromOrchestrator();
    await contributor.runtime.updateSettings((s) => ({ ...s, snoozedUntil: Date.now() + 60_000 }));
    try {
      const result = await ask(orchestrator.send, orchestrator.messages, 'wt:while-paused');
      expect(result).toMatchObject({ status: 'cancelled', detail: 'refused: paused (snoozed)' });
    } finally {
      await contributor.runtime.updateSettings((s) => ({ ...s, snoozedUntil: null }));
    }
  });

  it('runs a WASI task: answers with exit code, stdout and the digest', async () => {
    const orchestrator = fromOrchestrator();
    const task: WasiWorkload = {
      kind: 'wasi',
      moduleHash: primes.hash,
      moduleSize: primes.size,
      args: [],
      stdin: encodePrimesInput(0, 160_000),
      files: [],
      outputs: [],
      outputCap: 4,
      stderrCap: 256,
      needs: { memoryMb: 1, maxMs: 60_000, cores: 1 },
    };
    const result = await ask(orchestrator.send, orchestrator.messages, 'wt:wasi', task);
    expect(result).toMatchObject({ status: 'ok', output: null, wasi: { exitCode: 0, stdout: new Uint8Array([0x5b, 0x39, 0, 0]), files: [] } });
    expect(result.outputHash).toBe(wasiOutputDigest(0, new Uint8Array([0x5b, 0x39, 0, 0]), []));
  });
});
