import type { RunningTaskInfo, WorkView } from '../../src-shared/control/work-view.js';
import { formatDuration } from '../format.js';
import { NodeName } from './NodeName.js';
import { ResultPicture } from './ResultPicture.js';

/** One running task: what it is, for whom, how long it has run of its budget (not a progress bar). */
export function RunningTask({ task }: { task: RunningTaskInfo }) {
  const share = task.budgetMs > 0 ? Math.min(1, task.activeMs / task.budgetMs) : 0;
  return (
    <li className="running-task">
      <div className="running-task-head">
        <strong>{task.workload.name}</strong>
        {task.suspended && <span className="badge badge-plain">paused for now</span>}
      </div>
      <p className="muted small">{task.workload.description}</p>
      {task.progress !== null ? (
        <div>
          <progress max={task.progress.total} value={task.progress.done} aria-label={`${task.workload.name}: progress`} /> {task.progress.done} of {task.progress.total}
        </div>
      ) : (
        <p className="small">
          Running for {formatDuration(task.activeMs)} ({formatDuration(task.cpuMs)} of processor time). It may run for up to {formatDuration(task.budgetMs)}
          {share >= 0.5 ? `, ${formatDuration(Math.max(0, task.budgetMs - task.activeMs))} left at most` : ''}. This work does not report how far along it is.
        </p>
      )}
      <details className="details-line">
        <summary>Technical details</summary>
        <dl className="facts facts-inline small">
          <div className="fact">
            <dt>Task</dt>
            <dd>
              <code className="wrap">{task.taskId}</code>
            </dd>
          </div>
          <div className="fact">
            <dt>Module</dt>
            <dd>
              <code className="wrap">{task.workload.moduleHash}</code>
            </dd>
          </div>
          {task.orchestrator !== '' && (
            <div className="fact">
              <dt>Sent by</dt>
              <dd>
                <NodeName id={task.orchestrator} what="orchestrator id" />
              </dd>
            </div>
          )}
        </dl>
      </details>
    </li>
  );
}

/** What runs here now and the latest pictures; `compact` for the dashboard. */
export function CurrentWork({ work, compact = false }: { work: WorkView; compact?: boolean }) {
  const pictures = work.recent.filter((result) => result.picture !== null).slice(0, compact ? 4 : 12);
  return (
    <div className="current-work">
      {work.running.length === 0 ? (
        <p className="muted">
          Nothing is running right now{work.queued > 0 ? `; ${work.queued} ${work.queued === 1 ? 'task waits' : 'tasks wait'} for room within your limits` : ''}.
          {work.recent.length > 0 ? ` The last task finished ${new Date(work.recent[0]!.finishedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}.` : ''}
        </p>
      ) : (
        <ul className="running-tasks">
          {work.running.slice(0, compact ? 2 : undefined).map((task) => (
            <RunningTask key={task.taskId} task={task} />
          ))}
        </ul>
      )}
      {pictures.length > 0 && (
        <div className="pictures">
          <h3 className="subhead">What your computer made</h3>
          <div className="picture-grid">
            {pictures.map((result) => (
              <ResultPicture key={result.taskId} result={result} size={compact ? 72 : 128} />
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
