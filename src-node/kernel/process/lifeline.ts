// No process outlives its supervisor, however the supervisor dies (issue 15 §6). Node has no
// PR_SET_PDEATHSIG, so every child we start holds a lifeline instead:
//
// - spawnSupervised() gives the child one extra stdio entry, a pipe (a socketpair on POSIX), and
//   names it in PNODE_LIFELINE=fd:<n>. The parent never writes to it. When the parent is gone — a
//   clean exit, a crash, SIGKILL — the kernel closes the parent's end and the child reads
//   end-of-file. That costs the child one idle, unref'd handle in its event loop: no polling.
// - holdLifeline(), called once at the top of every child's main, watches that pipe and, when it
//   breaks, runs the child's graceful stop (its own children first), and exits after
//   LIFELINE_GRACE_MS whatever that stop is doing, SIGKILLing any supervised child still alive.
//   Grandchildren follow: each level holds a lifeline to the one above, so the chain unwinds.
// - Children that speak Node IPC to us may use the IPC channel as their lifeline instead
//   (lifeline: 'ipc'; they exit on 'disconnect'): VNode sandboxes, the discovery sim's workers.
// - A child its parent may SIGSTOP (a sandbox's duty cycle) cannot read anything while stopped. It
//   is marked stoppable: on Linux it is started through setpriv(1) with a parent-death SIGKILL (the
//   one signal a stopped process cannot miss), and it is SIGKILLed when this process exits.
// - Where no pipe can be passed at all, a child may be told PNODE_LIFELINE=ppid:<pid> and checks
//   its parent pid every PPID_CHECK_MS: a fallback only.
//
// The graceful path is unchanged: a supervisor told to stop (SIGINT/SIGTERM) still asks its
// children politely and waits for them; the lifeline is only for when it cannot.
import { type ChildProcess, type SpawnOptions, type StdioOptions, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/** The environment variable that names the lifeline: `fd:<n>` or `ppid:<pid>`. */
export const LIFELINE_ENV = 'PNODE_LIFELINE';
/**
 * Every process started through spawnSupervised carries the id of its supervision tree (inherited,
 * or new at the root), so an operator or a test can find a whole tree in the process table.
 */
export const SUPERVISION_TREE_ENV = 'PNODE_SUPERVISION_TREE';
/** After the lifeline breaks, the graceful stop gets this long; then the process exits anyway. */
export const LIFELINE_GRACE_MS = 10_000;
/** The ppid fallback looks this often (only where no pipe can exist). */
export const PPID_CHECK_MS = 1_000;
/** Exit code of a process whose supervisor vanished and whose graceful stop did not finish in time. */
export const LIFELINE_LOST_EXIT_CODE = 70;
/** setpriv(1) of util-linux ≥ 2.33 sets a parent-death signal before it execs the command. */
const SETPRIV = '/usr/bin/setpriv';

export type LifelineKind = 'pipe' | 'ipc';

export interface SupervisedSpawnOptions extends SpawnOptions {
  /**
   * 'pipe' (default): an extra stdio pipe, named in PNODE_LIFELINE. 'ipc': the child's Node IPC
   * channel (its stdio must include 'ipc'), and the child exits on 'disconnect' by itself.
   */
  readonly lifeline?: LifelineKind;
  /** This process may SIGSTOP the child (see the head of this file). */
  readonly stoppable?: boolean;
  /**
   * Default true: the child's environment carries SUPERVISION_TREE_ENV. False for a child whose
   * environment must hold nothing of ours (a sandbox); it is still supervised.
   */
  readonly markTree?: boolean;
}

interface Supervised {
  readonly child: ChildProcess;
  readonly stoppable: boolean;
}

/** Children started here and not yet exited. */
const live = new Set<Supervised>();
let exitHookInstalled = false;
let setprivUsable: boolean | undefined;

type StdioEntry = Exclude<StdioOptions, string>[number];

function stdioArray(stdio: StdioOptions | undefined): StdioEntry[] {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  const entries: StdioEntry[] = [...stdio];
  // Node fills missing standard streams with pipes; so do we, so the lifeline's index is known.
  while (entries.length < 3) entries.push('pipe');
  return entries;
}

/** Whether this machine can give a child a parent-death signal (Linux with setpriv --pdeathsig). */
export function canSetDeathSignal(): boolean {
  if (setprivUsable === undefined) {
    setprivUsable = process.platform === 'linux' && existsSync(SETPRIV) && spawnSync(SETPRIV, ['--pdeathsig', 'KILL', '--', process.execPath, '-e', '0'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  }
  return setprivUsable;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A stopped child cannot read its lifeline: it goes with us. The others see end-of-file and stop
  // on their own, gracefully.
  process.on('exit', () => {
    for (const { child, stoppable } of live) if (stoppable) signalQuietly(child, 'SIGKILL');
  });
}

function signalQuietly(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    child.kill(signal);
  } catch {
    // Gone already.
  }
}

const TREE_PATTERN = /^[0-9a-f]{16,64}$/;

/** The tree id this process passes on: its own, or a new one when it is the root. */
function supervisionTree(): string {
  let tree = process.env[SUPERVISION_TREE_ENV];
  if (tree === undefined || !TREE_PATTERN.test(tree)) {
    tree = randomBytes(8).toString('hex');
    process.env[SUPERVISION_TREE_ENV] = tree;
  }
  return tree;
}

/**
 * child_process.spawn with a lifeline (see the head of this file). The child is tracked until it
 * exits; the options are spawn's, plus `lifeline` and `stoppable`.
 */
export function spawnSupervised(command: string, args: readonly string[], options: SupervisedSpawnOptions = {}): ChildProcess {
  const { lifeline = 'pipe', stoppable = false, markTree = true, ...spawnOptions } = options;
  const stdio = stdioArray(spawnOptions.stdio);
  const env: NodeJS.ProcessEnv = { ...(spawnOptions.env ?? process.env) };
  // A tree id the caller put in the child's environment starts a tree of its own.
  if (markTree && !TREE_PATTERN.test(env[SUPERVISION_TREE_ENV] ?? '')) env[SUPERVISION_TREE_ENV] = supervisionTree();
  delete env[LIFELINE_ENV];
  let lifelineIndex = -1;
  if (lifeline === 'pipe') {
    lifelineIndex = stdio.length;
    stdio.push('pipe');
    env[LIFELINE_ENV] = `fd:${lifelineIndex}`;
  } else if (!stdio.includes('ipc')) {
    throw new Error("spawnSupervised: lifeline 'ipc' needs an 'ipc' entry in stdio");
  }
  let file = command;
  let argv = [...args];
  if (stoppable && canSetDeathSignal()) {
    file = SETPRIV;
    argv = ['--pdeathsig', 'KILL', '--', command, ...args];
  }
  const child = spawn(file, argv, { ...spawnOptions, stdio, env });
  track(child, stoppable, lifelineIndex);
  return child;
}

function track(child: ChildProcess, stoppable: boolean, lifelineIndex: number): void {
  installExitHook();
  const entry: Supervised = { child, stoppable };
  live.add(entry);
  const end = lifelineIndex >= 0 ? (child.stdio[lifelineIndex] as Socket | null | undefined) : null;
  if (end) {
    // Our end: never written, read only to drain; it must not keep this process alive, and once
    // the child is gone it is closed (a grandchild that inherited the child's end would otherwise
    // hold back the child's 'close').
    end.on('error', () => undefined);
    end.resume();
    end.unref();
  }
  const forget = (): void => {
    live.delete(entry);
    end?.destroy();
  };
  child.once('exit', forget);
  child.once('error', forget);
}

/** Supervised children of this process still running (tests, harnesses). */
export function supervisedChildren(): ChildProcess[] {
  return [...live].map((s) => s.child);
}

/** SIGKILLs every supervised child still running: the last resort before this process exits. */
export function killSupervisedChildren(): void {
  for (const { child } of live) signalQuietly(child, 'SIGKILL');
}

export interface HoldLifelineOptions {
  /** Start the graceful stop; called once, when the supervisor is gone. */
  readonly onLost: (why: string) => void;
  /** How long the graceful stop may take before the process exits anyway (LIFELINE_GRACE_MS). */
  readonly graceMs?: number;
  /** Told once when the lifeline breaks (a line for stderr). */
  readonly log?: (line: string) => void;
  /** process.exit, or a stand-in for tests. */
  readonly exit?: (code: number) => void;
}

export interface HeldLifeline {
  /** What this process watches: its pipe, its parent's pid, or nothing (not started by a supervisor). */
  readonly kind: 'pipe' | 'ppid' | 'none';
  /** Stops watching (the process is about to exit by itself). */
  release(): void;
}

/**
 * Watches the lifeline this process was given, if any (PNODE_LIFELINE), and removes the variable
 * from the environment so that the process's own children do not mistake it for theirs. Call once,
 * early in main.
 */
export function holdLifeline(options: HoldLifelineOptions): HeldLifeline {
  const spec = process.env[LIFELINE_ENV];
  delete process.env[LIFELINE_ENV];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let lost = false;
  let release = (): void => undefined;
  const onLost = (why: string): void => {
    if (lost) return;
    lost = true;
    release();
    options.log?.(`the supervising process is gone (${why}); stopping`);
    const timer = setTimeout(() => {
      killSupervisedChildren();
      exit(LIFELINE_LOST_EXIT_CODE);
    }, options.graceMs ?? LIFELINE_GRACE_MS);
    timer.unref();
    try {
      options.onLost(why);
    } catch {
      killSupervisedChildren();
      exit(LIFELINE_LOST_EXIT_CODE);
    }
  };

  // A supervised process's output goes to its supervisor. Once that is gone, a write fails with
  // EPIPE, which would crash the process in the middle of its graceful stop: it is dropped instead
  // (and also means that the supervisor stopped reading).
  const quietOutput = (): void => {
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') onLost('its output pipe closed');
      });
    }
  };

  const fd = spec?.startsWith('fd:') ? Number(spec.slice(3)) : NaN;
  // The variable may have come through a process that never held it (npm, a test runner); the fd
  // is then still the supervisor's pipe, passed down, unless it became that process's IPC channel.
  const channelFd = (process.channel as { fd?: number } | undefined)?.fd;
  if (Number.isInteger(fd) && fd > 2 && fd !== channelFd) {
    let socket: Socket;
    try {
      socket = new Socket({ fd, readable: true, writable: false });
    } catch (error) {
      // The variable came from somewhere else (an inherited environment) and the fd is not ours.
      options.log?.(`ignoring ${LIFELINE_ENV}=${spec}: ${error instanceof Error ? error.message : String(error)}`);
      return { kind: 'none', release: () => undefined };
    }
    socket.on('error', () => onLost('its lifeline failed'));
    socket.on('end', () => onLost('its lifeline closed'));
    socket.on('close', () => onLost('its lifeline closed'));
    // Bytes are never sent; any that are, are dropped.
    socket.resume();
    socket.unref();
    quietOutput();
    release = () => {
      socket.removeAllListeners('end');
      socket.removeAllListeners('close');
      socket.destroy();
    };
    return { kind: 'pipe', release: () => release() };
  }

  const ppid = spec?.startsWith('ppid:') ? Number(spec.slice(5)) : NaN;
  if (Number.isInteger(ppid) && ppid > 0) {
    if (process.ppid !== ppid) {
      queueMicrotask(() => onLost(`its parent ${ppid} exited before it started`));
      return { kind: 'ppid', release: () => undefined };
    }
    quietOutput();
    const timer = setInterval(() => {
      if (process.ppid !== ppid) onLost(`its parent ${ppid} exited`);
    }, PPID_CHECK_MS);
    timer.unref();
    release = () => clearInterval(timer);
    return { kind: 'ppid', release: () => release() };
  }
  return { kind: 'none', release: () => undefined };
}
