// One VNode's sandbox process, seen from the host: spawns it, hands it one task at a time,
// suspends and resumes it, reads its CPU reports, and kills it. See sandbox-scripts.ts for what
// runs inside, and vnode-host.ts for why a process (and not only a worker thread).
import { EventEmitter } from 'node:events';
import { MAX_OUTPUT_BYTES, MAX_WASI_STDERR_BYTES } from '../../../src-shared/vnode/limits.js';
import { CONTROLLER_SOURCE, type HostToSandbox, type SandboxRunMessage, type SandboxToHost, type SandboxWasiRunMessage } from './sandbox-scripts.js';
import type { WasiWorkerOutcome } from './wasi-worker-script.js';
import { spawnSupervised } from '../../kernel/process/lifeline.js';

/**
 * How a sandbox is paused:
 * - signal: SIGSTOP/SIGCONT on the process; immediate, for any module (POSIX only);
 * - cooperative: a shared flag the host API's `yield()` waits on; reaches only modules that call
 *   yield (Windows has no SIGSTOP).
 */
export type SuspendMode = 'signal' | 'cooperative';

export function defaultSuspendMode(platform: NodeJS.Platform = process.platform): SuspendMode {
  return platform === 'win32' ? 'cooperative' : 'signal';
}

/** What a launcher starts: the controller script, with these runtime flags and environment. */
export interface SandboxSpec {
  /** JavaScript source of the sandbox's controller (CONTROLLER_SOURCE). */
  readonly script: string;
  /** Node/V8 flags: permission model, heap limit, compiler flags. */
  readonly execArgv: readonly string[];
  /** The whole environment of the sandbox (nothing of the host's). */
  readonly env: Readonly<Record<string, string>>;
}

/** A started sandbox process as the host drives it. */
export interface SandboxChild {
  readonly pid: number | undefined;
  /** Sends a message (structured clone: Uint8Array and SharedArrayBuffer-free data). */
  send(message: HostToSandbox): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** The process could not be started. */
  onError(listener: (error: Error) => void): void;
  onStderr(listener: (text: string) => void): void;
  /** SIGSTOP, SIGCONT, SIGKILL. */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts sandbox processes. The default runs `<execPath> <flags> -e <script>` with a Node IPC
 * channel. A packaged Electron app whose runAsNode fuse is off cannot do that; it can start the
 * same script as an Electron utility process (utilityProcess.fork of a file holding
 * CONTROLLER_SOURCE, with execArgv and env, stdio 'pipe'), which the script detects through
 * process.parentPort; signals then go to the process by pid (process.kill).
 */
export type SandboxLauncher = (spec: SandboxSpec) => SandboxChild;

export function nodeLauncher(execPath: string = process.execPath): SandboxLauncher {
  return (spec) => {
    // The IPC channel is the sandbox's lifeline (it exits on 'disconnect'); stoppable, because the
    // duty cycle SIGSTOPs it, and a stopped process cannot notice that its host is gone.
    const child = spawnSupervised(execPath, [...spec.execArgv, '-e', spec.script], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...spec.env },
      windowsHide: true,
      lifeline: 'ipc',
      stoppable: true,
      markTree: false,
    });
    child.stderr?.setEncoding('utf8');
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (!child.connected) return;
        try {
          child.send(message);
        } catch {
          // The channel closed: the exit handler reports it.
        }
      },
      onMessage: (listener) => void child.on('message', listener),
      // 'close', not 'exit': it comes after stderr is drained, which explains a crash.
      onExit: (listener) => void child.once('close', listener),
      onError: (listener) => void child.once('error', listener),
      onStderr: (listener) => void child.stderr?.on('data', listener),
      signal(signal) {
        try {
          child.kill(signal);
        } catch {
          // Already gone.
        }
      },
    };
  };
}

export interface SandboxOptions {
  readonly suspendMode: SuspendMode;
  /** Default: nodeLauncher(process.execPath). */
  readonly launcher?: SandboxLauncher;
  /** Run the sandbox under Node's permission model (no fs, child processes, addons). Default: when the runtime has it. */
  readonly permissionModel?: boolean;
}

/**
 * V8 flags of the sandbox. --no-liftoff compiles every function with the optimizing compiler up
 * front: each task runs in a fresh isolate, which would otherwise start in baseline code and tier
 * up while it runs (≈ 30 % slower on a 0.3 s Mandelbrot tile); the price is a slower compile of
 * large modules, paid once per task inside the sandbox.
 */
export const SANDBOX_V8_FLAGS = ['--no-liftoff'];
/** Heap of the sandbox's controller isolate (the task's worker has its own limits). */
export const CONTROLLER_HEAP_MB = 64;
/** A sandbox that has not said "ready" by then is killed. */
export const SANDBOX_START_TIMEOUT_MS = 15_000;
/** How much of the sandbox's stderr is kept to explain a crash. */
const STDERR_TAIL_BYTES = 8 * 1024;
const RESULT_STATUSES: readonly string[] = ['ok', 'failed', 'memory-exceeded', 'trap'];
const OOM_PATTERN = /heap out of memory|Reached heap limit|Allocation failed|OutOfMemory|out of memory/i;

