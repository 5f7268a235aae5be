// The work scheduler's rules without sockets: a real Orchestrator with a fake transport that
// records what would be sent, PNodes played by the test, and a manual clock.
import { describe, expect, it } from 'vitest';
import { Orchestrator } from '../orchestrator.js';
import { ManualClock } from '../../../kernel/util/clock.js';
import { nativeCrypto } from '../../../kernel/crypto/native-provider.js';
import { testIdentity } from '../../../../tests/support/identities.js';
import { recordingTransport } from '../../../../tests/support/orchestrator-transport.js';
import { signDescriptor } from '../../../../src-shared/membership/descriptor.js';
import { unknownHardwareSummary } from '../../../../src-shared/hardware/hardware-summary.js';
import type { VNodeTaskBody } from '../../../../src-shared/protocol/messages/work-bodies.js';
import { MAX_CHUNKS_PER_MODULE_REQUEST } from '../../../../src-shared/protocol/messages/work-bodies.js';
import { encodeTaskResult, makeTaskResult, type TaskStatus } from '../../../../src-shared/vnode/task-result.js';
import type { Workload } from '../../../../src-shared/vnode/workload.js';
import { WorkScheduler } from './work-scheduler.js';
import { ATTEMPT_WALL_FACTOR, LIES_BEFORE_BAN, MAX_QUEUED_CHUNKS_PER_PNODE, MAX_TASK_FAILURES } from './work-profile.js';

const INTERVAL = 1_000;
const GRACE = 1_000;

