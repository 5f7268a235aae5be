// The wiring of main.ts, checked where Electron cannot run: the real bundle (dist/main/main.cjs as
// a release builds it) is loaded against a recording stand-in for the 'electron' module. This
// proves the order of calls and what is handed to Electron; it does not prove Electron behaves as
// its typings say (main.smoke.test.ts does, where the binary exists).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_CHANNELS } from '../src-shared/control/bridge.js';
import { waitUntil } from '../tests/support/wait.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Listener = (...args: unknown[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

function preventable(fields: Record<string, unknown> = {}) {
  return { ...fields, prevented: false, preventDefault() {
    this.prevented = true;
  } };
}

interface Fake {
  readonly calls: string[];
  readonly app: Emitter;
  readonly windows: FakeWindow[];
  readonly trays: FakeTray[];
  readonly handlers: Map<string, Listener>;
  readonly protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  readonly privileged: unknown[];
  readonly opened: string[];
  readonly session: { permissionRequest?: Listener; permissionCheck?: Listener; beforeRequest?: Listener };
  ready(): void;
  readonly electron: Record<string, unknown>;
}

interface FakeWindow extends Emitter {
  options: Record<string, unknown>;
  url: string;
  visible: boolean;
  webContents: Emitter & { id: number; sent: unknown[][]; openHandler?: Listener };
}

interface FakeTray extends Emitter {
  image: string;
  tooltip: string;
  menu: { label?: string; type?: string; checked?: boolean; enabled?: boolean; click?: () => void }[];
}

function fakeElectron(options: { lock?: boolean } = {}): Fake {
  const calls: string[] = [];
  const windows: FakeWindow[] = [];
  const trays: FakeTray[] = [];
  const handlers = new Map<string, Listener>();
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  const privileged: unknown[] = [];
  const opened: string[] = [];
  const sessionHooks: Fake['session'] = {};
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));
  let nextId = 1;

  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    dock: undefined,
    enableSandbox: () => calls.push('app.enableSandbox'),
    requestSingleInstanceLock: () => {
      calls.push('app.requestSingleInstanceLock');
      return options.lock ?? true;
    },
    setAppUserModelId: () => undefined,
    getVersion: () => '0.1.0',
    // A fresh data dir per fake app: the real node runtime starts in it.
    getPath: (name: string) => join(workdir, `app-${appCount}`, name),
    getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
    setLoginItemSettings: () => undefined,
    whenReady: () => readyPromise,
    exit: (code: number) => calls.push(`app.exit ${code}`),
    quit: () => {
      calls.push('app.quit');
      const event = preventable();
      app.emit('before-quit', event);
      if (!event.prevented) calls.push('quit proceeds');
    },
  });

  class BrowserWindow extends Emitter {
    options: Record<string, unknown>;
    url = '';
    visible = false;
    destroyed = false;
    webContents: FakeWindow['webContents'];
    constructor(windowOptions: Record<string, unknown>) {
      super();
      this.options = windowOptions;
      const webContents = Object.assign(new Emitter(), {
        id: nextId++,
        sent: [] as unknown[][],
        openHandler: undefined as Listener | undefined,
        send: (...args: unknown[]): void => void webContents.sent.push(args),
        getURL: (): string => this.url,
        setWindowOpenHandler: (handler: Listener): void => {
          webContents.openHandler = handler;
        },
      });
      this.webContents = webContents;
      windows.push(this as unknown as FakeWindow);
      app.emit('web-contents-created', {}, webContents);
    }
    loadURL(url: string) {
      this.url = url;
      return Promise.resolve();
    }
    show() {
      this.visible = true;
      this.emit('show');
    }
    hide() {
      this.visible = false;
      this.emit('hide');
    }
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isVisible() {
      return this.visible;
    }
    isDestroyed() {
      return this.destroyed;
    }
    destroy() {
      this.destroyed = true;
    }
  }

  class Tray extends Emitter {
    image: string;
    tooltip = '';
    menu: FakeTray['menu'] = [];
    constructor(image: { path: string }) {
      super();
      this.image = image.path;
      trays.push(this as unknown as FakeTray);
    }
    setImage(image: { path: string }) {
      this.image = image.path;
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setContextMenu(menu: FakeTray['menu']) {
      this.menu = menu;
    }
    destroy() {}
  }

  const electron = {
    app,
    BrowserWindow,
    Tray,
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: () => undefined },
    Notification: Object.assign(class extends Emitter {
      show() {}
    }, { isSupported: () => true }),
    ipcMain: { handle: (channel: string, listener: Listener) => handlers.set(channel, listener) },
    nativeImage: { createFromPath: (path: string) => ({ path, setTemplateImage: () => undefined }) },
    powerMonitor: Object.assign(new Emitter(), { getSystemIdleTime: () => 42, isOnBatteryPower: () => false }),
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => {
        calls.push('protocol.registerSchemesAsPrivileged');
        privileged.push(...schemes);
      },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: Listener) => (sessionHooks.permissionRequest = handler),
        setPermissionCheckHandler: (handler: Listener) => (sessionHooks.permissionCheck = handler),
        setDevicePermissionHandler: () => undefined,
        webRequest: { onBeforeRequest: (handler: Listener) => (sessionHooks.beforeRequest = handler) },
      },
    },
    shell: { openExternal: async (url: string) => void opened.push(url) },
  };
  return { calls, app, windows, trays, handlers, protocolHandlers, privileged, opened, session: sessionHooks, ready: markReady, electron };
}

