// The machine's hardware as a contributor's component: detected when the node starts (a
// HardwareMonitor keeps it fresh), shown in the control state, read by membership for the offer and
// the heartbeat's load. Until the first detection, and where detection is off (simulations of
// hundreds of nodes), the summary says "unknown" rather than zero.
import { EventEmitter } from 'node:events';
import { unknownHardwareSummary, type HardwareSummary } from '../../../src-shared/hardware/hardware-summary.js';
import type { LoadSample } from '../../../src-shared/hardware/load-sample.js';
import type { NodeState, StateSection } from '../../../src-shared/control/state.js';
import { formatTimestamp } from '../../../src-shared/protocol/time.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import { HardwareMonitor, type HardwareMonitorOptions } from './hardware-monitor.js';

const UNKNOWN_LOAD: LoadSample = { 'load/permille': null, 'memory/available-mb': null };

export type HardwareComponents = Pick<KernelComponents, 'dataDir' | 'clock' | 'ui'>;

export interface HardwareModuleOptions {
  /** Detect the hardware (default true). */
  readonly detect?: boolean;
  /** Passed to the monitor (tests: a detector, an interval). */
  readonly monitor?: Omit<HardwareMonitorOptions, 'onUpdate' | 'dataDir'>;
}

export interface HardwareEvents {
  /** A new summary was detected. */
  changed: [summary: HardwareSummary];
}

/** What the other contributor components read of the hardware. */
export interface HardwareSource {
  current(): HardwareSummary;
  sampleLoad(): LoadSample;
  on(event: 'changed', listener: (summary: HardwareSummary) => void): unknown;
  off(event: 'changed', listener: (summary: HardwareSummary) => void): unknown;
}

export class HardwareModule extends EventEmitter<HardwareEvents> implements RuntimeModule, ControlSource, HardwareSource {
  readonly name = 'hardware';
  private monitor: HardwareMonitor | null = null;
  private readonly unknown: HardwareSummary;

  constructor(
    private readonly components: HardwareComponents,
    private readonly options: HardwareModuleOptions = {},
  ) {
    super();
    requireComponents(this.name, components, ['dataDir', 'clock', 'ui']);
    this.unknown = unknownHardwareSummary(formatTimestamp(components.clock.now()));
  }

  async start(): Promise<void> {
    if (this.options.detect === false) return;
    this.monitor = await HardwareMonitor.start({
      ...this.options.monitor,
      dataDir: this.components.dataDir,
      onUpdate: (summary) => {
        this.components.ui.stateChanged('hardware');
        this.emit('changed', summary);
      },
    });
  }

  stop(): void {
    this.monitor?.stop();
  }

  current(): HardwareSummary {
    return this.monitor?.current() ?? this.unknown;
  }

  sampleLoad(): LoadSample {
    return this.monitor?.sampleLoad() ?? UNKNOWN_LOAD;
  }

  /** Logical cores, when known (the limits' ceiling). */
  logicalCores(): number | null {
    return this.monitor?.current()['cpu/logical-cores'] ?? null;
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    return { hardware: this.monitor?.current() ?? null };
  }
}
