import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SNOOZE_MINUTES } from '../src-shared/control/commands.js';
import {
  MAX_TOOLTIP_LENGTH,
  TRAY_ICON_STATES,
  clickOpensWindow,
  connectedPeerCount,
  formatLocalTime,
  minutesUntilMorning,
  resolveTrayAction,
  toMenuTemplate,
  trayIconFile,
  trayIconState,
  trayMenu,
  trayModel,
  trayTooltip,
  type TrayAction,
  type TrayMenuItem,
} from './tray-model.js';
import { NODE_A, NODE_B, T0, nodeState, orchestrator, peer } from './testing/node-states.js';

const HOUR = 3_600_000;

function item(menu: readonly TrayMenuItem[], id: string): TrayMenuItem | undefined {
  return menu.find((entry) => entry.kind !== 'separator' && entry.id === id);
}

describe('tray icon state', () => {
  it('follows the contribution status', () => {
    for (const status of ['off', 'connecting', 'contributing', 'snoozed', 'error'] as const) {
      expect(trayIconState(nodeState({ contribution: { status, enabled: status !== 'off' } }), T0)).toBe(status);
    }
    expect(TRAY_ICON_STATES).toEqual(['off', 'connecting', 'contributing', 'paused', 'snoozed', 'disconnected', 'error']);
  });

  it('shows paused while the machine holds work back, and not connected once every orchestrator is lost', () => {
    const battery = nodeState({ contribution: { status: 'contributing', enabled: true, suspendReasons: ['on-battery'] } });
    expect(trayIconState(battery, T0)).toBe('paused');
    const lost = nodeState({ joined: true, contribution: { status: 'connecting', enabled: true, suspendReasons: ['no-orchestrator'] }, orchestrators: [orchestrator('lost')] });
    expect(trayIconState(lost, T0)).toBe('disconnected');
    expect(trayTooltip(lost, T0)).toBe('PNode Desktop: not connected · 0 peers · nothing yet today');
    // First contact is still "connecting".
    const first = nodeState({ joined: true, contribution: { status: 'connecting', enabled: true, suspendReasons: ['no-orchestrator'] }, orchestrators: [orchestrator('connecting')] });
    expect(trayIconState(first, T0)).toBe('connecting');
  });

  it('shows snoozed while a snooze runs even if the status lags', () => {
    const state = nodeState({ contribution: { status: 'contributing', enabled: true, snoozedUntil: T0 + HOUR } });
    expect(trayIconState(state, T0)).toBe('snoozed');
    expect(trayIconState(state, T0 + 2 * HOUR)).toBe('contributing');
  });

  it('shows error when the node could not start, whatever the state says', () => {
    expect(trayIconState(nodeState({ contribution: { status: 'contributing', enabled: true } }), T0, 'keychain locked')).toBe('error');
  });

  it('treats an unknown status from the wire as an error', () => {
    const state = nodeState({ contribution: { status: 'exploded' as never } });
    expect(trayIconState(state, T0)).toBe('error');
  });
});

