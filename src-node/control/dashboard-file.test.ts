import { createServer } from 'node:net';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FILE, readDashboardFile, startAtStableAddress } from './dashboard-file.js';
import { CONTROL_CHECK_PATH, startControlServer } from './control-server.js';
import type { ControlHandler } from './control-handler.js';
import { initialNodeState } from '../../src-shared/control/initial-state.js';

const handler: ControlHandler = {
  snapshot: () => initialNodeState('0.1.0', 0),
  subscribe: () => () => undefined,
  execute: () => Promise.resolve({ ok: true, value: null }),
};

function start(dataDir: string, options: { fixedPort?: number; newToken?: boolean } = {}) {
  return startAtStableAddress(dataDir, options, (port, token) => startControlServer({ handler, ...(port !== undefined ? { port } : {}), token }));
}

describe('a stable dashboard address', () => {
  it('comes back on the same port with the same token, kept in a 0600 file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-dash-'));
    const first = await start(dir);
    await first.close();
    const second = await start(dir);
    try {
      expect(second.port).toBe(first.port);
      expect(second.token).toBe(first.token);
      expect(statSync(join(dir, DASHBOARD_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      await second.close();
    }
  });

  it('moves to a free port when its own is taken (and remembers it); a new link on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-dash-'));
    const first = await start(dir);
    await first.close();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(first.port, '127.0.0.1', resolve));
    try {
      const moved = await start(dir);
      await moved.close();
      expect(moved.port).not.toBe(first.port);
      expect(moved.token).toBe(first.token);
      expect((await readDashboardFile(dir))?.port).toBe(moved.port);
      const renewed = await start(dir, { newToken: true });
      await renewed.close();
      expect(renewed.token).not.toBe(first.token);
    } finally {
      squatter.close();
    }
  });

  it('never trades a port given on the command line for another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-dash-'));
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await expect(start(dir, { fixedPort: port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      squatter.close();
    }
  });

  it('reads a broken file as none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnode-dash-'));
    writeFileSync(join(dir, DASHBOARD_FILE), JSON.stringify({ port: 99_999, token: 'short' }));
    expect(await readDashboardFile(dir)).toBeNull();
  });
});

describe('the token check', () => {
  it('tells this node’s token (204) from any other (401), and refuses a foreign Origin', async () => {
    const server = await startControlServer({ handler, token: 'a'.repeat(43) });
    try {
      const check = (token: string, headers: Record<string, string> = {}) =>
        fetch(`http://127.0.0.1:${server.port}${CONTROL_CHECK_PATH}`, { headers: { Authorization: `Bearer ${token}`, ...headers } }).then((r) => r.status);
      expect(await check('a'.repeat(43))).toBe(204);
      expect(await check('b'.repeat(43))).toBe(401);
      expect(await check('a'.repeat(43), { Origin: 'https://evil.example' })).toBe(403);
    } finally {
      await server.close();
    }
  });
});
