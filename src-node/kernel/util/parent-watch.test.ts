import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PARENT_WATCH_INTERVAL_MS, processExists, watchParent } from './parent-watch.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { PNODE_BIN } from '../../../tests/support/nodes.js';

const started: ChildProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  cleanups.splice(0).forEach((c) => c());
});

function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      if (check()) return resolve(true);
      if (Date.now() > deadline) return resolve(false);
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe('watching the parent', () => {
  it('a `pnode node --parent-pid` stops when the process that started it is SIGKILLed', async () => {
    // parent (plain node) → a real pnode node told to watch it; the parent prints the child's pid.
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const args = ['node', '--data-dir', dir.path, '--keystore', 'file', '--default-network', 'none', '--no-local-network'];
    const parentCode = `const { spawn } = require('node:child_process'); const c = spawn(process.execPath, [${JSON.stringify(PNODE_BIN)}, ...${JSON.stringify(args)}, '--parent-pid', String(process.pid)], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentCode], { stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(parent);
    let out = '';
    parent.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await waitFor(() => /^\d+$/m.test(out), 30_000)).toBe(true);
    const childPid = Number(/^(\d+)$/m.exec(out)![1]);
    // Running (its control file is written once it is up), then its parent dies without a word.
    expect(await waitFor(() => existsSync(join(dir.path, 'control.json')), 60_000)).toBe(true);
    expect(processExists(childPid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitFor(() => !processExists(childPid), 30 * PARENT_WATCH_INTERVAL_MS)).toBe(true);
  });

  it('stops watching when asked', async () => {
    let gone = 0;
    const stop = watchParent(process.pid, () => gone++, 10);
    stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(gone).toBe(0);
    expect(processExists(process.pid)).toBe(true);
    expect(processExists(2 ** 22 + 12_345)).toBe(false);
  });
});
