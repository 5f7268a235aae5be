// Writes tests/support/file-durations.json from a vitest JSON report: how long each test file took,
// in whole seconds (files under a second left out). The test sequencer (tests/support/sequencer.ts)
// starts the longest files first from it, where vitest itself has no timings (a fresh clone, CI).
//   npx vitest run --reporter=default --reporter=json --outputFile=/tmp/vitest.json
//   node scripts/test-durations.mjs /tmp/vitest.json
// Run it again when files are added or their run times change a lot; an old figure only costs order.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const OUT = join(ROOT, 'tests', 'support', 'file-durations.json');
/** Files quicker than this are left out: their order does not matter. */
const MIN_SECONDS = 1;

const reportPath = process.argv[2];
if (!reportPath) {
  process.stderr.write('usage: node scripts/test-durations.mjs <vitest JSON report>\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const durations = Object.fromEntries(
  report.testResults
    .map((file) => [relative(ROOT, file.name).replaceAll('\\', '/'), Math.round((file.endTime - file.startTime) / 1000)])
    .filter(([, seconds]) => seconds >= MIN_SECONDS)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)),
);
writeFileSync(OUT, `${JSON.stringify(durations, null, 2)}\n`);
process.stdout.write(`${Object.keys(durations).length} files of ${report.testResults.length} took ${MIN_SECONDS} s or more: ${relative(ROOT, OUT)}\n`);
