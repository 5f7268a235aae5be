// The work scheduler's rules without sockets or a store: a real Orchestrator with a fake transport
// that records what would be sent, PNodes played by the test (each registered from an address of
// its choosing), tasks adopted as the store would hand them over, and a manual clock.
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
import { outputFile } from '../../../../src-shared/vnode/wasi-output.js';
import { decodeTask } from '../../../../src-shared/vnode/workload.js';
import type { WasiWorkload } from '../../../../src-shared/vnode/wasi-workload.js';
import { DEFAULT_REPLICATION, type ValidatorSpec, EXACT_VALIDATOR } from '../../../../src-shared/jobs/task-spec.js';
import { hashBytes } from '../../../kernel/storage/module-cache.js';
import type { ClaimedTask, WriteBatch } from '../jobs/job-store.js';
import { encodeStoredTask } from '../jobs/stored-task.js';
import { WorkScheduler } from './work-scheduler.js';
import { ATTEMPT_WALL_FACTOR, MAX_QUEUED_CHUNKS_PER_PNODE, MAX_TASK_FAILURES } from './work-profile.js';
import { ESTABLISHED_AFTER, LIES_BEFORE_BAN } from './reputation.js';
import { MINIMAL_CAPACITY } from './work-scheduler.js';

const INTERVAL = 1_000;
const GRACE = 1_000;
const MODULE = { hash: hashBytes(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), size: 8 };
const BENCH = { hash: hashBytes(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1])), size: 9 };

function workload(input: number, extra: Partial<WasiWorkload> = {}): WasiWorkload {
  return { kind: 'wasi', moduleHash: MODULE.hash, moduleSize: MODULE.size, args: [String(input)], stdin: new Uint8Array([input]), files: [], outputs: [], outputCap: 64, stderrCap: 64, randomSeed: `seed-${input}`, needs: { memoryMb: 1, maxMs: 100, cores: 1 }, ...extra };
}

let taskNo = 0;
function claimed(input: number, extra: { validator?: ValidatorSpec; workload?: Partial<WasiWorkload>; deadline?: number } = {}): ClaimedTask {
  const id = `task:${++taskNo}`;
  return {
    task: {
      id,
      batch: 'batch:1',
      project: 'zProject',
      seq: taskNo,
      name: `t${taskNo}`,
      spec: encodeStoredTask({ workload: workload(input, extra.workload), replication: DEFAULT_REPLICATION, validator: extra.validator ?? EXACT_VALIDATOR }),
      deadline: extra.deadline ?? 10_000_000_000_000,
      state: 'open',
      attempts: 0,
      failures: 0,
      detail: null,
      acceptedReplica: null,
      createdAt: 0,
      decidedAt: null,
      owner: 'self',
      leaseUntil: 0,
    },
    replicas: [],
  };
}

