// Which carrier the UI talks over, chosen once at start-up: the preload's `window.pnode` in
// Electron; otherwise (a browser on `pnode node --ui`) the control WebSocket of the page's own
// host, with the token from `#token=…`. The token is then taken out of the address bar so it is
// not bookmarked or shared, and kept in sessionStorage so a reload still connects.
import { TOKEN_FRAGMENT_KEY, type PNodeBridge } from '../../src-shared/control/bridge.js';
import type { Visibility } from '../visibility.js';
import type { ConnectionStatus, UiBridge } from './connection.js';
import { controlUrlFor, createWebSocketBridge, type RefusalDiagnosis, type SocketFactory } from './websocket-bridge.js';

/** The control server's token check (control-server.ts CONTROL_CHECK_PATH). */
export const CONTROL_CHECK_PATH = '/control/check';

/** Why the node refused: asks its token check with our token; no answer at all means it is not running. */
export function tokenCheck(fetcher: (url: string, init: RequestInit) => Promise<{ status: number }>, token: string): () => Promise<RefusalDiagnosis> {
  return async () => {
    let status: number;
    try {
      status = (await fetcher(CONTROL_CHECK_PATH, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' })).status;
    } catch {
      return 'not-running';
    }
    return status === 401 ? 'wrong-token' : 'unknown';
  };
}

export const TOKEN_STORAGE_KEY = 'pnode.control-token';

export type BridgeChoice =
  | { readonly kind: 'electron'; readonly bridge: UiBridge }
  | { readonly kind: 'websocket'; readonly bridge: UiBridge; readonly url: string }
  | { readonly kind: 'no-token'; readonly bridge: UiBridge };

/** The parts of `window` the choice reads and touches. */
export interface BridgeHost {
  readonly pnode?: unknown;
  readonly location: Pick<Location, 'protocol' | 'host' | 'hash' | 'pathname' | 'search'>;
  readonly history: Pick<History, 'replaceState'>;
  readonly sessionStorage: Pick<Storage, 'getItem' | 'setItem'> | null;
}

export interface SelectBridgeOptions {
  readonly createSocket?: SocketFactory;
  readonly visibility?: Visibility;
  /** fetch, for the token check (absent: refusals are not diagnosed). */
  readonly fetch?: (url: string, init: RequestInit) => Promise<{ status: number }>;
}

export function isPNodeBridge(value: unknown): value is PNodeBridge {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate['getState'] === 'function' && typeof candidate['command'] === 'function' && typeof candidate['onEvent'] === 'function';
}

/** The token in a `#token=…` fragment, if any. */
export function tokenFromHash(hash: string): string | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const token = new URLSearchParams(fragment).get(TOKEN_FRAGMENT_KEY);
  return token !== null && token !== '' ? token : null;
}

function readStored(host: BridgeHost): string | null {
  try {
    return host.sessionStorage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

function store(host: BridgeHost, token: string): void {
  try {
    host.sessionStorage?.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage refused (private mode): a reload will need the URL again; nothing else changes.
  }
}

/** A bridge that reaches nothing: browser mode opened without a token. */
export function unavailableBridge(status: ConnectionStatus, message: string): UiBridge {
  return {
    getState: () => new Promise(() => undefined),
    command: () => Promise.resolve({ ok: false, error: { code: 'not-available', message } }),
    onEvent: () => () => undefined,
    connection: () => status,
    onConnection: () => () => undefined,
    retryNow: () => undefined,
  };
}

export function selectBridge(host: BridgeHost, options: SelectBridgeOptions = {}): BridgeChoice {
  if (isPNodeBridge(host.pnode)) return { kind: 'electron', bridge: host.pnode };
  const fromHash = tokenFromHash(host.location.hash);
  if (fromHash !== null) {
    store(host, fromHash);
    host.history.replaceState(null, '', `${host.location.pathname}${host.location.search}`);
  }
  const token = fromHash ?? readStored(host);
  if (token === null) {
    return { kind: 'no-token', bridge: unavailableBridge({ kind: 'no-token' }, 'no control token: open the address `pnode node --ui` printed') };
  }
  const url = controlUrlFor(host.location);
  const bridge = createWebSocketBridge({
    url,
    token,
    ...(options.createSocket ? { createSocket: options.createSocket } : {}),
    ...(options.visibility ? { visibility: options.visibility } : {}),
    ...(options.fetch ? { diagnose: tokenCheck(options.fetch, token) } : {}),
  });
  return { kind: 'websocket', bridge, url };
}
