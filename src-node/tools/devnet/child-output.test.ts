// A devnet child's output reaches its log file whole, even the lines that come after its exit.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import type { DevnetProcess } from './devnet.js';
import { followChildOutput } from './child-output.js';

/** A child process whose exit and output the test orders by hand. */
class ScriptedChild extends EventEmitter {
  readonly pid = 4242;
  exitCode: number | null = null;
  readonly signalCode = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  kill(): boolean {
    return true;
  }
  exit(code: number): void {
    this.exitCode = code;
    this.emit('exit', code);
  }
}

const dirs: Array<{ cleanup: () => void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.cleanup();
});

function logPath(): string {
  const dir = makeTempDir('pnode-child-output-');
  dirs.push(dir);
  return join(dir.path, 'devnet-output.log');
}

describe('a devnet child’s output', () => {
  it('keeps the lines that arrive after the child’s exit, and counts the child gone only once they are in the log', async () => {
    const child = new ScriptedChild();
    const file = logPath();
    const output = followChildOutput(child as unknown as DevnetProcess, file);
    let gone = false;
    void output.exited.then(() => (gone = true));
    child.stdout.write('stopping: closing sessions and flushing files\n');
    child.exit(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(gone).toBe(false);
    child.stdout.end('stopped\n');
    child.stderr.end();
    await output.exited;
    expect(readFileSync(file, 'utf8')).toBe('stopping: closing sessions and flushing files\nstopped\n');
    expect(output.text()).toContain('stopped');
  });

  it('does not wait forever for a pipe something else still holds open', async () => {
    const child = new ScriptedChild();
    const file = logPath();
    const output = followChildOutput(child as unknown as DevnetProcess, file, 50);
    child.stdout.write('stopped\n');
    child.exit(0);
    // stdout never ends: a grandchild inherited it.
    await output.exited;
    expect(readFileSync(file, 'utf8')).toBe('stopped\n');
  });

  it('counts a child that failed to start as gone', async () => {
    const child = new ScriptedChild();
    const output = followChildOutput(child as unknown as DevnetProcess, logPath());
    child.stdout.end();
    child.stderr.end();
    child.emit('error', new Error('spawn ENOENT'));
    await output.exited;
  });

  it('holds everything a real child printed just before it exited', async () => {
    const file = logPath();
    const script = `process.stdout.write('x'.repeat(1 << 21)); process.stdout.write('\\nstopped\\n'); process.exitCode = 0;`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = followChildOutput(child, file);
    await output.exited;
    const text = readFileSync(file, 'utf8');
    expect(text.length).toBe((1 << 21) + '\nstopped\n'.length);
    expect(text.endsWith('\nstopped\n')).toBe(true);
  });
});
