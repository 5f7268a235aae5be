import { describe, expect, it } from 'vitest';
import type { CommandResult, ControlCommand } from '../src-shared/control/commands.js';
import type { ControlHandler } from '../src-node/control/control-handler.js';
import { createCommandDispatcher, type DispatchDeps } from './command-dispatch.js';
import { nodeState } from './testing/node-states.js';

function fakeHandler(execute: (command: ControlCommand) => Promise<CommandResult>): ControlHandler & { seen: ControlCommand[] } {
  const seen: ControlCommand[] = [];
  return {
    seen,
    snapshot: () => nodeState({ joined: true }),
    subscribe: () => () => undefined,
    execute: (command) => {
      seen.push(command);
      return execute(command);
    },
  };
}

function deps(overrides: Partial<DispatchDeps> = {}): DispatchDeps {
  return {
    handler: () => null,
    fallbackState: () => nodeState(),
    unavailableReason: () => 'the node is still starting',
    setLaunchAtLogin: async (enabled) => ({ ok: true, value: { launchAtLogin: enabled } }),
    ...overrides,
  };
}

describe('command dispatch', () => {
  it('sends node commands to the node and returns its answer', async () => {
    const handler = fakeHandler(async () => ({ ok: true, value: 'joined' }));
    const dispatch = createCommandDispatcher(deps({ handler: () => handler }));
    expect(await dispatch({ command: 'join' })).toEqual({ ok: true, value: 'joined' });
    expect(handler.seen).toEqual([{ command: 'join' }]);
  });

  it('answers get-state from the snapshot, or from the shell while the node starts', async () => {
    const handler = fakeHandler(async () => ({ ok: true, value: null }));
    expect(await createCommandDispatcher(deps({ handler: () => handler }))({ command: 'get-state' })).toEqual({ ok: true, value: nodeState({ joined: true }) });
    expect(handler.seen).toEqual([]);
    expect(await createCommandDispatcher(deps())({ command: 'get-state' })).toEqual({ ok: true, value: nodeState() });
  });

  it('keeps set-launch-at-login in the shell', async () => {
    const handler = fakeHandler(async () => ({ ok: true, value: null }));
    const asked: boolean[] = [];
    const dispatch = createCommandDispatcher(
      deps({
        handler: () => handler,
        setLaunchAtLogin: async (enabled) => {
          asked.push(enabled);
          return { ok: true, value: { launchAtLogin: enabled } };
        },
      }),
    );
    expect(await dispatch({ command: 'set-launch-at-login', enabled: true })).toEqual({ ok: true, value: { launchAtLogin: true } });
    expect(asked).toEqual([true]);
    expect(handler.seen).toEqual([]);
  });

  it('says not-available, with the reason, while there is no node', async () => {
    const dispatch = createCommandDispatcher(deps({ unavailableReason: () => 'the keychain is locked' }));
    expect(await dispatch({ command: 'join' })).toEqual({ ok: false, error: { code: 'not-available', message: 'the keychain is locked' } });
  });

  it('turns a throw or a rejection into a failed result', async () => {
    const rejecting = createCommandDispatcher(deps({ handler: () => fakeHandler(async () => Promise.reject(new Error('disk full'))) }));
    expect(await rejecting({ command: 'leave' })).toEqual({ ok: false, error: { code: 'failed', message: 'disk full' } });
    const throwing = createCommandDispatcher(
      deps({
        handler: () => {
          throw new Error('boom');
        },
      }),
    );
    expect(await throwing({ command: 'leave' })).toEqual({ ok: false, error: { code: 'failed', message: 'boom' } });
    const loginFails = createCommandDispatcher(deps({ setLaunchAtLogin: () => Promise.reject(new Error('EACCES')) }));
    expect(await loginFails({ command: 'set-launch-at-login', enabled: false })).toEqual({ ok: false, error: { code: 'failed', message: 'EACCES' } });
  });
});
