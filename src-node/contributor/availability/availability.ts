// The one owner of "may this PNode compute now": the volunteer's settings (joined, contribution on,
// snooze, limits), the machine (user activity and power source, from the desktop shell or a
// headless probe), and the snooze's end. It computes the suspend reasons once
// (src-shared/control/contribution.ts) and emits a typed `changed` event; membership, the VNode
// host and the UI read it instead of each working the rules out again. It owns the commands that
// change these choices.
import { EventEmitter } from 'node:events';
import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import { IDLE_MACHINE, availabilityOf, type AvailabilityState, type MachineState } from '../../../src-shared/control/contribution.js';
import { isUserActive } from '../../../src-shared/vnode/conditions.js';
import type { KernelComponents } from '../../kernel/runtime/components.js';
import { requireComponents } from '../../kernel/runtime/components.js';
import type { ControlSource, RuntimeModule } from '../../kernel/runtime/runtime-module.js';
import type { Settings } from '../../kernel/runtime/settings.js';

/** A headless machine is looked at this often (a laptop running `pnode node`: its power source). */
export const ACTIVITY_POLL_MS = 30_000;
/** Longest timer Node accepts; a longer snooze re-arms when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The snooze-end timer fires this long after the end, so the clock has surely passed it. */
const SNOOZE_END_SLACK_MS = 10;

/** What can be learned about the machine; null: unknown (counts as idle, on mains). */
export interface ActivityReading {
  readonly idleSeconds: number | null;
  readonly onBattery: boolean | null;
}

export type AvailabilityComponents = Pick<KernelComponents, 'settings' | 'clock' | 'ui'> & {
  /** Polled every `activityPollMs` when given (headless); the desktop shell calls setUserActivity instead. */
  readonly activitySource?: (() => Promise<ActivityReading>) | undefined;
  /** Logical cores of this machine, for the limits' ceiling (null: unknown). */
  readonly logicalCores?: (() => number | null) | undefined;
};

export interface AvailabilityOptions {
  readonly activityPollMs?: number;
}

/** What the other components read of Availability. */
export interface AvailabilityFeed {
  current(): AvailabilityState;
  on(event: 'changed', listener: (state: AvailabilityState) => void): unknown;
  off(event: 'changed', listener: (state: AvailabilityState) => void): unknown;
}

export interface AvailabilityEvents {
  changed: [state: AvailabilityState, previous: AvailabilityState];
}

export function machineStateOf(reading: ActivityReading): MachineState {
  return { userActive: isUserActive(reading.idleSeconds), onBattery: reading.onBattery === true, idleDetection: reading.idleSeconds !== null };
}

export class Availability extends EventEmitter<AvailabilityEvents> implements RuntimeModule, ControlSource {
  readonly name = 'availability';
  private machine: MachineState = IDLE_MACHINE;
  private last: AvailabilityState;
  private snoozeTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private detachSettings: (() => void) | undefined;

  constructor(
    private readonly components: AvailabilityComponents,
    private readonly options: AvailabilityOptions = {},
  ) {
    super();
    requireComponents(this.name, components, ['settings', 'clock', 'ui']);
    // A probe (headless) tells idle time only if its readings carry it; until the first one, assume not.
    if (components.activitySource) this.machine = { ...IDLE_MACHINE, idleDetection: false };
    this.last = this.compute();
  }

  /** The state now (the snooze is judged by the clock at this moment). */
  current(): AvailabilityState {
    return this.compute();
  }

  private compute(settings: Settings = this.components.settings.get()): AvailabilityState {
    return availabilityOf(settings, this.machine, this.components.clock.now());
  }

  start(): void {
    this.detachSettings = this.components.settings.subscribe(() => this.reevaluate());
    this.armSnoozeTimer();
    const read = this.components.activitySource;
    if (read) {
      const poll = (): void => {
        read()
          .then((reading) => this.setUserActivity(reading))
          .catch(() => undefined);
      };
      poll();
      this.pollTimer = setInterval(poll, this.options.activityPollMs ?? ACTIVITY_POLL_MS);
      this.pollTimer.unref();
    }
  }

  stop(): void {
    this.detachSettings?.();
    if (this.snoozeTimer) clearTimeout(this.snoozeTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.snoozeTimer = this.pollTimer = undefined;
  }

  /** From the desktop shell (idle time, power source) or the headless probe. */
  setUserActivity(reading: ActivityReading): void {
    const next = machineStateOf(reading);
    if (next.userActive === this.machine.userActive && next.onBattery === this.machine.onBattery && next.idleDetection === this.machine.idleDetection) return;
    this.machine = next;
    this.reevaluate();
  }

  /** Emits `changed` when what follows from the inputs changed. */
  private reevaluate(): void {
    this.armSnoozeTimer();
    const next = this.compute();
    const previous = this.last;
    this.last = next;
    if (JSON.stringify(next) === JSON.stringify(previous)) return;
    this.components.ui.stateChanged('contribution');
    this.emit('changed', next, previous);
  }

  /** One timer, for the end of the snooze: the state changes then without anyone touching it. */
  private armSnoozeTimer(): void {
    if (this.snoozeTimer) clearTimeout(this.snoozeTimer);
    this.snoozeTimer = undefined;
    const until = this.components.settings.get().snoozedUntil;
    if (until === null) return;
    const delay = until - this.components.clock.now();
    if (delay <= 0) return;
    this.snoozeTimer = setTimeout(() => this.reevaluate(), Math.min(delay + SNOOZE_END_SLACK_MS, MAX_TIMER_MS));
    this.snoozeTimer.unref();
  }

  readonly commands: CommandHandlers = {
    'set-contribution': async (command) => {
      await this.components.settings.update((s) => ({ ...s, contributionEnabled: command.enabled }));
      return { ok: true, value: null };
    },
    snooze: async (command) => {
      const until = this.components.clock.now() + command.minutes * 60_000;
      await this.components.settings.update((s) => ({ ...s, snoozedUntil: until }));
      return { ok: true, value: { snoozedUntil: until } };
    },
    resume: async () => {
      await this.components.settings.update((s) => ({ ...s, snoozedUntil: null }));
      return { ok: true, value: null };
    },
    'set-limits': async (command) => {
      const logical = this.components.logicalCores?.() ?? null;
      if (command.limits.maxCores !== undefined && logical !== null && command.limits.maxCores > logical) {
        return { ok: false, error: { code: 'failed', message: `this machine has ${logical} logical cores; maxCores cannot be ${command.limits.maxCores}` } };
      }
      const next = await this.components.settings.update((s) => ({ ...s, limits: { ...s.limits, ...command.limits } }));
      return { ok: true, value: next.limits };
    },
  };
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
