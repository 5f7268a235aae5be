// The flooder (flooder.ts) as a child process: bundled with esbuild next to the harness (its
// dependencies stay external, so the bundle must sit inside the repo), run, and its report read.
import { spawnSupervised } from '../../src-node/kernel/process/lifeline.js';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { bundleChild } from '../lib/bundle-child.js';
import { packageRoot } from '../../src-node/kernel/util/package-root.js';
import type { FloodReport } from './flooder.js';

/** Beyond its flood, the child gets this long to finish its last session and report. */
export const FLOODER_EXIT_GRACE_MS = 30_000;

/** Where the bundle goes by default: inside the repo, so node_modules resolve. */
export function defaultFlooderPath(tag = String(process.pid)): string {
  return join(packageRoot(), 'dist', 'harden', `faults-flooder-${tag}.mjs`);
}

export function buildFlooder(outfile: string): Promise<void> {
  return bundleChild({ dir: 'faults', module: 'flooder.ts', run: 'runFlooder' }, outfile);
}

/**
 * Runs the flooder against `url` for `durationMs`; its report (it is SIGKILLed if it overstays).
 * `niceness` (0…19) lowers its scheduling priority: a real attacker's CPU is not the node's.
 */
export function runFlooderChild(bundle: string, url: string, nodeId: string, durationMs: number, seed: number, niceness = 0): Promise<FloodReport> {
  return new Promise((resolve, reject) => {
    const child = spawnSupervised(process.execPath, [bundle, url, nodeId, String(durationMs), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (niceness !== 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, niceness);
      } catch {
        // Not allowed here: it floods at our priority.
      }
    }
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-4_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), durationMs + FLOODER_EXIT_GRACE_MS);
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.on('exit', killOnExit);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', killOnExit);
      const line = out.split('\n').find((l) => l.startsWith('flood '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('flood '.length)) as FloodReport);
      else reject(new Error(`the flooder ended with ${signal ?? `exit code ${code}`}:\n${err}`));
    });
  });
}
