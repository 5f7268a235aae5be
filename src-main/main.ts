// The Electron main process: wiring only. Every decision is a plain, tested function in a sibling
// module (tray-model, window-policy, ipc-routing, notifications, lifecycle, single-instance,
// user-activity, app-protocol); this file connects them to Electron and to the NodeHost.
// Bundled to CommonJS (dist/main/main.cjs) by scripts/build-main.mjs, so `__dirname` is the
// bundle's folder, dist/main, in development and inside app.asar alike.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  ipcMain,
  nativeImage,
  powerMonitor,
  protocol,
  session,
  shell,
  utilityProcess,
  type IpcMainInvokeEvent,
  type NativeImage,
  type Session,
  type WebContents,
} from 'electron';
import { IPC_CHANNELS } from '../src-shared/control/bridge.js';
import type { CommandResult } from '../src-shared/control/commands.js';
import { initialNodeState } from '../src-shared/control/initial-state.js';
import { applyPatch, type ControlEvent } from '../src-shared/control/messages.js';
import type { NodeState } from '../src-shared/control/state.js';
import type { ControlHandler } from '../src-node/control/control-handler.js';
import { writeFileAtomic } from '../src-node/kernel/storage/atomic-file.js';
import { holdLifeline } from '../src-node/kernel/process/lifeline.js';
import { APP_ENTRY_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, assetFile, isAppUrl, resolveAppRequest } from './app-protocol.js';
import { createCommandDispatcher } from './command-dispatch.js';
import { createIpcRouter, type IpcSender } from './ipc-routing.js';
import { createQuitCoordinator, loginItemPlan, loginItemProbe, showWindowAtStart, type LoginEnvironment } from './lifecycle.js';
import { createNodeHost } from './node-host-factory.js';
import { utilityLauncher } from './utility-launcher.js';
import { utilityDevnetSpawn } from './utility-devnet.js';
import { INVITE_PROTOCOL, createInviteInbox, inviteFromArgv, inviteFromUrl } from './invite-links.js';
import { devnetLocalNetwork } from '../src-node/tools/devnet/local-network.js';
import { nativeCrypto } from '../src-node/kernel/crypto/native-provider.js';
import { systemClock } from '../src-node/kernel/util/clock.js';
import {
  INITIAL_NOTIFICATION_MEMORY,
  createNotificationGate,
  notificationFromEvent,
  notificationsForTransition,
  type NotificationSpec,
} from './notifications.js';
import { shellPaths } from './paths.js';
import { bringToFrontSteps, startupDecision } from './single-instance.js';
import {
  clickOpensWindow,
  resolveTrayAction,
  toMenuTemplate,
  trayIconFile,
  trayModel,
  type TrayAction,
  type TrayIconState,
} from './tray-model.js';
import { USER_ACTIVITY_POLL_MS, createActivityReporter, userActivity } from './user-activity.js';
import {
  applicationMenuTemplate,
  closeDecision,
  mainWindowOptions,
  navigationDecision,
  permissionDecision,
  rendererResponseHeaders,
  requestAllowed,
  windowOpenDecision,
} from './window-policy.js';

/** Windows groups notifications and taskbar entries by this id; it matches electron-builder's appId. */
export const APP_USER_MODEL_ID = 'org.pnode.desktop';
/** `--smoke-test`: start, load the window, then quit (main.smoke.test.ts). */
export const SMOKE_TEST_FLAG = '--smoke-test';
/** The tray re-reads the clock this often (snooze ends, "until 08:00" tooltips). */
const TRAY_REFRESH_MS = 60_000;

const paths = shellPaths(__dirname);
const smokeTest = process.argv.includes(SMOKE_TEST_FLAG);

function log(message: string): void {
  console.log(`[pnode-desktop] ${message}`);
}

