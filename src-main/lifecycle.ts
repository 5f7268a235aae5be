// Start and stop: whether to show the window at launch, how quitting stops the node and flushes
// before the process exits, and how "launch at login" maps onto each OS.
import { posix } from 'node:path';

/** Passed by the login item: start in the tray, without the window. */
export const HIDDEN_FLAG = '--hidden';
/** How long quitting waits for the node to stop and flush before exiting anyway. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
export const AUTOSTART_FILE_NAME = 'pnode-desktop.desktop';

/** Show the window at start, unless the OS started us at login (or `--hidden`). */
export function showWindowAtStart(argv: readonly string[], openedAtLogin: boolean): boolean {
  return !openedAtLogin && !argv.includes(HIDDEN_FLAG);
}

// ---------------------------------------------------------------------------------------------
// Quitting

export interface QuitDeps {
  /** Stops the node runtime and flushes its files (NodeHost.stop). */
  readonly stop: () => Promise<void>;
  /** Asks Electron to quit again (app.quit), once the node is stopped. */
  readonly quit: () => void;
  readonly timeoutMs?: number;
  readonly setTimer?: (callback: () => void, ms: number) => unknown;
  /** Cancels a timer `setTimer` made (once the node has stopped, the timeout has nothing left to do). */
  readonly clearTimer?: (timer: unknown) => void;
  /** Told when stopping failed or timed out; quitting goes on regardless. */
  readonly onStopProblem?: (problem: string) => void;
}

export interface QuitCoordinator {
  /** True from the first quit request on: closing the window then really closes it. */
  readonly quitting: boolean;
  /**
   * From `before-quit`. Returns true when Electron may quit now; false means "call
   * event.preventDefault()": the node is being stopped and `quit` will be called when it is.
   */
  onBeforeQuit(): boolean;
}

export function createQuitCoordinator(deps: QuitDeps): QuitCoordinator {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  const timeoutMs = deps.timeoutMs ?? SHUTDOWN_TIMEOUT_MS;
  const setTimer = deps.setTimer ?? ((callback: () => void, ms: number) => setTimeout(callback, ms));
  const clearTimer = deps.clearTimer ?? ((timer: unknown) => clearTimeout(timer as NodeJS.Timeout));
  let timeout: unknown;

  function finish(): void {
    if (phase === 'stopped') return;
    phase = 'stopped';
    clearTimer(timeout);
    deps.quit();
  }

  return {
    get quitting() {
      return phase !== 'running';
    },
    onBeforeQuit() {
      if (phase === 'stopped') return true;
      if (phase === 'stopping') return false;
      phase = 'stopping';
      timeout = setTimer(() => {
        if (phase !== 'stopping') return;
        deps.onStopProblem?.(`the node did not stop within ${timeoutMs} ms`);
        finish();
      }, timeoutMs);
      let stopping: Promise<void>;
      try {
        stopping = Promise.resolve(deps.stop());
      } catch (error) {
        stopping = Promise.reject(error);
      }
      stopping.then(finish, (error: unknown) => {
        deps.onStopProblem?.(`stopping the node failed: ${error instanceof Error ? error.message : String(error)}`);
        finish();
      });
      return false;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Launch at login

export interface LoginEnvironment {
  readonly platform: NodeJS.Platform;
  /** app.isPackaged: a development run must not register the bare Electron binary. */
  readonly packaged: boolean;
  /** process.execPath: the installed app's executable. */
  readonly execPath: string;
  /** process.env.APPIMAGE: the AppImage file, whose mount point changes every run. */
  readonly appImagePath?: string | undefined;
  /** process.env.XDG_CONFIG_HOME. */
  readonly xdgConfigHome?: string | undefined;
  /** The home directory. */
  readonly home: string;
}

/** What to read to learn whether launch at login is on. */
export type LoginItemProbe =
  | { readonly kind: 'electron'; readonly options: { readonly args: string[] } }
  | { readonly kind: 'autostart-file'; readonly path: string }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** What to do to turn launch at login on or off. */
export type LoginItemPlan =
  | { readonly kind: 'electron'; readonly settings: { readonly openAtLogin: boolean; readonly args: string[] }; readonly readBack: { readonly args: string[] } }
  | { readonly kind: 'autostart-file'; readonly path: string; readonly contents: string | null }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** ~/.config/autostart/pnode-desktop.desktop (XDG Autostart). */
export function linuxAutostartPath(env: Pick<LoginEnvironment, 'xdgConfigHome' | 'home'>): string {
  const configHome = env.xdgConfigHome && env.xdgConfigHome.startsWith('/') ? env.xdgConfigHome : posix.join(env.home, '.config');
  return posix.join(configHome, 'autostart', AUTOSTART_FILE_NAME);
}

/**
 * One argument of a desktop entry's Exec key: quoted, with `"`, `` ` ``, `$` and `\` escaped,
 * then the whole string escaped again as a desktop-entry string (`\` doubled), and `%` doubled
 * (field codes). Null for a path that cannot be written on one line.
 */
export function desktopExecArgument(path: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (path === '' || /[\u0000-\u001f\u007f]/.test(path)) return null;
  const quoted = `"${path.replace(/(["`$\\])/g, '\\$1')}"`;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** The XDG autostart entry that starts the app in the tray. */
export function desktopEntry(executable: string): string | null {
  const exec = desktopExecArgument(executable);
  if (exec === null) return null;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=PNode Desktop',
    'Comment=Share spare compute with the PNode network',
    `Exec=${exec} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

function linuxExecutable(env: LoginEnvironment): string {
  return env.appImagePath !== undefined && env.appImagePath !== '' ? env.appImagePath : env.execPath;
}

export function loginItemProbe(env: LoginEnvironment): LoginItemProbe {
  if (!env.packaged) return { kind: 'unsupported', reason: 'launch at login is only available in the installed app' };
  if (env.platform === 'darwin') return { kind: 'electron', options: { args: [] } };
  if (env.platform === 'win32') return { kind: 'electron', options: { args: [HIDDEN_FLAG] } };
  if (env.platform === 'linux') return { kind: 'autostart-file', path: linuxAutostartPath(env) };
  return { kind: 'unsupported', reason: `launch at login is not supported on ${env.platform}` };
}

/**
 * macOS: a login item (we learn it started us from `wasOpenedAtLogin`). Windows: a Run key with
 * `--hidden` (read back with the same args). Linux: an XDG autostart file.
 */
export function loginItemPlan(enabled: boolean, env: LoginEnvironment): LoginItemPlan {
  const probe = loginItemProbe(env);
  switch (probe.kind) {
    case 'unsupported':
      return probe;
    case 'electron':
      return { kind: 'electron', settings: { openAtLogin: enabled, args: probe.options.args }, readBack: probe.options };
    case 'autostart-file': {
      if (!enabled) return { kind: 'autostart-file', path: probe.path, contents: null };
      const contents = desktopEntry(linuxExecutable(env));
      if (contents === null) return { kind: 'unsupported', reason: 'the app is installed at a path an autostart entry cannot hold' };
      return { kind: 'autostart-file', path: probe.path, contents };
    }
  }
}
