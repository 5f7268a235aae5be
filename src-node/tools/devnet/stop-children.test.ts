// The devnet's stop: SIGINT to every child, and SIGKILL, named in the log, to one that does not
// stop within the grace. Real processes: one stops on SIGINT, one ignores it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type DevnetChild, stopChildren } from './devnet.js';

/**
 * A node process that says "ready" once its SIGINT handler is in place. It lives on its stdin, a
 * pipe from this process: should the test runner die, the pipe closes and so does the child.
 */
async function child(name: string, onSigint: 'exit' | 'ignore'): Promise<DevnetChild> {
  const handler = onSigint === 'exit' ? '() => process.exit(0)' : '() => undefined';
  const script = `process.on('SIGINT', ${handler}); process.stdin.on('end', () => process.exit(0)).resume(); console.log('ready');`;
  const running = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
  const [first] = (await once(running.stdout, 'data')) as [Buffer];
  expect(first.toString()).toContain('ready');
  return { name, dataDir: '', process: running, logFile: `${name}.log`, nodeId: null, uiUrl: null, output: () => '', exited };
}

describe('stopping the devnet’s children', () => {
  it('asks each politely, kills the one still running after the grace, and says which', async () => {
    const polite = await child('node-1', 'exit');
    const stubborn = await child('orchestrator', 'ignore');
    const lines: string[] = [];
    await stopChildren([polite, stubborn], (line) => lines.push(line), 2_000);
    expect(polite.process.signalCode).toBeNull();
    expect(polite.process.exitCode).toBe(0);
    expect(stubborn.process.signalCode).toBe('SIGKILL');
    expect(lines).toEqual(['orchestrator did not stop within 2 s: killed (see orchestrator.log)']);
  });
});