function run(): void {
  // Before `ready`: our scheme's privileges, and the sandbox for every renderer.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
  app.enableSandbox();
  if (startupDecision(app.requestSingleInstanceLock()) === 'quit') {
    app.quit();
    return;
  }
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
  // This app opens pnode:// invite links (the installers register the scheme too).
  if (app.isPackaged) app.setAsDefaultProtocolClient(INVITE_PROTOCOL);

  // VNode sandboxes run as utility processes; the controller script is written under the app's temp dir.
  // The installed app reads no environment: everything comes from its files and the window.
  const host = createNodeHost({
    env: app.isPackaged ? {} : process.env,
    launcher: utilityLauncher((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), join(app.getPath('temp'), 'pnode-sandbox')),
    networksDir: app.isPackaged ? join(process.resourcesPath, 'networks') : paths.networksDir,
    // "Try it on this computer": the bundled pnode's services as utility processes that die with the app.
    localNetwork: (dir) =>
      devnetLocalNetwork({
        dir,
        cli: { command: process.execPath, args: [], spawn: utilityDevnetSpawn((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), paths.pnodeEntry) },
        crypto: nativeCrypto,
        clock: systemClock,
        parentPid: process.pid,
        log,
      }),
  });
  let handler: ControlHandler | null = null;
  let startError: string | null = null;
  let unsubscribe: (() => void) | null = null;
  let current: NodeState = initialNodeState(app.getVersion(), Date.now());
  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;

  // --- quitting: stop the node and flush before the process exits ---------------------------
  const quit = createQuitCoordinator({
    stop: async () => {
      unsubscribe?.();
      unsubscribe = null;
      await host.stop();
    },
    quit: () => app.quit(),
    onStopProblem: (problem) => log(problem),
  });
  app.on('before-quit', (event) => {
    if (!quit.onBeforeQuit()) event.preventDefault();
  });
  app.on('will-quit', () => {
    tray?.destroy();
    tray = null;
  });
  // A tray app outlives its window.
  app.on('window-all-closed', () => undefined);
  process.on('SIGINT', () => app.quit());
  process.on('SIGTERM', () => app.quit());
  // Started by a supervisor (npm start): when it vanishes, quit as on SIGTERM.
  holdLifeline({ onLost: () => app.quit(), log });

  // --- launch at login: the shell's own command ----------------------------------------------
  function loginEnvironment(): LoginEnvironment {
    return {
      platform: process.platform,
      packaged: app.isPackaged,
      execPath: process.execPath,
      appImagePath: process.env['APPIMAGE'],
      xdgConfigHome: process.env['XDG_CONFIG_HOME'],
      home: homedir(),
    };
  }

  function readLaunchAtLogin(): boolean | null {
    const probe = loginItemProbe(loginEnvironment());
    if (probe.kind === 'electron') return app.getLoginItemSettings(probe.options).openAtLogin;
    if (probe.kind === 'autostart-file') return existsSync(probe.path);
    return null;
  }

  async function setLaunchAtLogin(enabled: boolean): Promise<CommandResult> {
    const plan = loginItemPlan(enabled, loginEnvironment());
    if (plan.kind === 'unsupported') return { ok: false, error: { code: 'not-available', message: plan.reason } };
    if (plan.kind === 'electron') app.setLoginItemSettings(plan.settings);
    else if (plan.contents === null) await rm(plan.path, { force: true });
    else await writeFileAtomic(plan.path, plan.contents);
    const now = readLaunchAtLogin();
    host.setLaunchAtLogin(now);
    return { ok: true, value: { launchAtLogin: now } };
  }

  function openedAtLogin(): boolean {
    return process.platform === 'darwin' && app.isPackaged && app.getLoginItemSettings().wasOpenedAtLogin;
  }

  // --- commands: one dispatcher for the window and the tray ----------------------------------
  const dispatch = createCommandDispatcher({
    handler: () => handler,
    fallbackState: () => current,
    unavailableReason: () => startError ?? 'the node is still starting',
    setLaunchAtLogin,
  });

  // --- the window ------------------------------------------------------------------------------
  function createWindow(): BrowserWindow {
    const win = new BrowserWindow(mainWindowOptions({ preloadPath: paths.preload, iconPath: paths.windowIcon, devTools: !app.isPackaged }));
    win.once('ready-to-show', () => {
      win.show();
      if (smokeTest) {
        log('smoke test: window ready');
        app.quit();
      }
    });
    win.on('close', (event) => {
      if (closeDecision({ quitting: quit.quitting }) === 'hide') {
        event.preventDefault();
        win.hide();
      }
    });
    // macOS: a dock icon only while the window is on screen; the menu-bar icon stays.
    win.on('show', () => void app.dock?.show());
    win.on('hide', () => app.dock?.hide());
    win.on('closed', () => {
      if (window === win) window = null;
    });
    win.webContents.on('render-process-gone', (_event, details) => {
      log(`the window's renderer is gone (${details.reason}); it is recreated when opened again`);
      if (!win.isDestroyed()) win.destroy();
    });
    win.loadURL(APP_ENTRY_URL).catch((error: unknown) => log(`loading the window failed: ${error instanceof Error ? error.message : String(error)}`));
    return win;
  }

  function bringToFront(): void {
    const live = window !== null && !window.isDestroyed() ? window : null;
    const steps = bringToFrontSteps({ exists: live !== null, minimized: live?.isMinimized() ?? false, visible: live?.isVisible() ?? false });
    for (const step of steps) {
      if (step === 'create') window = createWindow();
      else if (step === 'restore') window?.restore();
      else if (step === 'show') window?.show();
      else window?.focus();
    }
  }

  function windowContents(): WebContents | null {
    return window !== null && !window.isDestroyed() ? window.webContents : null;
  }

  // pnode:// links: from a second launch's command line (Windows, Linux), macOS's open-url, or our own.
  const invites = createInviteInbox((invite) => {
    bringToFront();
    void dispatch({ command: 'open-invite', invite, fromLink: true }).then((result) => {
      if (!result.ok) log(`invite link refused: ${result.error.message}`);
    });
  });
  app.on('second-instance', (_event, argv) => {
    const invite = inviteFromArgv(argv);
    if (invite !== null) invites.receive(invite);
    else bringToFront();
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const invite = inviteFromUrl(url);
    if (invite !== null) invites.receive(invite);
  });
  const launchInvite = inviteFromArgv(process.argv);
  if (launchInvite !== null) invites.receive(launchInvite);

  // --- every webContents: no navigation away, no new windows, no webviews ----------------------
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => {
      const decision = navigationDecision(event.url);
      if (decision.allow) return;
      event.preventDefault();
      if (decision.openExternally !== null) void shell.openExternal(decision.openExternally);
    });
    contents.on('will-frame-navigate', (event) => {
      if (!navigationDecision(event.url).allow) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!navigationDecision(event.url).allow) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const decision = windowOpenDecision(url);
      if (decision.openExternally !== null) void shell.openExternal(decision.openExternally);
      return { action: decision.action };
    });
  });

  function hardenSession(target: Session): void {
    target.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionDecision(permission)));
    target.setPermissionCheckHandler((_contents, permission) => permissionDecision(permission));
    target.setDevicePermissionHandler(() => false);
    target.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !requestAllowed(details.url) }));
  }

  async function serveApp(request: Request): Promise<Response> {
    const asset = resolveAppRequest(request.method, request.url);
    const plain = rendererResponseHeaders('text/plain; charset=utf-8');
    if (!asset.ok) return new Response(null, { status: asset.status, headers: plain });
    const file = assetFile(paths.rendererRoot, asset.relativePath);
    if (file === null) return new Response(null, { status: 403, headers: plain });
    try {
      const body = await readFile(file);
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: rendererResponseHeaders(asset.contentType) });
    } catch {
      const missingUi = asset.relativePath === 'index.html';
      return new Response(missingUi ? 'The PNode UI is not built (npm run build:renderer).' : null, { status: 404, headers: plain });
    }
  }

  // --- IPC: validated, then routed to the dispatcher -------------------------------------------
  function senderFrameOf(event: IpcMainInvokeEvent): IpcSender['frame'] {
    try {
      const frame = event.senderFrame;
      return frame === null || frame.isDestroyed() ? null : { url: frame.url, isMainFrame: frame.parent === null };
    } catch {
      return null; // the frame went away while we looked
    }
  }

  function senderOf(event: IpcMainInvokeEvent): IpcSender {
    return { webContentsId: event.sender.id, frame: senderFrameOf(event) };
  }

  const router = createIpcRouter({
    expectedWebContentsId: () => windowContents()?.id ?? null,
    dispatch,
    now: Date.now,
    onRefused: (channel, reason) => log(`refused IPC on ${channel}: ${reason}`),
  });
  for (const channel of [IPC_CHANNELS.getState, IPC_CHANNELS.command]) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => router.handle(channel, senderOf(event), args));
  }

  // --- the tray --------------------------------------------------------------------------------
  const images = new Map<TrayIconState, NativeImage>();
  function trayImage(state: TrayIconState): NativeImage {
    let image = images.get(state);
    if (image === undefined) {
      image = nativeImage.createFromPath(join(paths.iconsDir, trayIconFile(state, process.platform)));
      if (process.platform === 'darwin') image.setTemplateImage(true);
      images.set(state, image);
    }
    return image;
  }

  let shown = { icon: '', tooltip: '', menu: '' };
  function refreshTray(): void {
    if (tray === null) return;
    const model = trayModel(current, Date.now(), startError);
    if (model.icon !== shown.icon) tray.setImage(trayImage(model.icon));
    if (model.tooltip !== shown.tooltip) tray.setToolTip(model.tooltip);
    const menuKey = JSON.stringify(model.menu);
    if (menuKey !== shown.menu) tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model.menu, onTrayAction)));
    shown = { icon: model.icon, tooltip: model.tooltip, menu: menuKey };
  }

  function onTrayAction(action: TrayAction): void {
    const resolved = resolveTrayAction(action, Date.now());
    if (resolved.type === 'open-window') return bringToFront();
    if (resolved.type === 'quit') return app.quit();
    void dispatch(resolved.command).then((result) => {
      if (!result.ok) log(`tray command ${resolved.command.command} refused: ${result.error.message}`);
      // Electron flips a checkbox on click; rebuild from the state so the menu never lies.
      shown = { ...shown, menu: '' };
      refreshTray();
    });
  }

  // --- notifications ---------------------------------------------------------------------------
  const notificationAllowed = createNotificationGate();
  const liveNotifications = new Set<Notification>();
  let notificationMemory = INITIAL_NOTIFICATION_MEMORY;
  let seenState: NodeState | null = null;

  function showNotification(spec: NotificationSpec | null): void {
    if (spec === null || !Notification.isSupported() || !notificationAllowed(spec.kind, Date.now())) return;
    const notification = new Notification({ title: spec.title, body: spec.body, icon: paths.windowIcon });
    liveNotifications.add(notification); // held until closed, or a click may be lost to GC
    notification.on('click', () => bringToFront());
    notification.on('close', () => liveNotifications.delete(notification));
    notification.show();
  }

  function considerNotifications(next: NodeState): void {
    const step = notificationsForTransition(seenState, next, notificationMemory);
    notificationMemory = step.memory;
    seenState = next;
    for (const spec of step.notifications) showNotification(spec);
  }

  // --- node events: keep our copy, forward to the window, update tray and notifications ---------
  function sendToWindow(event: ControlEvent): void {
    const contents = windowContents();
    // Node state goes to our own page only, never to whatever else a frame might show.
    if (contents !== null && isAppUrl(contents.getURL())) contents.send(IPC_CHANNELS.event, event);
  }

  function onNodeEvent(event: ControlEvent): void {
    if (event.type === 'state') current = event.state;
    else if (event.type === 'patch') current = applyPatch(current, event.patch);
    sendToWindow(event);
    if (event.type === 'state' || event.type === 'patch') {
      refreshTray();
      considerNotifications(current);
    } else if (event.type === 'notification') {
      showNotification(notificationFromEvent(event));
    }
  }

  // --- user activity for "only when idle" and "pause on battery" ------------------------------
  const activity = createActivityReporter(
    () => userActivity(powerMonitor.getSystemIdleTime(), powerMonitor.isOnBatteryPower()),
    (sample) => host.setUserActivity(sample),
  );

  function watchPower(): void {
    const sample = () => activity.sample();
    powerMonitor.on('on-ac', sample);
    powerMonitor.on('on-battery', sample);
    powerMonitor.on('lock-screen', sample);
    powerMonitor.on('unlock-screen', sample);
    powerMonitor.on('user-did-become-active', sample);
    powerMonitor.on('resume', () => {
      host.systemResumed();
      sample();
    });
    powerMonitor.on('shutdown', () => app.quit());
    setInterval(sample, USER_ACTIVITY_POLL_MS);
    sample();
  }

  // --- start -----------------------------------------------------------------------------------
  async function start(): Promise<void> {
    const template = applicationMenuTemplate(process.platform);
    Menu.setApplicationMenu(template === null ? null : Menu.buildFromTemplate(template));
    hardenSession(session.defaultSession);
    protocol.handle(APP_SCHEME, serveApp);

    tray = new Tray(trayImage('off'));
    if (clickOpensWindow(process.platform)) tray.on('click', () => bringToFront());
    refreshTray();
    setInterval(refreshTray, TRAY_REFRESH_MS);
    if (smokeTest || showWindowAtStart(process.argv, openedAtLogin())) bringToFront();
    else app.dock?.hide();
    // macOS dock click. Listened to only now, so the launch's own activation cannot undo a hidden start.
    app.on('activate', () => bringToFront());

    try {
      handler = await host.start({ dataDir: app.getPath('userData'), version: app.getVersion() });
    } catch (error) {
      startError = error instanceof Error ? error.message : String(error);
      log(`the node did not start: ${startError}`);
      onNodeEvent({ type: 'patch', patch: { contribution: { ...current.contribution, status: 'error' } } });
      return;
    }
    unsubscribe = handler.subscribe(onNodeEvent);
    host.setLaunchAtLogin(readLaunchAtLogin());
    onNodeEvent({ type: 'state', state: handler.snapshot() });
    watchPower();
    invites.ready();
  }

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      log(`start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      app.exit(1);
    });
}

run();
