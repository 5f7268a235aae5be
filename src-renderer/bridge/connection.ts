// How the UI knows whether it can reach its node. The Electron bridge is always connected; the
// WebSocket bridge reports each change, so the UI can say "not connected" plainly and offer a retry.
import type { PNodeBridge } from '../../src-shared/control/bridge.js';

export type ConnectionStatus =
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'connected' }
  /** Lost or refused; `retryAt` is when the next attempt starts (null: waiting for the window to be shown). */
  | { readonly kind: 'disconnected'; readonly attempt: number; readonly retryAt: number | null; readonly reason: string }
  /** Browser mode without a control token: nothing to connect with. */
  | { readonly kind: 'no-token' }
  /** The node runs but refused this page's token: an old or mistyped link. Not retried. */
  | { readonly kind: 'refused' };

export interface ConnectionControl {
  connection(): ConnectionStatus;
  onConnection(listener: (status: ConnectionStatus) => void): () => void;
  /** Try again now instead of waiting for the backoff. */
  retryNow(): void;
}

/** The bridge the UI works with: the contract, plus connection reporting when the carrier has it. */
export type UiBridge = PNodeBridge & Partial<ConnectionControl>;

export const CONNECTED: ConnectionStatus = { kind: 'connected' };
