// The network's services as the operator runs them: `pnode <command>` child processes of the
// built binary (bin/pnode.js → dist/pnode.js), so a scenario can SIGKILL one and start it again
// on the same port and data dir. Every child started here is SIGKILLed when this process exits,
// whatever happened.
import { type ChildProcess } from 'node:child_process';
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';
import { sleep } from './wait.js';

/** A child that has not printed its banner within this long failed to start (a loaded machine is slow). */
export const CHILD_START_TIMEOUT_MS = 60_000;
/** After SIGINT, a child gets this long before SIGKILL. */
export const CHILD_STOP_GRACE_MS = 5_000;
/** Characters of a child's output kept (for its banner and to explain a failure). */
const OUTPUT_KEPT_CHARS = 64 * 1024;
const BANNER_POLL_MS = 10;

/** Flags every service child gets: plain ws:// and http:// on loopback, keys in files. */
export const LOOPBACK_FLAGS: readonly string[] = ['--insecure-loopback', '--keystore', 'file'];

export function pnodeBin(): string {
  const root = packageRoot();
  if (!existsSync(join(root, 'dist', 'pnode.js'))) throw new Error('dist/pnode.js is missing: run "npm run build" (or "npm run build:node") first');
  return join(root, 'bin', 'pnode.js');
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export interface PnodeChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** What it printed (the last OUTPUT_KEPT_CHARS). */
  output(): string;
  readonly exited: Promise<void>;
  readonly isRunning: boolean;
  /** SIGKILL: no chance to close anything. Resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGINT, then SIGKILL after CHILD_STOP_GRACE_MS. */
  stop(): Promise<void>;
}

/** Starts `pnode <args>`. */
export function spawnPnode(name: string, args: readonly string[]): PnodeChild {
  installExitHook();
  const child = spawnSupervised(process.execPath, [pnodeBin(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let text = '';
  const take = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<void>((resolve) => {
    const done = (): void => {
      running.delete(child);
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null && running.has(child);
  return {
    name,
    process: child,
    output: () => text,
    exited,
    get isRunning() {
      return isRunning();
    },
    async kill() {
      if (isRunning()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!isRunning()) return exited;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until the child's output matches every pattern; the first group of each. */
export async function waitForBanner(child: PnodeChild, patterns: readonly RegExp[], timeoutMs = CHILD_START_TIMEOUT_MS): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = child.output();
    const found = patterns.map((p) => p.exec(all)?.[1]);
    if (found.every((f) => f !== undefined)) return found as string[];
    if (!child.isRunning) throw new Error(`${child.name} exited before it was ready:\n${all.slice(-4_000)}`);
    if (Date.now() > deadline) throw new Error(`${child.name} did not start within ${timeoutMs} ms:\n${all.slice(-4_000)}`);
    await sleep(BANNER_POLL_MS);
  }
}

export const NODE_ID_LINE = /node\/id\s+(node:did:key:z\w+)/;
export const LISTENING_LINE = /listening\s+(ws:\/\/\S+)/;
export const ADMIN_LINE = /admin\s+(http:\/\/\S+)/;
