// The task pipeline (issue 13 §6): tasks per second dispatched, validated and durably stored by
// one orchestrator, and the submit-to-result latency of tiny tasks, for the SQLite store and for
// PostgreSQL (PNODE_TEST_POSTGRES_URL or PNODE_BENCH_POSTGRES_URL; skipped with the reason when
// neither reaches a server). Target (DESIGN.md §9): ≥ 1,000 tasks/s on this machine, 10× BOINC's
// single server (≈ 100/s).
//
// The orchestrator (NodeRuntime, orchestrator module, work scheduler, job store, job API) runs in
// this process; light simulated PNodes (tests/support/light-pnode.ts: real sessions, results
// computed in JavaScript, no sandbox) run in a worker process. A project submits prime-counting
// tasks of 100 numbers through the job API (signed requests, pages of 1,000). Per store, three
// measures:
//   quorum     every task replicated on two PNodes (replication.adaptive off): tasks accepted per
//              second over the whole run, from the first submission to the last acceptance;
//   adaptive   the default policy once the PNodes are reliable: most tasks run once, 10 % are
//              spot-checked;
//   latency    one task per request at a steady rate: p50 / p99 from submitting to the result
//              validated and stored (the task-accepted event follows the commit).
// The per-PNode send budget (WORK_MESSAGES_PER_SECOND) bounds each PNode to 10 runs/s, so the
// bench uses enough PNodes for the target. Figures are printed, not asserted.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { NodeRuntime } from '../src-node/kernel/runtime/node-runtime.js';
import { AdminExtensions } from '../src-node/kernel/http/admin-extension.js';
import { hashBytes } from '../src-node/kernel/storage/module-cache.js';
import { encodePrimesInput } from '../src-node/kernel/workloads/demo/primes.js';
import { OrchestratorModule } from '../src-node/services/orchestrator/orchestrator-module.js';
import { WorkSchedulerModule } from '../src-node/services/orchestrator/work/work-scheduler-module.js';
import { wasiWorkloadBytes } from '../src-node/services/orchestrator/work/demo.js';
import { RELIABLE_AFTER } from '../src-node/services/orchestrator/work/reputation.js';
import { fingerprintFromPublicKey } from '../src-shared/protocol/did-key.js';
import { toBase64url } from '../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../src-shared/protocol/encoding/bytes.js';
import { projectRequestHeader, signProjectRequest, type RequestMethod } from '../src-shared/jobs/project-request.js';
import { LightPNode } from '../tests/support/light-pnode.js';
import { HandshakeNonceCache } from '../src-node/kernel/session/nonce-cache.js';
import { freshDatabase, postgresUnavailable } from '../tests/support/postgres.js';
import { printEnvironment, timeScale } from './lib/measure.js';
import { percentile } from './lib/process-stats.js';

const PNODES = 240;
const CORES_PER_PNODE = 2;
const HEARTBEAT_MS = 5_000;
const SPAN = 100;
const PAGE = 1_000;
const TASKS = Math.max(2_000, Math.round(20_000 * timeScale()));
const LATENCY_TASKS = Math.max(50, Math.round(400 * timeScale()));
const LATENCY_RATE_PER_SECOND = 40;
const RUN_TIMEOUT_MS = 300_000;

type ToWorker = { type: 'start'; url: string; orchestrator: string; count: number };
type FromWorker = { type: 'ready'; registered: number; refused: number };

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// --- the worker of light PNodes -------------------------------------------------------------------

