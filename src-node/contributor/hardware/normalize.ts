// Pure functions from raw probe values (systeminformation's, which use 0, NaN, "" and odd units
// for "don't know") to the summary's values: integers with explicit units, `null` for unknown.
// Each takes `unknown` so that nothing a probe returns can make it throw.
import {
  HARDWARE_MAX_GPUS,
  HARDWARE_MAX_INTEGER,
  HARDWARE_TEXT_MAX_LENGTH,
  type GpuSummary,
  type Unknown,
} from '../../../src-shared/hardware/hardware-summary.js';

export const BYTES_PER_MB = 1024 * 1024;
/** A CPU clock above this is a misreading, not a CPU. */
export const CPU_MAX_PLAUSIBLE_MHZ = 20_000;
/** The most VRAM one GPU may report, in MB (1 TiB). More is a misreading. */
export const VRAM_MAX_PLAUSIBLE_MB = 1024 * 1024;
/** A VRAM figure at least this large cannot be MB (it would be a pebibyte): it is taken as bytes. */
export const VRAM_BYTES_THRESHOLD = 1024 * 1024 * 1024;

/** Text probes use for "don't know"; compared case-insensitively. */
const PLACEHOLDER_TEXT = new Set(['unknown', 'n/a', 'na', 'none', '-', 'default string', 'to be filled by o.e.m.']);

function finiteNumber(raw: unknown): number | null {
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
}

function withinLimit(value: number): Unknown<number> {
  return value <= HARDWARE_MAX_INTEGER ? value : null;
}

/**
 * Trimmed text with control characters removed and runs of white space made one space, at most
 * HARDWARE_TEXT_MAX_LENGTH code points; unknown for non-strings, empty text and placeholders.
 */
export function text(raw: unknown): Unknown<string> {
  if (typeof raw !== 'string') return null;
  const cleaned = raw.replace(/\p{Cc}/gu, ' ').replace(/\s+/gu, ' ').trim();
  const clipped = Array.from(cleaned).slice(0, HARDWARE_TEXT_MAX_LENGTH).join('').trim();
  if (clipped === '' || PLACEHOLDER_TEXT.has(clipped.toLowerCase())) return null;
  return clipped;
}

/** A count such as cores: a positive integer, else unknown (0, negatives, NaN, fractions). */
export function count(raw: unknown): Unknown<number> {
  const n = finiteNumber(raw);
  if (n === null || !Number.isInteger(n) || n < 1) return null;
  return withinLimit(n);
}

/** systeminformation gives clocks in GHz (2.45); the summary in whole MHz. 0 (containers) is unknown. */
export function ghzToMhz(raw: unknown): Unknown<number> {
  const ghz = finiteNumber(raw);
  if (ghz === null || ghz <= 0) return null;
  const mhz = Math.round(ghz * 1000);
  return mhz >= 1 && mhz <= CPU_MAX_PLAUSIBLE_MHZ ? mhz : null;
}

/** A capacity (total memory, filesystem size) in bytes to whole MB, rounded down; below 1 MB is unknown. */
export function capacityMb(rawBytes: unknown): Unknown<number> {
  const bytes = finiteNumber(rawBytes);
  if (bytes === null || bytes <= 0) return null;
  const mb = Math.floor(bytes / BYTES_PER_MB);
  return mb >= 1 ? withinLimit(mb) : null;
}

/**
 * An amount left (free disk) in bytes to whole MB, rounded down so it is never overstated. Zero is
 * a reading here: a full disk has 0 MB free. Negatives and NaN are unknown.
 */
export function amountMb(rawBytes: unknown): Unknown<number> {
  const bytes = finiteNumber(rawBytes);
  if (bytes === null || bytes < 0) return null;
  return withinLimit(Math.floor(bytes / BYTES_PER_MB));
}

/**
 * Available memory in bytes to whole MB, rounded down. A running machine always has some memory
 * available, and systeminformation reports 0 when it could not read the figure: 0 is unknown.
 */
export function availableMemoryMb(rawBytes: unknown): Unknown<number> {
  const bytes = finiteNumber(rawBytes);
  if (bytes === null || bytes <= 0) return null;
  return amountMb(bytes);
}

/**
 * VRAM to whole MB. systeminformation reports MB (null or 0 when unknown, fractions on Windows);
 * a figure too large to be MB is taken as bytes. Anything still implausible is unknown.
 */
export function vramMb(raw: unknown): Unknown<number> {
  const value = finiteNumber(raw);
  if (value === null || value <= 0) return null;
  const mb = value >= VRAM_BYTES_THRESHOLD ? Math.floor(value / BYTES_PER_MB) : Math.round(value);
  return mb >= 1 && mb <= VRAM_MAX_PLAUSIBLE_MB ? mb : null;
}

/** Node.js platform names; systeminformation says "Windows" where Node says "win32". */
export function platformName(raw: unknown): Unknown<string> {
  const name = text(raw)?.toLowerCase() ?? null;
  return name === 'windows' ? 'win32' : name;
}

export interface RawGpuController {
  readonly vendor?: unknown;
  readonly model?: unknown;
  readonly name?: unknown;
  readonly vram?: unknown;
  readonly memoryTotal?: unknown;
}

/** One controller; the model falls back to the driver's name, VRAM to nvidia-smi's total (MB). */
export function gpu(raw: RawGpuController): GpuSummary {
  return {
    'gpu/vendor': text(raw.vendor),
    'gpu/model': text(raw.model) ?? text(raw.name),
    'gpu/vram-mb': vramMb(raw.vram) ?? vramMb(raw.memoryTotal),
  };
}

/**
 * The controller list. Not a list: unknown. A list, even empty: what was detected, leaving out
 * entries that say nothing at all, and at most HARDWARE_MAX_GPUS of them.
 */
export function gpuList(rawControllers: unknown): Unknown<GpuSummary[]> {
  if (!Array.isArray(rawControllers)) return null;
  const gpus: GpuSummary[] = [];
  for (const raw of rawControllers as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const summary = gpu(raw as RawGpuController);
    if (summary['gpu/vendor'] === null && summary['gpu/model'] === null && summary['gpu/vram-mb'] === null) continue;
    gpus.push(summary);
    if (gpus.length === HARDWARE_MAX_GPUS) break;
  }
  return gpus;
}

export interface RawFilesystem {
  readonly mount?: unknown;
  readonly size?: unknown;
  readonly available?: unknown;
}

/** Whether `path` (absolute, symlinks resolved) lies on or under the mount point `mount`. */
export function isUnderMount(mount: string, path: string, platform: string): boolean {
  if (mount === '') return false;
  const windows = platform === 'win32';
  const norm = (p: string): string => (windows ? p.replace(/\//g, '\\').toLowerCase() : p);
  const m = norm(mount);
  const p = norm(path);
  const sep = windows ? '\\' : '/';
  if (p === m) return true;
  return p.startsWith(m.endsWith(sep) ? m : m + sep);
}

/** Filesystems whose mount point holds `path`, the deepest (most specific) first. */
export function mountCandidates<T extends RawFilesystem>(entries: readonly T[], path: string, platform: string): T[] {
  return entries
    .filter((entry): entry is T & { mount: string } => typeof entry.mount === 'string' && isUnderMount(entry.mount, path, platform))
    .sort((a, b) => b.mount.length - a.mount.length);
}
