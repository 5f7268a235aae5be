// The contribution history as chart series and table rows: pure, so the chart and its text
// alternative say exactly the same thing.
import type { ContributionHistoryDetail, ContributionTotals } from '../src-shared/control/credit-view.js';
import { formatCredit, formatDuration } from './format.js';

export type HistoryPeriod = 'day' | 'month';
export type HistoryMeasure = 'cpu' | 'tasks' | 'credit';

export const MEASURE_LABEL: Record<HistoryMeasure, string> = { cpu: 'CPU time', tasks: 'Tasks done', credit: 'Credit' };
export const PERIOD_LABEL: Record<HistoryPeriod, string> = { day: 'Last 24 hours', month: 'Last 30 days' };

export interface HistoryPoint {
  /** The bucket's start, ms since the epoch (local hour or local midnight). */
  readonly start: number;
  /** "14:00–15:00" or "Tue 12 Mar". */
  readonly label: string;
  readonly totals: ContributionTotals;
}

/** Local midnight of a YYYY-MM-DD day. */
export function dayStart(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

function hourLabel(start: number): string {
  const from = new Date(start);
  const to = new Date(start + 3_600_000);
  const clock = (date: Date) => date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return `${clock(from)}–${clock(to)}`;
}

function dayLabel(start: number): string {
  return new Date(start).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
}

export function historyPoints(detail: ContributionHistoryDetail, period: HistoryPeriod): HistoryPoint[] {
  if (period === 'day') return detail.hours.map((hour) => ({ start: hour.start, label: hourLabel(hour.start), totals: hour }));
  return detail.days.map((day) => {
    const start = dayStart(day.day);
    return { start, label: dayLabel(start), totals: day };
  });
}

/** The number a measure plots: minutes of CPU, tasks, credits. */
export function measureValue(totals: ContributionTotals, measure: HistoryMeasure): number {
  switch (measure) {
    case 'cpu':
      return totals.cpuMs / 60_000;
    case 'tasks':
      return totals.tasksDone;
    case 'credit':
      return totals.credit / 1_000_000;
  }
}

export function measureText(totals: ContributionTotals, measure: HistoryMeasure): string {
  switch (measure) {
    case 'cpu':
      return formatDuration(totals.cpuMs);
    case 'tasks':
      return String(totals.tasksDone);
    case 'credit':
      return formatCredit(totals.credit);
  }
}

/** One bucket in words, for the chart's keyboard readout. */
export function describePoint(point: HistoryPoint): string {
  const t = point.totals;
  return `${point.label}: ${formatDuration(t.cpuMs)} of CPU time, ${t.tasksDone} ${t.tasksDone === 1 ? 'task' : 'tasks'} done, ${t.tasksValidated} validated, ${formatCredit(t.credit)} credit`;
}
