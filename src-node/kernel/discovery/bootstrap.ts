// The bootstrap chain (DESIGN.md §1; spec digest §e): how a node finds its way into a network.
// Three kinds of source, in precedence order; each is optional and any one is enough:
//   1. static seeds: --seed on the command line, then the network descriptor's seeds, then the
//      seeds the volunteer saved in settings. When two name the same node-id the first decides
//      its label and the order of its URLs; the URLs of later mentions are appended.
//   2. seed directories: --directory, then the network descriptor's (the directory client reads
//      them and adds the peers it finds).
//   3. remembered peers: peers.json and the advertisement cache of earlier runs.
// The runtime already loads seeds and remembered peers into the peer store, and gossip
// (peer-exchange.ts) spreads what any one of them knows. This file assembles the sources for
// the operator and the trace: BootstrapModule reports, when the node starts, which sources it has
// (one `peer/discovered` event with detail via "bootstrap", and one line for the banner), warns
// when it has none, and drops our own node-id from the peer store (a network descriptor lists its
// seeds, and a seed runs with that same descriptor: it must not dial itself).
import { networkDirectories, networkSeeds } from '../../../src-shared/network/network-descriptor.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import type { SeedPeer } from '../peers/peer-store.js';

export const BOOTSTRAP_SOURCES = ['seeds', 'directories', 'remembered'] as const;
export type BootstrapSource = (typeof BOOTSTRAP_SOURCES)[number];

/** Seed lists merged by precedence (earlier lists first); one entry per node-id. */
export function mergeSeeds(...lists: readonly (readonly SeedPeer[])[]): SeedPeer[] {
  const merged = new Map<string, SeedPeer>();
  for (const list of lists) {
    for (const seed of list) {
      const held = merged.get(seed.nodeId);
      if (!held) {
        merged.set(seed.nodeId, { ...seed, urls: [...new Set(seed.urls)] });
        continue;
      }
      merged.set(seed.nodeId, { ...held, urls: [...new Set([...held.urls, ...seed.urls])], ...(held.label === undefined && seed.label !== undefined ? { label: seed.label } : {}) });
    }
  }
  return [...merged.values()];
}

export interface BootstrapInputs {
  /** --seed, in order. */
  readonly cliSeeds: readonly SeedPeer[];
  readonly networkSeeds: readonly SeedPeer[];
  readonly settingsSeeds: readonly SeedPeer[];
  /** --directory first, then the descriptor's. */
  readonly directories: readonly string[];
  /** Peers known from earlier runs (peer store and advertisement cache), seeds aside. */
  readonly remembered: number;
}

export interface BootstrapPlan {
  /** Every static seed, merged by precedence. */
  readonly seeds: readonly SeedPeer[];
  /** Distinct node-ids each seed list names (one node-id may be in several). */
  readonly seedCounts: { readonly cli: number; readonly network: number; readonly settings: number };
  readonly directories: readonly string[];
  readonly remembered: number;
  /** The sources this node has, in precedence order; empty: it can only wait to be dialed. */
  readonly sources: readonly BootstrapSource[];
}

export function planBootstrap(inputs: BootstrapInputs): BootstrapPlan {
  const seeds = mergeSeeds(inputs.cliSeeds, inputs.networkSeeds, inputs.settingsSeeds);
  const directories = [...new Set(inputs.directories)];
  const distinct = (list: readonly SeedPeer[]) => new Set(list.map((s) => s.nodeId)).size;
  const present: Record<BootstrapSource, boolean> = { seeds: seeds.length > 0, directories: directories.length > 0, remembered: inputs.remembered > 0 };
  return {
    seeds,
    seedCounts: { cli: distinct(inputs.cliSeeds), network: distinct(inputs.networkSeeds), settings: distinct(inputs.settingsSeeds) },
    directories,
    remembered: inputs.remembered,
    sources: BOOTSTRAP_SOURCES.filter((s) => present[s]),
  };
}

