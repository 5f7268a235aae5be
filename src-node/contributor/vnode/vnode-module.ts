// The VNode host as a contributor's component ('vnode-host'): keeps a VNodeHost in step with
// Availability (limits, contribution toggle, snooze, user activity, power source) and shows its
// VNodes and its reason for not computing ('limits': queued tasks wait for room) in the control
// state. It has no network code: membership allocates VNodes on `host`, the work runner runs
// tasks there.
import type { NodeState, StateSection, SuspendReason } from '../../../src-shared/control/state.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import { VNodeHost, type VNodeHostOptions } from './vnode-host.js';
import type { AvailabilityFeed } from '../availability/availability.js';

export const VNODE_HOST_MODULE = 'vnode-host';
/** Reasons this component reports: the host's own, and the machine's as it applies them. */
export const MODULE_SUSPEND_REASONS: readonly SuspendReason[] = ['on-battery', 'user-active', 'limits'];

export type VNodeHostComponents = Pick<KernelComponents, 'dataDir' | 'clock' | 'ui' | 'warn'> & {
  readonly availability: AvailabilityFeed;
};

export interface VNodeHostModuleOptions {
  /** Passed to the VNodeHost (tests: suspend mode, sandbox binary, ...; the desktop: its launcher). */
  readonly host?: Partial<Omit<VNodeHostOptions, 'dataDir' | 'limits'>>;
}

export class VNodeHostModule implements RuntimeModule, ControlSource {
  readonly name = VNODE_HOST_MODULE;
  /** The host, for the components that allocate VNodes and run tasks there. */
  readonly host: VNodeHost;
  private readonly onAvailability = (): void => this.sync();
  private readonly onHostChanged = (): void => {
    this.components.ui.stateChanged('vnodes');
    this.components.ui.stateChanged('contribution');
  };

  constructor(
    private readonly components: VNodeHostComponents,
    options: VNodeHostModuleOptions = {},
  ) {
    requireComponents(this.name, components, ['dataDir', 'clock', 'ui', 'warn', 'availability']);
    this.host = new VNodeHost({
      ...options.host,
      dataDir: components.dataDir,
      limits: components.availability.current().limits,
      clock: options.host?.clock ?? components.clock,
      onError: (error) => components.warn(`warning: vnode host: ${error instanceof Error ? error.message : String(error)}`),
    });
  }

  async start(): Promise<void> {
    await this.host.start();
    this.host.on('changed', this.onHostChanged);
    this.components.availability.on('changed', this.onAvailability);
    this.sync();
  }

  async stop(): Promise<void> {
    this.components.availability.off('changed', this.onAvailability);
    this.host.off('changed', this.onHostChanged);
    await this.host.stop();
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    return { vnodes: this.host.views() };
  }

  suspendReasons(): SuspendReason[] {
    return this.host.suspendReasons().filter((reason) => MODULE_SUSPEND_REASONS.includes(reason));
  }

  private sync(): void {
    const availability = this.components.availability.current();
    this.host.setLimits(availability.limits);
    this.host.setConditions({
      contributing: availability.joined && availability.contributionEnabled,
      snoozed: availability.snoozed,
      userActive: availability.userActive,
      onBattery: availability.onBattery,
    });
  }
}