function setup(options: { messagesPerSecond?: number; benchmark?: boolean } = {}) {
  const clock = new ManualClock();
  const { transport, sent, connected } = recordingTransport();
  const orchestrator = new Orchestrator({ selfNodeId: testIdentity(0x01).nodeId, clock, crypto: nativeCrypto, transport, heartbeatIntervalMs: INTERVAL });
  const traces: Array<{ peer: string; message: string }> = [];
  const scheduler = new WorkScheduler({
    orchestrator,
    transport,
    clock,
    selfNodeId: 'self',
    benchmarkModule: options.benchmark ? BENCH : null,
    attemptGraceMs: GRACE,
    random: () => 0.5,
    trace: (peer, detail) => traces.push({ peer, message: String(detail['message']) }),
    ...(options.messagesPerSecond !== undefined ? { messagesPerSecond: options.messagesPerSecond, messagesBurst: 1 } : {}),
  });
  const hardware = { ...unknownHardwareSummary('2026-11-21T12:00:00Z'), 'cpu/logical-cores': 4, 'memory/total-mb': 8_192, 'memory/available-mb': 6_000 };
  let seq = 0;
  /** A registered, contributing PNode offering one core, seen from `address`. */
  const pnode = (byte: number, address = `198.51.${byte}.10`): string => {
    const identity = testIdentity(byte);
    connected.add(identity.nodeId);
    const descriptor = signDescriptor({ nodeId: identity.nodeId, hardware, offer: { cores: 1, 'memory-mb': 2_048 }, softwareVersion: 't', now: clock.now() }, identity.signer);
    orchestrator.onRegister(identity.nodeId, { 'req/id': `reg:${++seq}`, descriptor: descriptor as unknown as Record<string, unknown>, primary: true }, { address, session: `sess:${byte}` });
    heartbeat(identity.nodeId);
    return identity.nodeId;
  };
  const heartbeat = (nodeId: string, contributing = true) =>
    orchestrator.onHeartbeat(nodeId, { 'req/id': `hb:${++seq}`, seq, primary: true, contributing, 'load/permille': 100, 'memory/available-mb': 6_000, vnodes: orchestrator.registry.get(nodeId) ? [...orchestrator.registry.get(nodeId)!.vnodes].filter((id) => orchestrator.vnodes.get(id)?.state !== 'offered').map((id) => ({ 'vnode/id': id, state: 'running' as const })) : [] });
  const acceptAllocations = () => {
    for (const s of sent.filter((x) => x.kind === 'vnode-allocate' && x.body['req/id'] !== undefined)) {
      orchestrator.onAllocateReply(s.to, { 're/id': s.body['req/id'] as string, 'vnode/id': s.body['vnode/id'] as string, accepted: true });
    }
    sent.splice(0, sent.length, ...sent.filter((x) => x.kind !== 'vnode-allocate'));
  };
  const tasks = () => sent.filter((s) => s.kind === 'vnode-task').map((s) => ({ to: s.to, body: s.body as unknown as VNodeTaskBody }));
  const answered = new Set<string>();
  /** Answers a run: ok with this stdout, or another status. */
  const answer = (task: { to: string; body: VNodeTaskBody }, status: TaskStatus, stdout = new Uint8Array([1, 2, 3]), files: Array<{ name: string; bytes: Uint8Array }> = []) => {
    answered.add(task.body['req/id']);
    scheduler.onResult(task.to, {
      're/id': task.body['req/id'],
      result: encodeTaskResult(
        makeTaskResult({
          taskId: task.body.task['task/id'],
          vnodeId: task.body['vnode/id'],
          status,
          detail: status,
          wasi: { exitCode: status === 'ok' ? 0 : 1, stdout, stderr: new Uint8Array(0), stderrTruncated: false, files: files.map((f) => outputFile(f.name, f.bytes)) },
          cpuMs: 5,
          wallMs: 6,
        }),
      ),
    });
  };
  /** Runs not answered yet. */
  const open = () => tasks().filter((t) => !answered.has(t.body['req/id']));
  const settle = () => {
    for (let i = 0; i < 4; i++) {
      clock.advance(300);
      scheduler.pass();
      acceptAllocations();
    }
    scheduler.pass();
  };
  /** The writes so far, committed: every decision applies; the events follow. */
  const commit = (): WriteBatch | null => {
    const writes = scheduler.takeWrites();
    if (!writes) return null;
    const applied = new Set(writes.batch.decisions.map((d) => d.task));
    for (const effect of writes.effects) effect({ applied });
    return writes.batch;
  };
  return { clock, sent, connected, orchestrator, scheduler, traces, pnode, heartbeat, settle, tasks, open, answer, commit };
}

