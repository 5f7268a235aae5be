// A stand-in for the node at the UI's boundary: it records every command the UI sends, answers
// with whatever the test says, and lets the test push events as the node would.
import type { CommandResult, ControlCommand, ResultOf } from '../../src-shared/control/commands.js';
import type { ControlEvent } from '../../src-shared/control/messages.js';
import type { NodeState } from '../../src-shared/control/state.js';
import type { ConnectionStatus, UiBridge } from '../bridge/connection.js';
import { EMPTY_HISTORY_VIEW } from '../../src-shared/control/credit-view.js';

export type Answer = (command: ControlCommand) => CommandResult | Promise<CommandResult>;

/** What an empty node answers to the screens' own reads (a test's `answer` may say otherwise). */
export function emptyRead(command: ControlCommand): CommandResult | null {
  switch (command.command) {
    case 'get-history':
      return { ok: true, value: { ...EMPTY_HISTORY_VIEW, hours: [], days: [] } };
    case 'list-receipts':
      return { ok: true, value: { receipts: [], nextBefore: null } };
    case 'list-activity':
      return { ok: true, value: { entries: [], nextBefore: null } };
    case 'get-result-picture':
    case 'get-receipt':
      return { ok: false, error: { code: 'failed', message: 'not here' } };
    default:
      return null;
  }
}

export class FakeBridge implements UiBridge {
  readonly commands: ControlCommand[] = [];
  retries = 0;
  answer: Answer = (command) => emptyRead(command) ?? { ok: true, value: null };
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private readonly connectionListeners = new Set<(status: ConnectionStatus) => void>();
  private status: ConnectionStatus = { kind: 'connected' };

  constructor(private state: NodeState) {}

  getState(): Promise<NodeState> {
    return Promise.resolve(this.state);
  }

  async command<C extends ControlCommand>(command: C): Promise<CommandResult<ResultOf<C['command']>>> {
    this.commands.push(command);
    // The test decides the answer; it stands for the node, whose answers the contract types.
    return (await this.answer(command)) as CommandResult<ResultOf<C['command']>>;
  }

  onEvent(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  connection(): ConnectionStatus {
    return this.status;
  }

  onConnection(listener: (status: ConnectionStatus) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  retryNow(): void {
    this.retries += 1;
  }

  /** Pushes an event as the node would (keeping the snapshot in step for getState). */
  push(event: ControlEvent): void {
    if (event.type === 'state') this.state = event.state;
    if (event.type === 'patch') this.state = { ...this.state, ...event.patch };
    for (const listener of [...this.listeners]) listener(event);
  }

  setConnection(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of [...this.connectionListeners]) listener(status);
  }

  /** Commands of one name, in order. */
  sent<N extends ControlCommand['command']>(name: N): Array<Extract<ControlCommand, { command: N }>> {
    return this.commands.filter((c): c is Extract<ControlCommand, { command: N }> => c.command === name);
  }
}
