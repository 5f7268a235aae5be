import { afterEach, describe, expect, it } from 'vitest';
import { createRuntimeHost } from './runtime-host.js';
import { makeTempDir } from '../tests/support/temp-dir.js';
import { startTestNode, seedOf } from '../tests/support/nodes.js';
import type { NodeHost } from './node-host.js';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestNetwork } from '../tests/support/network.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs the build step without blocking this process (it hosts the services the step checks). */
function buildNetworks(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'scripts', 'build-networks.mjs'), ...args], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function host(env: Record<string, string> = {}): NodeHost {
  const created = createRuntimeHost({ env: { PNODE_KEYSTORE: 'file', ...env }, warn: () => undefined });
  cleanups.push(() => created.stop());
  return created;
}

describe('the desktop node host', () => {
  it('starts a real contributor that has not joined yet, with its identity', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const handler = await host().start({ dataDir: dir.path, version: '9.9.9' });
    const state = handler.snapshot();
    expect(state.version).toBe('9.9.9');
    expect(state.identity?.nodeId).toMatch(/^node:did:key:z6Mk/);
    expect(state.network.joined).toBe(false);
    expect(state.contribution.suspendReasons).toContain('not-joined');
    expect(state.launchAtLogin).toBeNull();
  });

  it('joins on the volunteer’s command and reaches the seeds it was given', async () => {
    const seed = await startTestNode();
    cleanups.push(() => seed.cleanup());
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const handler = await host({ PNODE_SEEDS: `${seedOf(seed).nodeId}@${seed.listenUrls()[0]}`, PNODE_INSECURE_LOOPBACK: '1' }).start({ dataDir: dir.path, version: 'test' });
    expect(await handler.execute({ command: 'join' })).toEqual({ ok: true, value: null });
    await expect.poll(() => handler.snapshot().peers.some((p) => p.nodeId === seed.identity.nodeId && p.lifecycle === 'connected')).toBe(true);
  });

  it('reports launch-at-login and user activity as the shell reads them', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const desktop = host();
    desktop.setUserActivity({ idleSeconds: 5, onBattery: true });
    const handler = await desktop.start({ dataDir: dir.path, version: 'test' });
    desktop.setLaunchAtLogin(true);
    expect(handler.snapshot().launchAtLogin).toBe(true);
  });

  it('stops idempotently, also while still starting', async () => {
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const desktop = host();
    const starting = desktop.start({ dataDir: dir.path, version: 'test' });
    await Promise.all([desktop.stop(), desktop.stop()]);
    await expect(starting).rejects.toThrow(/quitting/);
  });

  it('starts exactly as the packaged app does — no environment — and joins the default network of a test build', async () => {
    const lab = await startTestNetwork({ name: 'Test build network' });
    cleanups.push(() => lab.stop());
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    // The build step a release runs: it checks the descriptor (signature, every service answers) and writes networks/default.json.
    const descriptorFile = join(dir.path, 'chosen.json');
    writeFileSync(descriptorFile, JSON.stringify(lab.descriptor, null, 2));
    const resources = join(dir.path, 'resources', 'networks');
    const build = await buildNetworks(['--network', descriptorFile, '--out-dir', resources]);
    expect(build.status, build.stderr + build.stdout).toBe(0);
    expect(existsSync(join(resources, 'default.json'))).toBe(true);

    // main.ts, packaged: createNodeHost({ env: {}, networksDir: <resources>/networks, … }).
    const desktop = createRuntimeHost({ env: {}, networksDir: resources, warn: () => undefined });
    cleanups.push(() => desktop.stop());
    const handler = await desktop.start({ dataDir: join(dir.path, 'userData'), version: '1.0.0' });
    expect(handler.snapshot().network.book?.defaultNetwork).toMatchObject({ networkId: 'net:test-lab', name: 'Test build network' });
    expect(handler.snapshot().network.joined).toBe(false);
    expect(await handler.execute({ command: 'join-network', networkId: 'net:test-lab' })).toMatchObject({ ok: true });
    await expect.poll(() => handler.snapshot().orchestrators.some((o) => o.status === 'registered'), { timeout: 30_000 }).toBe(true);
    expect(handler.snapshot().contribution.status).not.toBe('off');
  });

  it('a build whose default network names services that do not answer is refused', async () => {
    const lab = await startTestNetwork({ name: 'Gone network' });
    const dir = makeTempDir();
    cleanups.push(dir.cleanup);
    const descriptorFile = join(dir.path, 'chosen.json');
    writeFileSync(descriptorFile, JSON.stringify(lab.descriptor));
    await lab.stop();
    const build = await buildNetworks(['--network', descriptorFile, '--out-dir', join(dir.path, 'networks')]);
    expect(build.status).toBe(1);
    expect(build.stderr).toMatch(/never ships a descriptor naming servers that do not exist/);
    expect(existsSync(join(dir.path, 'networks', 'default.json'))).toBe(false);
  });
});
