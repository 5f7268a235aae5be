// The IPC boundary: what the renderer may ask, checked before anything runs. Only the channels of
// IPC_CHANNELS, only from our window's main frame showing our app, commands validated by
// parseCommand, and at most IPC_COMMANDS_PER_SECOND of them. Every answer is a CommandResult:
// a bad request gets a typed error, never a throw (a throw would surface as a vague rejection).
import { CommandValidationError, parseCommand, type CommandResult } from '../src-shared/control/commands.js';
import { IPC_CHANNELS } from '../src-shared/control/bridge.js';
import { isAppUrl } from './app-protocol.js';
import type { Dispatch } from './command-dispatch.js';
import { TokenBucket } from '../src-node/kernel/util/token-bucket.js';

/** Same budget as the control WebSocket: 20 commands per second, bursts of twice that. */
export const IPC_COMMANDS_PER_SECOND = 20;
export const IPC_COMMAND_BURST = IPC_COMMANDS_PER_SECOND * 2;

/** What main.ts reads off an IpcMainInvokeEvent. */
export interface IpcSender {
  readonly webContentsId: number;
  /** event.senderFrame: null once the frame is gone. */
  readonly frame: { readonly url: string; readonly isMainFrame: boolean } | null;
}

export type SenderVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function checkSender(sender: IpcSender, expectedWebContentsId: number | null): SenderVerdict {
  if (expectedWebContentsId === null || sender.webContentsId !== expectedWebContentsId) return { ok: false, reason: 'not our window' };
  if (sender.frame === null) return { ok: false, reason: 'the sending frame is gone' };
  if (!sender.frame.isMainFrame) return { ok: false, reason: 'not the main frame' };
  if (!isAppUrl(sender.frame.url)) return { ok: false, reason: 'not our app' };
  return { ok: true };
}

export interface IpcRouterDeps {
  /** The webContents id of our window, null when there is none. */
  readonly expectedWebContentsId: () => number | null;
  readonly dispatch: Dispatch;
  readonly now: () => number;
  /** Told about every refused request, for logs. */
  readonly onRefused?: (channel: string, reason: string) => void;
}

export interface IpcRouter {
  /** Answers one `ipcRenderer.invoke(channel, ...args)`. Never throws, never rejects. */
  handle(channel: string, sender: IpcSender, args: readonly unknown[]): Promise<CommandResult>;
}

function refusal(code: 'invalid-command' | 'unknown-command' | 'unauthorized' | 'busy', message: string): CommandResult {
  return { ok: false, error: { code, message } };
}

export function createIpcRouter(deps: IpcRouterDeps): IpcRouter {
  const commands = new TokenBucket({ capacity: IPC_COMMAND_BURST, perSecond: IPC_COMMANDS_PER_SECOND }, deps.now());

  async function route(channel: string, sender: IpcSender, args: readonly unknown[]): Promise<CommandResult> {
    if (channel !== IPC_CHANNELS.getState && channel !== IPC_CHANNELS.command) return refusal('unknown-command', `no such channel ${JSON.stringify(channel)}`);
    const verdict = checkSender(sender, deps.expectedWebContentsId());
    if (!verdict.ok) {
      deps.onRefused?.(channel, verdict.reason);
      return refusal('unauthorized', verdict.reason);
    }
    if (!commands.take(1, deps.now())) return refusal('busy', 'too many requests; slow down');
    if (channel === IPC_CHANNELS.getState) {
      if (args.length !== 0) return refusal('invalid-command', 'get-state takes no arguments');
      return deps.dispatch({ command: 'get-state' });
    }
    if (args.length !== 1) return refusal('invalid-command', 'send exactly one command');
    let command;
    try {
      command = parseCommand(args[0]);
    } catch (error) {
      return refusal('invalid-command', error instanceof CommandValidationError ? error.message : 'malformed command');
    }
    return deps.dispatch(command);
  }

  return {
    async handle(channel, sender, args) {
      try {
        return await route(channel, sender, args);
      } catch (error) {
        return { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
      }
    },
  };
}
