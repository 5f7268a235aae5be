// Current load for heartbeats, cheap enough to call on every one.
//
// Why os.cpus() deltas rather than systeminformation's currentLoad(): currentLoad() computes the
// same thing from the same counters, but its first call stalls ~500 ms to sample an interval, and
// it keeps one module-wide "previous" reading, so any other caller in the process silently shortens
// the heartbeat's window. A LoadSampler keeps its own previous reading: the load it reports covers
// exactly the time since its last sample, it is synchronous, spawns nothing, and never waits.
// The price: the first sample of a new sampler has no window, so its load is unknown; create the
// sampler when the node starts (HardwareMonitor does) and the first heartbeat has one.
import { cpus, freemem } from 'node:os';
import { LOAD_PERMILLE_MAX, type LoadSample } from '../../../src-shared/hardware/load-sample.js';
import type { Unknown } from '../../../src-shared/hardware/hardware-summary.js';
import { availableMemoryMb } from './normalize.js';

/** Cumulative CPU time over all logical cores, in ms, as os.cpus() counts it. */
export interface CpuTicks {
  readonly busy: number;
  readonly total: number;
}

export interface CpuTimes {
  readonly user: number;
  readonly nice: number;
  readonly sys: number;
  readonly idle: number;
  readonly irq: number;
}

/** Where a sampler reads from; tests replace it. */
export interface LoadSource {
  cpuTimes(): readonly CpuTimes[];
  /** Bytes of memory available to new work. */
  availableMemoryBytes(): number;
}

export const osLoadSource: LoadSource = {
  cpuTimes: () => cpus().map((cpu) => cpu.times),
  availableMemoryBytes: () => freemem(),
};

export function cpuTicks(times: readonly CpuTimes[]): CpuTicks {
  let busy = 0;
  let idle = 0;
  for (const t of times) {
    busy += t.user + t.nice + t.sys + t.irq;
    idle += t.idle;
  }
  return { busy, total: busy + idle };
}

/**
 * Busy share between two readings, in permille, rounded and clamped to 0–1000. Unknown when no
 * CPU time passed, or when the counters went backwards (a CPU went offline, a counter wrapped).
 */
export function loadPermille(previous: CpuTicks, current: CpuTicks): Unknown<number> {
  const total = current.total - previous.total;
  const busy = current.busy - previous.busy;
  if (!Number.isFinite(total) || !Number.isFinite(busy) || total <= 0 || busy < 0) return null;
  return Math.min(LOAD_PERMILLE_MAX, Math.max(0, Math.round((busy * LOAD_PERMILLE_MAX) / total)));
}

export class LoadSampler {
  private previous: CpuTicks | null;

  /** Takes the first reading now, so the first sample() already has a window. */
  constructor(private readonly source: LoadSource = osLoadSource) {
    this.previous = this.readTicks();
  }

  /** Load since the previous sample (or since construction) and the memory available now. */
  sample(): LoadSample {
    const current = this.readTicks();
    const load = this.previous !== null && current !== null ? loadPermille(this.previous, current) : null;
    if (current !== null) this.previous = current;
    return { 'load/permille': load, 'memory/available-mb': this.readMemory() };
  }

  private readMemory(): Unknown<number> {
    try {
      return availableMemoryMb(this.source.availableMemoryBytes());
    } catch {
      return null;
    }
  }

  private readTicks(): CpuTicks | null {
    try {
      const times = this.source.cpuTimes();
      return times.length > 0 ? cpuTicks(times) : null;
    } catch {
      return null;
    }
  }
}

let processSampler: LoadSampler | undefined;

/**
 * The process-wide sampler's reading. Its window starts at the first call, so that call's load is
 * unknown unless primeLoadSampler() ran earlier. Owners with their own cadence (a heartbeat loop)
 * should keep their own LoadSampler, or use HardwareMonitor.sampleLoad().
 */
export function sampleLoad(): LoadSample {
  if (!processSampler) {
    processSampler = new LoadSampler();
    return { ...processSampler.sample(), 'load/permille': null };
  }
  return processSampler.sample();
}

/** Starts the process-wide sampler's window now, so a later sampleLoad() has one. Idempotent. */
export function primeLoadSampler(): void {
  processSampler ??= new LoadSampler();
}
