import { afterEach, describe, expect, it } from 'vitest';
import { createRuntimeHost } from './runtime-host.js';
import { makeTempDir } from '../tests/support/temp-dir.js';
import { startTestNode, seedOf } from '../tests/support/nodes.js';
import type { NodeHost } from './node-host.js';

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
});
