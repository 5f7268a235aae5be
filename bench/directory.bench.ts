// Seed directory figures (DESIGN.md §9: ≥ 1,000 verified PUT/s, ≥ 10,000 GET/s): a real
// `pnode directory` in its own process (the built bundle: `npm run build` first), loaded by a small
// client in this process over several keep-alive connections on 127.0.0.1.
// `npm run bench -- directory`. PNODE_BENCH_SCALE shortens it; PNODE_BENCH_BIN runs another pnode
// entry script instead of bin/pnode.js.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../src-node/kernel/process/lifeline.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makePublisher, signedAdvertisement, type Publisher } from '../tests/support/directory.js';
import { packageRoot } from '../src-node/kernel/util/package-root.js';
import { printEnvironment, timeScale } from './lib/measure.js';

const ROOT = packageRoot();
const PNODE_BIN = resolve(ROOT, process.env['PNODE_BENCH_BIN'] ?? join('bin', 'pnode.js'));
/** Distinct publishers (each PUTs twice: a new row, then a replacement). */
const PUBLISHERS = Math.max(200, Math.round(4_000 * timeScale()));
/** Requests in flight at once (one per keep-alive connection). */
const CONCURRENCY = 32;
/** How long each GET figure is measured. */
const GET_MS = Math.max(300, Math.round(4_000 * timeScale()));
const GOAL_PUT = 1_000;
const GOAL_GET = 10_000;

interface Result {
  readonly name: string;
  readonly ops: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failures: Map<number, number>;
}