describe('tray menu', () => {
  it('lists the items in order when contributing', () => {
    const menu = trayMenu(nodeState({ joined: true, contribution: { enabled: true, status: 'contributing' } }), T0);
    expect(menu.map((entry) => (entry.kind === 'separator' ? '—' : entry.label))).toEqual([
      'Contributing',
      'Nothing yet today',
      '—',
      'Contribute',
      '—',
      'Snooze 1 hour',
      'Snooze until tomorrow',
      '—',
      'Open PNode',
      'Peers: 0',
      '—',
      'Quit PNode',
    ]);
  });

  it('binds the Contribute checkbox to contribution.enabled and sends the opposite', () => {
    const on = item(trayMenu(nodeState({ contribution: { enabled: true, status: 'contributing' } }), T0), 'contribute');
    expect(on).toMatchObject({ kind: 'checkbox', checked: true, action: { type: 'command', command: { command: 'set-contribution', enabled: false } } });
    const off = item(trayMenu(nodeState(), T0), 'contribute');
    expect(off).toMatchObject({ kind: 'checkbox', checked: false, action: { type: 'command', command: { command: 'set-contribution', enabled: true } } });
  });

  it('offers snoozing only while contributing is on', () => {
    const off = trayMenu(nodeState(), T0);
    expect(item(off, 'snooze-hour')).toBeUndefined();
    expect(item(off, 'snooze-tomorrow')).toBeUndefined();
    const on = trayMenu(nodeState({ joined: true, contribution: { enabled: true, status: 'connecting' } }), T0);
    expect(item(on, 'snooze-hour')).toMatchObject({ enabled: true, action: { type: 'command', command: { command: 'snooze', minutes: 60 } } });
    expect(item(on, 'snooze-tomorrow')).toMatchObject({ enabled: true, action: { type: 'snooze-until-morning' } });
  });

  it('replaces the snooze items by Resume while snoozed', () => {
    const menu = trayMenu(nodeState({ contribution: { enabled: true, status: 'snoozed', snoozedUntil: T0 + HOUR } }), T0);
    expect(item(menu, 'snooze-hour')).toBeUndefined();
    expect(item(menu, 'resume')).toMatchObject({ kind: 'action', enabled: true, action: { type: 'command', command: { command: 'resume' } } });
  });

  it('counts connected peers only, in a disabled label', () => {
    const state = nodeState({ peers: [peer('connected', NODE_A), peer('connected', NODE_B), peer('dialing', 'node:did:key:zOther')] });
    expect(connectedPeerCount(state)).toBe(2);
    expect(item(trayMenu(state, T0), 'peers')).toEqual({ kind: 'label', id: 'peers', label: 'Peers: 2' });
  });

  it('opens the window and quits', () => {
    const menu = trayMenu(nodeState(), T0);
    expect(item(menu, 'open')).toMatchObject({ action: { type: 'open-window' } });
    expect(item(menu, 'quit')).toMatchObject({ action: { type: 'quit' } });
  });
});

