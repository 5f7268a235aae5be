// A test's view of a child's end: the exit code, with everything the child printed already read.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exitedWithOutput } from './child-exit.js';

describe('a child’s end, output included', () => {
  it('resolves with the exit code once the last line printed before the exit has been read', async () => {
    const script = `process.stdout.write('x'.repeat(1 << 21)); process.stdout.write('\\nstopped\\n'); process.exitCode = 3;`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await exitedWithOutput(child)).toBe(3);
    expect(output.endsWith('\nstopped\n')).toBe(true);
  });
});
