// Waiting in tests. A test waits on an event, or polls a condition; it never sleeps to let
// something happen. The limits below are a test's patience, not a claim about speed: a passing test
// stops waiting the moment the thing happens, and a starved CPU (load 15 on 2 cores, other suites
// running) must still get there within them. Speed is measured by `npm run bench` / `npm run
// harden`, which print it.

/** How long a test waits for something that should happen "soon" before it gives up. */
export const PATIENCE_MS = 60_000;

/** Patience for a whole test, or a hook, that waits for several such things in turn. */
export const TEST_PATIENCE_MS = 3 * PATIENCE_MS;

/** The pause between two looks at a polled condition. */
export const POLL_INTERVAL_MS = 20;

/**
 * Resolves after `ms`: for a window in which nothing may happen, or the scripted pace of a fake
 * peer; never to let something happen (wait for it instead).
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls until `predicate` holds (sync or async); throws, naming `what`, once `timeoutMs` has
 * passed. Bounded in time, and so in count. `what` may be a function, read when giving up, to say
 * what the test saw instead.
 */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = PATIENCE_MS, intervalMs = POLL_INTERVAL_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await pause(intervalMs);
  }
}

/**
 * Resolves with the value of `promise`, or rejects naming `what` after `timeoutMs`; the timer is
 * cleared either way, so nothing is left running after the test.
 */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = PATIENCE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
