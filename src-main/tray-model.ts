// The tray, as data: which icon, which tooltip, which menu items and what each one does, all from
// the node's state. main.ts turns the model into an Electron menu (toMenuTemplate) and never
// decides anything itself.
import type { MenuItemConstructorOptions } from 'electron';
import { MAX_SNOOZE_MINUTES, type ControlCommand } from '../src-shared/control/commands.js';
import type { ContributionStatus, NodeState, SuspendReason } from '../src-shared/control/state.js';
import { formatDurationShort } from './tray-format.js';

/**
 * off: switched off or not joined; connecting: reaching an orchestrator for the first time;
 * contributing; paused: on, but held back by the machine (battery, in use, limits); snoozed;
 * disconnected: on, but every orchestrator it had is out of reach; error: the shell could not start.
 */
export type TrayIconState = 'off' | 'connecting' | 'contributing' | 'paused' | 'snoozed' | 'disconnected' | 'error';
export const TRAY_ICON_STATES: readonly TrayIconState[] = ['off', 'connecting', 'contributing', 'paused', 'snoozed', 'disconnected', 'error'];

export const SNOOZE_HOUR_MINUTES = 60;
/** "Snooze until tomorrow" wakes at this local hour. */
export const MORNING_HOUR = 8;
/** Before this local hour it is still "tonight": "until tomorrow" means this morning. */
export const NIGHT_ENDS_HOUR = 4;
/** Windows cuts tray tooltips at 127 characters. */
export const MAX_TOOLTIP_LENGTH = 127;
export const APP_NAME = 'PNode Desktop';

/** What a tray item does when clicked. `snooze-until-morning` is timed at click, not at build. */
export type TrayAction =
  | { readonly type: 'command'; readonly command: ControlCommand }
  | { readonly type: 'snooze-until-morning' }
  | { readonly type: 'open-window' }
  | { readonly type: 'quit' };

/** A click, resolved against the clock. */
export type ResolvedTrayAction = { readonly type: 'command'; readonly command: ControlCommand } | { readonly type: 'open-window' } | { readonly type: 'quit' };

export type TrayItemId = 'status' | 'today' | 'contribute' | 'snooze-hour' | 'snooze-tomorrow' | 'resume' | 'open' | 'peers' | 'quit';

export type TrayMenuItem =
  | { readonly kind: 'checkbox'; readonly id: TrayItemId; readonly label: string; readonly checked: boolean; readonly enabled: boolean; readonly action: TrayAction }
  | { readonly kind: 'action'; readonly id: TrayItemId; readonly label: string; readonly enabled: boolean; readonly action: TrayAction }
  | { readonly kind: 'label'; readonly id: TrayItemId; readonly label: string }
  | { readonly kind: 'separator' };

export interface TrayModel {
  readonly icon: TrayIconState;
  readonly tooltip: string;
  readonly menu: readonly TrayMenuItem[];
}

const STATUSES: readonly ContributionStatus[] = ['off', 'connecting', 'contributing', 'snoozed', 'error'];
/** Reasons the machine gives for holding work back while contribution is on. */
const MACHINE_PAUSES: readonly SuspendReason[] = ['on-battery', 'user-active', 'limits'];

export function isSnoozed(state: NodeState, now: number): boolean {
  const until = state.contribution.snoozedUntil;
  return state.contribution.status === 'snoozed' || (state.contribution.enabled && until !== null && until > now);
}

/** The tray icon: the node's own contribution status; the shell's start failure wins. */
export function trayIconState(state: NodeState, now: number, shellError: string | null = null): TrayIconState {
  if (shellError !== null) return 'error';
  const status = state.contribution.status;
  if (!STATUSES.includes(status)) return 'error';
  if (status !== 'error' && isSnoozed(state, now)) return 'snoozed';
  if (status === 'connecting') {
    // Had orchestrators and lost them all: not connected (first contact is still "connecting").
    if (state.orchestrators.length > 0 && state.orchestrators.every((o) => o.status === 'lost')) return 'disconnected';
    if (state.contribution.suspendReasons.some((reason) => MACHINE_PAUSES.includes(reason)) && state.orchestrators.some((o) => o.status === 'registered')) return 'paused';
  }
  if (status === 'contributing' && state.contribution.suspendReasons.some((reason) => MACHINE_PAUSES.includes(reason))) return 'paused';
  return status;
}

