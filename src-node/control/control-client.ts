// A control client for local tools (the CLI, devnet, tests): connects with the token, keeps the
// latest state, sends commands and waits for their answers (bounded by a timeout).
import { WebSocket } from 'ws';
import type { CommandResult, ControlCommand } from '../../src-shared/control/commands.js';
import { applyPatch, type ControlEvent, type ControlServerMessage } from '../../src-shared/control/messages.js';
import type { NodeState } from '../../src-shared/control/state.js';
import { CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './control-auth.js';

export const CONTROL_CLIENT_TIMEOUT_MS = 15_000;

export interface ControlClient {
  state(): NodeState;
  command<T = unknown>(command: ControlCommand | Record<string, unknown>, timeoutMs?: number): Promise<CommandResult<T>>;
  onEvent(listener: (event: ControlEvent) => void): () => void;
  /** Resolves when `predicate(state)` holds (checked on every update), or rejects after the timeout. */
  waitFor(predicate: (state: NodeState) => boolean, timeoutMs?: number): Promise<NodeState>;
  close(): void;
}

export function connectControl(url: string, token: string, options: { origin?: string; timeoutMs?: number } = {}): Promise<ControlClient> {
  const timeoutMs = options.timeoutMs ?? CONTROL_CLIENT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`], {
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      ...(options.origin ? { origin: options.origin } : {}),
    });
    let current: NodeState | undefined;
    let nextId = 1;
    const pending = new Map<number, (result: CommandResult) => void>();
    const listeners = new Set<(event: ControlEvent) => void>();
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`control connection to ${url} timed out`));
    }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error(`control server refused the connection: HTTP ${res.statusCode}`));
    });
    socket.on('close', () => {
      for (const settle of pending.values()) settle({ ok: false, error: { code: 'not-available', message: 'control connection closed' } });
      pending.clear();
    });
    socket.on('message', (data) => {
      let message: ControlServerMessage;
      try {
        message = JSON.parse(String(data)) as ControlServerMessage;
      } catch {
        return;
      }
      if (message.type === 'response') {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
        return;
      }
      if (message.type === 'state') current = message.state;
      else if (message.type === 'patch' && current) current = applyPatch(current, message.patch);
      for (const listener of listeners) listener(message);
      if (message.type === 'state' && pending.size === 0 && nextId === 1) {
        clearTimeout(timer);
        resolve(client);
      }
    });

    const client: ControlClient = {
      state() {
        if (!current) throw new Error('no state received yet');
        return current;
      },
      command<T>(command: ControlCommand | Record<string, unknown>, commandTimeoutMs = timeoutMs) {
        const id = nextId++;
        return new Promise<CommandResult<T>>((settle) => {
          const timeout = setTimeout(() => {
            pending.delete(id);
            settle({ ok: false, error: { code: 'not-available', message: `no answer within ${commandTimeoutMs} ms` } });
          }, commandTimeoutMs);
          pending.set(id, (result) => {
            clearTimeout(timeout);
            settle(result as CommandResult<T>);
          });
          socket.send(JSON.stringify({ id, command }));
        });
      },
      onEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      waitFor(predicate, waitMs = timeoutMs) {
        return new Promise((settle, fail) => {
          if (current && predicate(current)) return settle(current);
          const timeout = setTimeout(() => {
            off();
            fail(new Error(`condition not met within ${waitMs} ms`));
          }, waitMs);
          const off = client.onEvent(() => {
            if (current && predicate(current)) {
              clearTimeout(timeout);
              off();
              settle(current);
            }
          });
        });
      },
      close() {
        socket.close();
      },
    };
  });
}
