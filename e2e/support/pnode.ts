// Starts real `pnode` processes for the e2e specs and stops them afterwards.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PNODE_BIN = join(ROOT, 'bin', 'pnode.js');

export interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Spawns `pnode <args>` and resolves when `ready` matches its output. */
export function startPnode(args: readonly string[], ready: RegExp, timeoutMs = 60_000): Promise<Running & { match: RegExpExecArray }> {
  return startProcess([PNODE_BIN, ...args], ready, timeoutMs);
}

/** Runs `scripts/start.mjs` (what `npm start` runs) and resolves when `ready` matches its output. */
export function startScript(args: readonly string[], ready: RegExp, env: Record<string, string> = {}, timeoutMs = 180_000): Promise<Running & { match: RegExpExecArray }> {
  return startProcess([join(ROOT, 'scripts', 'start.mjs'), ...args], ready, timeoutMs, env);
}

function startProcess(argv: readonly string[], ready: RegExp, timeoutMs: number, env: Record<string, string> = {}): Promise<Running & { match: RegExpExecArray }> {
  const args = argv;
  const child = spawnSupervised(process.execPath, [...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pnode ${args.join(' ')} was not ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = (): void => {
      const match = ready.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve({
        child,
        match,
        output: () => output,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGINT');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killer);
        },
      });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pnode ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}