/** Today's contribution in a few words: "today 12 min, 14 tasks" (from the node's history). */
export function todayText(state: NodeState): string {
  const today = state.contributionHistory.today;
  if (today.cpuMs === 0 && today.tasksDone === 0) return 'nothing yet today';
  return `today ${formatDurationShort(today.cpuMs)}, ${today.tasksDone} ${today.tasksDone === 1 ? 'task' : 'tasks'}`;
}

export function connectedPeerCount(state: NodeState): number {
  return state.peers.filter((peer) => peer.lifecycle === 'connected').length;
}

/** Minutes from `now` to the coming local 08:00 ("tomorrow morning"), within the snooze bounds. */
export function minutesUntilMorning(now: number): number {
  const wake = new Date(now);
  if (wake.getHours() >= NIGHT_ENDS_HOUR) wake.setDate(wake.getDate() + 1);
  wake.setHours(MORNING_HOUR, 0, 0, 0);
  const minutes = Math.ceil((wake.getTime() - now) / 60_000);
  return Math.min(MAX_SNOOZE_MINUTES, Math.max(1, minutes));
}

export function resolveTrayAction(action: TrayAction, now: number): ResolvedTrayAction {
  if (action.type === 'snooze-until-morning') return { type: 'command', command: { command: 'snooze', minutes: minutesUntilMorning(now) } };
  return action;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** "08:00" today, "Tue 08:00" on another day; local time. */
export function formatLocalTime(at: number, now: number): string {
  const date = new Date(at);
  const clock = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  return date.toDateString() === new Date(now).toDateString() ? clock : `${WEEKDAYS[date.getDay()]} ${clock}`;
}

const SUSPEND_WORDS: Readonly<Record<SuspendReason, string>> = {
  'contribution-off': 'contribution is off',
  'not-joined': 'not joined to a network',
  snoozed: 'snoozed',
  'on-battery': 'on battery',
  'user-active': 'you are using the computer',
  'no-orchestrator': 'no orchestrator reachable',
  limits: 'limits reached',
};

function plural(count: number, one: string): string {
  return `${count} ${one}${count === 1 ? '' : 's'}`;
}

/** The state in a word or three, as the tooltip and the menu's first line say it. */
export function trayStatusText(state: NodeState, now: number, shellError: string | null = null): string {
  const icon = trayIconState(state, now, shellError);
  switch (icon) {
    case 'error':
      if (shellError !== null) return `could not start: ${shellError}`;
      {
        const reasons = state.contribution.suspendReasons.filter((reason) => reason !== 'contribution-off');
        return reasons.length > 0 ? `needs attention: ${reasons.map((reason) => SUSPEND_WORDS[reason] ?? reason).join(', ')}` : 'needs attention';
      }
    case 'snoozed': {
      const until = state.contribution.snoozedUntil;
      return until !== null ? `snoozed until ${formatLocalTime(until, now)}` : 'snoozed';
    }
    case 'contributing':
      return 'contributing';
    case 'paused': {
      const paused = state.contribution.suspendReasons.filter((reason) => MACHINE_PAUSES.includes(reason));
      return `paused (${paused.map((reason) => SUSPEND_WORDS[reason]).join(', ')})`;
    }
    case 'disconnected':
      return 'not connected';
    case 'connecting':
      return 'connecting…';
    case 'off':
      return state.network.joined ? 'not contributing' : 'not joined to a network';
  }
}

export function trayTooltip(state: NodeState, now: number, shellError: string | null = null): string {
  const icon = trayIconState(state, now, shellError);
  const parts = [trayStatusText(state, now, shellError)];
  if (icon !== 'error' && state.network.joined) parts.push(plural(connectedPeerCount(state), 'peer'), todayText(state));
  const full = `${APP_NAME}: ${parts.join(' · ')}`;
  return full.length <= MAX_TOOLTIP_LENGTH ? full : `${full.slice(0, MAX_TOOLTIP_LENGTH - 1)}…`;
}

export function trayMenu(state: NodeState, now: number, shellError: string | null = null): TrayMenuItem[] {
  const enabled = state.contribution.enabled;
  const snoozed = isSnoozed(state, now);
  const status = trayStatusText(state, now, shellError);
  const items: TrayMenuItem[] = [
    { kind: 'label', id: 'status', label: `${status.charAt(0).toUpperCase()}${status.slice(1)}` },
    { kind: 'label', id: 'today', label: todayText(state).replace(/^./, (c) => c.toUpperCase()) },
    { kind: 'separator' },
    {
      kind: 'checkbox',
      id: 'contribute',
      label: 'Contribute',
      checked: enabled,
      enabled: true,
      action: { type: 'command', command: { command: 'set-contribution', enabled: !enabled } },
    },
  ];
  // Snoozing is offered only while contribution is on (joined and switched on): snoozing what is off means nothing.
  const on = enabled && state.network.joined;
  if (snoozed || on) items.push({ kind: 'separator' });
  if (snoozed) {
    items.push({ kind: 'action', id: 'resume', label: 'Resume', enabled: true, action: { type: 'command', command: { command: 'resume' } } });
  } else if (on) {
    items.push(
      { kind: 'action', id: 'snooze-hour', label: 'Snooze 1 hour', enabled, action: { type: 'command', command: { command: 'snooze', minutes: SNOOZE_HOUR_MINUTES } } },
      { kind: 'action', id: 'snooze-tomorrow', label: 'Snooze until tomorrow', enabled, action: { type: 'snooze-until-morning' } },
    );
  }
  items.push(
    { kind: 'separator' },
    { kind: 'action', id: 'open', label: 'Open PNode', enabled: true, action: { type: 'open-window' } },
    { kind: 'label', id: 'peers', label: `Peers: ${connectedPeerCount(state)}` },
    { kind: 'separator' },
    { kind: 'action', id: 'quit', label: 'Quit PNode', enabled: true, action: { type: 'quit' } },
  );
  return items;
}

export function trayModel(state: NodeState, now: number, shellError: string | null = null): TrayModel {
  return { icon: trayIconState(state, now, shellError), tooltip: trayTooltip(state, now, shellError), menu: trayMenu(state, now, shellError) };
}

/** The Electron menu template for a model; `onAction` gets the clicked item's action. */
export function toMenuTemplate(menu: readonly TrayMenuItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return menu.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'label':
        return { id: item.id, label: item.label, enabled: false };
      case 'checkbox':
        return { id: item.id, type: 'checkbox', label: item.label, checked: item.checked, enabled: item.enabled, click: () => onAction(item.action) };
      case 'action':
        return { id: item.id, label: item.label, enabled: item.enabled, click: () => onAction(item.action) };
    }
  });
}

/**
 * The icon file for a state, in dist/main/icons. macOS: a monochrome template image (the menu bar
 * tints it; the suffix tells Electron). Windows: 16 px with @1.5x and @2x beside it (Electron picks
 * by DPI). Linux: 32 px, which the panel scales down to its own size.
 */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `tray-${state}Template.png`;
  if (platform === 'win32') return `tray-${state}.png`;
  return `tray-${state}-32.png`;
}

/** Windows opens the window on a left click; elsewhere a click shows the menu. */
export function clickOpensWindow(platform: NodeJS.Platform): boolean {
  return platform === 'win32';
}