describe('the work scheduler', () => {
  it('places replicas on independent PNodes, sends the task to two, and accepts when they agree; the store gets every write', () => {
    const t = setup();
    const [a, b, c] = [t.pnode(0x21), t.pnode(0x22), t.pnode(0x23)];
    const accepted: string[] = [];
    t.scheduler.on('task-accepted', (task) => accepted.push(task.id));
    const work = claimed(1);
    t.scheduler.adopt([work]);
    t.settle();
    const sentTo = t.tasks().map((x) => x.to);
    expect(new Set(sentTo).size).toBe(2);
    expect([a, b, c]).toEqual(expect.arrayContaining(sentTo));
    // The replica carries the task's random seed (replicas of one task draw the same bytes).
    const decoded = decodeTask(t.tasks()[0]!.body.task);
    expect(decoded.ok && 'randomSeed' in decoded.value && decoded.value.randomSeed).toBe('seed-1');
    for (const task of t.tasks()) t.answer(task, 'ok');
    expect(accepted).toEqual([]); // not before the store has it
    const batch = t.commit()!;
    expect(accepted).toEqual([work.task.id]);
    expect(batch.decisions).toEqual([expect.objectContaining({ task: work.task.id, state: 'accepted', facts: [expect.objectContaining({ pnode: sentTo[0], cpuMs: 5 }), expect.objectContaining({ pnode: sentTo[1] })] })]);
    expect(batch.replicas.filter((r) => r.state === 'ok')).toHaveLength(2);
    expect(batch.replicas.every((r) => r.prefix.endsWith('/24'))).toBe(true);
  });

  it('never sends two replicas of a task to PNodes of one address or one /24', () => {
    const t = setup();
    const same = [t.pnode(0x24, '203.0.113.7'), t.pnode(0x25, '203.0.113.7')];
    const subnet = t.pnode(0x26, '203.0.113.99');
    t.scheduler.adopt([claimed(2), claimed(3)]);
    t.settle();
    for (const id of new Set(t.tasks().map((x) => x.body.task['task/id']))) expect(id).toBeDefined();
    const byTask = new Map<string, string[]>();
    for (const run of t.tasks()) {
      const task = [...t.scheduler.runningAttempts()].find((a) => a.id === run.body['req/id'])!.task!.id;
      byTask.set(task, [...(byTask.get(task) ?? []), run.to]);
    }
    // Each task got one run only: a second one would share the address or the /24.
    for (const runs of byTask.values()) expect(runs).toHaveLength(1);
    expect([...byTask.values()].flat().every((p) => [...same, subnet].includes(p))).toBe(true);
    // A PNode from another network can take the second run.
    const other = t.pnode(0x27, '192.0.2.50');
    t.settle();
    expect(t.tasks().filter((x) => x.to === other).length).toBeGreaterThanOrEqual(1);
  });

  it('while an established PNode is registered, new PNodes never confirm each other: a new PNode\'s result needs the established one', () => {
    const t = setup();
    const established = t.pnode(0x2a);
    t.scheduler.setReputation([{ pnode: established, validated: ESTABLISHED_AFTER, streak: ESTABLISHED_AFTER, lies: 0, benchmarkScore: 1, benchmarkedAt: t.clock.now(), updatedAt: 0 }]);
    t.heartbeat(established, false); // registered, but paused: no work for now
    const [n1, n2] = [t.pnode(0x28), t.pnode(0x29)];
    expect(t.scheduler.bootstrap).toBe(false);
    const accepted: string[] = [];
    t.scheduler.on('task-accepted', (task) => accepted.push(task.id));
    t.scheduler.adopt([claimed(4)]);
    t.settle();
    expect(t.tasks()).toHaveLength(1); // the second run waits for an established PNode
    for (const run of t.open()) t.answer(run, 'ok');
    t.settle();
    expect(t.tasks().filter((x) => x.to === n1 || x.to === n2)).toHaveLength(1);
    t.heartbeat(established, true);
    t.settle();
    expect(t.open().map((x) => x.to)).toEqual([established]);
    for (const run of t.open()) t.answer(run, 'ok');
    t.commit();
    expect(accepted).toHaveLength(1);
  });

  it('in bootstrap (no established PNode registered) a quorum of new PNodes is accepted', () => {
    const t = setup();
    t.pnode(0x2b);
    t.pnode(0x2c);
    expect(t.scheduler.bootstrap).toBe(true);
    const accepted: string[] = [];
    t.scheduler.on('task-accepted', (task) => accepted.push(task.id));
    t.scheduler.adopt([claimed(7)]);
    t.settle();
    for (const run of t.open()) t.answer(run, 'ok');
    t.commit();
    expect(accepted).toHaveLength(1);
  });

  it('gives up a run that brings no answer by its deadline, runs it elsewhere, and fails the task after two failures', () => {
    const t = setup();
    for (const byte of [0x31, 0x32, 0x33]) t.pnode(byte);
    const failed: string[] = [];
    t.scheduler.on('task-failed', (task) => failed.push(task.detail));
    t.scheduler.adopt([claimed(5)]);
    t.settle();
    expect(t.tasks()).toHaveLength(2);
    t.clock.advance(100 * ATTEMPT_WALL_FACTOR + GRACE);
    for (const id of [...t.connected]) t.heartbeat(id);
    t.scheduler.tick();
    t.commit();
    expect(failed).toEqual([expect.stringMatching(/^no-answer on 2 PNodes: no result within 1400 ms/)]);
    expect(t.scheduler.counters.attemptsEnded['no-answer']).toBe(MAX_TASK_FAILURES);
  });

  it('runs a task again when its PNode pauses, without counting a failure; the paused PNode\'s late result is ignored', () => {
    const t = setup();
    for (const byte of [0x41, 0x42, 0x43]) t.pnode(byte);
    const accepted: string[] = [];
    t.scheduler.on('task-accepted', (task) => accepted.push(task.id));
    t.scheduler.adopt([claimed(6)]);
    t.settle();
    const [first, second] = t.tasks();
    t.heartbeat(first!.to, false);
    t.scheduler.tick();
    t.settle();
    const third = t.tasks().find((x) => x.to !== first!.to && x.to !== second!.to)!;
    t.answer(second!, 'ok');
    t.answer(third, 'ok');
    const batch = t.commit()!;
    expect(accepted).toHaveLength(1);
    expect(batch.progress.at(-1)).toMatchObject({ failures: 0 });
    expect(t.scheduler.counters.retries).toBe(1);
    t.answer(first!, 'ok', new Uint8Array([9]));
    expect(t.scheduler.counters.lateResults).toBe(1);
  });

  it('on a mismatch asks a third PNode, punishes the loser, and bans it after repeated lies', () => {
    const t = setup();
    const [a, b, c] = [t.pnode(0x51), t.pnode(0x52), t.pnode(0x53)];
    t.scheduler.adopt([1, 2, 3, 4, 5, 6].map((i) => claimed(10 + i)));
    for (let round = 0; round < 20; round++) {
      t.settle();
      for (const run of t.open()) t.answer(run, 'ok', run.to === a ? new Uint8Array([6, 6, 6]) : new Uint8Array([1, 2, 3]));
    }
    const batch = t.commit()!;
    const facts = batch.decisions.flatMap((d) => d.facts);
    expect(facts.map((f) => f.pnode)).not.toContain(a);
    expect(batch.decisions.flatMap((d) => d.reputation).filter((r) => r.pnode === a && r.lies === 1).length).toBeGreaterThanOrEqual(LIES_BEFORE_BAN);
    expect(t.scheduler.banned.has(a)).toBe(true);
    expect(t.orchestrator.registry.score(t.orchestrator.registry.get(a)!)).toBeLessThan(t.orchestrator.registry.score(t.orchestrator.registry.get(b)!));
    expect(t.scheduler.vnodes().some((v) => v.pnode === a)).toBe(false);
    expect(t.sent.some((s) => s.kind === 'vnode-release' && s.to === a)).toBe(true);
    expect(t.traces.filter((x) => x.peer === a).map((x) => x.message)).toEqual(expect.arrayContaining([expect.stringMatching(/no more work goes to this PNode/)]));
    expect([b, c].every((id) => (t.scheduler.pnodeStats.get(id)?.lies ?? 0) === 0)).toBe(true);
  });

  it('accepts outputs within the tolerance as one, and refuses a result over its cap or with undeclared files', () => {
    const t = setup();
    for (const byte of [0x54, 0x55, 0x56]) t.pnode(byte);
    const accepted: string[] = [];
    t.scheduler.on('task-accepted', (task) => accepted.push(task.id));
    t.scheduler.adopt([claimed(20, { validator: { kind: 'tolerance', absolute: 1e-6, relative: 0 } })]);
    t.settle();
    const [x, y] = t.open();
    t.answer(x!, 'ok', new TextEncoder().encode('energy 1.0000001\n'));
    t.answer(y!, 'ok', new TextEncoder().encode('energy 1.0000002\n'));
    t.commit();
    expect(accepted).toHaveLength(1);
    t.scheduler.adopt([claimed(21, { workload: { outputCap: 4 } }), claimed(22, { workload: { outputs: ['out.txt'] } })]);
    t.settle();
    const runs = t.open();
    const capped = runs.find((r) => decodeTask(r.body.task).ok && (decodeTask(r.body.task) as { value: WasiWorkload }).value.outputCap === 4)!;
    t.answer(capped, 'ok', new Uint8Array(10));
    const other = runs.find((r) => r !== capped && r.to !== capped.to)!;
    t.answer(other, 'ok', new Uint8Array(1), [{ name: 'secret.txt', bytes: new Uint8Array(1) }]);
    expect(t.scheduler.counters.attemptsEnded.invalid).toBe(2);
    expect(t.traces.map((x) => x.message)).toEqual(expect.arrayContaining([expect.stringMatching(/over the task's cap of 4/), expect.stringMatching(/"secret.txt", which is not one of the task's outputs/)]));
  });

  it('sends no event for a decision the store did not apply (the task was no longer ours)', () => {
    const t = setup();
    for (const byte of [0x57, 0x58]) t.pnode(byte);
    const accepted: string[] = [];
    const validated: string[] = [];
    t.scheduler.on('task-accepted', (task) => accepted.push(task.id));
    t.scheduler.on('validated', (fact) => validated.push(fact.pnode));
    t.scheduler.adopt([claimed(30)]);
    t.settle();
    for (const run of t.open()) t.answer(run, 'ok');
    const writes = t.scheduler.takeWrites()!;
    for (const effect of writes.effects) effect({ applied: new Set() });
    expect(accepted).toEqual([]);
    expect(validated).toEqual([]);
    expect(t.scheduler.counters.decisionsNotApplied).toBe(1);
  });

  it('benchmarks a PNode before any project work, caps it at a minimal VNode until then, and takes a wrong answer as a lie', () => {
    const t = setup({ benchmark: true });
    const [a, b] = [t.pnode(0x61), t.pnode(0x62)];
    expect(t.orchestrator.capacityOf(t.orchestrator.registry.get(a)!)).toMatchObject({ cores: MINIMAL_CAPACITY.cores, memoryMb: MINIMAL_CAPACITY.memoryMb });
    t.scheduler.adopt([claimed(40)]);
    t.settle();
    const benches = t.open();
    expect(benches.map((r) => r.to).sort()).toEqual([a, b].sort());
    for (const run of benches) expect(decodeTask(run.body.task).ok && (decodeTask(run.body.task) as { value: WasiWorkload }).value.moduleHash).toBe(BENCH.hash);
    // `a` answers wrongly: a lie; `b` is not answered yet. No project task went anywhere.
    t.answer(benches.find((r) => r.to === a)!, 'ok', new Uint8Array([0, 0, 0, 0]));
    expect(t.scheduler.pnodeStats.get(a)?.lies).toBe(1);
    expect(t.scheduler.counters.benchmarksFailed).toBe(1);
    expect(t.scheduler.benchmarked(a)).toBe(false);
    expect(t.tasks().every((r) => decodeTask(r.body.task).ok && (decodeTask(r.body.task) as { value: WasiWorkload }).value.moduleHash === BENCH.hash)).toBe(true);
  });

  it('serves blob chunks within bounds: only to a PNode whose run needs the blob, never past its queue', () => {
    const t = setup({ messagesPerSecond: 1 });
    const a = t.pnode(0x71);
    const big = new Uint8Array(32 * 1024 * 20);
    const bigHash = hashBytes(big);
    t.scheduler.adopt([claimed(50, { workload: { files: [{ name: 'big.bin', hash: bigHash, size: big.length }] } })]);
    t.settle();
    expect(t.tasks().map((r) => r.to)).toEqual([a]);
    const wanted = Array.from({ length: MAX_CHUNKS_PER_MODULE_REQUEST }, (_, i) => i);
    const loads: string[] = [];
    t.scheduler.on('wants-blob', (hash) => loads.push(hash));
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:1', 'module/hash': bigHash, 'module/size': big.length, chunks: wanted });
    expect(loads).toEqual([bigHash]);
    t.scheduler.blobLoaded(bigHash, big);
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:2', 'module/hash': bigHash, 'module/size': big.length, chunks: wanted.map((i) => i + 8) });
    t.clock.advance(1_000);
    t.scheduler.pass();
    expect(t.sent.filter((s) => s.kind === 'vnode-module-chunk').length).toBeGreaterThanOrEqual(1);
    expect(MAX_QUEUED_CHUNKS_PER_PNODE).toBeLessThan(3 * MAX_CHUNKS_PER_MODULE_REQUEST);
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:3', 'module/hash': bigHash, 'module/size': big.length, chunks: [16, 17] });
    // A blob no run of this PNode needs, and a PNode that is not registered.
    t.scheduler.onModuleRequest(a, { 'req/id': 'mr:4', 'module/hash': `sha256:${'0'.repeat(64)}`, 'module/size': 10 });
    t.scheduler.onModuleRequest(testIdentity(0x72).nodeId, { 'req/id': 'mr:5', 'module/hash': bigHash, 'module/size': big.length });
    expect(t.sent.filter((s) => s.kind === 'error').map((s) => s.body['re/id'])).toEqual(['mr:3', 'mr:4']);
    expect(t.scheduler.counters.moduleRequestsRefused).toBe(3);
  });

  it('fails a held task at its deadline', () => {
    const t = setup();
    t.pnode(0x73);
    const failed: string[] = [];
    t.scheduler.on('task-failed', (task) => failed.push(task.detail));
    t.scheduler.adopt([claimed(60, { deadline: 5_000 })]);
    t.clock.advance(6_000);
    t.scheduler.tick();
    t.commit();
    expect(failed).toEqual(['the deadline passed']);
  });
});
