import { describe, expect, it } from 'vitest';
import {
  applicationMenuTemplate,
  closeDecision,
  externalHttpsUrl,
  mainWindowOptions,
  navigationDecision,
  permissionDecision,
  rendererContentSecurityPolicy,
  rendererResponseHeaders,
  requestAllowed,
  windowOpenDecision,
} from './window-policy.js';

describe('window options', () => {
  const options = mainWindowOptions({ preloadPath: '/app/dist/main/preload.cjs', iconPath: '/app/dist/main/icons/icon.png', devTools: false });

  it('isolate and sandbox the renderer, with no Node in it', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/main/preload.cjs',
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
      devTools: false,
    });
  });

  it('switch off middle-click link opening (Auxclick) and turn no Blink feature on', () => {
    expect(options.webPreferences?.disableBlinkFeatures?.split(',')).toContain('Auxclick');
    expect(options.webPreferences).not.toHaveProperty('enableBlinkFeatures');
  });

  it('start hidden (shown when ready) with the icon', () => {
    expect(options.show).toBe(false);
    expect(options.icon).toBe('/app/dist/main/icons/icon.png');
  });

  it('allow DevTools only when asked (development builds)', () => {
    expect(mainWindowOptions({ preloadPath: '/p', devTools: true }).webPreferences?.devTools).toBe(true);
  });
});

describe('content security policy', () => {
  const csp = rendererContentSecurityPolicy();
  const directives = new Map(csp.split('; ').map((directive) => [directive.split(' ')[0], directive.slice(directive.indexOf(' ') + 1)]));

  it('allows only our own origin for scripts, styles and connections', () => {
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('style-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('img-src')).toBe("'self' data:");
  });

  it('has no inline or eval escape hatches and no remote hosts', () => {
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|wss?:|\*/);
  });

  it('shuts objects, frames, base and forms', () => {
    for (const directive of ['object-src', 'frame-src', 'base-uri', 'form-action', 'frame-ancestors']) expect(directives.get(directive)).toBe("'none'");
  });

  it('is sent with every response, with nosniff', () => {
    const headers = rendererResponseHeaders('text/html; charset=utf-8');
    expect(headers['Content-Security-Policy']).toBe(csp);
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
  });
});

describe('navigation', () => {
  it('stays on our app', () => {
    expect(navigationDecision('app://pnode/index.html')).toEqual({ allow: true, openExternally: null });
  });

  it('blocks everything else, sending https links to the system browser', () => {
    expect(navigationDecision('https://pnode.example/docs')).toEqual({ allow: false, openExternally: 'https://pnode.example/docs' });
    expect(navigationDecision('http://pnode.example/')).toEqual({ allow: false, openExternally: null });
    expect(navigationDecision('file:///etc/passwd')).toEqual({ allow: false, openExternally: null });
    expect(navigationDecision('javascript:alert(1)')).toEqual({ allow: false, openExternally: null });
    expect(navigationDecision('app://other/')).toEqual({ allow: false, openExternally: null });
  });

  it('never opens a new window', () => {
    expect(windowOpenDecision('https://example.org/a b')).toEqual({ action: 'deny', openExternally: 'https://example.org/a%20b' });
    expect(windowOpenDecision('app://pnode/index.html')).toEqual({ action: 'deny', openExternally: null });
    expect(windowOpenDecision('smb://host/share')).toEqual({ action: 'deny', openExternally: null });
  });

  it('hands the browser only clean https URLs', () => {
    expect(externalHttpsUrl('https://user:pw@example.org/')).toBeNull();
    expect(externalHttpsUrl(`https://example.org/${'a'.repeat(3000)}`)).toBeNull();
    expect(externalHttpsUrl('HTTPS://Example.org')).toBe('https://example.org/');
  });
});

describe('remote content', () => {
  it('lets the renderer load only our scheme, inline data and DevTools', () => {
    expect(requestAllowed('app://pnode/assets/index.js')).toBe(true);
    expect(requestAllowed('data:image/png;base64,AAAA')).toBe(true);
    expect(requestAllowed('blob:app://pnode/0b6f-4e1c')).toBe(true);
    expect(requestAllowed('devtools://devtools/bundled/inspector.html')).toBe(true);
    expect(requestAllowed('https://cdn.example/lib.js')).toBe(false);
    expect(requestAllowed('ws://127.0.0.1:7000/control')).toBe(false);
    expect(requestAllowed('file:///home/user/.ssh/id_ed25519')).toBe(false);
    expect(requestAllowed('blob:https://evil.example/x')).toBe(false);
  });
});

describe('permissions, closing and the app menu', () => {
  it('denies every permission', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'openExternal', 'unknown']) expect(permissionDecision(permission)).toBe(false);
  });

  it('hides the window on close unless quitting', () => {
    expect(closeDecision({ quitting: false })).toBe('hide');
    expect(closeDecision({ quitting: true })).toBe('close');
  });

  it('gives macOS an edit menu (copy and paste) and the others none', () => {
    expect(applicationMenuTemplate('darwin')?.map((entry) => entry.role)).toEqual(['appMenu', 'editMenu', 'windowMenu']);
    expect(applicationMenuTemplate('win32')).toBeNull();
    expect(applicationMenuTemplate('linux')).toBeNull();
  });
});
