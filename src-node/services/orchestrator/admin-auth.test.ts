import { describe, expect, it } from 'vitest';
import { bearerToken, checkAdminRequest, parseAdminListen } from './admin-auth.js';

const PORT = 7070;
const TOKEN = 'tok3n_-.~+/=';
const ok = { remoteAddress: '127.0.0.1', host: `127.0.0.1:${PORT}`, authorization: `Bearer ${TOKEN}` };

describe('who may use the admin API', () => {
  it('lets a loopback request with our Host and the token through', () => {
    expect(checkAdminRequest(ok, PORT, TOKEN)).toEqual({ ok: true });
    expect(checkAdminRequest({ ...ok, remoteAddress: '::1', host: `[::1]:${PORT}` }, PORT, TOKEN)).toEqual({ ok: true });
    expect(checkAdminRequest({ ...ok, remoteAddress: '::ffff:127.0.0.1', host: `LOCALHOST:${PORT}` }, PORT, TOKEN)).toEqual({ ok: true });
  });

  it('refuses anything not from loopback with 403, before looking at the token', () => {
    for (const remoteAddress of ['10.0.0.5', '192.168.1.20', '::ffff:10.0.0.5', 'fe80::1', undefined]) {
      expect(checkAdminRequest({ ...ok, remoteAddress }, PORT, TOKEN)).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('refuses a foreign or missing Host header with 421 (DNS rebinding)', () => {
    for (const host of ['evil.example:7070', `127.0.0.1:${PORT + 1}`, '127.0.0.1', undefined]) {
      expect(checkAdminRequest({ ...ok, host }, PORT, TOKEN)).toMatchObject({ ok: false, status: 421 });
    }
  });

  it('refuses a missing, malformed or wrong token with 401', () => {
    for (const authorization of [undefined, '', TOKEN, `Basic ${TOKEN}`, `Bearer`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN} extra`]) {
      expect(checkAdminRequest({ ...ok, authorization }, PORT, TOKEN), String(authorization)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('reads the bearer token out of the header', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken('Bearer   abc  ')).toBe('abc');
    expect(bearerToken('bearer abc')).toBeUndefined();
  });
});

describe('--admin-listen', () => {
  it('takes loopback http URLs only', () => {
    expect(parseAdminListen('http://127.0.0.1:9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseAdminListen('http://localhost:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAdminListen('http://[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    for (const bad of ['http://0.0.0.0:9000', 'http://192.168.1.2:9000', 'https://127.0.0.1:9000', 'http://127.0.0.1:9000/admin', 'ws://127.0.0.1:1', '127.0.0.1:9000']) {
      expect(() => parseAdminListen(bad), bad).toThrow();
    }
  });
});