describe('snooze until tomorrow', () => {
  let savedTz: string | undefined;
  beforeEach(() => {
    savedTz = process.env['TZ'];
  });
  afterEach(() => {
    if (savedTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = savedTz;
  });

  it('wakes at 08:00 local on the next day', () => {
    const evening = new Date(2026, 10, 21, 22, 30).getTime();
    expect(minutesUntilMorning(evening)).toBe(9 * 60 + 30);
    const morning = new Date(2026, 10, 21, 9, 0).getTime();
    expect(minutesUntilMorning(morning)).toBe(23 * 60);
  });

  it('after midnight, "tomorrow" is this morning', () => {
    const night = new Date(2026, 10, 22, 1, 15).getTime();
    expect(minutesUntilMorning(night)).toBe(6 * 60 + 45);
  });

  it('rounds up to whole minutes and stays within the snooze bounds', () => {
    const at = new Date(2026, 10, 21, 7, 59, 59, 500).getTime();
    const minutes = minutesUntilMorning(at);
    expect(minutes).toBe(24 * 60 + 1);
    expect(minutes).toBeGreaterThanOrEqual(1);
    expect(minutes).toBeLessThanOrEqual(MAX_SNOOZE_MINUTES);
  });

  it('counts a daylight-saving night correctly (Europe/Berlin, 2026-10-25 has 25 hours)', () => {
    process.env['TZ'] = 'Europe/Berlin';
    const evening = new Date(2026, 9, 24, 22, 0).getTime(); // Sat 22:00 CEST
    expect(minutesUntilMorning(evening)).toBe(11 * 60); // 10 h on the clock, 11 h of real time
  });

  it('is resolved when clicked, not when the menu was built', () => {
    const action: TrayAction = { type: 'snooze-until-morning' };
    const at = new Date(2026, 10, 21, 20, 0).getTime();
    expect(resolveTrayAction(action, at)).toEqual({ type: 'command', command: { command: 'snooze', minutes: 12 * 60 } });
    expect(resolveTrayAction({ type: 'quit' }, at)).toEqual({ type: 'quit' });
  });
});

describe('tooltip', () => {
  it('says what the node is doing in plain words', () => {
    expect(trayTooltip(nodeState(), T0)).toBe('PNode Desktop: not joined to a network');
    expect(trayTooltip(nodeState({ joined: true }), T0)).toBe('PNode Desktop: not contributing · 0 peers · nothing yet today');
    expect(trayTooltip(nodeState({ contribution: { enabled: true, status: 'connecting' } }), T0)).toBe('PNode Desktop: connecting…');
    const contributing = nodeState({ joined: true, contribution: { enabled: true, status: 'contributing' }, peers: [peer('connected')] });
    expect(trayTooltip(contributing, T0)).toBe('PNode Desktop: contributing · 1 peer · nothing yet today');
    const today = { ...contributing, contributionHistory: { ...contributing.contributionHistory, today: { cpuMs: 12 * 60_000, tasksDone: 14, tasksValidated: 0, tasksRejected: 0, credit: 0 } } };
    expect(trayTooltip(today, T0)).toBe('PNode Desktop: contributing · 1 peer · today 12 min, 14 tasks');
    expect(trayMenu(today, T0).slice(0, 2).map((entry) => (entry.kind === 'separator' ? '—' : entry.label))).toEqual(['Contributing', 'Today 12 min, 14 tasks']);
  });

  it('gives the snooze end in local time', () => {
    const until = new Date(2026, 10, 22, 8, 0).getTime();
    const now = new Date(2026, 10, 21, 23, 0).getTime();
    const state = nodeState({ contribution: { enabled: true, status: 'snoozed', snoozedUntil: until } });
    expect(trayTooltip(state, now)).toBe('PNode Desktop: snoozed until Sun 08:00');
    expect(trayTooltip(state, new Date(2026, 10, 22, 1, 0).getTime())).toBe('PNode Desktop: snoozed until 08:00');
  });

  it('says why contributing is paused', () => {
    const state = nodeState({ contribution: { enabled: true, status: 'contributing', suspendReasons: ['on-battery'] } });
    expect(trayTooltip(state, T0)).toBe('PNode Desktop: paused (on battery)');
  });

  it('names the problem on error, and a start failure first', () => {
    const state = nodeState({ contribution: { enabled: true, status: 'error', suspendReasons: ['no-orchestrator'] } });
    expect(trayTooltip(state, T0)).toBe('PNode Desktop: needs attention: no orchestrator reachable');
    expect(trayTooltip(state, T0, 'the keychain is locked')).toBe('PNode Desktop: could not start: the keychain is locked');
  });

  it('fits the Windows tooltip limit', () => {
    const text = trayTooltip(nodeState(), T0, 'x'.repeat(500));
    expect(text.length).toBe(MAX_TOOLTIP_LENGTH);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('formatLocalTime', () => {
  it('omits the day for today and names it otherwise', () => {
    const now = new Date(2026, 10, 21, 10, 0).getTime();
    expect(formatLocalTime(new Date(2026, 10, 21, 9, 5).getTime(), now)).toBe('09:05');
    expect(formatLocalTime(new Date(2026, 10, 24, 18, 30).getTime(), now)).toBe('Tue 18:30');
  });
});

describe('the Electron menu template', () => {
  it('maps each model item and calls back with its action', () => {
    const model = trayModel(nodeState({ joined: true, contribution: { enabled: true, status: 'contributing' } }), T0);
    const clicked: TrayAction[] = [];
    const template = toMenuTemplate(model.menu, (action) => clicked.push(action));
    expect(template).toHaveLength(model.menu.length);
    expect(template[0]).toEqual({ id: 'status', label: 'Contributing', enabled: false });
    expect(template[3]).toMatchObject({ id: 'contribute', type: 'checkbox', checked: true, enabled: true });
    expect(template[2]).toEqual({ type: 'separator' });
    expect(template.find((entry) => entry.id === 'peers')).toEqual({ id: 'peers', label: 'Peers: 0', enabled: false });
    for (const entry of template) entry.click?.(undefined as never, undefined, undefined as never);
    expect(clicked.map((action) => action.type)).toEqual(['command', 'command', 'snooze-until-morning', 'open-window', 'quit']);
  });
});

describe('tray icon files', () => {
  it('uses template images on macOS, DPI sets on Windows and 32 px on Linux', () => {
    expect(trayIconFile('contributing', 'darwin')).toBe('tray-contributingTemplate.png');
    expect(trayIconFile('error', 'win32')).toBe('tray-error.png');
    expect(trayIconFile('snoozed', 'linux')).toBe('tray-snoozed-32.png');
  });

  it('opens the window on a click only where that is the custom', () => {
    expect(clickOpensWindow('win32')).toBe(true);
    expect(clickOpensWindow('darwin')).toBe(false);
    expect(clickOpensWindow('linux')).toBe(false);
  });
});