export interface SandboxOutcome {
  readonly status: 'ok' | 'failed' | 'memory-exceeded' | 'trap';
  readonly detail: string | null;
  readonly output: Uint8Array | null;
  /** WASI tasks that ran: exit code, stdout and stderr. */
  readonly wasi?: WasiWorkerOutcome;
  readonly cpuMs: number;
  /** True when the process died during the task (crash or kill); the host must not reuse it. */
  readonly processDied: boolean;
}

/**
 * The permission-model flags this runtime understands (renamed from --experimental-permission in
 * Node 22). --allow-wasi lets the sandbox's own worker create node:wasi instances for WASI tasks;
 * WASI file access is outside the permission model, so what bounds it is that the worker gives
 * each instance one preopen, the task's directory, and wraps every call (wasi-worker-script.ts).
 * A module cannot create an instance itself: it only ever sees the wrapped functions.
 */
export function permissionFlags(flags: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string[] {
  const wasi = flags.has('--allow-wasi') ? ['--allow-wasi'] : [];
  if (flags.has('--permission')) return ['--permission', '--allow-worker', ...wasi];
  if (flags.has('--experimental-permission')) return ['--experimental-permission', '--allow-worker', ...wasi];
  return [];
}

/** A task as SandboxProcess.run takes it: either kind, without the fields the process sets. */
export type SandboxWork = Omit<SandboxRunMessage, 'type' | 'paused'> | Omit<SandboxWasiRunMessage, 'type' | 'paused'>;

/** A WASI outcome as the sandbox must send it (the sandbox is the trust boundary). */
function isWasiOutcome(value: unknown, status: string): value is WasiWorkerOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<WasiWorkerOutcome>;
  return (
    (w.exitCode === null || (Number.isSafeInteger(w.exitCode) && w.exitCode! >= 0 && w.exitCode! <= 0xffffffff)) &&
    (status !== 'ok' || w.exitCode === 0) &&
    w.stdout instanceof Uint8Array &&
    w.stdout.length <= MAX_OUTPUT_BYTES &&
    w.stderr instanceof Uint8Array &&
    w.stderr.length <= MAX_WASI_STDERR_BYTES &&
    typeof w.stderrTruncated === 'boolean'
  );
}

/** The sandbox's flags and environment. */
export function sandboxSpec(permissionModel = true): SandboxSpec {
  // Nothing of the host's environment; Electron (run as node) needs to be told to act as node.
  const env: Record<string, string> = { ELECTRON_RUN_AS_NODE: '1' };
  if (process.platform === 'win32' && process.env['SystemRoot']) env['SystemRoot'] = process.env['SystemRoot'];
  return {
    script: CONTROLLER_SOURCE,
    execArgv: [...(permissionModel ? permissionFlags() : []), '--no-warnings', ...SANDBOX_V8_FLAGS, `--max-old-space-size=${CONTROLLER_HEAP_MB}`],
    env,
  };
}

interface PendingRun {
  readonly taskId: string;
  readonly wasi: boolean;
  readonly resolve: (outcome: SandboxOutcome) => void;
}

export class SandboxProcess extends EventEmitter<{ exit: [] }> {
  private readonly child: SandboxChild;
  private pending: PendingRun | null = null;
  private lastCpuMs = 0;
  private stderrTail = '';
  private exited = false;
  private suspendedNow = false;
  private readonly exitPromise: Promise<void>;

  private readonly readyListeners = new Set<() => void>();

