// The UI's one store (zustand): the node's state as last pushed, the connection, the commands in
// flight and the last command error. Events are applied as they come; nothing is polled.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { CommandValidationError, parseCommand, type CommandErrorCode, type CommandName, type CommandResult, type ControlCommand, type ResultOf } from '../../src-shared/control/commands.js';
import { applyPatch, type ControlEvent, type NotificationKind } from '../../src-shared/control/messages.js';
import type { NodeState, StateSection } from '../../src-shared/control/state.js';
import type { TraceEvent } from '../../src-shared/protocol/trace.js';
import { CONNECTED, type ConnectionStatus, type UiBridge } from '../bridge/connection.js';
import { mergeTraces } from './trace-list.js';
import { addNotice, pruneNotices } from './notice-rules.js';

/** Notifications kept for the banner; older ones drop off. */
export const MAX_NOTICES = 3;

export interface PendingCommand {
  readonly id: number;
  readonly command: CommandName;
}

export interface CommandFailure {
  readonly command: CommandName;
  readonly code: CommandErrorCode;
  readonly message: string;
  readonly protocolCode?: string;
}

export interface Notice {
  readonly id: number;
  readonly kind: NotificationKind;
  readonly title: string;
  readonly body: string;
}

type Patch = Partial<Pick<NodeState, StateSection>>;

export interface NodeStoreState {
  /** The node's state; null until the first snapshot arrives. */
  readonly node: NodeState | null;
  readonly connection: ConnectionStatus;
  /** Trace events, oldest first: the snapshot's plus every streamed one, bounded. */
  readonly traces: readonly TraceEvent[];
  readonly pending: readonly PendingCommand[];
  readonly lastError: CommandFailure | null;
  readonly notices: readonly Notice[];
  /** The volunteer chose to look around (or restored an identity) instead of joining right away. */
  readonly firstRunDismissed: boolean;
  /** Patches that came before any snapshot, applied when it arrives. */
  readonly earlyPatches: readonly Patch[];

  apply(event: ControlEvent): void;
  setConnection(status: ConnectionStatus): void;
  /** Checks the command as the node would, sends it, tracks it while in flight, records a failure. */
  send<C extends ControlCommand>(command: C): Promise<CommandResult<ResultOf<C['command']>>>;
  dismissError(): void;
  dismissNotice(id: number): void;
  dismissFirstRun(): void;
  retryConnection(): void;
}

export type NodeStore = StoreApi<NodeStoreState>;

/** Reads the screens make by themselves: a failure is shown where the answer would be, not as a banner. */
const QUIET_COMMANDS: readonly CommandName[] = ['get-state', 'get-history', 'list-receipts', 'get-receipt', 'list-activity', 'get-result-picture'];

/** Commands that count as the volunteer having dealt with their identity. */
const IDENTITY_ACTIONS: readonly CommandName[] = ['join', 'join-network', 'try-local-network', 'import-identity', 'export-identity'];

export function createNodeStore(bridge: UiBridge): NodeStore {
  let nextCommandId = 1;
  let nextNoticeId = 1;
  return createStore<NodeStoreState>()((set, get) => ({
    node: null,
    connection: bridge.connection?.() ?? CONNECTED,
    traces: [],
    pending: [],
    lastError: null,
    notices: [],
    firstRunDismissed: false,
    earlyPatches: [],

    apply(event) {
      switch (event.type) {
        case 'state': {
          let node = event.state;
          for (const patch of get().earlyPatches) node = applyPatch(node, patch);
          set({ node, traces: mergeTraces(get().traces, node.traces), earlyPatches: [], notices: pruneNotices(get().notices, node) });
          return;
        }
        case 'patch': {
          const { node, traces, earlyPatches } = get();
          if (node === null) {
            set({ earlyPatches: [...earlyPatches, event.patch] });
            return;
          }
          const next = applyPatch(node, event.patch);
          set({ node: next, traces: event.patch.traces ? mergeTraces(traces, event.patch.traces) : traces, notices: pruneNotices(get().notices, next) });
          return;
        }
        case 'trace':
          set({ traces: mergeTraces(get().traces, [event.event]) });
          return;
        case 'notification': {
          const notice: Notice = { id: nextNoticeId++, kind: event.kind, title: event.title, body: event.body };
          const node = get().node;
          // A notice that is already untrue (it raced a state change) is not shown at all.
          const notices = addNotice(get().notices, notice, MAX_NOTICES);
          set({ notices: node === null ? notices : pruneNotices(notices, node) });
          return;
        }
      }
    },

    setConnection(status) {
      set({ connection: status });
    },

    async send<C extends ControlCommand>(command: C): Promise<CommandResult<ResultOf<C['command']>>> {
      const name = command.command;
      let checked: ControlCommand;
      try {
        checked = parseCommand(command);
      } catch (error) {
        const message = error instanceof CommandValidationError ? error.message : 'malformed command';
        set({ lastError: { command: name, code: 'invalid-command', message } });
        return { ok: false, error: { code: 'invalid-command', message } };
      }
      const id = nextCommandId++;
      set({ pending: [...get().pending, { id, command: name }] });
      let result: CommandResult<ResultOf<C['command']>>;
      try {
        // parseCommand keeps the name, so the answer is still C's.
        result = (await bridge.command(checked)) as CommandResult<ResultOf<C['command']>>;
      } catch (error) {
        result = { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
      }
      const pending = get().pending.filter((entry) => entry.id !== id);
      if (result.ok) {
        const lastError = get().lastError?.command === name ? null : get().lastError;
        set({ pending, lastError, ...(IDENTITY_ACTIONS.includes(name) ? { firstRunDismissed: true } : {}) });
      } else if (QUIET_COMMANDS.includes(name)) {
        set({ pending });
      } else {
        const { code, message, protocolCode } = result.error;
        set({ pending, lastError: { command: name, code, message, ...(protocolCode !== undefined ? { protocolCode } : {}) } });
      }
      return result;
    },

    dismissError() {
      set({ lastError: null });
    },
    dismissNotice(id) {
      set({ notices: get().notices.filter((notice) => notice.id !== id) });
    },
    dismissFirstRun() {
      set({ firstRunDismissed: true });
    },
    retryConnection() {
      bridge.retryNow?.();
    },
  }));
}

/**
 * Wires a store to its bridge: every event, every connection change, and the current snapshot
 * (asked once, for carriers whose first `state` came before we listened). Returns the unwiring.
 */
export function connectNodeStore(store: NodeStore, bridge: UiBridge): () => void {
  const offEvents = bridge.onEvent((event) => store.getState().apply(event));
  const offConnection = bridge.onConnection?.((status) => store.getState().setConnection(status)) ?? (() => undefined);
  let active = true;
  bridge.getState().then(
    (state) => {
      if (active && store.getState().node === null) store.getState().apply({ type: 'state', state });
    },
    () => undefined,
  );
  return () => {
    active = false;
    offEvents();
    offConnection();
  };
}

/** Whether a command of this name is in flight. */
export function isPending(state: Pick<NodeStoreState, 'pending'>, command: CommandName): boolean {
  return state.pending.some((entry) => entry.command === command);
}
