// A child's end as its reader needs it: exited, and everything it printed already read.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { childGone } from './child-gone.js';

describe('a child process gone, output included', () => {
  it('comes once the last line printed just before the exit has been read', async () => {
    const script = `process.stdout.write('x'.repeat(1 << 21)); process.stdout.write('\\nstopped\\n'); process.exitCode = 3;`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const gone = childGone(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.resume();
    await gone;
    expect(child.exitCode).toBe(3);
    expect(output.endsWith('\nstopped\n')).toBe(true);
  });

  it('waits for the pipes after the exit, and no longer than the bound when something else holds one open', async () => {
    const child = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough() });
    let gone = false;
    const over = childGone(child, 50).then(() => (gone = true));
    child.emit('exit', 0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(gone).toBe(false);
    child.stderr.end();
    child.stderr.resume();
    // stdout never ends: a grandchild inherited it.
    await over;
    expect(gone).toBe(true);
  });
});
