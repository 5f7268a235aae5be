// Every test file leaves the process as it found it: no timer, socket, server or child process it
// started may still keep the event loop alive after its last test and hooks, and the environment
// variables and working directory it changed are put back (files share a worker). A left-over one goes
// on working after its test has ended (a retry that fires into the next test, a rejection nobody
// hears) and hides a missing cleanup. Loaded for every file by vitest.config.ts (`setupFiles`).
//
// Handles (sockets, servers, child processes, pipes) are counted by type before and after the file.
// Timers are not handles, and the runner's own come and go, so the timers this file's code creates
// through the globals are followed one by one instead (the runner keeps its own references to the
// real functions). PNODE_LEAK_STACKS=1 records where each timer was made, for the report.
import { beforeAll } from 'vitest';
import { PATIENCE_MS } from './wait.js';
import { describeNetHandles } from './net-handles.js';

/** Handle types a test may start (Node's names for them); timers are followed apart. */
const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'PipeWrap', 'ProcessWrap', 'UDPWrap', 'FSEventWrap', 'StatWatcher', 'TTYWrap']);

/** Closing takes a few turns of the loop (a socket's close, a child's exit): the check waits for that. */
const SETTLE_POLL_MS = 20;

const recordStacks = process.env['PNODE_LEAK_STACKS'] === '1';

type TimerCallback = (...args: unknown[]) => void;

/** The real timer functions, and the timers made through the wrapped globals and not yet fired (one-shot) or cleared, with where they were made. */
interface TimerWatch {
  readonly realSetTimeout: typeof setTimeout;
  readonly pending: Map<NodeJS.Timeout, string>;
}

/**
 * Test files share a worker (vitest.config.ts: isolate off), and this file runs again before each
 * of them: the globals are wrapped once per worker, and each file after that uses the same watch.
 */
const WATCH_KEY = Symbol.for('pnode.leak-check.timers');

function watchTimers(): TimerWatch {
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  const realClearTimeout = globalThis.clearTimeout;
  const realClearInterval = globalThis.clearInterval;
  const pending = new Map<NodeJS.Timeout, string>();

  const follow = (timer: NodeJS.Timeout): void => {
    // A DOM environment's timers are numbers: nothing to follow there.
    if (typeof (timer as { hasRef?: unknown }).hasRef !== 'function') return;
    pending.set(timer, recordStacks ? (new Error('timer made').stack ?? '') : '');
  };
  const forget = (timer: unknown): void => {
    if (timer !== null && typeof timer === 'object') pending.delete(timer as NodeJS.Timeout);
  };

  globalThis.setTimeout = like(
    (callback: TimerCallback, ms?: number, ...args: unknown[]): NodeJS.Timeout => {
      const timer: NodeJS.Timeout = realSetTimeout(
        (...given: unknown[]) => {
          pending.delete(timer);
          callback(...given);
        },
        ms,
        ...args,
      );
      follow(timer);
      return timer;
    },
    realSetTimeout,
  );
  globalThis.setInterval = like((callback: TimerCallback, ms?: number, ...args: unknown[]): NodeJS.Timeout => {
    const timer = realSetInterval(callback, ms, ...args);
    follow(timer);
    return timer;
  }, realSetInterval);
  globalThis.clearTimeout = ((timer?: NodeJS.Timeout | string | number) => {
    forget(timer);
    realClearTimeout(timer);
  }) as typeof clearTimeout;
  globalThis.clearInterval = ((timer?: NodeJS.Timeout | string | number) => {
    forget(timer);
    realClearInterval(timer);
  }) as typeof clearInterval;
  return { realSetTimeout, pending };
}

/** `wrapper`, carrying what hangs off `real` (setTimeout's util.promisify.custom, for one). */
function like<T extends object>(wrapper: object, real: T): T {
  const descriptors = Object.getOwnPropertyDescriptors(real) as Record<string | symbol, PropertyDescriptor>;
  for (const key of ['length', 'name', 'prototype']) delete descriptors[key];
  return Object.defineProperties(wrapper, descriptors) as T;
}

const holder = globalThis as { [WATCH_KEY]?: TimerWatch };
const { realSetTimeout, pending } = (holder[WATCH_KEY] ??= watchTimers());

function handleCounts(): Map<string, number> {
  const found = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED.has(type)) found.set(type, (found.get(type) ?? 0) + 1);
  }
  return found;
}

/** Timers still pending that keep the loop alive (an unref'd one does not). */
function liveTimers(): string[] {
  const live: string[] = [];
  for (const [timer, stack] of pending) {
    if (timer.hasRef()) live.push(stack);
  }
  return live;
}

/** What is running now beyond `before`, as "TCPSocketWrap ×1, timer ×2"; empty when nothing. */
export function leftOver(before: ReadonlyMap<string, number>, now: ReadonlyMap<string, number>, timers: number): string {
  const extra: string[] = [];
  for (const [type, n] of now) {
    const more = n - (before.get(type) ?? 0);
    if (more > 0) extra.push(`${type} ×${more}`);
  }
  if (timers > 0) extra.push(`timer ×${timers}`);
  return extra.sort().join(', ');
}

/** Waits for the file's handles and timers to be gone; throws naming what is left after PATIENCE_MS. */
async function expectNothingLeft(before: ReadonlyMap<string, number>): Promise<void> {
  const deadline = Date.now() + Number(process.env['PNODE_LEAK_SETTLE_MS'] ?? PATIENCE_MS);
  let extra = leftOver(before, handleCounts(), liveTimers().length);
  while (extra !== '' && Date.now() < deadline) {
    await new Promise((resolve) => realSetTimeout(resolve, SETTLE_POLL_MS));
    extra = leftOver(before, handleCounts(), liveTimers().length);
  }
  if (extra === '') return;
  const stacks = liveTimers().filter((s) => s !== '');
  const where = stacks.length > 0 ? `\n${stacks.slice(0, 5).join('\n---\n')}` : ' (PNODE_LEAK_STACKS=1 says where its timers were made)';
  const sockets = /TCP/.test(extra) ? `\nopen now: ${describeNetHandles().join('; ') || '(not described)'}` : '';
  throw new Error(`this file left running after its tests: ${extra}${where}${sockets}`);
}

/** The environment as it was before the file: this runs before the file is imported, and a file may set TZ, say, at its top. */
const envBefore = { ...process.env };
const cwdBefore = process.cwd();

/** Puts back the environment variables and working directory the file found (the next file in this worker gets them). */
export function restoreEnvironment(env: NodeJS.ProcessEnv, before: Readonly<Record<string, string | undefined>>): void {
  for (const name of Object.keys(env)) if (!Object.hasOwn(before, name)) delete env[name];
  for (const [name, value] of Object.entries(before)) if (value !== undefined && env[name] !== value) env[name] = value;
}

// The check is this hook's teardown: it runs after every afterAll hook and after the teardowns the
// file's own beforeAll hooks return (those run in reverse order, and this one came first).
beforeAll(() => {
  const before = handleCounts();
  // Timers of an earlier file in this worker are not this file's.
  pending.clear();
  return async () => {
    restoreEnvironment(process.env, envBefore);
    if (process.cwd() !== cwdBefore) process.chdir(cwdBefore);
    await expectNothingLeft(before);
  };
});
