// `npm run harden -- fuzz`: every decoder, gate and surface of the registry (targets/index.ts)
// gets its seeded inputs (100,000 each at scale 1 for the decoders and gates), and the figures are
// printed: inputs tried and where they came from, crashes, hangs, slow answers, violations and
// failed health checks (all must be 0), outcomes by code, the slowest input, heap growth. Targets
// run in worker threads (one per core, PNODE_HARDEN_WORKERS to choose), each target alone in its
// worker while it runs; a target's inputs depend only on the seed and its name, so the split
// changes nothing. Findings (with their inputs) are written to dist/harden/findings/. The exit
// status is non-zero when anything that must be 0 is not.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FUZZ_TARGETS, selectTargets } from './targets/index.js';
import { isClean, runFuzzTarget, type TargetReport } from './lib/fuzz.js';
import { formatFuzzTable, formatOutcomes, grouped } from './lib/report.js';
import { scaleFromEnv, seedFromEnv } from './lib/random.js';
import { printHeader } from './lib/environment.js';

interface WorkerSetup {
  readonly seed: number;
  readonly scale: number;
  readonly workDir: string;
}

type FromWorker = { readonly kind: 'ready' } | { readonly kind: 'report'; readonly report: TargetReport } | { readonly kind: 'failed'; readonly target: string; readonly error: string };

async function workerMain(): Promise<void> {
  const setup = workerData as WorkerSetup;
  const port = parentPort!;
  port.on('message', (name: string | null) => {
    if (name === null) {
      port.close();
      return;
    }
    const target = FUZZ_TARGETS.find((t) => t.name === name)!;
    runFuzzTarget(target, setup).then(
      (report) => port.postMessage({ kind: 'report', report } satisfies FromWorker),
      (error: unknown) => port.postMessage({ kind: 'failed', target: name, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromWorker),
    );
  });
  port.postMessage({ kind: 'ready' } satisfies FromWorker);
}

function workerCount(): number {
  const raw = process.env['PNODE_HARDEN_WORKERS'];
  const wanted = raw === undefined || raw.trim() === '' ? Math.min(4, availableParallelism()) : Number(raw);
  return Number.isSafeInteger(wanted) && wanted >= 1 ? wanted : 1;
}

async function main(): Promise<void> {
  const seed = seedFromEnv();
  const scale = scaleFromEnv();
  const targets = selectTargets(FUZZ_TARGETS, process.env['PNODE_HARDEN_TARGETS']);
  printHeader('fuzz', seed, scale);
  const workDir = await mkdtemp(join(tmpdir(), 'pnode-harden-fuzz-'));
  const reports = new Map<string, TargetReport>();
  const failures: string[] = [];
  const started = Date.now();
  try {
    const queue = targets.map((t) => t.name);
    const count = Math.min(workerCount(), queue.length);
    process.stdout.write(`${targets.length} targets in ${count} worker${count === 1 ? '' : 's'}\n\n`);
    // Each worker takes the next target when it is done with one. A worker that dies (out of
    // memory, say) fails the target it was running, and a fresh one carries on with the queue.
    const runWorker = (): Promise<void> =>
      new Promise<void>((resolve) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { seed, scale, workDir } satisfies WorkerSetup });
        let current: string | undefined;
        let finished = false;
        const give = (): void => {
          current = queue.shift();
          worker.postMessage(current ?? null);
          if (current === undefined) {
            finished = true;
            void worker.terminate().then(() => resolve());
          }
        };
        worker.on('message', (message: FromWorker) => {
          if (message.kind === 'report') {
            const report = message.report;
            reports.set(report.name, report);
            const mark = isClean(report) ? 'ok' : 'FAILED';
            process.stdout.write(`${mark.padEnd(6)} ${report.name}: ${grouped(report.inputs)} inputs in ${report.seconds.toFixed(1)} s; ${formatOutcomes(report)}\n`);
          } else if (message.kind === 'failed') {
            failures.push(message.target);
            process.stdout.write(`FAILED ${message.target}: the target itself failed: ${message.error}\n`);
          }
          give();
        });
        worker.on('error', (error) => {
          failures.push(current ?? 'a worker');
          process.stdout.write(`FAILED ${current ?? '(between targets)'}: its worker died: ${error.message}\n`);
        });
        worker.on('exit', () => {
          if (finished) return;
          finished = true;
          resolve(queue.length > 0 ? runWorker() : undefined);
        });
      });
    await Promise.all(Array.from({ length: count }, runWorker));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }

  const ordered = targets.map((t) => reports.get(t.name)).filter((r): r is TargetReport => r !== undefined);
  process.stdout.write(`\nFuzzing, seed ${seed}, scale ${scale}, ${((Date.now() - started) / 1000).toFixed(1)} s\n\n${formatFuzzTable(ordered)}\n\n`);
  process.stdout.write('Outcomes by code:\n');
  for (const r of ordered) process.stdout.write(`  ${r.name}: ${formatOutcomes(r)}\n`);
  process.stdout.write('\nWhat each target drives, and where its inputs come from:\n');
  for (const r of ordered) process.stdout.write(`  ${r.name}: ${r.drives}.\n      inputs: ${r.sources}.\n`);

  const failed = [...ordered.filter((r) => !isClean(r)).map((r) => r.name), ...failures];
  const withFindings = ordered.filter((r) => r.findings.length > 0);
  if (withFindings.length > 0) {
    const dir = join('dist', 'harden', 'findings');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `fuzz-seed-${seed}.json`);
    await writeFile(file, `${JSON.stringify(withFindings.map((r) => ({ target: r.name, seed, findings: r.findings })), null, 2)}\n`);
    process.stdout.write(`\nFindings with their inputs: ${file}\n`);
    for (const r of withFindings) for (const f of r.findings.slice(0, 3)) process.stdout.write(`  ${r.name} #${f.index} (${f.source}) ${f.kind}: ${f.message.split('\n')[0]}\n`);
  }
  if (failed.length > 0 || ordered.length !== targets.length) {
    process.stdout.write(`\n${failed.length} target(s) failed: ${failed.join(', ')}. Replay with PNODE_HARDEN_SEED=${seed} PNODE_HARDEN_TARGETS=${failed.join(',')} npm run harden -- fuzz\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`\nAll ${ordered.length} targets clean: 0 crashes, 0 hangs, 0 slow answers, 0 violations, every health check served.\n`);
  }
}

if (isMainThread) await main();
else await workerMain();
