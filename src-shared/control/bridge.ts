// The one API a UI sees, whatever carries it: in Electron the preload exposes it as
// `window.pnode` (IPC); in a browser the renderer builds it on the control WebSocket.
import type { CommandResult, ControlCommand, ResultOf } from './commands.js';
import type { ControlEvent } from './messages.js';
import type { NodeState } from './state.js';

export interface PNodeBridge {
  /** The current snapshot (the first `state` event also carries it). */
  getState(): Promise<NodeState>;
  /** Runs a command; the result's type follows from the command's name (the contract table). */
  command<C extends ControlCommand>(command: C): Promise<CommandResult<ResultOf<C['command']>>>;
  /** Every event after subscribing; returns the unsubscribe function. */
  onEvent(listener: (event: ControlEvent) => void): () => void;
}

/** IPC channel names the preload and the main process share; nothing else crosses. */
export const IPC_CHANNELS = {
  getState: 'pnode:get-state',
  command: 'pnode:command',
  event: 'pnode:event',
} as const;

export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS];

/** Where the renderer finds the control token when served by `pnode node --ui`: `#token=…`. */
export const TOKEN_FRAGMENT_KEY = 'token';
