import type { CommandResult, ControlCommand } from '../../src-shared/control/commands.js';
import type { ControlEvent } from '../../src-shared/control/messages.js';
import type { NodeState } from '../../src-shared/control/state.js';

/** What a control channel (IPC or WebSocket) needs from the node: one interface, two carriers. */
export interface ControlHandler {
  snapshot(): NodeState;
  subscribe(listener: (event: ControlEvent) => void): () => void;
  execute(command: ControlCommand): Promise<CommandResult>;
}
