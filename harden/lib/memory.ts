// Heap figures need a GC before each reading. The harness runs with --expose-gc; under vitest (no
// flag) the same function is obtained by switching the flag on at run time.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** A function that runs a full GC. */
export function collectGarbage(): () => void {
  if (gc) return gc;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') {
    gc = exposed;
  } else {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}
