// What the shell needs from the node runtime, and nothing more. The lead implements it on
// src-node (see node-host-factory.ts); the shell speaks to the running node only through the
// ControlHandler that `start` returns (DESIGN.md §4), plus the few desktop facts below that only
// Electron can observe (user input, battery, sleep, login items).
import type { ControlHandler } from '../src-node/control/control-handler.js';

export interface NodeHostStartOptions {
  /** Electron's `userData` directory: the node's data dir (DESIGN.md §6). It exists. */
  readonly dataDir: string;
  /** The app's version (`app.getVersion()`), for NodeState.version. */
  readonly version: string;
}

/** A sample of what the volunteer is doing, for "only when idle" and "pause on battery" (issue 7). */
export interface UserActivity {
  /** Whole seconds since the last keyboard or mouse input (`powerMonitor.getSystemIdleTime()`), ≥ 0. */
  readonly idleSeconds: number;
  /** The machine runs on battery (`powerMonitor.isOnBatteryPower()`). */
  readonly onBattery: boolean;
}

export interface NodeHost {
  /**
   * Opens the data dir, loads or creates the identity (keychain), starts the runtime and resolves
   * with its control surface once `snapshot()` is valid. Called once per process. Rejects with an
   * Error whose message a volunteer can read (shown in the tray tooltip) when the node cannot start.
   * Must not wait for the network: an offline machine still starts.
   */
  start(options: NodeHostStartOptions): Promise<ControlHandler>;
  /**
   * Leaves politely (closes sessions, stops VNodes), flushes every file (trace log, peers,
   * advertisement cache) and releases the keychain and the data-dir lock. Idempotent; safe before
   * or during `start`. The shell waits at most SHUTDOWN_TIMEOUT_MS (lifecycle.ts), then exits anyway.
   */
  stop(): Promise<void>;
  /**
   * Latest user activity; the shell calls it every USER_ACTIVITY_POLL_MS and at once when the
   * power source changes, the screen locks or unlocks, or the machine wakes. The runtime applies
   * `onlyWhenIdle` / `pauseOnBattery` from its limits and reports `user-active` / `on-battery`
   * in `contribution.suspendReasons`. Never throws.
   */
  setUserActivity(activity: UserActivity): void;
  /**
   * The machine woke from sleep: sessions are likely dead; re-dial now rather than waiting for
   * keepalives to expire. Never throws.
   */
  systemResumed(): void;
  /**
   * Whether the OS will start the app at login, as the shell read it (null: unknown or not
   * supported here). The runtime puts it in `NodeState.launchAtLogin` and emits a patch when it
   * changes. The shell, not the runtime, executes `set-launch-at-login`. Never throws.
   */
  setLaunchAtLogin(enabled: boolean | null): void;
}
