// What the admin API answers about work (issue 7 §3, issue 13), as JSON, and the work metrics in
// the Prometheus text exposition. Keys follow the admin API's style (`cpu-ms`).
import { formatTimestamp } from '../../../../src-shared/protocol/time.js';
import { family, type Sample } from '../metrics.js';
import type { Orchestrator } from '../orchestrator.js';
import type { StoreCounts } from '../jobs/job-store.js';
import type { DemoJob } from './demo.js';
import type { PNodeWorkStats, WorkScheduler } from './work-scheduler.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : formatTimestamp(ms);
}

export function demoJobView(job: DemoJob) {
  return {
    'batch-id': job.batch,
    name: job.name,
    kind: job.kind,
    state: job.state,
    'created-at': iso(job.createdAt),
    'finished-at': iso(job.finishedAt),
    tasks: { total: job.total, done: job.accepted, failed: job.failed, pending: job.total - job.accepted - job.failed },
    'progress-permille': Math.floor(((job.accepted + job.failed) * 1000) / Math.max(1, job.total)),
    ...('picture' in job.meta ? { picture: job.meta['picture'] } : {}),
    meta: job.meta,
  };
}

function pnodeWork(orchestrator: Orchestrator, scheduler: WorkScheduler, nodeId: string, stats: PNodeWorkStats) {
  const entry = orchestrator.registry.get(nodeId);
  const record = scheduler.record(nodeId);
  return {
    'node-id': nodeId,
    trust: entry?.trust ?? null,
    standing: scheduler.standing(nodeId),
    validated: record?.validated ?? 0,
    streak: record?.streak ?? 0,
    'benchmark-score': scheduler.benchmarkScoreOf(nodeId),
    demoted: scheduler.demoted.has(nodeId),
    banned: scheduler.banned.has(nodeId),
    score: entry ? orchestrator.registry.score(entry) : null,
    penalty: orchestrator.registry.penalty(nodeId),
    sent: stats.sent,
    ok: stats.ok,
    failed: stats.failed,
    cancelled: stats.cancelled,
    'no-answer': stats.noAnswer,
    lost: stats.lost,
    invalid: stats.invalid,
    agreed: stats.agreed,
    lies: stats.lies,
    'cpu-ms': stats.cpuMs,
  };
}

export function workView(orchestrator: Orchestrator, scheduler: WorkScheduler, store: StoreCounts | null, demoJobs: readonly DemoJob[]) {
  const c = scheduler.counters;
  return {
    'held-tasks': scheduler.heldTasks,
    'open-tasks': store?.openTasks ?? null,
    batches: store?.batches ?? null,
    'validated-results': store?.validated ?? null,
    'work-vnodes': scheduler.vnodes().length,
    bootstrap: scheduler.bootstrap,
    counters: {
      'tasks-claimed': c.tasksClaimed,
      'tasks-accepted': c.tasksAccepted,
      'tasks-failed': c.tasksFailed,
      'attempts-sent': c.attemptsSent,
      retries: c.retries,
      mismatches: c.mismatches,
      lies: c.lies,
      'spot-checks': c.spotChecks,
      'accepted-alone': c.acceptedAlone,
      bans: c.bans,
      demotions: c.demotions,
      'late-results': c.lateResults,
      'benchmarks-passed': c.benchmarksPassed,
      'benchmarks-failed': c.benchmarksFailed,
      'chunks-sent': c.chunksSent,
      flushes: c.flushes,
    },
    jobs: demoJobs.map(demoJobView),
    pnodes: [...scheduler.pnodeStats].map(([nodeId, stats]) => pnodeWork(orchestrator, scheduler, nodeId, stats)),
  };
}

export function workMetricsText(scheduler: WorkScheduler): string {
  const c = scheduler.counters;
  const samples = (record: Readonly<Record<string, number>>, label: string): Sample[] => Object.entries(record).map(([k, v]) => [{ [label]: k }, v]);
  return [
    family('pnode_orchestrator_work_held_tasks', 'gauge', 'Tasks this orchestrator holds (claimed, not decided).', [[null, scheduler.heldTasks]]),
    family('pnode_orchestrator_work_vnodes', 'gauge', 'VNodes the work scheduler holds.', [[null, scheduler.vnodes().length]]),
    family('pnode_orchestrator_work_tasks_total', 'counter', 'Tasks decided, by outcome.', [
      [{ outcome: 'accepted' }, c.tasksAccepted],
      [{ outcome: 'failed' }, c.tasksFailed],
    ]),
    family('pnode_orchestrator_work_accepted_total', 'counter', 'Tasks accepted, by how.', [
      [{ by: 'quorum' }, c.agreements],
      [{ by: 'reliable' }, c.acceptedAlone],
    ]),
    family('pnode_orchestrator_work_attempts_total', 'counter', 'Task runs sent to PNodes.', [[null, c.attemptsSent]]),
    family('pnode_orchestrator_work_results_total', 'counter', 'Task runs ended, by status.', samples(c.attemptsEnded, 'status')),
    family('pnode_orchestrator_work_retries_total', 'counter', 'Runs sent again after a failure, refusal or lost PNode.', [[null, c.retries]]),
    family('pnode_orchestrator_work_mismatches_total', 'counter', 'Tasks whose results disagreed.', [[null, c.mismatches]]),
    family('pnode_orchestrator_work_lies_total', 'counter', 'Results on the losing side, and wrong benchmark answers.', [[null, c.lies]]),
    family('pnode_orchestrator_work_spot_checks_total', 'counter', 'Tasks of reliable PNodes checked on another PNode.', [[null, c.spotChecks]]),
    family('pnode_orchestrator_work_pnodes_banned_total', 'counter', 'PNodes given no more work after repeated lies.', [[null, c.bans]]),
    family('pnode_orchestrator_work_pnodes_demoted_total', 'counter', 'Trusted PNodes caught lying.', [[null, c.demotions]]),
    family('pnode_orchestrator_work_benchmarks_total', 'counter', 'Benchmarks run, by outcome.', [
      [{ outcome: 'passed' }, c.benchmarksPassed],
      [{ outcome: 'failed' }, c.benchmarksFailed],
    ]),
    family('pnode_orchestrator_work_late_results_total', 'counter', 'Results that came after their run was given up.', [[null, c.lateResults]]),
    family('pnode_orchestrator_work_module_chunks_sent_total', 'counter', 'Blob chunks shipped to PNodes.', [[null, c.chunksSent]]),
    family('pnode_orchestrator_work_store_flushes_total', 'counter', 'Store transactions of the scheduler.', [[null, c.flushes]]),
    '',
  ].join('\n');
}
