// The control contract over the local control WebSocket (browser mode, `pnode node --ui`): the
// token travels as a subprotocol, requests are `{id, command}`, the server pushes a `state`, then
// `patch`es, traces and notifications, and answers each request with a `response`. A lost
// connection is retried with bounded, jittered backoff, and only while the window is shown.
import type { CommandResult, ControlCommand, ResultOf } from '../../src-shared/control/commands.js';
import { applyPatch, type ControlEvent } from '../../src-shared/control/messages.js';
import { CONTROL_PROTOCOL, type NodeState } from '../../src-shared/control/state.js';
import { ALWAYS_VISIBLE, type Visibility } from '../visibility.js';
import type { ConnectionControl, ConnectionStatus } from './connection.js';
import type { PNodeBridge } from '../../src-shared/control/bridge.js';
import { parseServerMessage } from './server-message.js';

export const CONTROL_PATH = '/control';
/** The token rides as a second subprotocol, never in the URL. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'pnode-token.';
/** First retry after about this long, doubling per failed attempt … */
export const RECONNECT_BASE_MS = 1_000;
/** … up to this. */
export const RECONNECT_MAX_MS = 30_000;
/** A command with no answer by then fails as not-available. */
export const COMMAND_TIMEOUT_MS = 60_000;
/** Commands in flight at once; more are refused as busy. */
export const MAX_PENDING_COMMANDS = 64;

export type SocketFactory = (url: string, protocols: string[]) => WebSocket;

export interface WebSocketBridgeOptions {
  /** ws://host:port/control */
  readonly url: string;
  readonly token: string;
  readonly createSocket?: SocketFactory;
  readonly visibility?: Visibility;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly commandTimeoutMs?: number;
  /**
   * Asked when a connection is refused before it opens (a page cannot read why): 'wrong-token' stops
   * retrying and says the link is wrong or expired; 'not-running' says the node is not running.
   */
  readonly diagnose?: () => Promise<RefusalDiagnosis>;
}

export type RefusalDiagnosis = 'wrong-token' | 'not-running' | 'unknown';

export interface WebSocketBridge extends PNodeBridge, ConnectionControl {
  /** Closes the socket and stops retrying. */
  close(): void;
}

interface Pending {
  readonly settle: (result: CommandResult) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** `ws://<host>/control` for a page served from `http://<host>/` (wss for https). */
export function controlUrlFor(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${CONTROL_PATH}`;
}

/** Delay before retry number `attempt` (1-based): doubling from base, capped, half of it jittered. */
export function reconnectDelay(attempt: number, random: () => number, baseMs = RECONNECT_BASE_MS, maxMs = RECONNECT_MAX_MS): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function failure(code: 'not-available' | 'busy', message: string): CommandResult<never> {
  return { ok: false, error: { code, message } };
}

export function createWebSocketBridge(options: WebSocketBridgeOptions): WebSocketBridge {
  const createSocket: SocketFactory = options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols));
  const visibility = options.visibility ?? ALWAYS_VISIBLE;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  const protocols = [CONTROL_PROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${options.token}`];

  const listeners = new Set<(event: ControlEvent) => void>();
  const connectionListeners = new Set<(status: ConnectionStatus) => void>();
  const stateWaiters: Array<(state: NodeState) => void> = [];
  const pending = new Map<number, Pending>();
  let state: NodeState | null = null;
  let socket: WebSocket | null = null;
  let status: ConnectionStatus = { kind: 'connecting', attempt: 1 };
  let failures = 0;
  let nextId = 1;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let stopWaitingForVisible: (() => void) | null = null;
  let closed = false;

  function setStatus(next: ConnectionStatus): void {
    status = next;
    for (const listener of [...connectionListeners]) listener(next);
  }

  function emit(event: ControlEvent): void {
    for (const listener of [...listeners]) listener(event);
  }

