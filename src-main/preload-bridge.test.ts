import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '../src-shared/control/bridge.js';
import type { ControlCommand } from '../src-shared/control/commands.js';
import type { ControlEvent } from '../src-shared/control/messages.js';
import { asCommandResult, createBridge, isControlEvent, type BridgeIpc } from './preload-bridge.js';
import { nodeState } from './testing/node-states.js';

function fakeIpc(answer: (channel: string, args: unknown[]) => unknown) {
  const invoked: { channel: string; args: unknown[] }[] = [];
  const subscriptions = new Map<string, (payload: unknown) => void>();
  const ipc: BridgeIpc = {
    invoke: async (channel, ...args) => {
      invoked.push({ channel, args });
      return answer(channel, args);
    },
    on: (channel, listener) => {
      subscriptions.set(channel, listener);
    },
  };
  return { ipc, invoked, emit: (channel: string, payload: unknown) => subscriptions.get(channel)?.(payload), subscriptions };
}

describe('the preload bridge', () => {
  it('listens on the event channel only', () => {
    const { ipc, subscriptions } = fakeIpc(() => undefined);
    createBridge(ipc);
    expect([...subscriptions.keys()]).toEqual([IPC_CHANNELS.event]);
  });

  it('gets the state over the get-state channel and unwraps it', async () => {
    const state = nodeState();
    const { ipc, invoked } = fakeIpc(() => ({ ok: true, value: state }));
    expect(await createBridge(ipc).getState()).toEqual(state);
    expect(invoked).toEqual([{ channel: IPC_CHANNELS.getState, args: [] }]);
  });

  it('rejects getState with the main process reason', async () => {
    const { ipc } = fakeIpc(() => ({ ok: false, error: { code: 'unauthorized', message: 'not our app' } }));
    await expect(createBridge(ipc).getState()).rejects.toThrow('not our app');
  });

  it('forwards commands on the command channel and returns the typed result', async () => {
    const { ipc, invoked } = fakeIpc(() => ({ ok: true, value: 42 }));
    const result = await createBridge(ipc).command({ command: 'join' });
    expect(result).toEqual({ ok: true, value: 42 });
    expect(invoked).toEqual([{ channel: IPC_CHANNELS.command, args: [{ command: 'join' }] }]);
  });

  it('refuses a command that is not an object without sending it', async () => {
    const { ipc, invoked } = fakeIpc(() => ({ ok: true, value: null }));
    const bridge = createBridge(ipc);
    for (const bad of [null, 'join', 3, ['join'], undefined]) {
      expect(await bridge.command(bad as unknown as ControlCommand)).toEqual({ ok: false, error: { code: 'invalid-command', message: 'a command must be an object' } });
    }
    expect(invoked).toEqual([]);
  });

  it('turns a failed invoke or a malformed answer into a failed result', async () => {
    const rejecting = createBridge({ invoke: () => Promise.reject(new Error('no handler')), on: () => undefined });
    expect(await rejecting.command({ command: 'join' })).toEqual({ ok: false, error: { code: 'failed', message: 'no handler' } });
    const { ipc } = fakeIpc(() => 'weird');
    expect(await createBridge(ipc).command({ command: 'join' })).toMatchObject({ ok: false, error: { code: 'failed' } });
  });

  it('delivers well-formed events to subscribers until they unsubscribe', () => {
    const { ipc, emit } = fakeIpc(() => undefined);
    const bridge = createBridge(ipc);
    const seen: ControlEvent[] = [];
    const off = bridge.onEvent((event) => seen.push(event));
    const patch: ControlEvent = { type: 'patch', patch: { launchAtLogin: true } };
    emit(IPC_CHANNELS.event, patch);
    off();
    emit(IPC_CHANNELS.event, patch);
    expect(seen).toEqual([patch]);
  });

  it('drops malformed events and survives a throwing listener', () => {
    const { ipc, emit } = fakeIpc(() => undefined);
    const bridge = createBridge(ipc);
    const seen: unknown[] = [];
    bridge.onEvent(() => {
      throw new Error('listener bug');
    });
    bridge.onEvent((event) => seen.push(event));
    for (const bad of [null, 'state', { type: 'eval', code: 'x' }, { type: 'state' }, { type: 'notification', kind: 'joined' }]) emit(IPC_CHANNELS.event, bad);
    const good: ControlEvent = { type: 'notification', kind: 'joined', title: 't', body: 'b' };
    emit(IPC_CHANNELS.event, good);
    expect(seen).toEqual([good]);
  });

  it('wants a function for onEvent', () => {
    const { ipc } = fakeIpc(() => undefined);
    expect(() => createBridge(ipc).onEvent('nope' as never)).toThrow(TypeError);
  });
});

describe('shape checks', () => {
  it('recognise control events', () => {
    expect(isControlEvent({ type: 'state', state: nodeState() })).toBe(true);
    expect(isControlEvent({ type: 'trace', event: {} })).toBe(true);
    expect(isControlEvent({ type: 'patch', patch: [] })).toBe(false);
  });

  it('recognise command results', () => {
    expect(asCommandResult({ ok: true, value: null })).toEqual({ ok: true, value: null });
    expect(asCommandResult({ ok: false, error: { code: 'busy', message: 'slow down' } })).toEqual({ ok: false, error: { code: 'busy', message: 'slow down' } });
    expect(asCommandResult({ ok: false, error: 'x' })).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(asCommandResult({ ok: true })).toMatchObject({ ok: false, error: { code: 'failed' } });
  });
});
