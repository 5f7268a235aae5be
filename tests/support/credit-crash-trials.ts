// SIGKILL trials of the credit writers (credit-crash-writer.ts): bundle the writer once, then run
// it on a data dir, kill it at a seeded random moment (now and then before it is ready), and hand
// back every line it printed. Each wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** A trial whose writer is not ready by then has failed (a loaded machine starts slowly). */
export const CRASH_READY_TIMEOUT_MS = 30_000;
/** After ready, the kill comes within this many ms (unless the trial says otherwise). */
export const CRASH_MAX_KILL_DELAY_MS = 120;
/** One trial in this many is killed without waiting for ready (opening, torn-tail repair). */
export const CRASH_PRE_READY_EVERY = 6;

/** mulberry32: small and seedable. */
export function seeded(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bundles the writer into dist/ (inside the repo, so its packages resolve from node_modules). */
export async function buildCreditWriter(): Promise<{ path: string; remove: () => void }> {
  const dir = join('dist', 'credit-crash');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `writer-${process.pid}-${Date.now()}.mjs`);
  await build({
    stdin: {
      contents: "import { runCreditCrashWriter } from './credit-crash-writer.ts';\nawait runCreditCrashWriter(process.argv.slice(2));\n",
      resolveDir: join(process.cwd(), 'tests', 'support'),
      sourcefile: 'credit-crash-entry.ts',
      loader: 'ts',
    },
    outfile: path,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    banner: { js: "import { createRequire as __credCreateRequire } from 'node:module'; const require = __credCreateRequire(import.meta.url);" },
  });
  return { path, remove: () => rmSync(path, { force: true }) };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface KilledRun {
  readonly ready: boolean;
  readonly lines: readonly string[];
}

/** Runs `node writer <args>`, SIGKILLs it at a random moment, answers what it printed. */
export async function killedCreditWriter(writer: string, args: readonly string[], random: () => number, preReady: boolean, maxKillDelayMs = CRASH_MAX_KILL_DELAY_MS): Promise<KilledRun> {
  const child: ChildProcess = spawn(process.execPath, [writer, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let buffered = '';
  const lines: string[] = [];
  let ready = false;
  let markReady: () => void = () => undefined;
  const readySignal = new Promise<void>((resolve) => (markReady = resolve));
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-4_000)));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      if (line === 'ready') {
        ready = true;
        markReady();
      } else {
        lines.push(line);
      }
    }
  });
  // 'close', not 'exit': 'exit' can come before the last of the child's stdout is read, and a
  // `settle`/`dropped` line lost that way made the outbox trial count a settled receipt as lost.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, preReady ? random() * 400 : CRASH_READY_TIMEOUT_MS)));
    await Promise.race([readySignal, exited, limit]);
    clearTimeout(timer);
    if (!preReady) {
      if (!ready) throw new Error(`the credit writer was not ready within ${CRASH_READY_TIMEOUT_MS} ms: ${err}`);
      await sleep(random() * maxKillDelayMs);
    }
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    await exited;
  }
  if (child.signalCode !== 'SIGKILL') throw new Error(`the credit writer ended on its own (code ${child.exitCode}): ${err}`);
  return { ready, lines };
}
