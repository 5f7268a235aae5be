// scripts/run-parallel.mjs, which runs `npm test`'s vitest, lint and type checks side by side:
// every command runs to its end, the live one writes as it goes, each other one's output is printed
// whole under its name (after the live one), the status says whether any failed, and no command
// outlives the runner, even one killed with SIGKILL.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasProcTable, processEntry, stillRunning, waitUntilGone, type ProcessEntry } from '../support/process-table.js';
import { makeTempDir } from '../support/temp-dir.js';
import { PATIENCE_MS, waitUntil } from '../support/wait.js';

interface Ran {
  readonly status: number | null;
  readonly out: string;
}

async function runParallel(...commands: string[]): Promise<Ran> {
  const child = spawn(process.execPath, ['scripts/run-parallel.mjs', ...commands], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, out };
}

/** A shell command that prints `lines` lines tagged `tag`, yielding between them so outputs would interleave if streamed. */
const printer = (tag: string, lines: number, exit = 0) =>
  `node -e "let i=0;const t=setInterval(()=>{console.log('${tag}',i);if(++i===${lines}){clearInterval(t);process.exitCode=${exit}}},1)"`;

describe('scripts/run-parallel.mjs', () => {
  it('runs every command and prints each one’s output whole, under its name', async () => {
    const ran = await runParallel(printer('alpha', 20), printer('beta', 20), printer('gamma', 5));
    expect(ran.status).toBe(0);
    for (const tag of ['alpha', 'beta', 'gamma']) {
      const header = ran.out.split('\n').findIndex((line) => line.startsWith('── ') && line.includes(`'${tag}'`) && line.includes(': ok in '));
      expect(header, `${tag}'s header`).toBeGreaterThanOrEqual(0);
      // Its lines follow its header, all of them and no other's.
      const count = tag === 'gamma' ? 5 : 20;
      expect(ran.out.split('\n').slice(header + 1, header + 1 + count)).toEqual(Array.from({ length: count }, (_, i) => `${tag} ${i}`));
    }
  }, 60_000);

  it('runs the rest when one fails, and fails itself, naming how many failed', async () => {
    const ran = await runParallel(printer('broken', 3, 4), printer('fine', 3), 'exit 7');
    expect(ran.status).toBe(1);
    expect(ran.out).toMatch(/'broken'.*: failed \(4\) in /);
    expect(ran.out).toMatch(/'fine'.*: ok in /);
    expect(ran.out).toContain('fine 2');
    expect(ran.out).toMatch(/exit 7: failed \(7\) in /);
    expect(ran.out).toContain('2 of 3 commands failed');
  }, 60_000);

  it('lets the live command write as it goes, and prints the others’ reports after it', async () => {
    const ran = await runParallel('--live', printer('live', 10), 'echo early');
    expect(ran.status).toBe(0);
    const lines = ran.out.split('\n');
    expect(lines.indexOf('early')).toBeGreaterThan(lines.indexOf('live 9'));
    expect(lines.findIndex((line) => line.startsWith('── echo early: ok'))).toBeGreaterThan(lines.indexOf('live 9'));
  }, 60_000);

  it.skipIf(!hasProcTable())('leaves no command running when the runner is killed with SIGKILL', async () => {
    const dir = makeTempDir('pnode-run-parallel-');
    try {
      // Each command writes its shell's pid, then waits far longer than the test.
      const sleeper = (name: string) => `echo $$ > ${join(dir.path, name)}; exec sleep 600`;
      const runner = spawn(process.execPath, ['scripts/run-parallel.mjs', '--live', sleeper('live'), sleeper('other')], { stdio: 'ignore' });
      const pidFiles = ['live', 'other'].map((name) => join(dir.path, name));
      await waitUntil(() => pidFiles.every((file) => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n')), 'both commands started');
      const commands = pidFiles.map((file) => processEntry(Number(readFileSync(file, 'utf8'))));
      expect(commands.every((entry) => entry !== undefined)).toBe(true);
      runner.kill('SIGKILL');
      await once(runner, 'close');
      const { survivors } = await waitUntilGone(() => (commands as ProcessEntry[]).filter(stillRunning), PATIENCE_MS);
      expect(survivors).toEqual([]);
    } finally {
      dir.cleanup();
    }
  }, 120_000);

  it('refuses to run nothing', async () => {
    const ran = await runParallel();
    expect(ran.status).toBe(2);
    expect(ran.out).toContain('Usage:');
  }, 60_000);
});
