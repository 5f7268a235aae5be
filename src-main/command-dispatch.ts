// One way in for commands, whoever sends them (the window over IPC, the tray menu): commands the
// shell owns are done here, the rest go to the node. The answer is always a CommandResult; a
// throw anywhere below becomes a `failed` result, never a crash of the main process.
import type { CommandResult, ControlCommand } from '../src-shared/control/commands.js';
import type { NodeState } from '../src-shared/control/state.js';
import type { ControlHandler } from '../src-node/control/control-handler.js';

export interface DispatchDeps {
  /** The running node's control surface; null while it starts or after it failed to start. */
  readonly handler: () => ControlHandler | null;
  /** What `get-state` answers while the node is not there (the shell's last known state). */
  readonly fallbackState: () => NodeState;
  /** Why the node is not there, for the `not-available` answer. */
  readonly unavailableReason: () => string;
  /** `set-launch-at-login` is the shell's: only Electron can set login items. */
  readonly setLaunchAtLogin: (enabled: boolean) => Promise<CommandResult>;
}

export type Dispatch = (command: ControlCommand) => Promise<CommandResult>;

function failed(error: unknown): CommandResult {
  return { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
}

export function createCommandDispatcher(deps: DispatchDeps): Dispatch {
  return async (command) => {
    try {
      if (command.command === 'set-launch-at-login') return await deps.setLaunchAtLogin(command.enabled);
      const handler = deps.handler();
      if (command.command === 'get-state') return { ok: true, value: handler === null ? deps.fallbackState() : handler.snapshot() };
      if (handler === null) return { ok: false, error: { code: 'not-available', message: deps.unavailableReason() } };
      return await handler.execute(command);
    } catch (error) {
      return failed(error);
    }
  };
}
