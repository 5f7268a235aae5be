// Waiting with a limit. The work itself is never cancelled: past the limit its late answer is ignored.

/** Resolves with `promise`, or rejects after `ms`; the timer never holds the process open. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Waits for `work` or `ms`, whichever ends first; how the work ended is the caller's to read. */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  await withTimeout(work, ms, 'work').catch(() => undefined);
}
