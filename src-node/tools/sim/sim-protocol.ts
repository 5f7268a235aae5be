// Messages between the discovery simulation's coordinator and its worker processes (IPC).

import type { NetworkMembership } from '../../kernel/runtime/node-config.js';

export interface SimNodeSpec {
  readonly name: string;
  readonly dataDir: string;
  readonly group: 'A' | 'B';
  /** The compute profile the node offers (mode runs). */
  readonly capability?: string;
  /** The IPv4 loopback address its DHT binds (mode dht: one per node, as one per home). */
  readonly dhtHost?: string;
}

export interface SimStartMessage {
  readonly type: 'start';
  readonly nodes: readonly SimNodeSpec[];
  /** Seed and directory as each group reaches them (group B through gates). */
  readonly seeds: { readonly A: string; readonly B: string };
  readonly directories: { readonly A: string; readonly B: string };
  readonly concurrency: number;
  /**
   * `--mode dht` (issue 16): the nodes are dial-only, find each other through the network's DHT
   * (this descriptor names its bootstrap nodes) and announce `capability` of their spec; `gossip`:
   * the seed-and-directory world above. Unset: the convergence simulation.
   */
  readonly mode?: 'dht' | 'gossip';
  readonly network?: NetworkMembership;
}

export type CoordinatorMessage =
  | SimStartMessage
  | { readonly type: 'live'; readonly ids: readonly string[] }
  | { readonly type: 'stop-nodes'; readonly names: readonly string[] }
  | { readonly type: 'start-nodes'; readonly nodes: readonly SimNodeSpec[] }
  /** Restrict sessions to these node-ids (a partition), or lift the restriction (null). */
  | { readonly type: 'allow'; readonly group: 'A' | 'B'; readonly ids: readonly string[] | null }
  | { readonly type: 'shutdown' }
  /** Mode runs: which capability each live node offers (node-id → capability), for gossip-mode finds. */
  | { readonly type: 'capabilities'; readonly byNodeId: Readonly<Record<string, string>> }
  /** Mode runs: node `name` finds one live, verified peer offering `capability`. */
  | { readonly type: 'find'; readonly id: number; readonly name: string; readonly capability: string };

export type WorkerMessage =
  | { readonly type: 'node-started'; readonly name: string; readonly nodeId: string }
  | { readonly type: 'node-stopped'; readonly name: string }
  | { readonly type: 'node-failed'; readonly name: string; readonly error: string }
  /** For each running node: how many of the live node-ids (other than itself) it knows. */
  /** `sentBytes`: session bytes each running node has sent since it started (issue 12 §4 figures). */
  | { readonly type: 'knowledge'; readonly known: Readonly<Record<string, number>>; readonly rssBytes: number; readonly sentBytes: Readonly<Record<string, number>> }
  | { readonly type: 'shutdown-done' }
  /** Mode runs: per running node, the bytes its sessions and (mode dht) its DHT moved so far. */
  | { readonly type: 'traffic'; readonly bytes: Readonly<Record<string, number>>; readonly rssBytes: number; readonly running: number; /** Running nodes others can find (dht: announced once). */ readonly ready: number }
  | { readonly type: 'found'; readonly id: number; readonly nodeId: string | null; readonly ms: number; readonly error?: string };

/** How often workers report what their nodes know. */
export const SIM_REPORT_INTERVAL_MS = 500;
