// Test and bench helper: a small work network in one process on loopback — an orchestrator with
// the work scheduler, and N contributors, each a real runtime with the VNode host, membership and
// the work runner (real sessions, real crypto, real sandbox processes). Every wait is bounded.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type ContributionLimits } from '../../src-shared/control/state.js';
import type { MembershipModule } from '../../src-node/contributor/membership/membership-module.js';
import { OrchestratorModule, type OrchestratorModuleOptions, type TrustPolicy } from '../../src-node/services/orchestrator/orchestrator-module.js';
import type { Orchestrator, TrustHook } from '../../src-node/services/orchestrator/orchestrator.js';
import { AdminExtensions } from '../../src-node/kernel/http/admin-extension.js';
import { membershipParts } from './contributors.js';
import { WorkSchedulerModule, type WorkSchedulerModuleOptions } from '../../src-node/services/orchestrator/work/work-scheduler-module.js';
import type { WorkScheduler } from '../../src-node/services/orchestrator/work/work-scheduler.js';
import { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import type { NodeConfig } from '../../src-node/kernel/runtime/node-config.js';
import type { VNodeHostModuleOptions } from '../../src-node/contributor/vnode/vnode-module.js';
import type { VNodeHost } from '../../src-node/contributor/vnode/vnode-host.js';
import { WorkRunner, type WorkRunnerOptions } from '../../src-node/contributor/work/work-runner.js';
import { TestProject } from './test-project.js';
import { CreditOutboxModule, type CreditOutboxModuleOptions } from '../../src-node/services/orchestrator/credit/credit-outbox-module.js';
import { CreditModule } from '../../src-node/contributor/credit/credit-module.js';
import { type TaskResult, makeTaskResult } from '../../src-shared/vnode/task-result.js';
import type { ContentHash } from '../../src-shared/vnode/content-hash.js';
import { PATIENCE_MS, pause, waitUntil } from './wait.js';

/** Limits of test contributors: the whole of one core, no pauses for battery or activity. */
export const WORK_TEST_LIMITS: ContributionLimits = { ...DEFAULT_LIMITS, cpuPercent: 100, maxCores: 1, memoryPercent: 25, onlyWhenIdle: false, pauseOnBattery: false };

export interface ContributorOptions {
  readonly runner?: WorkRunnerOptions;
  readonly limits?: ContributionLimits;
  readonly host?: VNodeHostModuleOptions['host'];
  /** Listen for sessions on loopback (default: dial out only, as a PNode behind NAT). */
  readonly listen?: boolean;
}

export interface WorkNetOptions {
  readonly contributors: number;
  readonly heartbeatIntervalMs?: number;
  readonly orchestrator?: Omit<OrchestratorModuleOptions, 'heartbeatIntervalMs'>;
  /** The orchestrator's trust check (default: trusted are the contributors `trust()` names). */
  readonly trust?: TrustHook;
  readonly scheduler?: WorkSchedulerModuleOptions;
  /** Credit (issue 13 §5): the orchestrator's outbox, handed to the scheduler, and each contributor's ledger. */
  readonly credit?: CreditOutboxModuleOptions;
  /** Per contributor (by index): a lying runner, other limits. */
  readonly contributor?: (index: number) => ContributorOptions;
  readonly warn?: (line: string) => void;
}

export interface WorkContributor {
  readonly runtime: NodeRuntime;
  readonly nodeId: string;
  readonly host: VNodeHost;
  readonly runner: WorkRunner;
  readonly membership: MembershipModule;
  /** Its credit ledger, when the net runs credit. */
  readonly credit: CreditModule | undefined;
  readonly dataDir: string;
}

export interface WorkNet {
  readonly orchestratorRuntime: NodeRuntime;
  readonly orchestratorModule: OrchestratorModule;
  readonly orchestrator: Orchestrator;
  readonly schedulerModule: WorkSchedulerModule;
  readonly scheduler: WorkScheduler;
  /** The credit outbox the scheduler issues receipts into, when the net runs credit. */
  readonly credit: CreditOutboxModule | undefined;
  readonly contributors: WorkContributor[];
  readonly dataDir: string;
  /** A project the orchestrator takes work from (its key is listed), talking to the job API in process. */
  readonly project: TestProject;
  /** Adds one more contributor. */
  addContributor(options?: ContributorOptions): Promise<WorkContributor>;
  /**
   * Makes the orchestrator's trust hook answer `trusted` for this contributor (standing in for
   * trusted registration, issue 5 §5) and has it register again, so the orchestrator asks the hook.
   */
  trust(contributor: WorkContributor, timeoutMs?: number): Promise<void>;
  /** Resolves once every contributor is registered and contributing (bounded). */
  waitContributing(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A PNode that lies well: it changes its stdout and sends the digest of what it changed it to. */
export function lieWasi(result: TaskResult): TaskResult {
  if (result.status !== 'ok' || !result.wasi?.stdout) return result;
  const stdout = Uint8Array.from(result.wasi.stdout);
  stdout[0] = (stdout[0] ?? 0) ^ 0x01;
  return makeTaskResult({ ...result, detail: null, wasi: { ...result.wasi, stdout: stdout.length > 0 ? stdout : new Uint8Array([1]) } });
}

/** Submits one batch of tasks of a WASI module through the net's project; the batch and its tasks. */
export async function submitBatch(net: WorkNet, name: string, module: Uint8Array, tasks: readonly Record<string, unknown>[], inputs: ReadonlyArray<Uint8Array> = []): Promise<{ batch: string; tasks: Array<{ id: string; name: string }>; module: ContentHash }> {
  const batch = await net.project.createBatch(name);
  const hash = await net.project.upload(batch, module, 'module');
  for (const input of inputs) await net.project.upload(batch, input, 'input');
  const made = await net.project.submit(batch, tasks.map((t) => ({ module: hash, ...t })));
  return { batch, tasks: made, module: hash };
}

/** Waits until every task of the batch is decided (bounded), polling the job API. */
export async function waitBatch(net: WorkNet, batch: string, timeoutMs = PATIENCE_MS): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await net.project.batch(batch);
    if (view['done'] === true) return view;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for batch ${batch}: ${JSON.stringify(view)}`);
    await pause(100);
  }
}

export { waitUntil };

function config(dataDir: string, role: NodeConfig['role'], listen: readonly string[], limits: ContributionLimits, warn: (line: string) => void): NodeConfig {
  return {
    dataDir,
    role,
    listen,
    seeds: [],
    insecureLoopback: true,
    trustCa: [],
    keystore: 'file',
    warn,
    version: 'test',
    initialSettings: { joined: true, limits },
    timing: { keepalive: { intervalMs: 5_000, timeoutMs: 60_000 } },
  };
}

export async function startWorkNet(options: WorkNetOptions): Promise<WorkNet> {
  const root = mkdtempSync(join(tmpdir(), 'pnode-work-'));
  const warn = options.warn ?? (() => undefined);
  const runtimes: NodeRuntime[] = [];
  const trusted = new Set<string>();
  // Stands in for trusted registration (issue 5 §5): trusted are the contributors trust() names.
  const hook: TrustHook = options.trust ?? ((descriptor) => (trusted.has(descriptor['node/id']) ? { level: 'trusted', operatorId: `operator-${descriptor['node/id'].slice(-8)}` } : { level: 'untrusted', operatorId: null }));
  const trust: TrustPolicy = Object.assign(new EventEmitter(), { hook });
  let orchestratorModule: OrchestratorModule | undefined;
  let schedulerModule: WorkSchedulerModule | undefined;
  let creditOutbox: CreditOutboxModule | undefined;
  const orchestratorDir = join(root, 'orchestrator');
  const orchestratorRuntime = await NodeRuntime.launch(config(orchestratorDir, 'orchestrator', ['ws://127.0.0.1:0/peer'], DEFAULT_LIMITS, warn), (runtime) => {
    const admin = new AdminExtensions();
    orchestratorModule = new OrchestratorModule({ ...runtime.components, admin, trust }, { heartbeatIntervalMs: options.heartbeatIntervalMs ?? 200, devLoopback: true, ...options.orchestrator });
    const projectKey = TestProject.fromByte(0x51, async () => ({ status: 0, body: null }), runtime.identity.nodeId).key;
    creditOutbox = options.credit ? new CreditOutboxModule(runtime.components, options.credit) : undefined;
    schedulerModule = new WorkSchedulerModule(
      { ...runtime.components, admin, orchestrator: orchestratorModule.orchestrator, ...(creditOutbox ? { credit: creditOutbox } : {}) },
      { devLoopback: true, ...options.scheduler, projects: [{ key: projectKey, name: 'test project', source: 'flag' }, ...(options.scheduler?.projects ?? [])] },
    );
    return [orchestratorModule, ...(creditOutbox ? [creditOutbox] : []), schedulerModule];
  });
  runtimes.push(orchestratorRuntime);
  const target = { nodeId: orchestratorRuntime.identity.nodeId, urls: orchestratorRuntime.listenUrls() };
  const contributors: WorkContributor[] = [];
  let started = 0;

  const addContributor = async (extra: ContributorOptions = {}): Promise<WorkContributor> => {
    const index = started++;
    const own = { ...options.contributor?.(index), ...extra };
    const dataDir = join(root, `node-${index + 1}`);
    let parts: { host: VNodeHost; runner: WorkRunner; membership: MembershipModule; credit: CreditModule | undefined } | undefined;
    const runtime = await NodeRuntime.launch(config(dataDir, 'contributor', own.listen ? ['ws://127.0.0.1:0/peer'] : [], own.limits ?? WORK_TEST_LIMITS, warn), (opened) => {
      const built = membershipParts(opened, { orchestrators: [target], backoff: { minMs: 50, maxMs: 400 }, registerTimeoutMs: 2_000 }, { vnodeHost: own.host ? { host: own.host } : {} });
      const runner = new WorkRunner({ ...opened.components, vnodes: built.vnodes!, membership: built.membership }, own.runner);
      const credit = options.credit ? new CreditModule({ ...opened.components, membership: built.membership, vnodes: built.vnodes! }, { ledger: { fsync: false } }) : undefined;
      parts = { host: built.vnodes!.host, runner, membership: built.membership, credit };
      return [...built.modules, runner, ...(credit ? [credit] : [])];
    });
    runtimes.push(runtime);
    const contributor: WorkContributor = { runtime, nodeId: runtime.identity.nodeId, ...parts!, dataDir };
    contributors[index] = contributor;
    return contributor;
  };

  try {
    // A few at a time: each detects its hardware as it starts.
    for (let i = 0; i < options.contributors; i += 4) {
      const batch = [];
      for (let j = i; j < Math.min(options.contributors, i + 4); j++) batch.push(addContributor());
      await Promise.all(batch);
    }
  } catch (error) {
    await Promise.all(runtimes.reverse().map((r) => r.stop().catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  const orchestrator = orchestratorModule!.orchestrator;
  let stopping: Promise<void> | undefined;
  return {
    orchestratorRuntime,
    orchestratorModule: orchestratorModule!,
    orchestrator,
    schedulerModule: schedulerModule!,
    scheduler: schedulerModule!.scheduler,
    credit: creditOutbox,
    contributors,
    dataDir: root,
    project: TestProject.fromByte(0x51, (request) => schedulerModule!.api.handle(request), orchestratorRuntime.identity.nodeId),
    addContributor,
    async trust(contributor, timeoutMs = PATIENCE_MS) {
      trusted.add(contributor.nodeId);
      contributor.membership.link(orchestratorRuntime.identity.nodeId)?.register();
      await waitUntil(() => orchestrator.registry.get(contributor.nodeId)?.trust === 'trusted', 'the trust hook to be asked again', timeoutMs);
    },
    async waitContributing(timeoutMs = PATIENCE_MS) {
      await waitUntil(
        () => contributors.every((c) => {
          const entry = orchestrator.registry.get(c.nodeId);
          return entry?.state === 'registered' && entry.contributing && orchestrator.capacityOf(entry).memoryMb > 0;
        }),
        'every contributor to register and contribute',
        timeoutMs,
      );
    },
    stop() {
      stopping ??= (async () => {
        // Contributors first, then the orchestrator.
        for (const runtime of [...runtimes].reverse()) await runtime.stop().catch(() => undefined);
        // A VNode host may still flush its counters just after stopping (its writes make their
        // directory again): remove, wait a moment, and remove once more.
        for (const ms of [50, 500]) {
          await pause(ms);
          try {
            rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
          } catch {
            warn(`warning: could not remove ${root}`);
          }
        }
      })();
      return stopping;
    },
  };
}
