// The small, frequent reading a PNode puts in its heartbeats (DESIGN.md §7: every 10 s): how busy
// the machine is now, not what it is. Same rules as the hardware summary: integers with the unit
// in the key, `null` for unknown.
import type { Unknown } from './hardware-summary.js';

/** Largest `load/permille`: every logical core busy for the whole window. */
export const LOAD_PERMILLE_MAX = 1000;

export interface LoadSample {
  /**
   * Share of CPU time spent busy across all logical cores, in permille (0–1000), over the window
   * since the previous sample. `null` when there is no window yet (the first sample) or no CPU
   * time passed in it.
   */
  readonly 'load/permille': Unknown<number>;
  /** Memory available to new work without swapping, in MB (2^20 bytes); ≥ 0. */
  readonly 'memory/available-mb': Unknown<number>;
}
