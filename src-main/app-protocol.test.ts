import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, assetFile, isAppUrl, resolveAppRequest } from './app-protocol.js';

describe('isAppUrl', () => {
  it('accepts our scheme and host only', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://pnode/assets/index-1.js?v=1#x')).toBe(true);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('app://pnode.evil.example/index.html')).toBe(false);
    expect(isAppUrl('app://user:pw@pnode/index.html')).toBe(false);
    expect(isAppUrl('https://pnode/index.html')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isAppUrl(`app://pnode/${'a'.repeat(5000)}`)).toBe(false);
  });
});

describe('resolveAppRequest', () => {
  it('maps paths to files under the renderer root, with content types', () => {
    expect(resolveAppRequest('GET', 'app://pnode/index.html')).toEqual({ ok: true, relativePath: 'index.html', contentType: 'text/html; charset=utf-8' });
    expect(resolveAppRequest('GET', 'app://pnode/assets/index-abc.js')).toEqual({ ok: true, relativePath: 'assets/index-abc.js', contentType: 'text/javascript; charset=utf-8' });
    expect(resolveAppRequest('HEAD', 'app://pnode/assets/logo.SVG')).toMatchObject({ ok: true, contentType: 'image/svg+xml' });
    expect(resolveAppRequest('GET', 'app://pnode/data.bin')).toMatchObject({ ok: true, contentType: 'application/octet-stream' });
  });

  it('serves index.html for the root and for client-side routes', () => {
    expect(resolveAppRequest('GET', 'app://pnode/')).toMatchObject({ ok: true, relativePath: 'index.html' });
    expect(resolveAppRequest('GET', 'app://pnode')).toMatchObject({ ok: true, relativePath: 'index.html' });
    expect(resolveAppRequest('GET', 'app://pnode/peers/details')).toMatchObject({ ok: true, relativePath: 'index.html' });
  });

  it('never leaves the root', () => {
    expect(resolveAppRequest('GET', 'app://pnode/..%2F..%2Fetc%2Fpasswd')).toEqual({ ok: false, status: 403 });
    expect(resolveAppRequest('GET', 'app://pnode/assets/%2e%2e/%2e%2e/secret.js')).toMatchObject({ ok: true, relativePath: 'secret.js' });
    expect(resolveAppRequest('GET', 'app://pnode/a%5C..%5C..%5Cwin.ini')).toEqual({ ok: false, status: 400 });
    expect(resolveAppRequest('GET', 'app://pnode/a%00.js')).toEqual({ ok: false, status: 400 });
    expect(resolveAppRequest('GET', 'app://pnode/%E0%A4%A')).toEqual({ ok: false, status: 400 });
    expect(resolveAppRequest('GET', 'app://pnode/.env')).toEqual({ ok: false, status: 404 });
  });

  it('answers only GET and HEAD, and only for our origin', () => {
    expect(resolveAppRequest('POST', APP_ENTRY_URL)).toEqual({ ok: false, status: 405 });
    expect(resolveAppRequest('GET', 'app://elsewhere/index.html')).toEqual({ ok: false, status: 403 });
  });
});

describe('assetFile', () => {
  const root = resolve('/srv/app/dist/renderer');

  it('joins inside the root', () => {
    expect(assetFile(root, 'assets/index.js')).toBe(join(root, 'assets', 'index.js'));
  });

  it('refuses anything that lands outside', () => {
    expect(assetFile(root, '../main/main.cjs')).toBeNull();
    expect(assetFile(root, '../renderer-evil/x.js')).toBeNull();
    expect(assetFile(root, '')).toBeNull();
  });
});

describe('scheme privileges', () => {
  it('make a secure standard origin without bypassing the CSP', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false, allowServiceWorkers: false });
  });
});
