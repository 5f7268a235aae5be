// The control contract, part 3: what travels on a control channel. The same shapes go over
// Electron IPC and over the local control WebSocket (DESIGN.md §4).
import type { TraceEvent } from '../protocol/trace.js';
import type { CommandResult } from './commands.js';
import type { NodeState, StateSection } from './state.js';

/** Node → UI. A `state` first, then `patch`es replacing whole top-level sections, and traces. */
export type ControlEvent =
  | { readonly type: 'state'; readonly state: NodeState }
  | { readonly type: 'patch'; readonly patch: Partial<Pick<NodeState, StateSection>> }
  | { readonly type: 'trace'; readonly event: TraceEvent }
  | { readonly type: 'notification'; readonly kind: NotificationKind; readonly title: string; readonly body: string };

/** Moments the desktop shell turns into native notifications. */
export type NotificationKind = 'joined' | 'trusted-approved' | 'trusted-revoked' | 'orchestrators-lost';

/** UI → node over the WebSocket: a command with a correlation id. */
export interface ControlRequest {
  readonly id: number;
  readonly command: unknown;
}

/** Node → UI: the answer to one request. */
export interface ControlResponse {
  readonly type: 'response';
  readonly id: number;
  readonly result: CommandResult;
}

export type ControlServerMessage = ControlEvent | ControlResponse;

/** Applies a patch to a snapshot: sections are replaced whole, never merged. */
export function applyPatch(state: NodeState, patch: Partial<Pick<NodeState, StateSection>>): NodeState {
  return { ...state, ...patch };
}
