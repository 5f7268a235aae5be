// The VNode host as a runtime module ('vnode-host'): keeps a VNodeHost in step with the
// volunteer's settings (limits, contribution toggle, snooze) and the machine (user activity and
// power source from the desktop shell, or a headless probe), and shows its VNodes and its reasons
// for not computing in the control state. It has no network code: whoever talks to orchestrators
// (the membership module) reaches the host through `host` to allocate VNodes and run tasks.
import type { ContributionView, NodeState, StateSection, SuspendReason } from '../../../src-shared/control/state.js';
import { isUserActive } from '../../../src-shared/vnode/conditions.js';
import type { NodeRuntime, UserActivity } from '../../kernel/runtime/node-runtime.js';
import type { RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { Settings } from '../../kernel/runtime/settings.js';
import { VNodeHost, type VNodeHostOptions } from './vnode-host.js';

export const VNODE_HOST_MODULE = 'vnode-host';
/** Reasons this module adds to contribution.suspendReasons (NodeControl derives the others from settings). */
export const MODULE_SUSPEND_REASONS: readonly SuspendReason[] = ['on-battery', 'user-active', 'limits'];
export const ACTIVITY_POLL_MS = 30_000;

/** What a headless node can learn about the machine; null: unknown (counts as idle, on mains). */
export interface ActivityReading {
  readonly idleSeconds: number | null;
  readonly onBattery: boolean | null;
}

export interface VNodeHostModuleOptions {
  /** Polled every ACTIVITY_POLL_MS when given (headless); the desktop shell reports through the runtime instead. */
  readonly activity?: () => Promise<ActivityReading>;
  readonly activityPollMs?: number;
  /** Passed to the VNodeHost (tests: suspend mode, sandbox binary, ...). */
  readonly host?: Partial<Omit<VNodeHostOptions, 'dataDir' | 'limits'>>;
}

export class VNodeHostModule implements RuntimeModule {
  readonly name = VNODE_HOST_MODULE;
  private hostNow: VNodeHost | null = null;
  private runtime: NodeRuntime | null = null;
  private snoozeTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly onChanged = (section: string) => {
    if (section === 'settings') this.syncSettings();
  };
  private readonly onActivity = (activity: UserActivity) => this.applyActivity(activity);

  constructor(private readonly options: VNodeHostModuleOptions = {}) {}

  /** The host, for the code that connects it to orchestrators (null before start). */
  get host(): VNodeHost | null {
    return this.hostNow;
  }

  async start(runtime: NodeRuntime): Promise<void> {
    this.runtime = runtime;
    const settings = runtime.settings.get();
    const host = new VNodeHost({
      ...this.options.host,
      dataDir: runtime.config.dataDir,
      limits: settings.limits,
      clock: this.options.host?.clock ?? runtime.clock,
      onError: (error) => runtime.config.warn(`warning: vnode host: ${error instanceof Error ? error.message : String(error)}`),
    });
    await host.start();
    this.hostNow = host;
    host.on('changed', () => {
      runtime.emit('changed', 'vnodes');
      runtime.emit('changed', 'contribution');
    });
    runtime.on('changed', this.onChanged);
    runtime.on('user-activity', this.onActivity);
    if (runtime.userActivity) this.applyActivity(runtime.userActivity);
    this.syncSettings();
    const read = this.options.activity;
    if (read) {
      const poll = () => {
        read()
          .then((reading) => this.applyReading(reading))
          .catch(() => undefined);
      };
      poll();
      this.pollTimer = setInterval(poll, this.options.activityPollMs ?? ACTIVITY_POLL_MS);
      this.pollTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.snoozeTimer) clearTimeout(this.snoozeTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.runtime?.off('changed', this.onChanged);
    this.runtime?.off('user-activity', this.onActivity);
    await this.hostNow?.stop();
  }

  state(): Partial<Pick<NodeState, StateSection>> {
    const host = this.hostNow;
    const runtime = this.runtime;
    if (!host || !runtime) return {};
    const settings = runtime.settings.get();
    // NodeControl takes only suspendReasons from a module's contribution; the rest mirrors settings.
    const contribution: ContributionView = {
      enabled: settings.contributionEnabled,
      status: settings.contributionEnabled ? 'contributing' : 'off',
      snoozedUntil: settings.snoozedUntil,
      limits: settings.limits,
      suspendReasons: host.suspendReasons().filter((reason) => MODULE_SUSPEND_REASONS.includes(reason)),
    };
    return { vnodes: host.views(), contribution };
  }

  private syncSettings(): void {
    const host = this.hostNow;
    const runtime = this.runtime;
    if (!host || !runtime) return;
    const settings: Settings = runtime.settings.get();
    const now = runtime.clock.now();
    const snoozed = settings.snoozedUntil !== null && settings.snoozedUntil > now;
    host.setLimits(settings.limits);
    host.setConditions({ contributing: settings.joined && settings.contributionEnabled, snoozed });
    if (this.snoozeTimer) clearTimeout(this.snoozeTimer);
    this.snoozeTimer = undefined;
    if (snoozed) {
      // Wake when the snooze ends (timers cap at ~24.8 days; a longer snooze re-arms then).
      this.snoozeTimer = setTimeout(() => this.syncSettings(), Math.min(settings.snoozedUntil! - now + 10, 2 ** 31 - 1));
      this.snoozeTimer.unref();
    }
  }

  private applyActivity(activity: UserActivity): void {
    this.applyReading({ idleSeconds: activity.idleSeconds, onBattery: activity.onBattery });
  }

  private applyReading(reading: ActivityReading): void {
    this.hostNow?.setConditions({ userActive: isUserActive(reading.idleSeconds), onBattery: reading.onBattery === true });
  }
}

/**
 * A headless probe: the power source from systeminformation (a laptop running `pnode node`);
 * idle time is unknown without a display server, so "only when idle" never pauses a headless node.
 */
export async function headlessActivity(): Promise<ActivityReading> {
  const si = (await import('systeminformation')).default;
  const battery = await si.battery();
  return { idleSeconds: null, onBattery: battery.hasBattery ? !battery.acConnected : false };
}
