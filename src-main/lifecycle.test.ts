import { describe, expect, it } from 'vitest';
import {
  HIDDEN_FLAG,
  SHUTDOWN_TIMEOUT_MS,
  createQuitCoordinator,
  desktopEntry,
  desktopExecArgument,
  linuxAutostartPath,
  loginItemPlan,
  loginItemProbe,
  showWindowAtStart,
  type LoginEnvironment,
} from './lifecycle.js';

describe('window at start', () => {
  it('shows on a normal launch and stays in the tray when started at login', () => {
    expect(showWindowAtStart(['/opt/PNode Desktop/pnode-desktop'], false)).toBe(true);
    expect(showWindowAtStart(['/opt/PNode Desktop/pnode-desktop', HIDDEN_FLAG], false)).toBe(false);
    expect(showWindowAtStart(['/Applications/PNode Desktop.app/Contents/MacOS/PNode Desktop'], true)).toBe(false);
  });
});

function timers() {
  const pending: { callback: () => void; ms: number }[] = [];
  return {
    pending,
    setTimer: (callback: () => void, ms: number) => {
      const timer = { callback, ms };
      pending.push(timer);
      return timer;
    },
    clearTimer: (timer: unknown) => {
      const at = pending.indexOf(timer as (typeof pending)[number]);
      if (at >= 0) pending.splice(at, 1);
    },
    fire: () => pending.splice(0).forEach((timer) => timer.callback()),
  };
}

