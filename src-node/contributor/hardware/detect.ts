// Hardware detection on systeminformation. Five probes run side by side, each bounded by
// PROBE_TIMEOUT_MS so a hanging one cannot stall start-up; whatever a probe cannot tell becomes
// unknown (null), and a probe that fails or times out is named in `warnings`. Detection never throws.
import { realpath, stat } from 'node:fs/promises';
import si from 'systeminformation';
import {
  HARDWARE_SUMMARY_VERSION,
  type HardwareProbe,
  type HardwareSummary,
  type HardwareWarning,
  type HardwareWarningReason,
} from '../../../src-shared/hardware/hardware-summary.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import { type Clock, systemClock } from '../../kernel/util/clock.js';
import {
  type RawFilesystem,
  type RawGpuController,
  amountMb,
  availableMemoryMb,
  capacityMb,
  count,
  ghzToMhz,
  gpuList,
  mountCandidates,
  platformName,
  text,
} from './normalize.js';

/** Longest wait for one probe. systeminformation answers in tens of milliseconds on a healthy machine. */
export const PROBE_TIMEOUT_MS = 5_000;

export interface RawCpu {
  readonly manufacturer?: unknown;
  readonly brand?: unknown;
  readonly cores?: unknown;
  readonly physicalCores?: unknown;
  readonly speed?: unknown;
  readonly speedMax?: unknown;
}

export interface RawMemory {
  readonly total?: unknown;
  readonly available?: unknown;
}

export interface RawOs {
  readonly platform?: unknown;
  readonly distro?: unknown;
  readonly release?: unknown;
  readonly kernel?: unknown;
  readonly arch?: unknown;
}

export interface RawGraphics {
  readonly controllers?: readonly RawGpuController[] | unknown;
}

/** The systeminformation calls detection makes; tests replace them. */
export interface HardwareProbes {
  cpu(): Promise<RawCpu>;
  mem(): Promise<RawMemory>;
  osInfo(): Promise<RawOs>;
  graphics(): Promise<RawGraphics>;
  fsSize(): Promise<readonly RawFilesystem[]>;
}

export const systeminformationProbes: HardwareProbes = {
  cpu: () => si.cpu(),
  mem: () => si.mem(),
  osInfo: () => si.osInfo(),
  graphics: () => si.graphics(),
  fsSize: () => si.fsSize(),
};

export interface DetectHardwareOptions {
  /** The disk fields describe this directory's filesystem; without it they are unknown. */
  readonly dataDir?: string;
  readonly clock?: Clock;
  /** Per probe; defaults to PROBE_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Replaces some or all systeminformation calls. */
  readonly probes?: Partial<HardwareProbes>;
  /** Told the error behind each warning, for logs; the summary carries only the reason. */
  readonly onProbeFailure?: (probe: HardwareProbe, reason: HardwareWarningReason, error: unknown) => void;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: HardwareWarningReason; error: unknown };

class ProbeTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'ProbeTimeout';
  }
}

class NotFound extends Error {}

/** Runs `task` with a time limit. The task itself cannot be cancelled; its late answer is ignored. */
async function bounded<T>(task: () => Promise<T>, ms: number): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(ms)), ms);
  });
  try {
    const value = await Promise.race([Promise.resolve().then(task), timeout]);
    return { ok: true, value };
  } catch (error) {
    const reason: HardwareWarningReason = error instanceof ProbeTimeout ? 'timeout' : error instanceof NotFound ? 'not-found' : 'failed';
    return { ok: false, reason, error };
  } finally {
    clearTimeout(timer);
  }
}

interface DiskReading {
  readonly size: unknown;
  readonly available: unknown;
}

/** The filesystem holding `dataDir`: the deepest listed mount above it that is the same device. */
async function dataDirFilesystem(dataDir: string, fsSize: () => Promise<readonly RawFilesystem[]>): Promise<DiskReading> {
  const path = await realpath(dataDir);
  const device = (await stat(path)).dev;
  const entries = await fsSize();
  for (const entry of mountCandidates(Array.isArray(entries) ? entries : [], path, process.platform)) {
    // A mount above a path that realpath just walked is alive, so this stat cannot hang on it.
    const mountDevice = await stat(entry.mount).then((s) => s.dev, () => undefined);
    if (mountDevice === device) return { size: entry.size, available: entry.available };
  }
  // Listed mounts may leave out the one holding the data dir (tmpfs, for one): say so rather than
  // report the free space of the filesystem beneath it.
  throw new NotFound(`no listed filesystem holds ${dataDir}`);
}

/** Describes this machine. Never throws: what cannot be read is unknown and named in `warnings`. */
export async function detectHardware(options: DetectHardwareOptions = {}): Promise<HardwareSummary> {
  const clock = options.clock ?? systemClock;
  const ms = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const probes: HardwareProbes = { ...systeminformationProbes, ...options.probes };
  const detectedAt = formatTimestamp(clock.now());

  const dataDir = options.dataDir;
  const [cpu, memory, os, gpu, disk] = await Promise.all([
    bounded(() => probes.cpu(), ms),
    bounded(() => probes.mem(), ms),
    bounded(() => probes.osInfo(), ms),
    bounded(() => probes.graphics(), ms),
    dataDir === undefined ? null : bounded(() => dataDirFilesystem(dataDir, () => probes.fsSize()), ms),
  ]);

  const warnings: HardwareWarning[] = [];
  const read = <T extends object>(probe: HardwareProbe, outcome: Outcome<T> | null): Partial<T> => {
    if (outcome === null) return {};
    if (outcome.ok) return typeof outcome.value === 'object' && outcome.value !== null ? outcome.value : {};
    warnings.push({ probe, reason: outcome.reason });
    options.onProbeFailure?.(probe, outcome.reason, outcome.error);
    return {};
  };
  const c = read('cpu', cpu);
  const m = read('memory', memory);
  const o = read('os', os);
  const g = read('gpu', gpu);
  const d = read('disk', disk);

  return {
    'schema/v': HARDWARE_SUMMARY_VERSION,
    'detected-at': detectedAt,
    'cpu/brand': text(c.brand),
    'cpu/manufacturer': text(c.manufacturer),
    'cpu/physical-cores': count(c.physicalCores),
    'cpu/logical-cores': count(c.cores),
    'cpu/speed-mhz': ghzToMhz(c.speed),
    'cpu/speed-max-mhz': ghzToMhz(c.speedMax),
    'memory/total-mb': capacityMb(m.total),
    'memory/available-mb': availableMemoryMb(m.available),
    'os/platform': platformName(o.platform),
    'os/distro': text(o.distro),
    'os/release': text(o.release),
    'os/kernel': text(o.kernel),
    'os/arch': text(o.arch),
    gpus: gpu.ok ? gpuList(g.controllers) : null,
    'disk/free-mb': amountMb(d.available),
    'disk/total-mb': capacityMb(d.size),
    warnings,
  };
}
