import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { leadingRequestId, startControlServer, type ControlServer } from './control-server.js';
import { connectControl } from './control-client.js';
import { CONTROL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './control-auth.js';
import type { ControlHandler } from './control-handler.js';
import type { ControlCommand } from '../../src-shared/control/commands.js';
import type { ControlEvent } from '../../src-shared/control/messages.js';
import { initialNodeState } from '../../src-shared/control/initial-state.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';

/** A node's control surface reduced to what the server touches: a state, a listener list, a command log. */
class RecordingHandler implements ControlHandler {
  readonly executed: ControlCommand[] = [];
  readonly listeners = new Set<(event: ControlEvent) => void>();
  state = initialNodeState('test', 0);
  snapshot() {
    return this.state;
  }
  subscribe(listener: (event: ControlEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async execute(command: ControlCommand) {
    this.executed.push(command);
    return { ok: true as const, value: command.command };
  }
}

let handler: RecordingHandler;
let server: ControlServer;
let uiDir: { path: string; cleanup: () => void };

beforeEach(async () => {
  handler = new RecordingHandler();
  uiDir = makeTempDir();
  mkdirSync(join(uiDir.path, 'assets'));
  writeFileSync(join(uiDir.path, 'index.html'), '<!doctype html><title>PNode</title>');
  writeFileSync(join(uiDir.path, 'assets', 'app.js'), 'console.log(1)');
  server = await startControlServer({ handler, staticDir: uiDir.path });
});
afterEach(async () => {
  await server.close();
  uiDir.cleanup();
});

function upgradeStatus(headers: Record<string, string>, path = '/control'): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, [CONTROL_SUBPROTOCOL, ...(headers['token'] ? [`${TOKEN_SUBPROTOCOL_PREFIX}${headers['token']}`] : [])], {
      headers: headers['host'] ? { Host: headers['host'] } : {},
      ...(headers['origin'] ? { origin: headers['origin'] } : {}),
    });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('error', () => resolve(-1));
  });
}

function httpGet(path: string, host?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: server.port, path, headers: host ? { Host: host } : {} }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('control server: who may connect', () => {
  it('accepts a client with the token and sends the state first', async () => {
    const client = await connectControl(server.url, server.token);
    expect(client.state().protocol).toBe('pnode-control.v1');
    client.close();
  });

  it('refuses a client without the token, or with a wrong one (401)', async () => {
    expect(await upgradeStatus({})).toBe(401);
    expect(await upgradeStatus({ token: 'wrong' })).toBe(401);
  });

  it('refuses a page from a foreign Origin even with the token (403)', async () => {
    expect(await upgradeStatus({ token: server.token, origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus({ token: server.token, origin: `http://127.0.0.1:${server.port}` })).toBe(101);
  });

  it('refuses a rebinding Host header (421), for the socket and for the files', async () => {
    expect(await upgradeStatus({ token: server.token, host: `evil.example:${server.port}` })).toBe(421);
    expect((await httpGet('/', `evil.example:${server.port}`)).status).toBe(421);
  });

  it('has no other WebSocket endpoint', async () => {
    expect(await upgradeStatus({ token: server.token }, '/other')).toBe(403);
  });

  it('listens on loopback only and puts the token in the URL fragment, not the path', () => {
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/control$/);
    expect(server.uiUrl).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
  });
});

describe('control server: commands', () => {
  it('runs a valid command and answers with its result', async () => {
    const client = await connectControl(server.url, server.token);
    expect(await client.command({ command: 'snooze', minutes: 60 })).toEqual({ ok: true, value: 'snooze' });
    expect(handler.executed).toEqual([{ command: 'snooze', minutes: 60 }]);
    client.close();
  });

  it('answers a malformed command with a typed error and runs nothing', async () => {
    const client = await connectControl(server.url, server.token);
    for (const bad of [{ command: 'snooze', minutes: -5 }, { command: 'format-disk' }, { command: 'join', extra: 1 }, 'join', null]) {
      const result = await client.command(bad as Record<string, unknown>);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('invalid-command');
    }
    expect(handler.executed).toEqual([]);
    client.close();
  });

  it('pushes events to connected clients', async () => {
    const client = await connectControl(server.url, server.token);
    const seen = new Promise<ControlEvent>((resolve) => client.onEvent(resolve));
    for (const listener of handler.listeners) listener({ type: 'patch', patch: { launchAtLogin: true } });
    expect(await seen).toEqual({ type: 'patch', patch: { launchAtLogin: true } });
    expect(client.state().launchAtLogin).toBe(true);
    client.close();
  });

  it('slows down a client that floods commands', async () => {
    const client = await connectControl(server.url, server.token);
    const results = await Promise.all(Array.from({ length: 100 }, () => client.command({ command: 'get-state' })));
    const busy = results.filter((r) => !r.ok && r.error.code === 'busy').length;
    expect(busy).toBeGreaterThan(0);
    expect(busy).toBeLessThan(100);
    client.close();
  });

  it('charges broken messages against the same budget, before parsing them', async () => {
    const socket = new WebSocket(server.url, [CONTROL_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${server.token}`]);
    const codes: string[] = [];
    const answered = new Promise<void>((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; result?: { ok: boolean; error?: { code: string } } };
        if (message.type !== 'response') return;
        codes.push(message.result?.error?.code ?? 'ok');
        if (codes.length === 100) resolve();
      });
    });
    await new Promise((resolve) => socket.on('open', resolve));
    for (let i = 0; i < 100; i++) socket.send('{"id":1,');
    await answered;
    expect(codes.filter((code) => code === 'busy').length).toBeGreaterThan(0);
    expect(codes.filter((code) => code === 'invalid-command').length).toBeLessThan(100);
    socket.close();
  });

  it('reads the id of a request over budget from its first bytes only', () => {
    expect(leadingRequestId(Buffer.from('{"id":42,"command":{"command":"join"}}'))).toBe(42);
    expect(leadingRequestId(Buffer.from(' { "id" : 7 }'))).toBe(7);
    expect(leadingRequestId(Buffer.from('{"command":"join","id":3}'))).toBe(-1);
    expect(leadingRequestId(Buffer.from('{"id":-1}'))).toBe(-1);
    expect(leadingRequestId('{"id":1}')).toBe(-1);
  });
});

describe('control server: the UI files', () => {
  it('serves the app with a strict CSP and falls back to index.html for app routes', async () => {
    const index = await httpGet('/');
    expect(index.status).toBe(200);
    expect(String(index.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await httpGet('/peers')).body).toContain('<title>PNode</title>');
    expect((await httpGet('/assets/app.js')).headers['content-type']).toContain('javascript');
    expect((await httpGet('/assets/missing.js')).status).toBe(404);
  });

  it('never serves files outside its folder', async () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const response = await httpGet(path);
      expect(response.body).not.toContain('root:');
    }
  });
});
