// Crash safety, by killing real writers: a child process rewrites a JSON file (writeFileAtomic and
// writeFileAtomicSync, alternately) as fast as it can, and is SIGKILLed at a random moment. After
// every kill the file must parse and be exactly one of the complete versions, never an older one
// than before. The same is done to the trace log, whose reader must survive a torn last line.
//
// SIGKILL tests the process dying, not the machine losing power: the page cache survives it, and
// on the project machines a kill has never been seen to cut a write(2) short. The fsyncs in
// writeFileAtomic are what covers power loss; no test here can. For the trace log, a lost tail is
// simulated instead: after some kills the log is cut at a random byte, as a power loss might leave
// it, and the next writer must carry on cleanly.
//
// The kill moments come from a seeded generator; set PNODE_CRASH_SEED to replay a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { spawnSupervised } from '../process/lifeline.js';
import { mkdtemp, readFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CRASH_TRACE_ROTATED_FILES, crashVersionText } from '../../../tests/support/crash-writer.js';
import { removeStaleTempFiles } from './temp-sweep.js';
import { readTraceLog } from '../trace/trace-log.js';

const ATOMIC_TRIALS = 220;
const ATOMIC_LANES = 2;
const TRACE_TRIALS = 60;
/** A trial that has not reached its first write by then has failed. */
const TRIAL_TIMEOUT_MS = 15_000;
/** Kill this long after the child's first write, at most. */
const MAX_KILL_DELAY_MS = 15;
/** One trial in PRE_READY_EVERY is killed without waiting for its first write (start-up, first read). */
const PRE_READY_EVERY = 8;
const MAX_PRE_READY_DELAY_MS = 60;
/** After one trace trial in CUT_EVERY, the log loses a random part of its last CUT_MAX_BYTES. */
const CUT_EVERY = 2;
const CUT_MAX_BYTES = 16 * 1024;

const seed = Number(process.env['PNODE_CRASH_SEED'] ?? Date.now() % 2 ** 31);

