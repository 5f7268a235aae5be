// Tables of figures for `npm run harden`: aligned columns, thousands separators, and one line per
// target of its outcomes by code (what the code answered, most frequent first).
import type { TargetReport } from './fuzz.js';

export function grouped(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/** An aligned table: the first column left-aligned, the others right-aligned. */
export function formatRows(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function sourceSummary(report: TargetReport): string {
  let generated = 0;
  let mutated = 0;
  let other = 0;
  for (const [source, n] of Object.entries(report.bySource)) {
    if (source.startsWith('generated')) generated += n;
    else if (source.startsWith('mutated')) mutated += n;
    else other += n;
  }
  return `${grouped(generated)}/${grouped(mutated)}/${grouped(other)}`;
}

/** The figures of every target: inputs, where they came from, what must be 0, time and memory. */
export function formatFuzzTable(reports: readonly TargetReport[]): string {
  const header = ['target', 'inputs', 'gen/mut/capt', 'crashes', 'hangs', 'slow', 'violations', 'health', 'max ms', 'mean µs', 'heap Δ MiB', 'seconds'];
  const rows = reports.map((r) => [
    r.name,
    grouped(r.inputs),
    sourceSummary(r),
    grouped(r.crashes),
    grouped(r.hangs),
    grouped(r.slow),
    grouped(r.violations),
    r.healthChecks > 0 ? `${grouped(r.healthChecks - r.healthFailures)}/${grouped(r.healthChecks)}` : '-',
    fixed(r.maxMs, 2),
    fixed(r.meanUs, 1),
    fixed(r.heapGrowthMb, 1),
    fixed(r.seconds, 1),
  ]);
  const total = reports.reduce(
    (t, r) => ({ inputs: t.inputs + r.inputs, crashes: t.crashes + r.crashes, hangs: t.hangs + r.hangs, slow: t.slow + r.slow, violations: t.violations + r.violations, health: t.health + r.healthFailures, seconds: t.seconds + r.seconds, max: Math.max(t.max, r.maxMs) }),
    { inputs: 0, crashes: 0, hangs: 0, slow: 0, violations: 0, health: 0, seconds: 0, max: 0 },
  );
  rows.push(['total', grouped(total.inputs), '', grouped(total.crashes), grouped(total.hangs), grouped(total.slow), grouped(total.violations), total.health === 0 ? 'ok' : `${total.health} failed`, fixed(total.max, 2), '', '', fixed(total.seconds, 1)]);
  return formatRows(header, rows);
}

/** "E_PROTO_INVALID 80,123 · ok 12,001 · E_SIG_INVALID 7,876": outcomes, most frequent first. */
export function formatOutcomes(report: TargetReport): string {
  return Object.entries(report.outcomes)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([outcome, n]) => `${outcome} ${grouped(n)}`)
    .join(' · ');
}
