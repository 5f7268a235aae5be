// Issue 5 §3: the orchestrator's admin API over real HTTP on loopback: who may use it (401 / 421;
// 403 for non-loopback is pinned in admin-auth.test.ts, as no other address can reach a
// loopback listener), what it answers, and admin.json.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { statSync, existsSync } from 'node:fs';
import { startTestNode } from '../support/nodes.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { OrchestratorModule } from '../../src-node/services/orchestrator/orchestrator-module.js';
import { AdminExtensions } from '../../src-node/kernel/http/admin-extension.js';
import { membershipParts } from '../support/contributors.js';
import { adminFilePath, readAdminFile } from '../../src-node/services/orchestrator/admin-file.js';

type Running = NodeRuntime & { cleanup: () => Promise<void> };
const nodes: Running[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).reverse().map((n) => n.cleanup()));
});

async function setup() {
  let created: OrchestratorModule | undefined;
  const orchestrator = await startTestNode({
    role: 'orchestrator',
    modules: (r) => [(created = new OrchestratorModule({ ...r.components, admin: new AdminExtensions() }, { heartbeatIntervalMs: 200, adminListen: 'http://127.0.0.1:0' }))],
  });
  nodes.push(orchestrator);
  const module = created!;
  const contributor = await startTestNode({
    modules: (r) => membershipParts(r, { orchestrators: [{ nodeId: orchestrator.identity.nodeId, urls: orchestrator.listenUrls() }], backoff: { minMs: 50, maxMs: 400 } }).modules,
    listenOn: false,
  });
  nodes.push(contributor);
  await expect.poll(() => module.orchestrator.registry.get(contributor.identity.nodeId)?.contributing ?? false).toBe(true);
  const admin = module.admin!;
  return { module, orchestrator, contributor, admin };
}

function call(url: string, options: { method?: string; token?: string; host?: string; body?: unknown } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers: {
          ...(options.host !== undefined ? { Host: options.host } : {}),
          ...(options.token !== undefined ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  });
}

