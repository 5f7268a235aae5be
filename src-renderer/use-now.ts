// A clock for counters on screen (uptime, "last heartbeat 3 s ago"). It ticks only while the
// window is shown and stops when it is hidden: a hidden window does no work.
import { useEffect, useState } from 'react';
import { documentVisibility, type Visibility } from './visibility.js';

/** How often the on-screen clock moves. */
export const CLOCK_TICK_MS = 1_000;

let shared: Visibility | null = null;
function defaultVisibility(): Visibility {
  shared ??= documentVisibility();
  return shared;
}

export function useNow(periodMs: number = CLOCK_TICK_MS, visibility?: Visibility): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const seen = visibility ?? defaultVisibility();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const tick = (): void => {
      const at = Date.now();
      setNow(at);
      // Land on the next whole period so seconds change together.
      timer = setTimeout(tick, periodMs - (at % periodMs));
    };
    const stop = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    };
    const start = (): void => {
      if (timer === null) tick();
    };
    if (seen.isVisible()) start();
    const off = seen.onChange((visible) => (visible ? start() : stop()));
    return () => {
      stop();
      off();
    };
  }, [periodMs, visibility]);
  return now;
}
