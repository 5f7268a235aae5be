// A stand-in NodeHost until the real runtime is wired in (node-host-factory.ts): a node that has
// started and knows nothing, which answers `get-state` and refuses everything else as
// `not-available`. It lets the shell be built, launched and tested end to end on its own, and it
// is the reference for what the shell expects of a host (events, patches, idempotent stop).
import type { CommandResult, ControlCommand } from '../src-shared/control/commands.js';
import type { ControlEvent } from '../src-shared/control/messages.js';
import { applyPatch } from '../src-shared/control/messages.js';
import { initialNodeState } from '../src-shared/control/initial-state.js';
import type { NodeState, StateSection } from '../src-shared/control/state.js';
import type { ControlHandler } from '../src-node/control/control-handler.js';
import type { NodeHost, NodeHostStartOptions, UserActivity } from './node-host.js';

export const PLACEHOLDER_MESSAGE = 'the node runtime is not part of this build yet';

export interface PlaceholderHost extends NodeHost {
  /** The last activity the shell reported (for tests). */
  readonly activity: UserActivity | null;
  readonly stopped: boolean;
}

export function createPlaceholderHost(now: () => number = Date.now): PlaceholderHost {
  let state: NodeState | null = null;
  let activity: UserActivity | null = null;
  let stopped = false;
  let launchAtLogin: boolean | null = null;
  const listeners = new Set<(event: ControlEvent) => void>();

  function emit(event: ControlEvent): void {
    for (const listener of [...listeners]) listener(event);
  }

  function patch(sections: Partial<Pick<NodeState, StateSection>>): void {
    if (state === null) return;
    state = applyPatch(state, sections);
    emit({ type: 'patch', patch: sections });
  }

  const handler: ControlHandler = {
    snapshot() {
      if (state === null) throw new Error('not started');
      return state;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async execute(command: ControlCommand): Promise<CommandResult> {
      if (command.command === 'get-state') return { ok: true, value: handler.snapshot() };
      return { ok: false, error: { code: 'not-available', message: PLACEHOLDER_MESSAGE } };
    },
  };

  return {
    get activity() {
      return activity;
    },
    get stopped() {
      return stopped;
    },
    async start(options: NodeHostStartOptions) {
      state = { ...initialNodeState(options.version, now()), launchAtLogin };
      stopped = false;
      return handler;
    },
    async stop() {
      stopped = true;
      listeners.clear();
    },
    setUserActivity(next) {
      activity = next;
    },
    systemResumed() {},
    setLaunchAtLogin(enabled) {
      launchAtLogin = enabled;
      if (state !== null && state.launchAtLogin !== enabled) patch({ launchAtLogin: enabled });
    },
  };
}