describe('quitting', () => {
  it('holds the first quit, stops the node, then quits for real', async () => {
    let stopped = 0;
    let quits = 0;
    let release!: () => void;
    const clock = timers();
    const coordinator = createQuitCoordinator({
      stop: () => {
        stopped++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      quit: () => quits++,
      setTimer: clock.setTimer,
    });
    expect(coordinator.quitting).toBe(false);
    expect(coordinator.onBeforeQuit()).toBe(false);
    expect(coordinator.quitting).toBe(true);
    expect(stopped).toBe(1);
    expect(clock.pending.map((timer) => timer.ms)).toEqual([SHUTDOWN_TIMEOUT_MS]);
    // Quit asked again while stopping (a second tray click): still held, no second stop.
    expect(coordinator.onBeforeQuit()).toBe(false);
    expect(stopped).toBe(1);
    expect(quits).toBe(0);
    release();
    await Promise.resolve();
    await Promise.resolve();
    expect(quits).toBe(1);
    // Electron's second before-quit: let it through.
    expect(coordinator.onBeforeQuit()).toBe(true);
    // A timeout firing after all that (here, one this clock cannot cancel) quits nothing again.
    clock.fire();
    expect(quits).toBe(1);
  });

  it('clears its shutdown timer once the node has stopped (nothing is left running after the quit)', async () => {
    const clock = timers();
    const coordinator = createQuitCoordinator({ stop: async () => undefined, quit: () => undefined, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
    expect(coordinator.onBeforeQuit()).toBe(false);
    expect(clock.pending).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.pending).toEqual([]);
  });

  it('quits anyway when stopping hangs past the timeout', () => {
    const problems: string[] = [];
    let quits = 0;
    const clock = timers();
    const coordinator = createQuitCoordinator({
      stop: () => new Promise<void>(() => undefined),
      quit: () => quits++,
      timeoutMs: 5_000,
      setTimer: clock.setTimer,
      onStopProblem: (problem) => problems.push(problem),
    });
    expect(coordinator.onBeforeQuit()).toBe(false);
    clock.fire();
    expect(quits).toBe(1);
    expect(problems).toEqual(['the node did not stop within 5000 ms']);
    expect(coordinator.onBeforeQuit()).toBe(true);
  });

  it('quits anyway when stopping fails, and says why', async () => {
    const problems: string[] = [];
    let quits = 0;
    const coordinator = createQuitCoordinator({
      stop: () => Promise.reject(new Error('trace log is read-only')),
      quit: () => quits++,
      setTimer: timers().setTimer,
      onStopProblem: (problem) => problems.push(problem),
    });
    coordinator.onBeforeQuit();
    await new Promise((resolve) => setImmediate(resolve));
    expect(quits).toBe(1);
    expect(problems).toEqual(['stopping the node failed: trace log is read-only']);
  });

  it('survives a stop that throws synchronously', async () => {
    let quits = 0;
    const coordinator = createQuitCoordinator({
      stop: () => {
        throw new Error('sync');
      },
      quit: () => quits++,
      setTimer: timers().setTimer,
    });
    expect(coordinator.onBeforeQuit()).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(quits).toBe(1);
  });
});

const LINUX: LoginEnvironment = { platform: 'linux', packaged: true, execPath: '/opt/PNode Desktop/pnode-desktop', home: '/home/ada' };

describe('launch at login', () => {
  it('uses login items on macOS and a hidden Run entry on Windows', () => {
    expect(loginItemPlan(true, { ...LINUX, platform: 'darwin' })).toEqual({ kind: 'electron', settings: { openAtLogin: true, args: [] }, readBack: { args: [] } });
    expect(loginItemPlan(false, { ...LINUX, platform: 'win32' })).toEqual({
      kind: 'electron',
      settings: { openAtLogin: false, args: [HIDDEN_FLAG] },
      readBack: { args: [HIDDEN_FLAG] },
    });
    expect(loginItemProbe({ ...LINUX, platform: 'win32' })).toEqual({ kind: 'electron', options: { args: [HIDDEN_FLAG] } });
  });

  it('writes and removes an XDG autostart entry on Linux', () => {
    const on = loginItemPlan(true, LINUX);
    expect(on).toMatchObject({ kind: 'autostart-file', path: '/home/ada/.config/autostart/pnode-desktop.desktop' });
    expect(on.kind === 'autostart-file' ? on.contents : null).toContain('Exec="/opt/PNode Desktop/pnode-desktop" --hidden\n');
    expect(loginItemPlan(false, LINUX)).toEqual({ kind: 'autostart-file', path: '/home/ada/.config/autostart/pnode-desktop.desktop', contents: null });
  });

  it('starts the AppImage file, not its temporary mount', () => {
    const plan = loginItemPlan(true, { ...LINUX, execPath: '/tmp/.mount_PNodeXy/pnode-desktop', appImagePath: '/home/ada/Apps/PNode-Desktop.AppImage' });
    expect(plan.kind === 'autostart-file' ? plan.contents : '').toContain('Exec="/home/ada/Apps/PNode-Desktop.AppImage" --hidden');
  });

  it('honours XDG_CONFIG_HOME when it is absolute', () => {
    expect(linuxAutostartPath({ home: '/home/ada', xdgConfigHome: '/home/ada/.cfg' })).toBe('/home/ada/.cfg/autostart/pnode-desktop.desktop');
    expect(linuxAutostartPath({ home: '/home/ada', xdgConfigHome: 'relative' })).toBe('/home/ada/.config/autostart/pnode-desktop.desktop');
  });

  it('is unavailable in development runs and on other systems', () => {
    expect(loginItemPlan(true, { ...LINUX, packaged: false })).toMatchObject({ kind: 'unsupported' });
    expect(loginItemProbe({ ...LINUX, platform: 'freebsd' })).toMatchObject({ kind: 'unsupported' });
  });

  it('refuses a path that cannot be written into an Exec line', () => {
    expect(loginItemPlan(true, { ...LINUX, execPath: '/opt/evil\n[Desktop Entry]' })).toMatchObject({ kind: 'unsupported' });
  });
});

describe('desktop entry Exec quoting', () => {
  it('quotes, escapes the reserved characters, then escapes backslashes and percent signs again', () => {
    expect(desktopExecArgument('/opt/a b/app')).toBe('"/opt/a b/app"');
    expect(desktopExecArgument('/opt/$HOME/`x`/"q"')).toBe('"/opt/\\\\$HOME/\\\\`x\\\\`/\\\\"q\\\\""');
    expect(desktopExecArgument('/opt/back\\slash')).toBe('"/opt/back\\\\\\\\slash"');
    expect(desktopExecArgument('/opt/100%/app')).toBe('"/opt/100%%/app"');
    expect(desktopExecArgument('')).toBeNull();
  });

  it('makes a complete entry', () => {
    expect(desktopEntry('/usr/bin/pnode-desktop')).toBe(
      ['[Desktop Entry]', 'Type=Application', 'Name=PNode Desktop', 'Comment=Share spare compute with the PNode network', 'Exec="/usr/bin/pnode-desktop" --hidden', 'Terminal=false', 'X-GNOME-Autostart-enabled=true', ''].join('\n'),
    );
  });
});
