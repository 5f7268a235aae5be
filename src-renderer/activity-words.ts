// The volunteer's log in words (issue 14 §2): one sentence per entry, folded repeats counted.
import type { ActivityEntry } from '../src-shared/control/activity-view.js';
import { displayName } from '../src-shared/control/friendly-name.js';
import { formatClockTime, formatCredit, formatDuration } from './format.js';

const LIMIT_WORDS: Record<string, (value: unknown) => string> = {
  cpuPercent: (v) => `processor share ${String(v)} %`,
  memoryPercent: (v) => `memory share ${String(v)} %`,
  maxCores: (v) => `${String(v)} ${v === 1 ? 'core' : 'cores'}`,
  onlyWhenIdle: (v) => (v ? 'only when idle' : 'also while you use the computer'),
  pauseOnBattery: (v) => (v ? 'pause on battery' : 'also on battery'),
};

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function text(entry: ActivityEntry, key: string): string {
  const value = entry.detail[key];
  return typeof value === 'string' ? value : '';
}

function number(entry: ActivityEntry, key: string): number {
  const value = entry.detail[key];
  return typeof value === 'number' ? value : 0;
}

/** Whether the entry is bad news (shown as such). */
export function isBadNews(entry: ActivityEntry): boolean {
  return entry.kind === 'task-failed' || entry.kind === 'result-rejected' || entry.kind === 'trusted-revoked' || entry.kind === 'orchestrator-lost';
}

export function describeActivity(entry: ActivityEntry, now: number): string {
  const n = entry.count;
  switch (entry.kind) {
    case 'joined':
      return 'You joined the network.';
    case 'left':
      return 'You left the network.';
    case 'contribution-paused':
      return 'You switched sharing off.';
    case 'contribution-resumed':
      return 'Sharing is back on.';
    case 'snoozed': {
      const until = entry.detail['until'];
      return typeof until === 'number' ? `You snoozed sharing until ${formatClockTime(until, now)}.` : 'You snoozed sharing.';
    }
    case 'snooze-ended':
      return 'The snooze ended; sharing resumed by itself.';
    case 'limits-changed': {
      const changes = Object.keys(LIMIT_WORDS)
        .filter((key) => key in entry.detail)
        .map((key) => LIMIT_WORDS[key]!(entry.detail[key]));
      return changes.length > 0 ? `You changed your limits: ${changes.join(', ')}.` : 'You changed your limits.';
    }
    case 'orchestrator-connected': {
      const who = text(entry, 'orchestrator');
      return `Connected to the network’s coordinator${who ? ` ${displayName(who, null)}` : ''}.`;
    }
    case 'orchestrator-lost':
      return 'Lost touch with every coordinator; the node keeps trying.';
    case 'task-started':
      return n === 1 ? `Started a task: ${text(entry, 'workload')}.` : `Started ${plural(n, 'task')}: ${text(entry, 'workload')}.`;
    case 'task-finished':
      return `Finished ${plural(n, 'task')} of ${text(entry, 'workload')} (${formatDuration(number(entry, 'cpuMs'))} of processor time).`;
    case 'task-failed':
      return `${n === 1 ? 'A task' : plural(n, 'task')} of ${text(entry, 'workload')} could not finish (${text(entry, 'status') || 'failed'}).`;
    case 'result-validated':
      return `${n === 1 ? 'A result was' : `${plural(n, 'result')} were`} validated for ${text(entry, 'project')}: you received ${formatCredit(number(entry, 'credit'))} credit.`;
    case 'result-rejected':
      return `${n === 1 ? 'A result was' : `${plural(n, 'result')} were`} not accepted by ${text(entry, 'project')} (${text(entry, 'outcome')}).`;
    case 'trusted-approved':
      return 'Trusted registration approved: an operator now vouches for this computer.';
    case 'trusted-revoked':
      return `Trusted registration was revoked${text(entry, 'reason') ? `: ${text(entry, 'reason')}` : ''}.`;
    case 'network-renewed':
      return 'The network’s description was renewed.';
  }
}