function setup(options: { messagesPerSecond?: number } = {}) {
  const clock = new ManualClock();
  const { transport, sent, connected } = recordingTransport();
  const orchestrator = new Orchestrator({ selfNodeId: testIdentity(0x01).nodeId, clock, crypto: nativeCrypto, transport, heartbeatIntervalMs: INTERVAL });
  const traces: Array<{ peer: string; message: string }> = [];
  const scheduler = new WorkScheduler({
    orchestrator,
    transport,
    clock,
    attemptGraceMs: GRACE,
    random: () => 0.5,
    trace: (peer, detail) => traces.push({ peer, message: String(detail['message']) }),
    ...(options.messagesPerSecond !== undefined ? { messagesPerSecond: options.messagesPerSecond, messagesBurst: 1 } : {}),
  });
  const hardware = { ...unknownHardwareSummary('2026-11-21T12:00:00Z'), 'cpu/logical-cores': 4, 'memory/total-mb': 8_192, 'memory/available-mb': 6_000 };
  let seq = 0;
  /** A registered, contributing PNode offering one core. */
  const pnode = (byte: number): string => {
    const identity = testIdentity(byte);
    connected.add(identity.nodeId);
    const descriptor = signDescriptor({ nodeId: identity.nodeId, hardware, offer: { cores: 1, 'memory-mb': 2_048 }, softwareVersion: 't', now: clock.now() }, identity.signer);
    orchestrator.onRegister(identity.nodeId, { 'req/id': `reg:${++seq}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: true });
    heartbeat(identity.nodeId);
    return identity.nodeId;
  };
  const heartbeat = (nodeId: string, contributing = true) =>
    orchestrator.onHeartbeat(nodeId, { 'req/id': `hb:${++seq}`, seq, primary: true, contributing, 'load/permille': 100, 'memory/available-mb': 6_000, vnodes: orchestrator.registry.get(nodeId) ? [...orchestrator.registry.get(nodeId)!.vnodes].filter((id) => orchestrator.vnodes.get(id)?.state !== 'offered').map((id) => ({ 'vnode/id': id, state: 'running' as const })) : [] });
  /** Every PNode accepts the allocations it was sent. */
  const acceptAllocations = () => {
    for (const s of sent.filter((x) => x.kind === 'vnode-allocate' && x.body['req/id'] !== undefined)) {
      orchestrator.onAllocateReply(s.to, { 're/id': s.body['req/id'] as string, 'vnode/id': s.body['vnode/id'] as string, accepted: true });
    }
    sent.splice(0, sent.length, ...sent.filter((x) => x.kind !== 'vnode-allocate'));
  };
  const tasks = () => sent.filter((s) => s.kind === 'vnode-task').map((s) => ({ to: s.to, body: s.body as unknown as VNodeTaskBody }));
  const answer = (task: { to: string; body: VNodeTaskBody }, status: TaskStatus, output = new Uint8Array([1, 2, 3])) =>
    scheduler.onResult(task.to, { 're/id': task.body['req/id'], result: encodeTaskResult(makeTaskResult({ taskId: task.body.task['task/id'], vnodeId: task.body['vnode/id'], status, output, detail: status, cpuMs: 5, wallMs: 6 })) });
  const module = scheduler.addModule(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 42]));
  const workload = (input: number): Workload => ({ moduleHash: module.hash, moduleSize: module.size, entry: 'run', input: new Uint8Array([input]), needs: { memoryMb: 1, maxMs: 100, cores: 1 } });
  /** Passes until the pool is placed and accepted (a few rounds). */
  const settle = () => {
    for (let i = 0; i < 4; i++) {
      clock.advance(300);
      scheduler.pass();
      acceptAllocations();
    }
    scheduler.pass();
  };
  return { clock, sent, connected, orchestrator, scheduler, traces, pnode, heartbeat, settle, tasks, answer, workload, module };
}

describe('the work scheduler', () => {
  it('places one work VNode per needed run on different PNodes, sends the task to two, and accepts when they agree', () => {
    const t = setup();
    const [a, b, c] = [t.pnode(0x21), t.pnode(0x22), t.pnode(0x23)];
    const job = t.scheduler.submit({ name: 'one', workloads: [t.workload(1)] });
    t.settle();
    const placed = t.scheduler.vnodes().map((v) => v.pnode);
    expect(placed).toHaveLength(2);
    expect(new Set(placed).size).toBe(2);
    const sentTo = t.tasks().map((x) => x.to);
    expect(new Set(sentTo).size).toBe(2);
    expect([a, b, c]).toEqual(expect.arrayContaining(sentTo));
    for (const task of t.tasks()) t.answer(task, 'ok');
    expect(job.state).toBe('done');
    expect(job.tasks[0]!.acceptedBy).toBe('quorum');
  });

  it('gives up a run that brings no answer by its deadline, runs it elsewhere, and fails the task after two failures', () => {
    const t = setup();
    for (const byte of [0x31, 0x32, 0x33]) t.pnode(byte);
    const job = t.scheduler.submit({ name: 'silent', workloads: [t.workload(2)] });
    t.settle();
    expect(t.tasks()).toHaveLength(2);
    t.clock.advance(100 * ATTEMPT_WALL_FACTOR + GRACE);
    for (const id of [...t.connected]) t.heartbeat(id);
    t.scheduler.tick();
    expect(job.tasks[0]!.failures).toBe(MAX_TASK_FAILURES);
    expect(job.state).toBe('failed');
    expect(job.tasks[0]!.lastFailure).toMatchObject({ status: 'no-answer', detail: expect.stringMatching(/no result within 1400 ms/) });
    expect(t.scheduler.counters.attemptsEnded['no-answer']).toBe(2);
  });

  it('runs a task again when its PNode pauses (heartbeat not contributing) or refuses, without counting a failure', () => {
    const t = setup();
    const ids = [t.pnode(0x41), t.pnode(0x42), t.pnode(0x43)];
    const job = t.scheduler.submit({ name: 'paused', workloads: [t.workload(3)] });
    t.settle();
    const [first, second] = t.tasks();
    t.heartbeat(first!.to, false);
    t.scheduler.tick();
    t.settle();
    const third = t.tasks().find((x) => x.to !== first!.to && x.to !== second!.to);
    expect(third).toBeDefined();
    expect(ids).toContain(third!.to);
    t.answer(second!, 'ok');
    t.answer(third!, 'ok');
    expect(job.state).toBe('done');
    expect(job.tasks[0]!.failures).toBe(0);
    expect(t.scheduler.counters.retries).toBe(1);
    // The paused PNode's answer comes late and is ignored.
    t.answer(first!, 'ok', new Uint8Array([9]));
    expect(t.scheduler.counters.lateResults).toBe(1);
    expect(job.tasks[0]!.votes).toHaveLength(2);
  });

  it('on a mismatch asks a third PNode, punishes the loser, and bans it after repeated lies', () => {
    const t = setup();
    const [a, b, c] = [t.pnode(0x51), t.pnode(0x52), t.pnode(0x53)];
    const job = t.scheduler.submit({ name: 'lies', workloads: [1, 2, 3, 4, 5, 6].map((i) => t.workload(i)) });
    const answered = new Set<string>();
    for (let round = 0; round < 20 && job.state === 'running'; round++) {
      t.settle();
      for (const task of t.tasks()) {
        if (answered.has(task.body['req/id'])) continue;
        answered.add(task.body['req/id']);
        // `a` lies on every task it gets; the others agree.
        t.answer(task, 'ok', task.to === a ? new Uint8Array([6, 6, 6]) : new Uint8Array([1, 2, 3]));
      }
    }
    expect(job.state).toBe('done');
    for (const task of job.tasks) expect(task.votes.filter((v) => v.hash === task.acceptedHash).map((v) => v.pnode)).not.toContain(a);
    expect(t.scheduler.pnodeStats.get(a)?.lies).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    expect(t.scheduler.counters.mismatches).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    expect(t.scheduler.banned.has(a)).toBe(true);
    expect(t.orchestrator.registry.score(t.orchestrator.registry.get(a)!)).toBeLessThan(t.orchestrator.registry.score(t.orchestrator.registry.get(b)!));
    expect(t.scheduler.vnodes().some((v) => v.pnode === a)).toBe(false);
    expect(t.sent.some((s) => s.kind === 'vnode-release' && s.to === a)).toBe(true);
    expect(t.traces.filter((x) => x.peer === a).map((x) => x.message)).toEqual(expect.arrayContaining([expect.stringMatching(/no more work goes to this PNode/)]));
    expect([b, c].every((id) => (t.scheduler.pnodeStats.get(id)?.lies ?? 0) === 0)).toBe(true);
  });

  it('serves module chunks within bounds: unknown modules, unregistered nodes and too many chunks are refused', () => {
    const t = setup();
    const a = t.pnode(0x61);
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:1', 'module/hash': t.module.hash, 'module/size': t.module.size });
    expect(t.sent.filter((s) => s.kind === 'vnode-module-chunk')).toHaveLength(1);
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:2', 'module/hash': `sha256:${'0'.repeat(64)}`, 'module/size': 10 });
    t.scheduler.onModuleRequest(testIdentity(0x62).nodeId, { 'req/id': 'mr:3', 'module/hash': t.module.hash, 'module/size': t.module.size });
    const errors = t.sent.filter((s) => s.kind === 'error').map((s) => [s.body['re/id'], s.body['code']]);
    expect(errors).toEqual([['mr:2', 'E_PROTO_INVALID']]); // mr:3's node has no session to answer on
    expect(t.scheduler.counters.moduleRequestsRefused).toBe(2);
  });

  it('keeps the sends to one PNode within its budget: chunks queue, a request past the queue is refused', () => {
    const t = setup({ messagesPerSecond: 1 });
    const big = t.scheduler.addModule(new Uint8Array(32 * 1024 * 20));
    const a = t.pnode(0x71);
    const wanted = Array.from({ length: MAX_CHUNKS_PER_MODULE_REQUEST }, (_, i) => i);
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:1', 'module/hash': big.hash, 'module/size': big.size, chunks: wanted });
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:2', 'module/hash': big.hash, 'module/size': big.size, chunks: wanted.map((i) => i + 8) });
    expect(t.sent.filter((s) => s.kind === 'vnode-module-chunk')).toHaveLength(1);
    expect(MAX_QUEUED_CHUNKS_PER_PNODE).toBeLessThan(3 * MAX_CHUNKS_PER_MODULE_REQUEST);
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:3', 'module/hash': big.hash, 'module/size': big.size, chunks: [16, 17] });
    expect(t.sent.filter((s) => s.kind === 'error').map((s) => s.body['re/id'])).toEqual(['mr:3']);
    t.clock.advance(3_000);
    t.scheduler.pass();
    expect(t.sent.filter((s) => s.kind === 'vnode-module-chunk')).toHaveLength(2);
    expect(t.scheduler.chunksQueued).toBe(true);
  });
});
