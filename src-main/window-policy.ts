// How the one window is locked down: its options, the CSP on everything it loads, where it may
// navigate, what it may open, what it may ask for, and what closing it means. Plain data and
// decisions; main.ts applies them. Type-only Electron imports: nothing here runs Electron.
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions } from 'electron';
import { isAppUrl } from './app-protocol.js';
import { MAX_URL_LENGTH } from '../src-shared/control/commands.js';

export const WINDOW_TITLE = 'PNode Desktop';
export const WINDOW_SIZE = { width: 1000, height: 720, minWidth: 720, minHeight: 520 } as const;

export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (dist/main/preload.cjs). */
  readonly preloadPath: string;
  /** Window icon (Linux uses it; macOS and Windows take the app's). */
  readonly iconPath?: string;
  /** DevTools only in development builds. */
  readonly devTools: boolean;
}

export function mainWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    ...WINDOW_SIZE,
    title: WINDOW_TITLE,
    show: false, // shown on ready-to-show: no white flash
    autoHideMenuBar: true,
    ...(input.iconPath !== undefined ? { icon: input.iconPath } : {}),
    webPreferences: {
      preload: input.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      enableWebSQL: false,
      spellcheck: false,
      safeDialogs: true,
      // Middle-click opens links without a click event; our window-open handler would deny it
      // anyway, but the feature has no use here (electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
      devTools: input.devTools,
    },
  };
}

/**
 * The renderer's Content-Security-Policy, set as a header on every app:// response. Same spirit
 * as the control server's (src-node/control/static-files.ts), minus the WebSocket: in Electron
 * the UI talks over IPC, so nothing is fetched from anywhere but our own origin.
 */
export function rendererContentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every app:// response. */
export function rendererResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': rendererContentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=(), payment=()',
    'Cache-Control': 'no-store',
  };
}

/** An https URL safe to hand to the system browser, normalized; null for anything else. */
export function externalHttpsUrl(url: string): string | null {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' || parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') return null;
  return parsed.toString();
}

export interface NavigationDecision {
  /** Let the window itself go there (only our own app URLs). */
  readonly allow: boolean;
  /** Open this in the system browser instead (https only), or nothing. */
  readonly openExternally: string | null;
}

/** will-navigate / will-redirect / will-frame-navigate: stay on our app; https links go to the browser. */
export function navigationDecision(url: string): NavigationDecision {
  if (isAppUrl(url)) return { allow: true, openExternally: null };
  return { allow: false, openExternally: externalHttpsUrl(url) };
}

/** setWindowOpenHandler: never a new window; https links open in the system browser. */
export function windowOpenDecision(url: string): { readonly action: 'deny'; readonly openExternally: string | null } {
  return { action: 'deny', openExternally: externalHttpsUrl(url) };
}

/**
 * webRequest filter ("no remote content"): the renderer's session loads only our own scheme,
 * inline data/blob URLs and DevTools' own pages. http(s), ws(s), file: and the rest are cancelled.
 */
export function requestAllowed(url: string): boolean {
  if (isAppUrl(url)) return true;
  if (typeof url !== 'string') return false;
  return url.startsWith('data:') || url.startsWith('blob:app://pnode/') || url.startsWith('devtools://');
}

/** Permission requests and checks (camera, notifications, geolocation, HID, …): always no. */
export function permissionDecision(_permission: string): false {
  return false;
}

/** Closing the window hides it to the tray, unless the app is quitting. */
export function closeDecision(state: { readonly quitting: boolean }): 'hide' | 'close' {
  return state.quitting ? 'close' : 'hide';
}

/**
 * The application menu. macOS needs one for copy/paste shortcuts in text fields (passphrase,
 * token); elsewhere the window has none.
 */
export function applicationMenuTemplate(platform: NodeJS.Platform): MenuItemConstructorOptions[] | null {
  if (platform !== 'darwin') return null;
  return [{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }];
}
