// Runs the benchmarks: `npm run bench` runs every bench/*.bench.ts, `npm run bench -- protocol`
// only the named ones, each bundled and run in its own node process (scripts/lib/run-ts-files.mjs);
// the exit status is non-zero if any bench fails.
import { join, resolve } from 'node:path';
import { ROOT, runFiles, selectNames } from './lib/run-ts-files.mjs';

const options = {
  kind: 'bench',
  item: 'bench',
  // PNODE_BENCH_DIR points the runner at another folder of benches (the runner's own tests use it).
  dir: process.env.PNODE_BENCH_DIR ? resolve(process.env.PNODE_BENCH_DIR) : join(ROOT, 'bench'),
  suffix: '.bench.ts',
  // A guard against a hung bench, not a measure: the discovery bench at 500 nodes needs minutes.
  timeoutMs: 20 * 60_000,
};

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('Usage: npm run bench [-- <name>...]\n\nRuns bench/<name>.bench.ts (all of them without names). PNODE_BENCH_SCALE=0.1 shortens every measurement.\n');
  process.exit(0);
}
const selected = selectNames(options, args);
const started = Date.now();
const failures = await runFiles(options, selected);
const total = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  process.stdout.write(`\n${failures.length} of ${selected.length} benches failed (${failures.join(', ')}) in ${total} s\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`\n${selected.length} bench${selected.length === 1 ? '' : 'es'} done in ${total} s\n`);
}
