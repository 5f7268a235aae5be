import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { utilityLauncher, SANDBOX_CONTROLLER_FILE, type UtilityChild, type UtilityFork } from './utility-launcher.js';
import { makeTempDir } from '../tests/support/temp-dir.js';

class RecordingChild extends EventEmitter implements UtilityChild {
  readonly stderr = new PassThrough();
  readonly posted: unknown[] = [];
  constructor(readonly pid: number) {
    super();
  }
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
}

describe('the utility-process sandbox launcher', () => {
  it('forks the controller script from a private file with the spec’s flags and env, minus run-as-node', () => {
    const dir = makeTempDir();
    const forks: Array<Parameters<UtilityFork>> = [];
    const child = new RecordingChild(4242);
    const launch = utilityLauncher((...args) => {
      forks.push(args);
      return child;
    }, dir.path);
    const sandbox = launch({ script: 'console.log(1)', execArgv: ['--no-liftoff'], env: { ELECTRON_RUN_AS_NODE: '1', A: 'b' } });
    const file = join(dir.path, SANDBOX_CONTROLLER_FILE);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('console.log(1)');
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(forks[0]).toEqual([file, [], { execArgv: ['--no-liftoff'], env: { A: 'b' }, stdio: 'pipe', serviceName: 'PNode VNode sandbox' }]);
    expect(sandbox.pid).toBe(4242);
    dir.cleanup();
  });

  it('carries messages, stderr and exit, and signals the process by pid', () => {
    const dir = makeTempDir();
    const child = new RecordingChild(77);
    const signals: Array<[number, string]> = [];
    const sandbox = utilityLauncher(() => child, dir.path, (pid, signal) => void signals.push([pid, signal]))({ script: '', execArgv: [], env: {} });
    const seen: unknown[] = [];
    sandbox.onMessage((m) => seen.push(m));
    sandbox.onStderr((t) => seen.push(`stderr:${t}`));
    sandbox.onExit((code) => seen.push(`exit:${code}`));
    sandbox.send({ type: 'run' } as unknown as Parameters<typeof sandbox.send>[0]);
    child.emit('message', { type: 'ready' });
    child.stderr.write('boom');
    child.emit('exit', 3);
    sandbox.signal('SIGSTOP');
    expect(child.posted).toEqual([{ type: 'run' }]);
    expect(seen).toEqual([{ type: 'ready' }, 'stderr:boom', 'exit:3']);
    expect(signals).toEqual([[77, 'SIGSTOP']]);
    dir.cleanup();
  });
});
