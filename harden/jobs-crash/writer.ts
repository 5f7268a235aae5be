// The child of the job store's crash trials (harden/jobs-crash.harden.ts, issue 13 §3): a real
// orchestrator — NodeRuntime, the orchestrator module and the work scheduler with its job store
// (SQLite in the data dir, or PostgreSQL) — with light PNodes answering in the same process, and a
// project submitting batches through the job API as fast as it can, until the parent SIGKILLs it.
// It reports on stdout (a pipe: a line printed is a line the parent gets, even if the kill comes
// next) only what was acknowledged, and only once it was:
//   batch <batch-id> <lo,lo,…>   the job API answered 201 to the tasks (one per lo: primes in [lo, lo+SPAN))
//   fact <task-id> <pnode>       onValidated fired (the store has the validated result)
//   accepted <task-id>           the task-accepted event (the store has the decision)
// Before the loop: `identity <node-id>`, then `ready`. With `drain` it submits nothing and exits
// once no task is open (`drained <open>`): a restarted orchestrator finishes what was in flight.
// It holds a lifeline to the trials (spawnSupervised): it never outlives them, however they end.
//
//   <store: sqlite | postgres://…> <dataDir> <lane seed> <trial> <kill | drain>
import { join } from 'node:path';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { utf8 } from '../../src-shared/protocol/encoding/bytes.js';
import { fingerprintFromPublicKey } from '../../src-shared/protocol/did-key.js';
import { projectRequestHeader, signProjectRequest, type RequestMethod } from '../../src-shared/jobs/project-request.js';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { AdminExtensions } from '../../src-node/kernel/http/admin-extension.js';
import { hashBytes } from '../../src-node/kernel/storage/module-cache.js';
import { encodePrimesInput } from '../../src-node/kernel/workloads/demo/primes.js';
import { OrchestratorModule } from '../../src-node/services/orchestrator/orchestrator-module.js';
import { WorkSchedulerModule } from '../../src-node/services/orchestrator/work/work-scheduler-module.js';
import type { WorkScheduler } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import { wasiWorkloadBytes } from '../../src-node/services/orchestrator/work/demo.js';
import { LightPNode } from '../../tests/support/light-pnode.js';
import { Rng, deriveSeed } from '../lib/random.js';

/** Numbers each task counts the primes of (cheap for the light PNodes to answer). */
export const JOBS_SPAN = 2_000;
/**
 * The project keeps at most this many tasks open (it waits for results, as a real one would): the
 * drain's work is then bounded whatever the machine's speed, not whatever the kills let pile up.
 */
export const JOBS_MAX_OPEN_TASKS = 120;
/** How often the project looks again when it is at that bound. */
export const JOBS_BACKPRESSURE_POLL_MS = 50;
export const JOBS_WRITER_PNODES = 3;
export const JOBS_HEARTBEAT_MS = 200;
/** In the drain, how often the writer says on stderr what is still open and why. */
export const JOBS_DRAIN_REPORT_MS = 5_000;
/** Open tasks the drain report names one by one. */
const DRAIN_REPORT_TASKS = 4;

const short = (id: string): string => id.slice(-6);

/** One look at what the drain waits for: the PNodes as the scheduler sees them, and the first open tasks. */
function drainReport(orchestrator: OrchestratorModule, scheduler: WorkScheduler, pnodes: ReadonlySet<string>): string {
  const lines = [`drain: ${scheduler.openTasks} open, ${scheduler.heldTasks} held, bootstrap ${scheduler.bootstrap}`];
  for (const id of pnodes) {
    const entry = orchestrator.orchestrator.registry.get(id);
    lines.push(`  pnode ${short(id)}: ${entry ? `${entry.state}${entry.primary ? ' primary' : ''}${entry.contributing ? ' contributing' : ''}` : 'not registered'}, ${scheduler.benchmarked(id) ? 'benchmarked' : 'no benchmark'}, ${scheduler.standing(id)}`);
  }
  for (const id of scheduler.heldIds().slice(0, DRAIN_REPORT_TASKS)) {
    const task = scheduler.heldTask(id);
    if (!task) continue;
    const votes = task.votes.map((v) => `${short(v.pnode)}:${v.standing}`).join(' ');
    const running = [...task.running].map((a) => short(a.pnode)).join(' ');
    const failed = [...task.failedOn].map(short).join(' ');
    lines.push(`  task ${short(id)} ${task.state}: attempts ${task.attempts}, failures ${task.failures}, votes [${votes}], running [${running}], failed on [${failed}], last ${task.lastFailure ? `${task.lastFailure.status} ${task.lastFailure.detail}` : 'none'}`);
  }
  return lines.join('\n');
}

