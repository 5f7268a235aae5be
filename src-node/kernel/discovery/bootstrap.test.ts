import { afterEach, describe, expect, it } from 'vitest';
import { testIdentity } from '../../../tests/support/identities.js';
import { startTestNode } from '../../../tests/support/nodes.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import type { NodeRuntime } from '../runtime/node-runtime.js';
import { BootstrapModule, describeBootstrap, mergeSeeds, planBootstrap, type BootstrapInputs } from './bootstrap.js';

const a = testIdentity(0x51).nodeId;
const b = testIdentity(0x52).nodeId;
const c = testIdentity(0x53).nodeId;

const NONE: BootstrapInputs = { cliSeeds: [], networkSeeds: [], settingsSeeds: [], directories: [], remembered: 0 };

describe('bootstrap sources', () => {
  it('merges seed lists by precedence: first mention decides order and label, later URLs are appended', () => {
    const merged = mergeSeeds(
      [{ nodeId: a, urls: ['wss://a-cli/peer'] }],
      [
        { nodeId: b, urls: ['wss://b-net/peer'], label: 'b from the network' },
        { nodeId: a, urls: ['wss://a-net/peer', 'wss://a-cli/peer'], label: 'a from the network' },
      ],
      [{ nodeId: c, urls: ['wss://c/peer'] }, { nodeId: b, urls: ['wss://b-settings/peer'], label: 'b from settings' }],
    );
    expect(merged).toEqual([
      { nodeId: a, urls: ['wss://a-cli/peer', 'wss://a-net/peer'], label: 'a from the network' },
      { nodeId: b, urls: ['wss://b-net/peer', 'wss://b-settings/peer'], label: 'b from the network' },
      { nodeId: c, urls: ['wss://c/peer'] },
    ]);
  });

  it('names the sources a node has, in precedence order; any one alone is a source', () => {
    expect(planBootstrap(NONE).sources).toEqual([]);
    expect(planBootstrap({ ...NONE, settingsSeeds: [{ nodeId: a, urls: ['wss://a/peer'] }] }).sources).toEqual(['seeds']);
    expect(planBootstrap({ ...NONE, directories: ['https://d/'] }).sources).toEqual(['directories']);
    expect(planBootstrap({ ...NONE, remembered: 3 }).sources).toEqual(['remembered']);
    const all = planBootstrap({
      cliSeeds: [{ nodeId: a, urls: ['wss://a/peer'] }],
      networkSeeds: [{ nodeId: a, urls: ['wss://a2/peer'] }, { nodeId: b, urls: ['wss://b/peer'] }],
      settingsSeeds: [],
      directories: ['https://d/', 'https://e/', 'https://d/'],
      remembered: 7,
    });
    expect(all.sources).toEqual(['seeds', 'directories', 'remembered']);
    expect(all.seeds.map((s) => s.nodeId)).toEqual([a, b]);
    expect(all.seedCounts).toEqual({ cli: 1, network: 2, settings: 0 });
    expect(all.directories).toEqual(['https://d/', 'https://e/']);
    expect(describeBootstrap(all)).toBe('static seeds 2 (command line 1, network 2) → directories 2 → remembered peers 7');
    expect(describeBootstrap(planBootstrap(NONE))).toContain('no source');
  });
});

const nodes: Array<NodeRuntime & { cleanup: () => Promise<void> }> = [];
const dirs: Array<{ cleanup: () => void }> = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.cleanup()));
  for (const dir of dirs.splice(0)) dir.cleanup();
});

describe('the bootstrap module', () => {
  it('reports the sources a node starts with as a trace event and a banner line', async () => {
    let module: BootstrapModule | undefined;
    const node = await startTestNode({
      seeds: [{ nodeId: a, urls: ['ws://127.0.0.1:9/peer'] }],
      modules: (r) => [(module = new BootstrapModule(r.components, { seeds: r.config.seeds, directories: ['https://directory.example.org/'] }))],
    });
    nodes.push(node);
    const event = node.traces.recent(1000).find((e) => e['event/type'] === 'peer/discovered' && e.detail?.['via'] === 'bootstrap');
    expect(event?.detail).toMatchObject({ sources: ['seeds', 'directories'], seeds: 1, directories: 1, remembered: 0 });
    expect(module!.bannerLines()).toEqual(['bootstrap  static seeds 1 (command line 1) → directories 1']);
  });

  it('warns when a node has no source at all', async () => {
    const warnings: string[] = [];
    const node = await startTestNode({ modules: (r) => [new BootstrapModule(r.components, { seeds: r.config.seeds })], warn: (line) => warnings.push(line) });
    nodes.push(node);
    expect(warnings.join('\n')).toContain('warning: bootstrap: no source');
  });

  it('drops its own node-id from the seeds (a seed runs with the descriptor that lists it)', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const first = await startTestNode({ dataDir: dir.path });
    const self = first.identity.nodeId;
    await first.stop();
    let module: BootstrapModule | undefined;
    const node = await startTestNode({
      dataDir: dir.path,
      seeds: [{ nodeId: self, urls: ['ws://127.0.0.1:9/peer'] }, { nodeId: b, urls: ['ws://127.0.0.1:9/peer'] }],
      modules: (r) => [(module = new BootstrapModule(r.components, { seeds: r.config.seeds }))],
    });
    nodes.push(node);
    expect(node.peers.get(self)).toBeUndefined();
    expect(node.peers.get(b)).toBeDefined();
    expect(module!.plan?.seeds.map((s) => s.nodeId)).toEqual([b]);
  });
});