let workdir = '';
let bundle = '';
let appCount = 0;
const intervals: unknown[] = [];

beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'pnode-wiring-'));
  mkdirSync(join(workdir, 'renderer'));
  writeFileSync(join(workdir, 'renderer', 'index.html'), '<!doctype html><title>PNode</title>');
  const build = spawnSync(process.execPath, ['scripts/build-main.mjs', '--outdir', join(workdir, 'main')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (build.status !== 0) throw new Error(`build-main failed: ${build.stderr || build.stdout}`);
  bundle = readFileSync(join(workdir, 'main', 'main.cjs'), 'utf8');
});

afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

/** Runs main.cjs with the fake in place of 'electron'; timers and process hooks stay in the test. */
function runMain(fake: Fake, argv: string[] = []): void {
  const realRequire = createRequire(join(workdir, 'main', 'main.cjs'));
  const fakeProcess = Object.assign(Object.create(process) as NodeJS.Process, {
    argv: [process.execPath, join(workdir, 'main', 'main.cjs'), ...argv],
    // The node's secret key goes to a 0600 file here: tests must not write the developer's keychain.
    env: { ...process.env, PNODE_KEYSTORE: 'file' },
    on: () => fakeProcess,
  });
  const loader = new Function('require', 'module', 'exports', '__filename', '__dirname', 'process', 'setInterval', bundle);
  loader(
    (name: string) => (name === 'electron' ? fake.electron : realRequire(name)),
    { exports: {} },
    {},
    join(workdir, 'main', 'main.cjs'),
    join(workdir, 'main'),
    fakeProcess,
    // Recorded, never run; shaped like a Node timer because the runtime unrefs its timers.
    (callback: unknown) => {
      intervals.push(callback);
      return { unref: () => undefined, ref: () => undefined, hasRef: () => false };
    },
  );
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function started(argv: string[] = []): Promise<Fake> {
  appCount++;
  const fake = fakeElectron();
  runMain(fake, argv);
  fake.ready();
  await settle();
  const getState = fake.handlers.get(IPC_CHANNELS.getState);
  // The real node runtime starts (identity generation, hardware detection). Until it has, get-state
  // answers a state without an identity.
  await waitUntil(async () => {
    const frame = { sender: { id: fake.windows[0]?.webContents.id ?? -1 }, senderFrame: { url: 'app://pnode/index.html', parent: null, isDestroyed: () => false } };
    if (fake.windows.length === 0) return fake.trays[0]?.tooltip?.includes('starting') === false;
    const answer = (await getState?.(frame)) as { ok?: boolean; value?: { identity?: unknown } } | undefined;
    return answer?.ok === true && Boolean(answer.value?.identity);
  }, 'the node to start');
  await settle();
  return fake;
}

const ourFrame = (fake: Fake) => ({ sender: { id: fake.windows[0]?.webContents.id }, senderFrame: { url: 'app://pnode/index.html', parent: null, isDestroyed: () => false } });

describe('main.ts wiring (against a stand-in electron)', () => {
  it('registers the app scheme and the sandbox before anything else', () => {
    const fake = fakeElectron();
    runMain(fake);
    expect(fake.calls.slice(0, 3)).toEqual(['protocol.registerSchemesAsPrivileged', 'app.enableSandbox', 'app.requestSingleInstanceLock']);
    expect(fake.privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, bypassCSP: false }) }]);
  });

  it('quits at once as a second instance, wiring nothing', () => {
    const fake = fakeElectron({ lock: false });
    runMain(fake);
    expect(fake.calls).toContain('app.quit');
    expect(fake.handlers.size).toBe(0);
    expect(fake.app.listeners.size).toBe(0);
  });

  it('registers IPC handlers for get-state and command only', () => {
    const fake = fakeElectron();
    runMain(fake);
    expect([...fake.handlers.keys()].sort()).toEqual([IPC_CHANNELS.command, IPC_CHANNELS.getState].sort());
  });

  it('on ready: a tray with the off icon, the menu and a tooltip; a locked-down window on app://pnode', async () => {
    const fake = await started();
    const tray = fake.trays[0];
    expect(tray?.image).toMatch(/icons[/\\]tray-off(-32|Template)?\.png$/);
    expect(tray?.tooltip).toMatch(/^PNode Desktop: /);
    expect(tray?.menu.map((item) => item.label ?? item.type)).toEqual(['Not joined to a network', 'Nothing yet today', 'separator', 'Contribute', 'separator', 'Open PNode', 'Peers: 0', 'separator', 'Quit PNode']);
    const window = fake.windows[0];
    expect(window?.url).toBe('app://pnode/index.html');
    expect(window?.options['webPreferences']).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String((window?.options['webPreferences'] as Record<string, unknown>)['preload'])).toMatch(/preload\.cjs$/);
  });

  it('stays in the tray when started with --hidden', async () => {
    const fake = await started(['--hidden']);
    expect(fake.windows).toEqual([]);
    fake.trays[0]?.menu.find((item) => item.label === 'Open PNode')?.click?.();
    expect(fake.windows).toHaveLength(1);
  });

  it('serves the renderer with the CSP and refuses what is not ours', async () => {
    const fake = await started();
    const serve = fake.protocolHandlers.get('app');
    const page = await serve?.(new Request('app://pnode/index.html'));
    expect(page?.status).toBe(200);
    expect(page?.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page?.text()).toContain('<title>PNode</title>');
    expect((await serve?.(new Request('app://pnode/missing.js')))?.status).toBe(404);
    expect((await serve?.(new Request('app://pnode/..%2Fmain%2Fmain.cjs')))?.status).toBe(403);
    expect((await serve?.(new Request('app://pnode/index.html', { method: 'POST', body: 'x' })))?.status).toBe(405);
  });

  it('answers IPC from our page and refuses other senders', async () => {
    const fake = await started();
    const getState = fake.handlers.get(IPC_CHANNELS.getState);
    expect(await getState?.(ourFrame(fake))).toMatchObject({ ok: true, value: { protocol: 'pnode-control.v1' } });
    const foreign = { ...ourFrame(fake), senderFrame: { url: 'https://evil.example/', parent: null, isDestroyed: () => false } };
    expect(await getState?.(foreign)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const command = fake.handlers.get(IPC_CHANNELS.command);
    expect(await command?.(ourFrame(fake), { command: 'snooze', minutes: -1 })).toMatchObject({ ok: false, error: { code: 'invalid-command' } });
    expect(await command?.(ourFrame(fake), { command: 'join' })).toMatchObject({ ok: true });
    expect(await command?.(ourFrame(fake), { command: 'set-launch-at-login', enabled: true })).toMatchObject({
      ok: false,
      error: { code: 'not-available', message: 'launch at login is only available in the installed app' },
    });
  });

  it('hands a pnode:// link from a second launch, open-url or its own command line to the node as an invite, showing the window', async () => {
    type Sent = { type: string; state?: { network: { book?: { refusedInvite: { code: string } | null } } }; patch?: { network?: { book?: { refusedInvite: { code: string } | null } } } };
    // The refused invite's code in the last event that carried the network book (null: none).
    const refusal = (fake: Fake): string | null | undefined =>
      (fake.windows[0]?.webContents.sent ?? [])
        .map((args) => args[1] as Sent)
        .map((event) => (event.type === 'state' ? event.state?.network.book : event.patch?.network?.book))
        .filter((book) => book !== undefined)
        .map((book) => book!.refusedInvite?.code ?? null)
        .at(-1);
    // A link that cannot be used still shows what became of it: the node refuses it, nothing else changes.
    const fake = await started(['--hidden']);
    expect(fake.windows).toHaveLength(0);
    fake.app.emit('second-instance', {}, ['/opt/PNode/pnode-desktop', 'pnode://join/d1/bm90IGEgZGVzY3JpcHRvcg'], '/');
    await expect.poll(() => refusal(fake), { timeout: 10_000 }).toBe('E_PROTO_INVALID');
    expect(fake.windows).toHaveLength(1);
    const command = fake.handlers.get(IPC_CHANNELS.command);
    expect(await command?.(ourFrame(fake), { command: 'dismiss-invite' })).toMatchObject({ ok: true });
    await expect.poll(() => refusal(fake), { timeout: 10_000 }).toBeNull();
    const openUrl = preventable();
    fake.app.emit('open-url', openUrl, 'pnode://join/u1/x');
    expect(openUrl.prevented).toBe(true);
    await expect.poll(() => refusal(fake), { timeout: 10_000 }).toBe('E_PROTO_INVALID');

    const launched = await started(['pnode://join/d9/abc']);
    await expect.poll(() => refusal(launched), { timeout: 10_000 }).toBe('E_PROTO_INVALID');
  });

  it('sends the node state to the window once the node has started', async () => {
    const fake = await started();
    expect(fake.windows[0]?.webContents.sent[0]).toEqual([IPC_CHANNELS.event, expect.objectContaining({ type: 'state' })]);
  });

  it('keeps the page on our app and sends https links to the system browser', async () => {
    const fake = await started();
    const contents = fake.windows[0]?.webContents;
    const away = preventable({ url: 'https://pnode.example/help' });
    contents?.emit('will-navigate', away);
    expect(away.prevented).toBe(true);
    const local = preventable({ url: 'app://pnode/index.html' });
    contents?.emit('will-navigate', local);
    expect(local.prevented).toBe(false);
    expect(contents?.openHandler?.({ url: 'https://pnode.example/docs' })).toEqual({ action: 'deny' });
    expect(contents?.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.opened).toEqual(['https://pnode.example/help', 'https://pnode.example/docs']);
  });

  it('denies permissions and remote requests in the session', async () => {
    const fake = await started();
    let granted: unknown = 'unset';
    fake.session.permissionRequest?.({}, 'media', (answer: unknown) => (granted = answer));
    expect(granted).toBe(false);
    expect(fake.session.permissionCheck?.({}, 'notifications')).toBe(false);
    let verdict: unknown;
    fake.session.beforeRequest?.({ url: 'https://cdn.example/x.js' }, (answer: unknown) => (verdict = answer));
    expect(verdict).toEqual({ cancel: true });
  });

  it('hides the window on close, and closes it while quitting after the node stopped', async () => {
    const fake = await started();
    const window = fake.windows[0];
    const close = preventable();
    window?.emit('close', close);
    expect(close.prevented).toBe(true);
    expect(window?.visible).toBe(false);
    fake.trays[0]?.menu.find((item) => item.label === 'Quit PNode')?.click?.();
    // The real node closes its sessions and flushes its files before the second quit.
    await waitUntil(() => fake.calls.filter((call) => call === 'app.quit').length >= 2, 'the second quit');
    // First quit held while the node stops, then quit again and let through.
    expect(fake.calls.filter((call) => call === 'app.quit')).toHaveLength(2);
    expect(fake.calls).toContain('quit proceeds');
    const closing = preventable();
    window?.emit('close', closing);
    expect(closing.prevented).toBe(false);
  });
});
