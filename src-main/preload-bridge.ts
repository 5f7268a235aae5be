// The PNodeBridge the preload hands to the page, built on two IPC primitives so it can be tested
// without Electron. It forwards only to IPC_CHANNELS, checks what it forwards, and gives the page
// plain data: never an Electron event object, never ipcRenderer itself.
// Bundled into a sandboxed preload: import nothing that needs Node (only src-shared, pure).
import { IPC_CHANNELS, type PNodeBridge } from '../src-shared/control/bridge.js';
import type { CommandResult, ControlCommand, ResultOf } from '../src-shared/control/commands.js';
import type { ControlEvent } from '../src-shared/control/messages.js';
import type { NodeState } from '../src-shared/control/state.js';

/** The part of ipcRenderer the bridge uses. */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  /** Subscribes to one channel; the listener gets the payload only. */
  on(channel: string, listener: (payload: unknown) => void): void;
}

const EVENT_TYPES: readonly string[] = ['state', 'patch', 'trace', 'notification'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The shape of a control event, checked before the page sees it. */
export function isControlEvent(value: unknown): value is ControlEvent {
  if (!isRecord(value) || typeof value['type'] !== 'string' || !EVENT_TYPES.includes(value['type'])) return false;
  switch (value['type']) {
    case 'state':
      return isRecord(value['state']);
    case 'patch':
      return isRecord(value['patch']);
    case 'trace':
      return isRecord(value['event']);
    default:
      return typeof value['kind'] === 'string' && typeof value['title'] === 'string' && typeof value['body'] === 'string';
  }
}

/** The shape of a CommandResult; anything else becomes a `failed` result. */
export function asCommandResult<T>(value: unknown): CommandResult<T> {
  if (isRecord(value) && value['ok'] === true && 'value' in value) return value as CommandResult<T>;
  if (isRecord(value) && value['ok'] === false && isRecord(value['error']) && typeof value['error']['code'] === 'string' && typeof value['error']['message'] === 'string') {
    return value as CommandResult<T>;
  }
  return { ok: false, error: { code: 'failed', message: 'the app sent a malformed answer' } };
}

export function createBridge(ipc: BridgeIpc): PNodeBridge {
  const listeners = new Set<(event: ControlEvent) => void>();
  ipc.on(IPC_CHANNELS.event, (payload) => {
    if (!isControlEvent(payload)) return;
    for (const listener of [...listeners]) {
      try {
        listener(payload);
      } catch {
        // One broken listener must not starve the others.
      }
    }
  });

  return {
    async getState(): Promise<NodeState> {
      const result = asCommandResult<NodeState>(await ipc.invoke(IPC_CHANNELS.getState));
      if (!result.ok) throw new Error(result.error.message);
      return result.value;
    },
    async command<C extends ControlCommand>(command: C): Promise<CommandResult<ResultOf<C['command']>>> {
      type T = ResultOf<C['command']>;
      // The page is not trusted to have kept to the types: check the shape before forwarding.
      if (!isRecord(command as unknown)) return { ok: false, error: { code: 'invalid-command', message: 'a command must be an object' } };
      try {
        return asCommandResult<T>(await ipc.invoke(IPC_CHANNELS.command, command));
      } catch (error) {
        return { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : 'the command could not be sent' } };
      }
    },
    onEvent(listener: (event: ControlEvent) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
