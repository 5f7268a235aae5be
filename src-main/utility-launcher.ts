// How the desktop app starts VNode sandboxes: as Electron utility processes. A packaged app turns
// the runAsNode fuse off (no using the Electron binary as a plain Node), so the default launcher
// (`<execPath> -e <script>`) cannot work there; utilityProcess.fork of a file holding the sandbox
// controller can. The controller notices process.parentPort and talks over it. Signals (SIGSTOP /
// SIGCONT for the duty cycle, SIGKILL) go to the process by pid.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxChild, SandboxLauncher, SandboxSpec } from '../src-node/contributor/vnode/sandbox-process.js';

/** The part of Electron's UtilityProcess this launcher uses. */
export interface UtilityChild {
  readonly pid: number | undefined;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
}

export type UtilityFork = (modulePath: string, args: string[], options: { execArgv: string[]; env: Record<string, string>; stdio: 'pipe'; serviceName: string }) => UtilityChild;

export const SANDBOX_CONTROLLER_FILE = 'vnode-sandbox-controller.cjs';

/** Writes the controller script once per run into `dir` and forks it for every sandbox. */
export function utilityLauncher(fork: UtilityFork, dir: string, kill: (pid: number, signal: NodeJS.Signals) => void = process.kill.bind(process)): SandboxLauncher {
  let scriptPath: string | undefined;
  return (spec: SandboxSpec): SandboxChild => {
    if (!scriptPath) {
      mkdirSync(dir, { recursive: true });
      scriptPath = join(dir, SANDBOX_CONTROLLER_FILE);
      writeFileSync(scriptPath, spec.script, { mode: 0o600 });
    }
    // Electron needs no ELECTRON_RUN_AS_NODE for a utility process; the rest of the env is the spec's.
    const { ELECTRON_RUN_AS_NODE: _unused, ...env } = spec.env;
    const child = fork(scriptPath, [], { execArgv: [...spec.execArgv], env: { ...env }, stdio: 'pipe', serviceName: 'PNode VNode sandbox' });
    child.stderr?.setEncoding?.('utf8');
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        try {
          child.postMessage(message);
        } catch {
          // Gone: the exit listener reports it.
        }
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.on('exit', (code) => listener(code, null)),
      onError: (listener) => void child.on('error', (type, location) => listener(new Error(`utility process ${type} at ${location}`))),
      onStderr: (listener) => void child.stderr?.on('data', (chunk: string | Buffer) => listener(String(chunk))),
      signal(signal) {
        if (child.pid === undefined) return;
        try {
          kill(child.pid, signal);
        } catch {
          // Already gone.
        }
      },
    };
  };
}
