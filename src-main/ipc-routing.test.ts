import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '../src-shared/control/bridge.js';
import type { CommandResult, ControlCommand } from '../src-shared/control/commands.js';
import { IPC_COMMAND_BURST, IPC_COMMANDS_PER_SECOND, checkSender, createIpcRouter, type IpcSender } from './ipc-routing.js';
import { NODE_A, T0, nodeState } from './testing/node-states.js';

const WINDOW_ID = 7;
const OURS: IpcSender = { webContentsId: WINDOW_ID, frame: { url: 'app://pnode/index.html', isMainFrame: true } };

function setup(options: { windowId?: number | null } = {}) {
  const dispatched: ControlCommand[] = [];
  const refused: string[] = [];
  let now = T0;
  const router = createIpcRouter({
    expectedWebContentsId: () => (options.windowId === undefined ? WINDOW_ID : options.windowId),
    dispatch: async (command): Promise<CommandResult> => {
      dispatched.push(command);
      return command.command === 'get-state' ? { ok: true, value: nodeState() } : { ok: true, value: 'done' };
    },
    now: () => now,
    onRefused: (channel, reason) => refused.push(`${channel}: ${reason}`),
  });
  return { router, dispatched, refused, advance: (ms: number) => (now += ms) };
}

describe('checkSender', () => {
  it('accepts our window main frame showing our app', () => {
    expect(checkSender(OURS, WINDOW_ID)).toEqual({ ok: true });
  });

  it('refuses other windows, subframes, gone frames and foreign pages', () => {
    expect(checkSender({ ...OURS, webContentsId: 8 }, WINDOW_ID)).toEqual({ ok: false, reason: 'not our window' });
    expect(checkSender(OURS, null)).toEqual({ ok: false, reason: 'not our window' });
    expect(checkSender({ ...OURS, frame: null }, WINDOW_ID)).toEqual({ ok: false, reason: 'the sending frame is gone' });
    expect(checkSender({ ...OURS, frame: { url: 'app://pnode/index.html', isMainFrame: false } }, WINDOW_ID)).toEqual({ ok: false, reason: 'not the main frame' });
    expect(checkSender({ ...OURS, frame: { url: 'https://evil.example/', isMainFrame: true } }, WINDOW_ID)).toEqual({ ok: false, reason: 'not our app' });
    expect(checkSender({ ...OURS, frame: { url: 'file:///tmp/x.html', isMainFrame: true } }, WINDOW_ID)).toEqual({ ok: false, reason: 'not our app' });
  });
});

describe('IPC router', () => {
  it('answers get-state with the snapshot', async () => {
    const { router, dispatched } = setup();
    expect(await router.handle(IPC_CHANNELS.getState, OURS, [])).toEqual({ ok: true, value: nodeState() });
    expect(dispatched).toEqual([{ command: 'get-state' }]);
  });

  it('validates commands with parseCommand and routes the parsed one', async () => {
    const { router, dispatched } = setup();
    expect(await router.handle(IPC_CHANNELS.command, OURS, [{ command: 'snooze', minutes: 60 }])).toEqual({ ok: true, value: 'done' });
    expect(dispatched).toEqual([{ command: 'snooze', minutes: 60 }]);
  });

  it('answers a malformed command with invalid-command, never a throw', async () => {
    const { router, dispatched } = setup();
    const bad: unknown[] = [
      null,
      'join',
      [],
      { command: 'format-disk' },
      { command: 'snooze', minutes: 0 },
      { command: 'snooze', minutes: 60, extra: true },
      { command: 'block-peer', nodeId: 'not-an-id' },
      { command: 'add-directory', url: 'javascript:alert(1)' },
      { command: 'set-limits', limits: { cpuPercent: 101 } },
      { command: 'enroll', token: 'x'.repeat(100_000) },
    ];
    for (const payload of bad) {
      const result = await router.handle(IPC_CHANNELS.command, OURS, [payload]);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('invalid-command');
    }
    expect(dispatched).toEqual([]);
  });

  it('wants exactly one command, and no arguments for get-state', async () => {
    const { router } = setup();
    expect(await router.handle(IPC_CHANNELS.command, OURS, [])).toMatchObject({ ok: false, error: { code: 'invalid-command' } });
    expect(await router.handle(IPC_CHANNELS.command, OURS, [{ command: 'join' }, { command: 'leave' }])).toMatchObject({ ok: false, error: { code: 'invalid-command' } });
    expect(await router.handle(IPC_CHANNELS.getState, OURS, ['extra'])).toMatchObject({ ok: false, error: { code: 'invalid-command' } });
  });

  it('refuses channels outside IPC_CHANNELS, and the event channel (main → page only)', async () => {
    const { router } = setup();
    expect(await router.handle('pnode:eval', OURS, [])).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await router.handle(IPC_CHANNELS.event, OURS, [])).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
  });

  it('refuses senders that are not our app, and says so in the log', async () => {
    const { router, dispatched, refused } = setup();
    const foreign: IpcSender = { webContentsId: WINDOW_ID, frame: { url: 'https://evil.example/', isMainFrame: true } };
    expect(await router.handle(IPC_CHANNELS.command, foreign, [{ command: 'leave' }])).toEqual({ ok: false, error: { code: 'unauthorized', message: 'not our app' } });
    expect(await router.handle(IPC_CHANNELS.getState, foreign, [])).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(dispatched).toEqual([]);
    expect(refused).toEqual(['pnode:command: not our app', 'pnode:get-state: not our app']);
  });

  it('refuses everything while there is no window', async () => {
    const { router } = setup({ windowId: null });
    expect(await router.handle(IPC_CHANNELS.getState, OURS, [])).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('limits the rate, then lets commands through again as time passes', async () => {
    const { router, advance } = setup();
    const send = () => router.handle(IPC_CHANNELS.command, OURS, [{ command: 'allowlist-add', nodeId: NODE_A }]);
    for (let i = 0; i < IPC_COMMAND_BURST; i++) expect((await send()).ok).toBe(true);
    expect(await send()).toMatchObject({ ok: false, error: { code: 'busy' } });
    advance(1000 / IPC_COMMANDS_PER_SECOND);
    expect((await send()).ok).toBe(true);
    expect(await send()).toMatchObject({ ok: false, error: { code: 'busy' } });
  });

  it('turns a dispatcher that throws into a failed result', async () => {
    const router = createIpcRouter({
      expectedWebContentsId: () => WINDOW_ID,
      dispatch: () => {
        throw new Error('kaput');
      },
      now: () => T0,
    });
    expect(await router.handle(IPC_CHANNELS.command, OURS, [{ command: 'join' }])).toEqual({ ok: false, error: { code: 'failed', message: 'kaput' } });
  });
});