describe('the admin API', () => {
  it('writes its URL and token to admin.json, readable by the owner only', async () => {
    const { orchestrator, admin } = await setup();
    const file = await readAdminFile(orchestrator.config.dataDir);
    expect(file).toMatchObject({ url: admin.url, token: admin.token, nodeId: orchestrator.identity.nodeId, pid: process.pid });
    expect(statSync(adminFilePath(orchestrator.config.dataDir)).mode & 0o077).toBe(0);
  });

  it('refuses requests without the bearer token (401), with a wrong one (401), and with a foreign Host (421)', async () => {
    const { admin } = await setup();
    for (const path of ['/status', '/pnodes', '/vnodes', '/metrics']) {
      const none = await call(`${admin.url}${path}`);
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await call(`${admin.url}${path}`, { token: `${admin.token}x` })).status, path).toBe(401);
    }
    expect((await call(`${admin.url}/status`, { token: admin.token, host: 'pnode.example.org' })).status).toBe(421);
    expect((await call(`${admin.url}/status`, { token: admin.token, host: `localhost:${admin.port}` })).status).toBe(200);
  });

  it('answers /status, /pnodes (node-id, state, trust, hardware, last heartbeat, VNodes), /vnodes and /metrics', async () => {
    const { admin, orchestrator, contributor } = await setup();
    const status = JSON.parse((await call(`${admin.url}/status`, { token: admin.token })).text) as Record<string, unknown>;
    expect(status).toMatchObject({ 'node-id': orchestrator.identity.nodeId, 'heartbeat-interval-ms': 200, 'lease-ms': 600, pnodes: { registered: 1, expired: 0 } });

    const created = await call(`${admin.url}/vnodes`, { method: 'POST', token: admin.token, body: { cores: 1, 'memory-mb': 32 } });
    expect(created.status).toBe(201);
    const vnodeId = (JSON.parse(created.text) as { vnodes: Array<{ 'vnode-id': string }> }).vnodes[0]!['vnode-id'];
    await expect
      .poll(async () => (JSON.parse((await call(`${admin.url}/vnodes/${vnodeId}`, { token: admin.token })).text) as { state: string }).state)
      .toBe('running');

    const pnodes = JSON.parse((await call(`${admin.url}/pnodes`, { token: admin.token })).text) as { pnodes: Array<Record<string, unknown>> };
    expect(pnodes.pnodes).toHaveLength(1);
    const pnode = pnodes.pnodes[0]!;
    expect(pnode).toMatchObject({ 'node-id': contributor.identity.nodeId, state: 'registered', trust: 'untrusted', primary: true, contributing: true, vnodes: [vnodeId] });
    expect(pnode['hardware']).toMatchObject({ 'schema/v': 1 });
    expect(typeof pnode['last-heartbeat']).toBe('string');

    const metrics = await call(`${admin.url}/metrics`, { token: admin.token });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.text).toMatch(/^pnode_orchestrator_registered_pnodes 1$/m);
    expect(metrics.text).toMatch(/^pnode_orchestrator_heartbeats_total\{outcome="acked"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^pnode_orchestrator_lease_expiries_total 0$/m);
    expect(metrics.text).toMatch(/^pnode_orchestrator_allocations_total\{outcome="accepted"\} 1$/m);
    expect(metrics.text).toMatch(/^# TYPE pnode_orchestrator_heartbeats_per_second gauge$/m);

    const released = await call(`${admin.url}/vnodes/${vnodeId}`, { method: 'DELETE', token: admin.token });
    expect(released.status).toBe(200);
    expect(JSON.parse(released.text)).toMatchObject({ 'vnode-id': vnodeId, state: 'released' });
  });

  it('answers bad requests with 400, 404, 405 or 409 and a JSON reason', async () => {
    const { admin } = await setup();
    const t = admin.token;
    expect((await call(`${admin.url}/vnodes`, { method: 'POST', token: t, body: 'not json' })).status).toBe(400);
    expect((await call(`${admin.url}/vnodes`, { method: 'POST', token: t, body: { cores: 0, 'memory-mb': 1 } })).status).toBe(400);
    expect((await call(`${admin.url}/vnodes`, { method: 'POST', token: t, body: { cores: 1.5, 'memory-mb': 1 } })).status).toBe(400);
    expect((await call(`${admin.url}/vnodes`, { method: 'POST', token: t, body: { cores: 1, 'memory-mb': 1, count: 100_000 } })).status).toBe(400);
    expect((await call(`${admin.url}/vnodes`, { method: 'POST', token: t, body: 'x'.repeat(20_000) })).status).toBe(413);
    expect((await call(`${admin.url}/vnodes/vn:none`, { method: 'DELETE', token: t })).status).toBe(404);
    const created = JSON.parse((await call(`${admin.url}/vnodes`, { method: 'POST', token: t, body: { cores: 1, 'memory-mb': 1 } })).text) as { vnodes: Array<{ 'vnode-id': string }> };
    const id = created.vnodes[0]!['vnode-id'];
    expect((await call(`${admin.url}/vnodes/${id}`, { method: 'DELETE', token: t })).status).toBe(200);
    expect((await call(`${admin.url}/vnodes/${id}`, { method: 'DELETE', token: t })).status).toBe(409);
    expect((await call(`${admin.url}/pnodes/node:did:key:z6Mkunknown`, { token: t })).status).toBe(404);
    expect((await call(`${admin.url}/nothing`, { token: t })).status).toBe(404);
    const wrongMethod = await call(`${admin.url}/status`, { method: 'PUT', token: t });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers['allow']).toBe('GET');
    expect(JSON.parse(wrongMethod.text)).toHaveProperty('error');
  });

  it('removes admin.json when the orchestrator stops', async () => {
    const { orchestrator } = await setup();
    const path = adminFilePath(orchestrator.config.dataDir);
    expect(existsSync(path)).toBe(true);
    await orchestrator.stop();
    expect(existsSync(path)).toBe(false);
  });
});