/** mulberry32: small, seedable, good enough to spread kill moments. */
function generator(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let workDir: string;
let entry: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'pnode-crash-'));
  entry = join(workDir, 'crash-writer.mjs');
  await build({
    stdin: {
      contents: "import '../../../scripts/lib/hold-lifeline.mjs';\nimport { runCrashWriter } from '../../../tests/support/crash-writer.ts';\nawait runCrashWriter(process.argv.slice(2));\n",
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      sourcefile: 'crash-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: entry,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when the child prints "ready"; rejects if it exits first or takes too long. */
function whenReady(child: ChildProcess, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the writer was not ready within ${TRIAL_TIMEOUT_MS} ms: ${stderr()}`)), TRIAL_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the writer exited before it was ready (code ${code}, signal ${signal}): ${stderr()}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the writer did not die after SIGKILL')), TRIAL_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts the writer, lets it run, SIGKILLs it. Answers whether it had written at least once. */
async function killedWriter(args: readonly string[], random: () => number, trial: number): Promise<boolean> {
  const child = spawnSupervised(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const ready = whenReady(child, () => err);
  try {
    if (trial % PRE_READY_EVERY === PRE_READY_EVERY - 1) {
      await Promise.race([ready.catch(() => {}), sleep(random() * MAX_PRE_READY_DELAY_MS)]);
    } else {
      await ready;
      await sleep(random() * MAX_KILL_DELAY_MS);
    }
  } finally {
    child.kill('SIGKILL');
    await exited(child);
  }
  if (child.signalCode !== 'SIGKILL') throw new Error(`the writer ended on its own (code ${child.exitCode}): ${err}`);
  return ready.then(
    () => true,
    () => false,
  );
}

describe('trace log at process exit', () => {
  it('an event emitted just before process.exit() reaches the file without close()', async () => {
    const path = join(workDir, 'exit', 'network.jsonl');
    const child = spawnSync(process.execPath, [entry, 'exit', path], { encoding: 'utf8', timeout: TRIAL_TIMEOUT_MS });
    expect(child.status, child.stderr).toBe(0);
    const read = await readTraceLog(path);
    expect(read.events.map((e) => e.detail?.['message'])).toEqual(['last words']);
  });
});

describe('crash safety under SIGKILL', () => {
  it(`writeFileAtomic: after each of ${ATOMIC_TRIALS} kills the file is one whole version, never an older one`, async () => {
    const started = Date.now();
    // Independent lanes, each with its own file and kill moments, run side by side.
    const lanes = await Promise.all(
      Array.from({ length: ATOMIC_LANES }, async (_, lane) => {
        const random = generator(seed + lane);
        const dir = join(workDir, `atomic-${lane}`);
        const path = join(dir, 'state.json');
        let lastVersion = 0;
        let killedAfterWrites = 0;
        const versionsSeen = new Set<number>();
        for (let trial = lane; trial < ATOMIC_TRIALS; trial += ATOMIC_LANES) {
          if (await killedWriter(['atomic', path], random, trial)) killedAfterWrites++;
          let text: string;
          try {
            text = await readFile(path, 'utf8');
          } catch (error) {
            // Only before the very first write has completed may the file be absent.
            expect(lastVersion, `trial ${trial} (seed ${seed}): the file vanished`).toBe(0);
            expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
            continue;
          }
          const parsed = JSON.parse(text) as { version: number };
          expect(text, `trial ${trial} (seed ${seed}): version ${parsed.version} is not whole`).toBe(crashVersionText(parsed.version));
          expect(parsed.version, `trial ${trial} (seed ${seed}): the file went back`).toBeGreaterThanOrEqual(lastVersion);
          lastVersion = parsed.version;
          versionsSeen.add(parsed.version);
        }
        const leftovers = (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
        const swept = await removeStaleTempFiles(dir);
        expect(swept.sort()).toEqual(leftovers.sort());
        expect(await readdir(dir)).toEqual(['state.json']);
        return { lastVersion, killedAfterWrites, distinct: versionsSeen.size, leftovers: leftovers.length };
      }),
    );
    const sum = (pick: (lane: (typeof lanes)[number]) => number): number => lanes.reduce((total, lane) => total + pick(lane), 0);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.info(
      `[crash] writeFileAtomic: ${ATOMIC_TRIALS} SIGKILLs in ${ATOMIC_LANES} lanes (${sum((l) => l.killedAfterWrites)} after the first write) in ${seconds} s, seed ${seed}; ` +
        `${sum((l) => l.lastVersion)} versions written, ${sum((l) => l.distinct)} distinct versions found after kills, all whole; ` +
        `${sum((l) => l.leftovers)} temp files left behind, all swept`,
    );
    expect(sum((l) => l.killedAfterWrites)).toBeGreaterThanOrEqual(ATOMIC_TRIALS - Math.ceil(ATOMIC_TRIALS / PRE_READY_EVERY));
  }, 300_000);

  it(`trace log: after each of ${TRACE_TRIALS} kills (and cut tails) the reader skips at most a torn last line, and the next writer starts clean`, async () => {
    const random = generator(seed ^ 0x5bd1e995);
    const path = join(workDir, 'traces', 'network.jsonl');
    const started = Date.now();
    let tornTails = 0;
    let cuts = 0;
    for (let trial = 0; trial < TRACE_TRIALS; trial++) {
      await killedWriter(['trace', path, String(trial)], random, trial);
      if (trial % CUT_EVERY === 1) {
        const size = await stat(path).then(
          (info) => info.size,
          () => 0,
        );
        if (size > 0) {
          await truncate(path, size - 1 - Math.floor(random() * Math.min(size - 1, CUT_MAX_BYTES)));
          cuts++;
        }
      }
      const read = await readTraceLog(path, { includeRotated: true, rotatedFiles: CRASH_TRACE_ROTATED_FILES, limit: Number.MAX_SAFE_INTEGER });
      if (read.tornTail) tornTails++;
      // Every crash can leave one torn line, ended by the next writer; nothing else may break.
      expect(read.skippedLines, `trial ${trial} (seed ${seed})`).toBeLessThanOrEqual(trial);
      let previous: { trial: number; seq: number } | undefined;
      let firstTrial: number | undefined;
      for (const event of read.events) {
        const at = { trial: event.detail!['trial'] as number, seq: event.detail!['seq'] as number };
        firstTrial ??= at.trial;
        if (previous && previous.trial === at.trial) {
          expect(at.seq, `trial ${trial} (seed ${seed}): a line was lost or reordered`).toBe(previous.seq + 1);
        } else {
          if (previous) expect(at.trial).toBeGreaterThan(previous.trial);
          // Older trials may have rotated out; any later trial starts at its first event.
          if (at.trial !== firstTrial) expect(at.seq).toBe(0);
        }
        previous = at;
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.info(
      `[crash] trace log: ${TRACE_TRIALS} SIGKILLs in ${seconds} s, seed ${seed}; ${cuts} tails cut at a random byte; ` +
        `${tornTails} reads met a torn last line, each skipped, and each ended by the next writer`,
    );
    expect(tornTails).toBeGreaterThan(0);
  }, 300_000);
});
