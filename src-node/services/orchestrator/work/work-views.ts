// What the admin API answers about work (issue 7 §3), as JSON, and the work metrics in the
// Prometheus text exposition. Keys follow the admin API's style (`job-id`, `cpu-ms`).
import { family, type Sample } from '../metrics.js';
import type { Orchestrator } from '../orchestrator.js';
import type { Job, PNodeWorkStats, WorkScheduler } from './work-scheduler.js';

/** Failed tasks listed in a job's detail at most. */
export const MAX_FAILURES_SHOWN = 20;

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function jobSummary(job: Job) {
  let running = 0;
  for (const task of job.tasks) if (task.state === 'open' && task.running.size > 0) running++;
  const decided = job.counts.accepted + job.counts.failed + job.counts.cancelled;
  return {
    'job-id': job.id,
    name: job.name,
    kind: job.kind,
    state: job.state,
    'created-at': iso(job.createdAt),
    'finished-at': iso(job.finishedAt),
    tasks: {
      total: job.tasks.length,
      done: job.counts.accepted,
      failed: job.counts.failed,
      cancelled: job.counts.cancelled,
      running,
      pending: job.tasks.length - decided - running,
    },
    'progress-permille': Math.floor((decided * 1000) / Math.max(1, job.tasks.length)),
    ...('picture' in job.meta ? { picture: job.meta['picture'] } : {}),
  };
}

function pnodeWork(orchestrator: Orchestrator, scheduler: WorkScheduler, nodeId: string, stats: PNodeWorkStats) {
  const entry = orchestrator.registry.get(nodeId);
  return {
    'node-id': nodeId,
    trust: entry?.trust ?? null,
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
    agreed: stats.agreed,
    lies: stats.lies,
    'cpu-ms': stats.cpuMs,
  };
}

export function jobDetail(orchestrator: Orchestrator, scheduler: WorkScheduler, job: Job) {
  const s = job.stats;
  const accepted = Math.max(1, job.counts.accepted);
  const failures = job.tasks
    .filter((t) => t.state === 'failed')
    .slice(0, MAX_FAILURES_SHOWN)
    .map((t) => ({ task: t.index, status: t.lastFailure?.status ?? 'failed', detail: t.lastFailure?.detail ?? null }));
  return {
    ...jobSummary(job),
    agreements: s.agreements,
    'trusted-alone': s.trustedAlone,
    'spot-checks': s.spotChecks,
    mismatches: s.mismatches,
    lies: s.lies,
    retries: s.retries,
    attempts: s.attempts,
    'ok-results': s.okResults,
    'cpu-ms': s.cpuMs,
    /** Quorum overhead: results computed per accepted task (1 alone, 2 for a quorum, more after mismatches). */
    'results-per-accepted': job.counts.accepted === 0 ? null : Math.round((s.okResults / accepted) * 1000) / 1000,
    failures,
    meta: job.meta,
    pnodes: [...job.pnodes].map(([nodeId, stats]) => pnodeWork(orchestrator, scheduler, nodeId, stats)),
  };
}

export function jobsView(orchestrator: Orchestrator, scheduler: WorkScheduler) {
  const c = scheduler.counters;
  return {
    jobs: scheduler.jobs().map(jobSummary),
    'open-tasks': scheduler.openTasks,
    'work-vnodes': scheduler.vnodes().length,
    counters: {
      'tasks-accepted': c.tasksAccepted,
      'tasks-failed': c.tasksFailed,
      'attempts-sent': c.attemptsSent,
      retries: c.retries,
      mismatches: c.mismatches,
      lies: c.lies,
      'spot-checks': c.spotChecks,
      bans: c.bans,
      demotions: c.demotions,
      'late-results': c.lateResults,
      'chunks-sent': c.chunksSent,
    },
    pnodes: [...scheduler.pnodeStats].map(([nodeId, stats]) => pnodeWork(orchestrator, scheduler, nodeId, stats)),
  };
}

export function workMetricsText(scheduler: WorkScheduler): string {
  const c = scheduler.counters;
  const byState: Record<string, number> = { running: 0, done: 0, failed: 0, cancelled: 0 };
  for (const job of scheduler.jobs()) byState[job.state] = (byState[job.state] ?? 0) + 1;
  const samples = (record: Readonly<Record<string, number>>, label: string): Sample[] => Object.entries(record).map(([k, v]) => [{ [label]: k }, v]);
  return [
    family('pnode_orchestrator_work_jobs', 'gauge', 'Jobs remembered, by state.', samples(byState, 'state')),
    family('pnode_orchestrator_work_open_tasks', 'gauge', 'Tasks not decided yet.', [[null, scheduler.openTasks]]),
    family('pnode_orchestrator_work_vnodes', 'gauge', 'VNodes the work scheduler holds.', [[null, scheduler.vnodes().length]]),
    family('pnode_orchestrator_work_tasks_total', 'counter', 'Tasks decided, by outcome.', [
      [{ outcome: 'accepted' }, c.tasksAccepted],
      [{ outcome: 'failed' }, c.tasksFailed],
      [{ outcome: 'cancelled' }, c.tasksCancelled],
    ]),
    family('pnode_orchestrator_work_accepted_total', 'counter', 'Tasks accepted, by how.', [
      [{ by: 'quorum' }, c.agreements],
      [{ by: 'trusted' }, c.trustedAlone],
    ]),
    family('pnode_orchestrator_work_attempts_total', 'counter', 'Task runs sent to PNodes.', [[null, c.attemptsSent]]),
    family('pnode_orchestrator_work_results_total', 'counter', 'Task runs ended, by status.', samples(c.attemptsEnded, 'status')),
    family('pnode_orchestrator_work_retries_total', 'counter', 'Runs sent again after a failure, refusal or lost PNode.', [[null, c.retries]]),
    family('pnode_orchestrator_work_mismatches_total', 'counter', 'Tasks whose results disagreed.', [[null, c.mismatches]]),
    family('pnode_orchestrator_work_lies_total', 'counter', 'Results on the losing side of a quorum.', [[null, c.lies]]),
    family('pnode_orchestrator_work_spot_checks_total', 'counter', "Tasks of trusted PNodes checked on another PNode.", [[null, c.spotChecks]]),
    family('pnode_orchestrator_work_pnodes_banned_total', 'counter', 'PNodes given no more work after repeated lies.', [[null, c.bans]]),
    family('pnode_orchestrator_work_pnodes_demoted_total', 'counter', 'Trusted PNodes caught by a spot check.', [[null, c.demotions]]),
    family('pnode_orchestrator_work_late_results_total', 'counter', 'Results that came after their run was given up.', [[null, c.lateResults]]),
    family('pnode_orchestrator_work_module_chunks_sent_total', 'counter', 'Module chunks shipped to PNodes.', [[null, c.chunksSent]]),
    '',
  ].join('\n');
}