/** The lane's project key (the same in every trial of a lane). */
export function laneProject(laneSeed: number) {
  return nativeCrypto.ed25519Signer(new Rng(deriveSeed(laneSeed, 'project')).bytes(32));
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runJobsWriter(argv: readonly string[]): Promise<void> {
  const [store, dataDir, laneSeedText, trialText, mode] = argv as [string, string, string, string, string];
  const laneSeed = Number(laneSeedText);
  const rng = new Rng(deriveSeed(laneSeed, `trial-${trialText}`));
  const signer = laneProject(laneSeed);
  const key = fingerprintFromPublicKey(signer.publicKey);
  let work: WorkSchedulerModule | undefined;
  let orchestrator: OrchestratorModule | undefined;
  const runtime = await NodeRuntime.launch(
    { dataDir, role: 'orchestrator', listen: ['ws://127.0.0.1:0/peer'], seeds: [], insecureLoopback: true, trustCa: [], keystore: 'file', warn: () => undefined, version: 'crash' },
    (r) => {
      const admin = new AdminExtensions();
      orchestrator = new OrchestratorModule({ ...r.components, admin }, { heartbeatIntervalMs: JOBS_HEARTBEAT_MS, devLoopback: true });
      work = new WorkSchedulerModule(
        { ...r.components, admin, orchestrator: orchestrator.orchestrator },
        { store, blobDir: join(dataDir, 'jobs', 'blobs'), devLoopback: true, projects: [{ key, name: 'crash lane', source: 'flag' }], onValidated: (fact) => say(`fact ${fact.task} ${fact.pnode}`) },
      );
      return [orchestrator, work];
    },
  );
  say(`identity ${runtime.identity.nodeId}`);
  const scheduler = work!.scheduler;
  scheduler.on('task-accepted', (task) => say(`accepted ${task.id}`));
  const pnodes = Array.from({ length: JOBS_WRITER_PNODES }, () => new LightPNode({ url: runtime.listenUrls()[0]!, orchestrator: runtime.identity.nodeId, heartbeatMs: JOBS_HEARTBEAT_MS, cores: 2 }));
  await Promise.all(pnodes.map((p) => p.start()));
  say('ready');
  const call = async (method: RequestMethod, target: string, body: Uint8Array): Promise<Record<string, unknown>> => {
    const signed = signProjectRequest({ audience: runtime.identity.nodeId, method, target, body, now: Date.now() }, signer);
    const answer = await work!.api.handle({ method, target, authorization: projectRequestHeader(signed), body });
    if (answer.status >= 300) throw new Error(`${method} ${target}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as Record<string, unknown>;
  };
  const module = wasiWorkloadBytes('primes-wasi');
  const moduleHash = hashBytes(module);
  if (mode === 'drain') {
    // What holds the drain up, on stderr (the trials quote its tail when the drain stalls).
    let reportedAt = Date.now();
    const pnodeIds = new Set(pnodes.map((p) => p.nodeId));
    for (;;) {
      if (Date.now() - reportedAt >= JOBS_DRAIN_REPORT_MS) {
        reportedAt = Date.now();
        process.stderr.write(`${drainReport(orchestrator!, scheduler, pnodeIds)}\n`);
      }
      const counts = await work!.store.counts(runtime.identity.nodeId);
      if (counts.openTasks === 0) {
        say(`drained ${counts.openTasks}`);
        await runtime.stop();
        process.exit(0);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let round = 0; ; round++) {
    while ((await work!.store.counts(runtime.identity.nodeId)).openTasks >= JOBS_MAX_OPEN_TASKS) await new Promise((r) => setTimeout(r, JOBS_BACKPRESSURE_POLL_MS));
    const created = await call('POST', '/v1/batches', utf8(JSON.stringify({ name: `trial ${trialText} round ${round}` })));
    const batch = String(created['batch-id']);
    const path = `/v1/batches/${encodeURIComponent(batch)}`;
    await call('PUT', `${path}/blobs/${moduleHash}?size=${module.length}&kind=module&offset=0`, module);
    const los = Array.from({ length: 1 + rng.int(8) }, () => rng.int(100_000) * JOBS_SPAN);
    const tasks = los.map((lo, i) => ({ name: `r${i}-${lo}`, module: moduleHash, stdin: toBase64url(encodePrimesInput(lo, lo + JOBS_SPAN)), limits: { 'memory-mb': 16, 'max-ms': 30_000 } }));
    await call('POST', `${path}/tasks`, utf8(JSON.stringify({ tasks })));
    say(`batch ${batch} ${los.join(',')}`);
    await new Promise((r) => setTimeout(r, rng.int(30)));
  }
}
