// Regressions found by the hardening harness (`npm run harden -- fuzz`, target http:admin): a path
// with a malformed percent-escape, or a request target URL cannot read ("//["), was answered 500
// (decodeURIComponent or new URL threw inside the router).
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { nativeCrypto } from '../../kernel/crypto/native-provider.js';
import { ManualClock } from '../../kernel/util/clock.js';
import { Orchestrator } from './orchestrator.js';
import { startAdminServer, type AdminServer } from './admin-server.js';

const TOKEN = 'admin-server-harden-test-token';
let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<AdminServer> {
  const clock = new ManualClock();
  const orchestrator = new Orchestrator({
    selfNodeId: 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
    clock,
    crypto: nativeCrypto,
    heartbeatIntervalMs: 10_000,
    transport: { send: () => true, isConnected: () => false, sessions: () => 0 },
  });
  server = await startAdminServer({ orchestrator, nodeId: 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', listenUrls: () => [], now: () => clock.now(), host: '127.0.0.1', port: 0, token: TOKEN });
  return server;
}

function get(admin: AdminServer, path: string, method = 'GET'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: admin.port, path, method, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin API and malformed percent-escapes in the path', () => {
  it('answers 400, never 500, and keeps serving', async () => {
    const admin = await start();
    for (const [path, method] of [['/vnodes/vn:1%zz', 'GET'], ['/vnodes/%zzvn:1', 'DELETE'], ['/pno%zzdes', 'GET'], ['/vn%e0%a4%aodes', 'POST'], ['/%', 'GET']] as const) {
      const answer = await get(admin, path, method);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.text).toContain('percent-encoding');
    }
    expect((await get(admin, '/status')).status).toBe(200);
  });

  it('answers 400 for a request target that is no path, and keeps serving', async () => {
    const admin = await start();
    for (const path of ['//[', '//%zz', '//:99999/status']) {
      const answer = await get(admin, path);
      expect(answer.status, path).toBe(400);
      expect(answer.text).toContain('not a valid path');
    }
    expect((await get(admin, '/status')).status).toBe(200);
  });
});