/** One line for the operator: `static seeds 3 (command line 1, network 2) → directories 1 → remembered peers 12`. */
export function describeBootstrap(plan: BootstrapPlan): string {
  if (plan.sources.length === 0) return 'no source: no seeds, no directories, no remembered peers (waiting to be dialed)';
  const origins = [
    ['command line', plan.seedCounts.cli],
    ['network', plan.seedCounts.network],
    ['settings', plan.seedCounts.settings],
  ]
    .filter(([, n]) => (n as number) > 0)
    .map(([what, n]) => `${what} ${n}`)
    .join(', ');
  const parts: string[] = [];
  for (const source of plan.sources) {
    if (source === 'seeds') parts.push(`static seeds ${plan.seeds.length} (${origins})`);
    if (source === 'directories') parts.push(`directories ${plan.directories.length}`);
    if (source === 'remembered') parts.push(`remembered peers ${plan.remembered}`);
  }
  return parts.join(' → ');
}

export interface BootstrapOptions {
  /** The static seeds the node was given (command line first, then the network's, merged). */
  readonly seeds: readonly SeedPeer[];
  /** --directory values; the network descriptor's are added. */
  readonly directories?: readonly string[];
}

export type BootstrapComponents = Pick<KernelComponents, 'identity' | 'peers' | 'settings' | 'traces' | 'network' | 'warn'> & Partial<Pick<KernelComponents, 'role'>>;

/** The inputs of a running node: its config, settings, network and peer store. */
export function bootstrapInputsOf(runtime: BootstrapComponents, options: BootstrapOptions): BootstrapInputs {
  const descriptor = runtime.network?.descriptor;
  const fromNetwork = descriptor ? networkSeeds(descriptor) : [];
  const networkIds = new Set<string>(fromNetwork.map((s) => s.nodeId));
  const self = runtime.identity.nodeId;
  const remembered = runtime.peers.all().filter((r) => r.nodeId !== self && r.source !== 'seed' && r.endpoints.length > 0).length;
  const others = (list: readonly SeedPeer[]) => list.filter((s) => s.nodeId !== self);
  return {
    // applyNetwork merged the descriptor's seeds into config.seeds; the rest came from --seed.
    cliSeeds: others(options.seeds.filter((s) => !networkIds.has(s.nodeId))),
    networkSeeds: others(fromNetwork),
    settingsSeeds: others(runtime.settings.get().seeds.map((s) => ({ nodeId: s.nodeId, urls: [s.url], ...(s.label ? { label: s.label } : {}) }))),
    directories: [...(options.directories ?? []), ...(descriptor ? networkDirectories(descriptor) : [])],
    remembered,
  };
}

export class BootstrapModule implements RuntimeModule {
  readonly name = 'bootstrap';
  private current: BootstrapPlan | undefined;

  constructor(
    private readonly components: BootstrapComponents,
    private readonly options: BootstrapOptions,
  ) {
    requireComponents(this.name, components, ['identity', 'peers', 'settings', 'traces', 'warn']);
  }

  /** What the node started with (undefined before start). */
  get plan(): BootstrapPlan | undefined {
    return this.current;
  }

  start(): void {
    const runtime = this.components;
    runtime.peers.forget(runtime.identity.nodeId);
    const plan = planBootstrap(bootstrapInputsOf(runtime, this.options));
    this.current = plan;
    runtime.traces.emit('peer/discovered', {
      detail: {
        via: 'bootstrap',
        sources: plan.sources,
        seeds: plan.seeds.length,
        directories: plan.directories.length,
        remembered: plan.remembered,
      },
    });
    // A service (orchestrator, directory) with no source is simply waiting to be dialed.
    const dials = runtime.role === undefined || runtime.role === 'contributor' || runtime.role === 'seed';
    if (plan.sources.length === 0 && dials) runtime.warn(`warning: bootstrap: ${describeBootstrap(plan)}`);
  }

  stop(): void {}

  /** For the start banner of `pnode node`. */
  bannerLines(): string[] {
    return this.current ? [`bootstrap  ${describeBootstrap(this.current)}`] : [];
  }
}
