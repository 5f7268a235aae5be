import type { ControlCommand, CommandResult } from '../../../src-shared/control/commands.js';
import type { NodeState, StateSection } from '../../../src-shared/control/state.js';
import type { NodeRuntime } from './node-runtime.js';

/**
 * A feature attached to a running node (discovery, membership, a service role, VNode hosting):
 * started after the node is up, stopped before it goes down. It may contribute sections of the
 * control state and answer commands the core does not.
 */
export interface RuntimeModule {
  readonly name: string;
  start(runtime: NodeRuntime): Promise<void> | void;
  stop(): Promise<void> | void;
  /** Sections of the control state this module owns. */
  state?(): Partial<Pick<NodeState, StateSection>>;
  /** Answers a command, or undefined when the command is not this module's. */
  execute?(command: ControlCommand): Promise<CommandResult> | undefined;
}
