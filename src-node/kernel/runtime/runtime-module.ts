import type { CommandHandlers } from '../../../src-shared/control/commands.js';
import type { NodeState, StateSection, SuspendReason } from '../../../src-shared/control/state.js';

/**
 * A feature attached to a running node (discovery, membership, a service role, VNode hosting).
 * It is built by a recipe with the components it names in its constructor, started after the
 * node listens (in the recipe's order) and stopped before the node goes down (in reverse order).
 */
export interface RuntimeModule {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** What a component shows the UIs and which commands it answers; NodeControl reads these. */
export interface ControlSource {
  /** Sections of the control state this component owns. */
  state?(): Partial<Pick<NodeState, StateSection>>;
  /** Why this component keeps the node from computing now (NodeControl merges them). */
  suspendReasons?(): readonly SuspendReason[];
  /** The commands this component answers (the contract table says their fields and results). */
  readonly commands?: CommandHandlers;
}
