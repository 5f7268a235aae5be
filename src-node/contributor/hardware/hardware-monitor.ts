// Keeps the machine's hardware summary at hand. Hardware changes rarely (a dock, a driver, a disk
// filling up), so the summary is detected once at start and refreshed every
// HARDWARE_REFRESH_INTERVAL_MS; readers get the cached one at once. Its timer is unref'd: a monitor
// never keeps a process alive.
import type { HardwareSummary } from '../../../src-shared/hardware/hardware-summary.js';
import type { LoadSample } from '../../../src-shared/hardware/load-sample.js';
import { type DetectHardwareOptions, detectHardware } from './detect.js';
import { LoadSampler } from './load-sampler.js';

export const HARDWARE_REFRESH_INTERVAL_MS = 10 * 60_000;

export interface HardwareMonitorOptions extends DetectHardwareOptions {
  /** Time between detections; defaults to HARDWARE_REFRESH_INTERVAL_MS. */
  readonly intervalMs?: number;
  /** Replaces detectHardware (tests). */
  readonly detect?: (options: DetectHardwareOptions) => Promise<HardwareSummary>;
  /** Called after every detection, with the new summary. A throwing listener is ignored. */
  readonly onUpdate?: (summary: HardwareSummary) => void;
  /** Replaces the monitor's load sampler (tests). */
  readonly loadSampler?: LoadSampler;
}

export class HardwareMonitor {
  private latest: HardwareSummary;
  private inFlight: Promise<HardwareSummary> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly detect: (options: DetectHardwareOptions) => Promise<HardwareSummary>;
  private readonly loadSampler: LoadSampler;

  private constructor(
    private readonly options: HardwareMonitorOptions,
    first: HardwareSummary,
    loadSampler: LoadSampler,
  ) {
    this.latest = first;
    this.intervalMs = options.intervalMs ?? HARDWARE_REFRESH_INTERVAL_MS;
    this.detect = options.detect ?? detectHardware;
    this.loadSampler = loadSampler;
  }

  /**
   * Detects once, then keeps refreshing. Resolves when the first summary is known: within the
   * detector's per-probe timeout, and never rejects with the default detector.
   */
  static async start(options: HardwareMonitorOptions = {}): Promise<HardwareMonitor> {
    // The load window starts now, so the first heartbeat after start-up has a load figure.
    const loadSampler = options.loadSampler ?? new LoadSampler();
    const first = await (options.detect ?? detectHardware)(options);
    const monitor = new HardwareMonitor(options, first, loadSampler);
    monitor.notify(first);
    monitor.schedule();
    return monitor;
  }

  /** The last summary detected, without waiting. */
  current(): HardwareSummary {
    return this.latest;
  }

  /**
   * Detects now and restarts the interval. Calls made while a detection runs share it. After
   * stop(), answers the last summary without detecting.
   */
  refresh(): Promise<HardwareSummary> {
    if (this.stopped) return Promise.resolve(this.latest);
    if (this.inFlight) return this.inFlight;
    this.clearTimer();
    // Every step runs after this call returns, so inFlight is set before it can be cleared.
    const run = Promise.resolve()
      .then(() => this.detect(this.options))
      .then((summary) => {
        if (!this.stopped) {
          this.latest = summary;
          this.notify(summary);
        }
        return this.latest;
      })
      .finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    this.inFlight = run;
    return run;
  }

  /** CPU load since the previous call (or since start) and memory available now: cheap, for heartbeats. */
  sampleLoad(): LoadSample {
    return this.loadSampler.sample();
  }

  /** No more refreshes. Idempotent; current() keeps answering the last summary. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private schedule(): void {
    if (this.stopped || this.inFlight) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failing custom detector must not become an unhandled rejection; the last summary stays.
      this.refresh().catch(() => undefined);
    }, this.intervalMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private notify(summary: HardwareSummary): void {
    try {
      this.options.onUpdate?.(summary);
    } catch {
      // A listener's fault is the listener's; the monitor goes on.
    }
  }
}