  function settleAll(message: string): void {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      pending.delete(id);
      entry.settle(failure('not-available', message));
    }
  }

  function cancelRetry(): void {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    stopWaitingForVisible?.();
    stopWaitingForVisible = null;
  }

  /** Connects now if the window is shown, else as soon as it is. */
  function connectWhenVisible(): void {
    cancelRetry();
    if (closed || socket !== null) return;
    if (visibility.isVisible()) {
      connect();
      return;
    }
    setStatus({ kind: 'disconnected', attempt: failures, retryAt: null, reason: describeReason(status) });
    stopWaitingForVisible = visibility.onChange((visible) => {
      if (visible) connectWhenVisible();
    });
  }

  function describeReason(current: ConnectionStatus): string {
    return current.kind === 'disconnected' ? current.reason : 'the connection to the node was lost';
  }

  function scheduleRetry(reason: string): void {
    const delay = reconnectDelay(failures, random, options.baseDelayMs, options.maxDelayMs);
    setStatus({ kind: 'disconnected', attempt: failures, retryAt: now() + delay, reason });
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connectWhenVisible();
    }, delay);
  }

  function connect(): void {
    setStatus({ kind: 'connecting', attempt: failures + 1 });
    let opened = false;
    let current: WebSocket;
    try {
      current = createSocket(options.url, protocols);
    } catch (error) {
      failures += 1;
      scheduleRetry(error instanceof Error ? error.message : 'could not open the control connection');
      return;
    }
    socket = current;
    current.addEventListener('open', () => {
      opened = true;
      if (current.protocol !== '' && current.protocol !== CONTROL_PROTOCOL) {
        current.close(1002, 'unexpected subprotocol');
        return;
      }
      failures = 0;
      setStatus({ kind: 'connected' });
    });
    // The close event that follows says what matters; an error alone changes nothing.
    current.addEventListener('error', () => undefined);
    current.addEventListener('message', (message: MessageEvent) => {
      if (socket !== current) return;
      const parsed = parseServerMessage(message.data);
      if (parsed === null) return;
      if (parsed.type === 'response') {
        const entry = pending.get(parsed.id);
        if (!entry) return;
        pending.delete(parsed.id);
        clearTimeout(entry.timer);
        entry.settle(parsed.result);
        return;
      }
      if (parsed.type === 'state') {
        state = parsed.state;
        for (const waiter of stateWaiters.splice(0)) waiter(parsed.state);
      } else if (parsed.type === 'patch') {
        if (state === null) return;
        state = applyPatch(state, parsed.patch);
      }
      emit(parsed);
    });
    current.addEventListener('close', (event: CloseEvent) => {
      if (socket !== current) return;
      socket = null;
      settleAll('the connection to the node closed');
      if (closed) return;
      failures += 1;
      if (opened || !options.diagnose) {
        scheduleRetry(
          opened
            ? `the node closed the connection${event.reason ? ` (${event.reason})` : ''}`
            : 'the node is not reachable, or refused this page (is it still running? is the link current?)',
        );
        return;
      }
      void options.diagnose().then(
        (diagnosis) => {
          if (closed || socket !== null) return;
          if (diagnosis === 'wrong-token') {
            setStatus({ kind: 'refused' });
            return;
          }
          scheduleRetry(diagnosis === 'not-running' ? 'the node is not running (or is restarting)' : 'the node refused the connection');
        },
        () => scheduleRetry('the node is not reachable'),
      );
    });
  }

  connect();

  return {
    getState() {
      if (state !== null) return Promise.resolve(state);
      return new Promise((resolve) => stateWaiters.push(resolve));
    },
    command<C extends ControlCommand>(command: C): Promise<CommandResult<ResultOf<C['command']>>> {
      type T = ResultOf<C['command']>;
      const open = socket;
      if (open === null || open.readyState !== open.OPEN) return Promise.resolve(failure('not-available', 'not connected to the node'));
      if (pending.size >= MAX_PENDING_COMMANDS) return Promise.resolve(failure('busy', 'too many commands waiting for an answer'));
      const id = nextId++;
      return new Promise<CommandResult<T>>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(failure('not-available', 'the node did not answer in time'));
        }, commandTimeoutMs);
        pending.set(id, { settle: (result) => resolve(result as CommandResult<T>), timer });
        open.send(JSON.stringify({ id, command }));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connection: () => status,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    retryNow() {
      if (closed || socket !== null) return;
      cancelRetry();
      connect();
    },
    close() {
      closed = true;
      cancelRetry();
      const open = socket;
      socket = null;
      settleAll('the control connection was closed');
      open?.close(1000, 'closing');
    },
  };
}
