// Bounded waiting for the fault scenarios: every loop has a deadline, and every poll an interval.

/** How often a condition is polled unless a scenario says otherwise. */
export const POLL_INTERVAL_MS = 25;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly everyMs?: number;
}

/**
 * Polls `probe` until it gives a value (not undefined) or `timeoutMs` passes: the value, or
 * undefined on timeout. A probe that throws counts as "not yet".
 */
export async function pollFor<T>(probe: () => T | undefined | Promise<T | undefined>, options: WaitOptions): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  const every = options.everyMs ?? POLL_INTERVAL_MS;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(every, Math.max(0, deadline - Date.now())));
  }
}

/** Milliseconds from `from` until `condition` holds, or null if it did not within the timeout. */
export async function timeUntil(condition: () => boolean | Promise<boolean>, options: WaitOptions & { readonly from?: number }): Promise<number | null> {
  const from = options.from ?? Date.now();
  const held = await pollFor(async () => ((await condition()) ? Date.now() : undefined), options);
  return held === undefined ? null : held - from;
}

/** Like pollFor, but a timeout is an error naming what was awaited. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const value = await pollFor(probe, options);
  if (value === undefined) throw new Error(`${what}: not within ${options.timeoutMs} ms`);
  return value;
}
