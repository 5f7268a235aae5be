// A harness child process run from a bundle (harden/lib/bundle-child.ts): started, waited for until
// its output says it is ready, SIGKILLed on demand and whenever the harness exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { bundleChild, type ChildEntry } from '../lib/bundle-child.js';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';
import { sleep } from '../faults/wait.js';

/** A child not ready within this long failed to start. */
export const BUNDLED_CHILD_START_TIMEOUT_MS = 120_000;
const OUTPUT_KEPT_CHARS = 64 * 1024;

export interface BundledChild {
  readonly process: ChildProcess;
  output(): string;
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Where a bundle goes: inside the repo, so its external dependencies resolve. */
export function bundlePath(name: string): string {
  return join(packageRoot(), 'dist', 'harden', `${name}-${process.pid}.mjs`);
}

export async function buildBundle(entry: ChildEntry, name: string): Promise<string> {
  const path = bundlePath(name);
  await bundleChild(entry, path);
  return path;
}

/** Starts `bundle` with `args`; resolves once its output matches `ready` (its first group returned too). */
export async function startBundledChild(bundle: string, args: readonly string[], ready: RegExp): Promise<{ child: BundledChild; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let text = '';
  const take = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-OUTPUT_KEPT_CHARS);
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      running.delete(proc);
      resolve();
    }),
  );
  const child: BundledChild = {
    process: proc,
    output: () => text,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  const deadline = Date.now() + BUNDLED_CHILD_START_TIMEOUT_MS;
  for (;;) {
    const match = ready.exec(text);
    if (match) return { child, match };
    if (!running.has(proc)) throw new Error(`the child exited before it was ready:\n${text.slice(-4_000)}`);
    if (Date.now() > deadline) {
      await child.kill();
      throw new Error(`the child was not ready within ${BUNDLED_CHILD_START_TIMEOUT_MS} ms:\n${text.slice(-4_000)}`);
    }
    await sleep(10);
  }
}
