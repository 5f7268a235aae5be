import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { UTILITY_ARGS_MARKER, commandLine } from '../src-node/cli/argv.js';
import { utilityDevnetSpawn, type UtilityService } from './utility-devnet.js';

class FakeService extends EventEmitter implements UtilityService {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  killed = 0;
  constructor(readonly pid: number) {
    super();
  }
  kill(): boolean {
    this.killed++;
    return true;
  }
}

describe('the local test network as utility processes', () => {
  it('forks the bundled pnode with its arguments behind the marker the CLI looks for', () => {
    const forks: Array<[string, string[], unknown]> = [];
    const service = new FakeService(99);
    const spawnChild = utilityDevnetSpawn((modulePath, args, options) => {
      forks.push([modulePath, args, options]);
      return service;
    }, '/app/dist/pnode.js');
    const child = spawnChild(['orchestrator', '--data-dir', '/d', '--parent-pid', '7'], { detached: true });
    expect(forks[0]?.[0]).toBe('/app/dist/pnode.js');
    expect(forks[0]?.[1]).toEqual([UTILITY_ARGS_MARKER, 'orchestrator', '--data-dir', '/d', '--parent-pid', '7']);
    // Whatever Electron puts before them, the CLI reads the same command line.
    expect(commandLine(['/electron', '--type=utility', ...forks[0]![1]])).toEqual(['orchestrator', '--data-dir', '/d', '--parent-pid', '7']);
    expect(commandLine(['/usr/bin/node', '/app/bin/pnode.js', 'node', '--ui'])).toEqual(['node', '--ui']);
    expect(child.pid).toBe(99);
    expect(child.stdout).toBe(service.stdout);
  });

  it('reports exit (also to listeners that come late) and signals the process by pid', () => {
    const service = new FakeService(1234);
    const signals: Array<[number, string]> = [];
    const child = utilityDevnetSpawn(() => service, '/x', (pid, signal) => void signals.push([pid, signal]))([], { detached: false });
    expect(child.kill('SIGINT')).toBe(true);
    expect(signals).toEqual([[1234, 'SIGINT']]);
    const codes: Array<number | null> = [];
    child.once('exit', (code) => codes.push(code));
    service.emit('exit', 3);
    child.once('exit', (code) => codes.push(code));
    expect(codes).toEqual([3, 3]);
    expect(child.exitCode).toBe(3);
    expect(child.kill('SIGKILL')).toBe(false);
  });
});