async function runWorker(): Promise<void> {
  const pnodes: LightPNode[] = [];
  process.on('message', async (message: ToWorker) => {
    if (message.type !== 'start') return;
    const nonces = new HandshakeNonceCache();
    for (let i = 0; i < message.count; i += 16) {
      const batch = Array.from({ length: Math.min(16, message.count - i) }, () => new LightPNode({ url: message.url, orchestrator: message.orchestrator, heartbeatMs: HEARTBEAT_MS, cores: CORES_PER_PNODE }));
      await Promise.all(batch.map((p) => p.start(nonces).catch(() => undefined)));
      pnodes.push(...batch);
    }
    process.send?.({ type: 'ready', registered: pnodes.filter((p) => p.stats.registered).length, refused: pnodes.filter((p) => p.stats.refused !== null).length } satisfies FromWorker);
  });
  const stop = () => {
    for (const p of pnodes) p.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

// --- the orchestrator and the project ------------------------------------------------------------

interface Row {
  readonly store: string;
  readonly measure: string;
  readonly tasks: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly runsPerTask: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly flushes: number;
  readonly note: string;
}

async function withOrchestrator(store: string, label: string): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pnode-bench-jobs-'));
  const signer = nativeCrypto.ed25519Signer(new Uint8Array(32).fill(0x5b));
  const key = fingerprintFromPublicKey(signer.publicKey);
  let work: WorkSchedulerModule | undefined;
  const runtime = await NodeRuntime.launch(
    { dataDir, role: 'orchestrator', listen: ['ws://127.0.0.1:0/peer'], seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'bench' },
    (r) => {
      const admin = new AdminExtensions();
      const orchestrator = new OrchestratorModule({ ...r.components, admin }, { heartbeatIntervalMs: HEARTBEAT_MS, devLoopback: true });
      work = new WorkSchedulerModule({ ...r.components, admin, orchestrator: orchestrator.orchestrator }, { store, devLoopback: true, projects: [{ key, name: 'bench', source: 'flag' }] });
      return [orchestrator, work];
    },
  );
  const worker = fork(process.argv[1]!, ['--role', 'pnodes'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const rows: Row[] = [];
  try {
    const ready = new Promise<FromWorker>((resolve) => worker.once('message', (m: FromWorker) => resolve(m)));
    worker.send({ type: 'start', url: runtime.listenUrls()[0]!, orchestrator: runtime.identity.nodeId, count: PNODES } satisfies ToWorker);
    const started = await ready;
    process.stdout.write(`${label}: ${started.registered} light PNodes registered (${started.refused} refused)\n`);
    const scheduler = work!.scheduler;
    const accepted = new Map<string, number>();
    scheduler.on('task-accepted', (task) => accepted.set(task.id, performance.now()));
    const call = async (method: RequestMethod, target: string, body: Uint8Array): Promise<Record<string, unknown>> => {
      const signed = signProjectRequest({ audience: runtime.identity.nodeId, method, target, body, now: Date.now() }, signer);
      const answer = await work!.api.handle({ method, target, authorization: projectRequestHeader(signed), body });
      if (answer.status >= 300) throw new Error(`${method} ${target}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body as Record<string, unknown>;
    };
    const module = wasiWorkloadBytes('primes-wasi');
    const moduleHash = hashBytes(module);
    const batchFor = async (name: string): Promise<string> => {
      const batch = String((await call('POST', '/v1/batches', utf8(JSON.stringify({ name }))))['batch-id']);
      await call('PUT', `/v1/batches/${encodeURIComponent(batch)}/blobs/${moduleHash}?size=${module.length}&kind=module&offset=0`, module);
      return batch;
    };
    let lo = 0;
    const spec = (adaptive: boolean) => {
      lo += SPAN;
      return { module: moduleHash, stdin: toBase64url(encodePrimesInput(lo, lo + SPAN)), limits: { 'memory-mb': 16, 'max-ms': 10_000 }, 'output-cap': 4, 'stderr-cap': 0, ...(adaptive ? {} : { replication: { adaptive: false } }) };
    };
    const waitAccepted = async (ids: readonly string[], what: string) => {
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      while (ids.some((id) => !accepted.has(id))) {
        if (Date.now() > deadline) throw new Error(`${what}: ${ids.filter((id) => !accepted.has(id)).length} of ${ids.length} tasks not accepted in ${RUN_TIMEOUT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const submitAll = async (count: number, adaptive: boolean, what: string): Promise<Row> => {
      const batch = await batchFor(what);
      const runsBefore = scheduler.counters.attemptsSent;
      const flushesBefore = scheduler.counters.flushes;
      const t0 = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < count; i += PAGE) {
        const body = await call('POST', `/v1/batches/${encodeURIComponent(batch)}/tasks`, utf8(JSON.stringify({ tasks: Array.from({ length: Math.min(PAGE, count - i) }, () => spec(adaptive)) })));
        ids.push(...(body['tasks'] as Array<{ 'task-id': string }>).map((t) => t['task-id']));
      }
      await waitAccepted(ids, what);
      const last = Math.max(...ids.map((id) => accepted.get(id)!));
      const seconds = (last - t0) / 1000;
      return { store: label, measure: what, tasks: count, seconds, perSecond: count / seconds, runsPerTask: (scheduler.counters.attemptsSent - runsBefore) / count, p50Ms: NaN, p99Ms: NaN, flushes: scheduler.counters.flushes - flushesBefore, note: '' };
    };
    // Warm-up: every PNode benchmarked, the pool of work VNodes grown.
    await submitAll(Math.min(2_000, TASKS), false, 'warm-up');
    rows.push(await submitAll(TASKS, false, 'quorum'));
    // Adaptive: once every PNode has RELIABLE_AFTER validated results in a row, most tasks run once.
    const reliableWork = Math.ceil((PNODES * RELIABLE_AFTER) / 2);
    process.stdout.write(`${label}: making the PNodes reliable (${reliableWork} more tasks)…\n`);
    await submitAll(reliableWork, false, 'reliability');
    const reliable = [...scheduler.pnodeStats.keys()].filter((p) => scheduler.standing(p) === 'reliable').length;
    const adaptive = await submitAll(TASKS, true, 'adaptive');
    rows.push({ ...adaptive, note: `${reliable} of ${PNODES} PNodes reliable` });
    // Latency: one task per request at a steady rate, while nothing else runs.
    const batch = await batchFor('latency');
    const latencies: number[] = [];
    const pending: Array<Promise<void>> = [];
    const t0 = performance.now();
    for (let i = 0; i < LATENCY_TASKS; i++) {
      const due = t0 + (i * 1000) / LATENCY_RATE_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(
        (async () => {
          const sent = performance.now();
          const body = await call('POST', `/v1/batches/${encodeURIComponent(batch)}/tasks`, utf8(JSON.stringify({ tasks: [spec(true)] })));
          const id = (body['tasks'] as Array<{ 'task-id': string }>)[0]!['task-id'];
          await waitAccepted([id], 'latency');
          latencies.push(accepted.get(id)! - sent);
        })(),
      );
    }
    await Promise.all(pending);
    latencies.sort((a, b) => a - b);
    rows.push({ store: label, measure: 'latency', tasks: LATENCY_TASKS, seconds: (performance.now() - t0) / 1000, perSecond: NaN, runsPerTask: NaN, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), flushes: NaN, note: `${LATENCY_RATE_PER_SECOND} tasks/s, one per request` });
    return rows;
  } finally {
    worker.kill('SIGTERM');
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';
}

async function runController(): Promise<void> {
  printEnvironment();
  process.stdout.write(`task pipeline: one orchestrator, ${PNODES} light PNodes (${CORES_PER_PNODE} work VNodes each) in a worker process, ${TASKS.toLocaleString('en-US')} tasks per measure\n`);
  process.stdout.write('target (DESIGN.md §9): ≥ 1,000 tasks/s dispatched, validated and durably stored; BOINC single server ≈ 100/s\n\n');
  const rows: Row[] = [];
  rows.push(...(await withOrchestrator('sqlite', 'SQLite')));
  const why = await postgresUnavailable();
  const benchUrl = process.env['PNODE_BENCH_POSTGRES_URL'];
  if (why && !benchUrl) process.stdout.write(`PostgreSQL skipped: ${why}\n`);
  else {
    const db = benchUrl ? null : await freshDatabase();
    try {
      rows.push(...(await withOrchestrator(benchUrl ?? db!.url, 'PostgreSQL')));
    } finally {
      await db?.drop();
    }
  }
  const header = ['store', 'measure', 'tasks', 'seconds', 'tasks/s', 'runs/task', 'p50 ms', 'p99 ms', 'store txns', 'note'];
  const cells = rows.map((r) => [r.store, r.measure, fmt(r.tasks), fmt(r.seconds, 1), fmt(r.perSecond), fmt(r.runsPerTask, 2), fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), fmt(r.flushes), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((cell, i) => (i < 2 || i === 9 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`);
}

if (argValue('role') === 'pnodes') await runWorker();
else await runController();
