// Memory and disk figures of a target process: resident memory from /proc/<pid>/status (Linux),
// sampled for its peak, and the bytes under a data dir.
import { readFileSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

/** How often the RSS sampler looks. */
export const RSS_SAMPLE_MS = 250;
/** Files a data-dir walk visits at most. */
const MAX_DIR_ENTRIES = 100_000;

/** Resident memory of `pid` in MiB, or NaN where /proc cannot tell. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples the RSS of `pid` until stopped; the peak seen. */
export class RssSampler {
  private peak = Number.NaN;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number | undefined) {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    const now = rssMiB(this.pid);
    if (Number.isFinite(now) && !(now <= this.peak)) this.peak = now;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** Bytes of the regular files under `dir` (bounded walk). */
export function dirBytes(dir: string): number {
  let total = 0;
  let visited = 0;
  const walk = (path: string): void => {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) {
      if (++visited > MAX_DIR_ENTRIES) return;
      const full = join(path, name);
      try {
        const stat = lstatSync(full);
        if (stat.isDirectory()) walk(full);
        else if (stat.isFile()) total += stat.size;
      } catch {
        // gone meanwhile
      }
    }
  };
  walk(dir);
  return total;
}