function startDirectory(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const args = [
    PNODE_BIN, 'directory', '--data-dir', dataDir, '--listen', 'http://127.0.0.1:0', '--insecure-loopback', '--keystore', 'file',
    // The load comes from one address: lift the per-IP limits (the per-publisher one stays).
    '--ip-put-rate', '1000000', '--ip-get-rate', '1000000',
  ];
  const child = spawnSupervised(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pnode directory did not start:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /directory\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pnode directory exited (${code}) before it was ready:\n${output}`));
    });
  });
}

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** One request; the target is given as host, port and path (no URL parsing per request). */
function call(base: URL, path: string, method: 'GET' | 'PUT', body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, method, agent, ...(body === undefined ? {} : { headers: JSON_HEADERS }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CONCURRENCY workers take jobs until `next()` says stop; every request's latency is kept.
 * `expect` is the status counted as success.
 */
async function drive(name: string, expect: number, next: () => { path: string; method: 'GET' | 'PUT'; body?: string } | undefined): Promise<Result> {
  const latenciesMs: number[] = [];
  const failures = new Map<number, number>();
  let ops = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    for (let job = next(); job; job = next()) {
      const t0 = process.hrtime.bigint();
      const reply = await call(base, job.path, job.method, job.body);
      latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (reply.status === expect) ops++;
      else failures.set(reply.status, (failures.get(reply.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, ops, seconds, latenciesMs, failures };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function grouped(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function printResults(results: readonly Result[], goals: ReadonlyMap<string, string>): void {
  const header = ['operation', 'ops/s', 'p50 ms', 'p99 ms', 'requests', 'goal'];
  const cells = results.map((r) => {
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    const failures = [...r.failures].map(([status, n]) => `${n}×${status}`).join(' ');
    return [r.name, grouped(r.ops / r.seconds), percentile(sorted, 50).toFixed(2), percentile(sorted, 99).toFixed(2), `${grouped(r.latenciesMs.length)}${failures ? ` (${failures})` : ''}`, goals.get(r.name) ?? ''];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ');
  process.stdout.write(`${[line(header), widths.map((w) => '-'.repeat(w)).join('   '), ...cells.map(line)].join('\n')}\n\n`);
}

if (!existsSync(PNODE_BIN) || !existsSync(join(ROOT, 'dist', 'pnode.js'))) {
  process.stderr.write('directory bench: dist/pnode.js is missing; run "npm run build" first\n');
  process.exit(1);
}

printEnvironment();
process.stdout.write(`pre-signing ${grouped(PUBLISHERS * 2)} advertisements from ${grouped(PUBLISHERS)} publishers…\n`);
const signStarted = Date.now();
const publishers: Publisher[] = Array.from({ length: PUBLISHERS }, () => makePublisher(randomBytes(32)));
const now = Date.now();
const firstRound = publishers.map((p) => JSON.stringify(signedAdvertisement(p, { sequence: 0, at: now, url: `wss://bench-${p.keyPublic.slice(-8)}.example:7443/peer` })));
const secondRound = publishers.map((p) => JSON.stringify(signedAdvertisement(p, { sequence: 1, at: now + 1_000, url: `wss://bench-${p.keyPublic.slice(-8)}.example:7443/peer` })));
process.stdout.write(`signed in ${((Date.now() - signStarted) / 1000).toFixed(1)} s; ${grouped(Buffer.byteLength(firstRound[0]!))} bytes each\n\n`);

const dataDir = mkdtempSync(join(tmpdir(), 'pnode-directory-bench-'));
const started = await startDirectory(dataDir).catch((error: unknown) => {
  rmSync(dataDir, { recursive: true, force: true });
  process.stderr.write(`directory bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
const { child, url } = started;
const base = new URL(url);
const pid = child.pid!;
const results: Result[] = [];
const memory: Array<[string, { rss: number; peak: number }]> = [['idle', rssMiB(pid)]];
try {
  // Warm-up: a few hundred GETs of nothing, so connections and JIT are in place.
  let warm = 0;
  await drive('warm-up', 404, () => (warm++ < 500 ? { path: `/adv/${publishers[warm % publishers.length]!.nodeId}`, method: 'GET' } : undefined));

  for (const [name, round] of [
    ['PUT new (verified, fsync)', firstRound],
    ['PUT replace (verified, fsync)', secondRound],
  ] as const) {
    let i = 0;
    results.push(await drive(name, 201, () => (i < round.length ? { path: `/adv/${publishers[i]!.nodeId}`, method: 'PUT', body: round[i++]! } : undefined)));
  }
  memory.push([`after ${grouped(PUBLISHERS * 2)} PUTs`, rssMiB(pid)]);

  let deadline = Date.now() + GET_MS;
  let k = 0;
  results.push(await drive('GET /adv/{node-id}', 200, () => (Date.now() < deadline ? { path: `/adv/${publishers[(k++ * 7919) % publishers.length]!.nodeId}`, method: 'GET' } : undefined)));

  // Feed pages: every worker pages from the beginning to the end and starts over.
  const firstPage = JSON.parse((await call(base, '/adv', 'GET')).text) as { next: string };
  const cursors: string[] = [''];
  for (let cursor = firstPage.next, guard = 0; guard < 10_000; guard++) {
    cursors.push(cursor);
    const page = JSON.parse((await call(base, `/adv?since=${cursor}`, 'GET')).text) as { items: unknown[]; next: string };
    if (page.items.length < 100) break;
    cursor = page.next;
  }
  deadline = Date.now() + GET_MS;
  let f = 0;
  results.push(await drive('GET /adv?since= (100-item pages)', 200, () => (Date.now() < deadline ? { path: `/adv?since=${cursors[f++ % cursors.length]!}`, method: 'GET' } : undefined)));
  memory.push(['after the GETs', rssMiB(pid)]);

  const metrics = (await call(base, '/metrics', 'GET')).text;
  const gauge = (name: string): string => new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1] ?? '?';

  process.stdout.write(`Seed directory on 127.0.0.1, ${CONCURRENCY} keep-alive connections, ${grouped(PUBLISHERS)} publishers\n`);
  printResults(
    results,
    new Map([
      ['PUT new (verified, fsync)', `≥ ${grouped(GOAL_PUT)} PUT/s`],
      ['PUT replace (verified, fsync)', `≥ ${grouped(GOAL_PUT)} PUT/s`],
      ['GET /adv/{node-id}', `≥ ${grouped(GOAL_GET)} GET/s`],
      ['GET /adv?since= (100-item pages)', `(${grouped(100 * (results[3] ? results[3].ops / results[3].seconds : 0))} items/s)`],
    ]),
  );
  const puts = results.slice(0, 2).reduce((sum, r) => sum + r.ops, 0) / results.slice(0, 2).reduce((sum, r) => sum + r.seconds, 0);
  const gets = results[2] ? results[2].ops / results[2].seconds : 0;
  process.stdout.write(`verified PUT/s ${grouped(puts)} (goal ≥ ${grouped(GOAL_PUT)}: ${(puts / GOAL_PUT).toFixed(2)}×)\n`);
  process.stdout.write(`GET/s by id   ${grouped(gets)} (goal ≥ ${grouped(GOAL_GET)}: ${(gets / GOAL_GET).toFixed(2)}×)\n`);
  process.stdout.write(`directory: ${gauge('pnode_directory_entries')} entries, log ${(Number(gauge('pnode_directory_log_bytes')) / 2 ** 20).toFixed(1)} MiB, ${gauge('pnode_directory_compactions_total')} compaction(s)\n`);
  for (const [when, m] of memory) process.stdout.write(`directory RSS ${when}: ${m.rss.toFixed(0)} MiB (peak ${m.peak.toFixed(0)} MiB)\n`);
} finally {
  agent.destroy();
  child.kill('SIGINT');
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  rmSync(dataDir, { recursive: true, force: true });
}
