// "Try it on this computer" in the desktop app (issue 12): the local test network's services run
// as Electron utility processes of the bundled `pnode` (dist/pnode.js). A packaged app turns the
// runAsNode fuse off, so its binary cannot be a plain Node; a utility process can. Each child also
// gets --parent-pid (the devnet adds it), so it stops when the app is gone, SIGKILL included.
import { UTILITY_ARGS_MARKER } from '../src-node/cli/argv.js';
import type { DevnetProcess, DevnetSpawn } from '../src-node/tools/devnet/devnet.js';

/** The part of Electron's UtilityProcess this spawner uses. */
export interface UtilityService {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
}

export type UtilityServiceFork = (modulePath: string, args: string[], options: { stdio: 'pipe'; serviceName: string }) => UtilityService;

export function utilityDevnetSpawn(fork: UtilityServiceFork, pnodeEntry: string, kill: (pid: number, signal: NodeJS.Signals) => void = process.kill.bind(process)): DevnetSpawn {
  return (args): DevnetProcess => {
    const child = fork(pnodeEntry, [UTILITY_ARGS_MARKER, ...args], { stdio: 'pipe', serviceName: `PNode test network: ${args[0] ?? 'pnode'}` });
    let exitCode: number | null = null;
    const exitListeners: Array<(code: number | null) => void> = [];
    const errorListeners: Array<(error: Error) => void> = [];
    child.on('exit', (code) => {
      exitCode = code;
      for (const listener of exitListeners.splice(0)) listener(code);
    });
    child.on('error', (type, location) => {
      for (const listener of errorListeners.splice(0)) listener(new Error(`utility process ${type} at ${location}`));
    });
    return {
      get pid() {
        return child.pid;
      },
      get exitCode() {
        return exitCode;
      },
      signalCode: null,
      stdout: child.stdout,
      stderr: child.stderr,
      kill(signal: NodeJS.Signals = 'SIGTERM') {
        if (child.pid === undefined || exitCode !== null) return false;
        try {
          kill(child.pid, signal);
          return true;
        } catch {
          return child.kill();
        }
      },
      once(event: 'exit' | 'error', listener: ((code: number | null) => void) | ((error: Error) => void)) {
        if (event === 'exit') {
          if (exitCode !== null) (listener as (code: number | null) => void)(exitCode);
          else exitListeners.push(listener as (code: number | null) => void);
        } else errorListeners.push(listener as (error: Error) => void);
        return this;
      },
    } as DevnetProcess;
  };
}
