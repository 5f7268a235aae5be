// Issue 4 §2: the bootstrap chain. Each source alone is enough to reach the network: (a) a static
// seed, (b) peers remembered from an earlier run (peers.json, or only the advertisement cache),
// (c) one peer, through which gossip reveals the others. (Directories alone: directory tests.)
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestNode, seedOf, type TestNode } from '../support/nodes.js';
import { makeTempDir } from '../support/temp-dir.js';
import type { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { PeerExchange } from '../../src-node/kernel/discovery/peer-exchange.js';
import { BootstrapModule } from '../../src-node/kernel/discovery/bootstrap.js';
import { PEERS_FILE_NAME } from '../../src-node/kernel/peers/peer-store.js';
import { ADVERTISEMENT_CACHE_FILE } from '../../src-node/kernel/advertisement/advertisement-cache.js';

const nodes: TestNode[] = [];
const dirs: Array<{ cleanup: () => void }> = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
  for (const dir of dirs.splice(0)) dir.cleanup();
});

async function node(options: Parameters<typeof startTestNode>[0] = {}): Promise<TestNode> {
  const started = await startTestNode({ ...options, modules: (r) => [new BootstrapModule(r.components, { seeds: r.config.seeds }), new PeerExchange(r.components, { intervalMs: 300, responseTimeoutMs: 2_000, inboundPerMinute: 600, inboundBurst: 20 })] });
  nodes.push(started);
  return started;
}

function bootstrapSources(runtime: NodeRuntime): unknown {
  return runtime.traces.recent(10_000).find((e) => e['event/type'] === 'peer/discovered' && e.detail?.['via'] === 'bootstrap')?.detail?.['sources'];
}

function connected(a: NodeRuntime, b: NodeRuntime): boolean {
  return a.connections.get(b.identity.nodeId)?.isOpen ?? false;
}

describe('each bootstrap source alone reaches the network', () => {
  it('(a) a static seed', async () => {
    const seed = await node();
    const a = await node({ seeds: [seedOf(seed)] });
    expect(bootstrapSources(a)).toEqual(['seeds']);
    await expect.poll(() => connected(a, seed)).toBe(true);
  });

  for (const kept of ['peers.json and the advertisement cache', 'only the advertisement cache'] as const) {
    it(`(b) remembered peers, no seeds: ${kept}`, async () => {
      const live = await node();
      const dir = makeTempDir();
      dirs.push(dir);
      const first = await startTestNode({ dataDir: dir.path, seeds: [seedOf(live)], modules: (r) => [new PeerExchange(r.components)] });
      await expect.poll(() => first.advertisements.get(live.identity.nodeId) !== undefined).toBe(true);
      await first.stop();
      expect(existsSync(join(dir.path, ADVERTISEMENT_CACHE_FILE))).toBe(true);
      if (kept === 'only the advertisement cache') await rm(join(dir.path, PEERS_FILE_NAME));

      const again = await node({ dataDir: dir.path, seeds: [] });
      expect(again.config.seeds).toEqual([]);
      expect(bootstrapSources(again)).toEqual(['remembered']);
      await expect.poll(() => connected(again, live)).toBe(true);
    });
  }

  it('(c) one known peer: gossip reveals the others, and they are reachable', async () => {
    const hub = await node();
    const c = await node({ seeds: [seedOf(hub)] });
    const d = await node({ seeds: [seedOf(hub)] });
    await expect.poll(() => hub.advertisements.size).toBe(2);

    const a = await node({ seeds: [seedOf(hub)] });
    expect(bootstrapSources(a)).toEqual(['seeds']);
    for (const other of [c, d]) {
      await expect.poll(() => a.advertisements.get(other.identity.nodeId) !== undefined).toBe(true);
      expect(a.config.seeds.map((s) => s.nodeId)).not.toContain(other.identity.nodeId);
      // Reached through the endpoint it advertised: a session and a delivered signal marker.
      const sent = await a.signals.send(other.identity.nodeId, `signal-marker:learned-${other.identity.nodeId.slice(-6)}`);
      expect(sent.ok).toBe(true);
      await expect.poll(() => other.signals.recent().some((m) => m.from === a.identity.nodeId)).toBe(true);
    }
  });

  it('with no source at all a node says so and waits to be dialed', async () => {
    const warnings: string[] = [];
    const lonely = await startTestNode({ modules: (r) => [new BootstrapModule(r.components, { seeds: r.config.seeds })], warn: (line) => warnings.push(line) });
    nodes.push(lonely);
    expect(bootstrapSources(lonely)).toEqual([]);
    expect(warnings.join('\n')).toContain('no source');
  });
});
