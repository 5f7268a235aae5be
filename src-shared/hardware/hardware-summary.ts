// What a PNode says about its machine: shown in the desktop UI and carried, as JSON, inside the
// signed descriptor an orchestrator receives (DESIGN.md §1, §2). The schema beside this file
// (`hardware-summary.v1.schema.json`) is the contract; this file is its TypeScript face.
//
// Rules of the shape:
// - A JSON subset with no floats: every quantity is an integer whose unit is in its key
//   (`-mb`, `-mhz`). Integers stay below 2^32 so deterministic CBOR encodes them as integers.
// - `MB` means mebibytes (2^20 bytes), the unit operating systems report memory in.
// - Every value a machine may fail to report is `Unknown<T>`: `null` means "unknown" (the
//   machine did not say, the probe failed or timed out, or the reading was implausible, such as
//   a CPU speed of 0 inside a container). A number is a real reading; 0 never stands in for
//   unknown. Where 0 cannot be a real reading (cores, speeds, totals, VRAM) the schema forbids it;
//   where it can (available memory, free disk) 0 means exactly that.
// - Text is trimmed, has no control characters and is at most HARDWARE_TEXT_MAX_LENGTH code points.
// - No host names, user names or paths: the summary leaves the machine.

/** `null`: unknown (not reported, probe failed, or implausible). Never encoded as 0 or "". */
export type Unknown<T> = T | null;

export const HARDWARE_SUMMARY_SCHEMA = 'hardware-summary.v1';
export const HARDWARE_SUMMARY_VERSION = 1;

/** Longest text value, in code points. */
export const HARDWARE_TEXT_MAX_LENGTH = 256;
/** Most GPUs listed. */
export const HARDWARE_MAX_GPUS = 16;
/** Largest integer any field may hold (2^32 − 1): deterministic CBOR keeps it an integer. */
export const HARDWARE_MAX_INTEGER = 4_294_967_295;

/** The probes a summary is assembled from, named for what they describe. */
export const HARDWARE_PROBES = ['cpu', 'memory', 'os', 'gpu', 'disk'] as const;
export type HardwareProbe = (typeof HARDWARE_PROBES)[number];

/**
 * Why a probe's fields are unknown:
 * - `timeout`: the probe did not answer within the detector's time limit;
 * - `failed`: the probe answered with an error;
 * - `not-found`: the probe answered, but not about what was asked (the disk probe listed no
 *   filesystem holding the data dir).
 */
export const HARDWARE_WARNING_REASONS = ['timeout', 'failed', 'not-found'] as const;
export type HardwareWarningReason = (typeof HARDWARE_WARNING_REASONS)[number];

/** A closed-vocabulary note, safe to send: it carries no error text, paths or names. */
export interface HardwareWarning {
  readonly probe: HardwareProbe;
  readonly reason: HardwareWarningReason;
}

export interface GpuSummary {
  readonly 'gpu/vendor': Unknown<string>;
  readonly 'gpu/model': Unknown<string>;
  /** Video memory in MB, as the driver reports it (dedicated, or the share of system memory). */
  readonly 'gpu/vram-mb': Unknown<number>;
}

export interface HardwareSummary {
  readonly 'schema/v': typeof HARDWARE_SUMMARY_VERSION;
  /** When the probes ran: RFC 3339 UTC, second precision. */
  readonly 'detected-at': string;

  /** Marketing name, e.g. "Xeon® Processor" or "Ryzen 7 5800X". */
  readonly 'cpu/brand': Unknown<string>;
  /** e.g. "Intel", "AMD", "Apple". */
  readonly 'cpu/manufacturer': Unknown<string>;
  /** ≥ 1. */
  readonly 'cpu/physical-cores': Unknown<number>;
  /** Hardware threads the OS schedules on, ≥ 1. */
  readonly 'cpu/logical-cores': Unknown<number>;
  /** Base (nominal) clock in MHz, ≥ 1. Often unknown in VMs and containers. */
  readonly 'cpu/speed-mhz': Unknown<number>;
  /** Highest clock in MHz, ≥ 1. */
  readonly 'cpu/speed-max-mhz': Unknown<number>;

  /** Physical memory in MB, ≥ 1. */
  readonly 'memory/total-mb': Unknown<number>;
  /** Memory available to new work without swapping, in MB, at `detected-at`; ≥ 0. */
  readonly 'memory/available-mb': Unknown<number>;

  /** Node.js platform name: "linux", "darwin", "win32", "freebsd", ... */
  readonly 'os/platform': Unknown<string>;
  /** e.g. "Debian GNU/Linux", "macOS", "Microsoft Windows 11 Pro". */
  readonly 'os/distro': Unknown<string>;
  /** Distribution release, e.g. "12", "14.5". */
  readonly 'os/release': Unknown<string>;
  /** Kernel version string. */
  readonly 'os/kernel': Unknown<string>;
  /** Node.js architecture name: "x64", "arm64", ... */
  readonly 'os/arch': Unknown<string>;

  /**
   * GPUs the OS lists. `[]`: the probe ran and listed none ("none detected", which on a headless
   * machine without PCI tools is not proof that none exist). `null`: unknown, the probe failed.
   */
  readonly gpus: Unknown<readonly GpuSummary[]>;

  /** Free space for an unprivileged user on the data dir's filesystem, in MB; ≥ 0. */
  readonly 'disk/free-mb': Unknown<number>;
  /** Size of the data dir's filesystem, in MB; ≥ 1. */
  readonly 'disk/total-mb': Unknown<number>;

  /** Probes that failed, so a reader knows why fields are unknown. Empty when all answered. */
  readonly warnings: readonly HardwareWarning[];
}

/** A summary that knows nothing but its time: every probe's fields unknown. */
export function unknownHardwareSummary(detectedAt: string, warnings: readonly HardwareWarning[] = []): HardwareSummary {
  return {
    'schema/v': HARDWARE_SUMMARY_VERSION,
    'detected-at': detectedAt,
    'cpu/brand': null,
    'cpu/manufacturer': null,
    'cpu/physical-cores': null,
    'cpu/logical-cores': null,
    'cpu/speed-mhz': null,
    'cpu/speed-max-mhz': null,
    'memory/total-mb': null,
    'memory/available-mb': null,
    'os/platform': null,
    'os/distro': null,
    'os/release': null,
    'os/kernel': null,
    'os/arch': null,
    gpus: null,
    'disk/free-mb': null,
    'disk/total-mb': null,
    warnings,
  };
}