  private constructor(
    child: SandboxChild,
    readonly suspendMode: SuspendMode,
  ) {
    super();
    this.child = child;
    child.onStderr((text) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    child.onMessage((message) => this.onMessage(message as SandboxToHost));
    this.exitPromise = new Promise((resolve) => {
      child.onExit((code, signal) => {
        if (this.exited) return;
        this.exited = true;
        this.settleOnExit(code, signal);
        this.emit('exit');
        resolve();
      });
    });
  }

  /** Starts a sandbox and waits until it is ready for a task. */
  static async start(options: SandboxOptions): Promise<SandboxProcess> {
    const launch = options.launcher ?? nodeLauncher();
    const child = launch(sandboxSpec(options.permissionModel ?? true));
    const sandbox = new SandboxProcess(child, options.suspendMode);
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sandbox.readyListeners.delete(onReady);
        sandbox.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        void sandbox.kill();
        finish(new Error(`the sandbox did not start within ${SANDBOX_START_TIMEOUT_MS} ms`));
      }, SANDBOX_START_TIMEOUT_MS);
      const onReady = () => finish();
      const onExit = () => finish(new Error(`the sandbox exited while starting${sandbox.stderrTail ? `: ${sandbox.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
      sandbox.readyListeners.add(onReady);
      sandbox.once('exit', onExit);
      child.onError((error) => {
        finish(new Error(`the sandbox cannot start: ${error.message}`));
        void sandbox.kill();
      });
    });
    return sandbox;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  get suspended(): boolean {
    return this.suspendedNow;
  }

  /** CPU time of the current (or last) task as last reported by the sandbox, ms. */
  get cpuMs(): number {
    return this.lastCpuMs;
  }

  /** Runs one task; resolves with its outcome, or with a failure if the process dies meanwhile. */
  run(message: SandboxWork): Promise<SandboxOutcome> {
    if (this.exited) return Promise.resolve({ status: 'failed', detail: 'the sandbox process is gone', output: null, cpuMs: 0, processDied: true });
    if (this.pending) return Promise.resolve({ status: 'failed', detail: 'the sandbox is busy', output: null, cpuMs: 0, processDied: false });
    this.lastCpuMs = 0;
    return new Promise((resolve) => {
      this.pending = { taskId: message.taskId, wasi: message.kind === 'wasi', resolve };
      const paused = this.suspendMode === 'cooperative' && this.suspendedNow;
      this.send({ ...message, type: 'run', paused });
    });
  }

  /** Stops the task from running (see SuspendMode); idempotent. */
  suspend(): void {
    if (this.suspendedNow || this.exited) return;
    this.suspendedNow = true;
    if (this.suspendMode === 'signal') this.signal('SIGSTOP');
    else this.send({ type: 'pause' });
  }

  resume(): void {
    if (!this.suspendedNow || this.exited) return;
    this.suspendedNow = false;
    if (this.suspendMode === 'signal') this.signal('SIGCONT');
    else this.send({ type: 'resume' });
  }

  /** Kills the process (SIGKILL works on a stopped process too); resolves once it is gone. */
  kill(): Promise<void> {
    if (!this.exited) this.child.signal('SIGKILL');
    return this.exitPromise;
  }

  /** Resolves when the process has exited. */
  whenExited(): Promise<void> {
    return this.exitPromise;
  }

  private signal(signal: NodeJS.Signals): void {
    this.child.signal(signal);
  }

  private send(message: HostToSandbox): void {
    if (!this.exited) this.child.send(message);
  }

  private onMessage(message: SandboxToHost): void {
    if (message === null || typeof message !== 'object') return;
    if (message.type === 'ready') {
      for (const listener of [...this.readyListeners]) listener();
      return;
    }
    const pending = this.pending;
    if (message.type === 'cpu') {
      if (pending && message.taskId === pending.taskId && Number.isFinite(message.cpuMs)) this.lastCpuMs = Math.max(this.lastCpuMs, message.cpuMs);
    } else if (message.type === 'result') {
      if (!pending || message.taskId !== pending.taskId) return;
      this.pending = null;
      this.lastCpuMs = Math.max(this.lastCpuMs, Number.isFinite(message.cpuMs) ? message.cpuMs : 0);
      // The sandbox is the trust boundary: a result out of shape ends it.
      const output = message.output;
      const wellFormed =
        RESULT_STATUSES.includes(message.status) &&
        (message.detail === null || typeof message.detail === 'string') &&
        (pending.wasi
          ? (output === null || output === undefined) && isWasiOutcome(message.wasi, message.status)
          : message.wasi === undefined && (message.status === 'ok' ? output instanceof Uint8Array && output.length <= MAX_OUTPUT_BYTES : output === null || output === undefined));
      if (!wellFormed) {
        void this.kill();
        pending.resolve({ status: 'failed', detail: 'the sandbox sent a malformed result', output: null, cpuMs: this.lastCpuMs, processDied: true });
        return;
      }
      // Copied out of the IPC message's buffer, so `output.buffer` holds exactly the output.
      const wasi = message.wasi ? { ...message.wasi, stdout: message.wasi.stdout.slice(), stderr: message.wasi.stderr.slice() } : undefined;
      pending.resolve({ status: message.status, detail: message.detail, output: output ? output.slice() : null, ...(wasi ? { wasi } : {}), cpuMs: this.lastCpuMs, processDied: false });
    }
  }

  private settleOnExit(code: number | null, signal: string | null): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    const outOfMemory = OOM_PATTERN.test(this.stderrTail);
    pending.resolve({
      status: outOfMemory ? 'memory-exceeded' : 'failed',
      detail: outOfMemory ? `the sandbox ran out of memory (its heap limit) and was stopped (${how})` : `the sandbox process exited (${how})`,
      output: null,
      cpuMs: this.lastCpuMs,
      processDied: true,
    });
  }
}
