// The crash-safety figures as a table, one row per writer and a total.
import { formatRows, grouped } from '../lib/report.js';
import type { WriterReport } from './trials.js';

export function formatCrashTable(reports: readonly WriterReport[]): string {
  const header = ['writer', 'trials', 'killed at start-up', 'killed running', 'killed mid-write', 'fresh dirs', 'writes completed', 'files checked', 'unreadable', 'named untrusted', 'lost writes'];
  const row = (r: Omit<WriterReport, 'kind' | 'problems' | 'seconds'> & { kind: string }): string[] => [
    r.kind,
    grouped(r.trials),
    grouped(r.killedBeforeReady),
    grouped(r.killedAfterReady),
    r.kind === 'directory' || (r.kind === 'total' && r.killedMidWrite === 0) ? '-' : grouped(r.killedMidWrite),
    grouped(r.freshDirs),
    grouped(r.completedWrites),
    grouped(r.filesChecked),
    grouped(r.unreadable),
    grouped(r.named),
    grouped(r.lost),
  ];
  const total = reports.reduce(
    (t, r) => ({
      kind: 'total',
      trials: t.trials + r.trials,
      killedBeforeReady: t.killedBeforeReady + r.killedBeforeReady,
      killedAfterReady: t.killedAfterReady + r.killedAfterReady,
      killedMidWrite: t.killedMidWrite + r.killedMidWrite,
      freshDirs: t.freshDirs + r.freshDirs,
      completedWrites: t.completedWrites + r.completedWrites,
      filesChecked: t.filesChecked + r.filesChecked,
      ok: t.ok + r.ok,
      named: t.named + r.named,
      unreadable: t.unreadable + r.unreadable,
      lost: t.lost + r.lost,
    }),
    { kind: 'total', trials: 0, killedBeforeReady: 0, killedAfterReady: 0, killedMidWrite: 0, freshDirs: 0, completedWrites: 0, filesChecked: 0, ok: 0, named: 0, unreadable: 0, lost: 0 },
  );
  return formatRows(header, [...reports.map(row), row(total)]);
}

/** Files unreadable and writes lost must both be 0 (a file refused by a specific error naming it is allowed, and shown). */
export function crashClean(reports: readonly WriterReport[]): boolean {
  return reports.every((r) => r.unreadable === 0 && r.lost === 0);
}
