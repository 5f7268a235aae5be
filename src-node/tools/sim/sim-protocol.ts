// Messages between the discovery simulation's coordinator and its worker processes (IPC).

export interface SimNodeSpec {
  readonly name: string;
  readonly dataDir: string;
  readonly group: 'A' | 'B';
}

export interface SimStartMessage {
  readonly type: 'start';
  readonly nodes: readonly SimNodeSpec[];
  /** Seed and directory as each group reaches them (group B through gates). */
  readonly seeds: { readonly A: string; readonly B: string };
  readonly directories: { readonly A: string; readonly B: string };
  readonly concurrency: number;
}

export type CoordinatorMessage =
  | SimStartMessage
  | { readonly type: 'live'; readonly ids: readonly string[] }
  | { readonly type: 'stop-nodes'; readonly names: readonly string[] }
  | { readonly type: 'start-nodes'; readonly nodes: readonly SimNodeSpec[] }
  /** Restrict sessions to these node-ids (a partition), or lift the restriction (null). */
  | { readonly type: 'allow'; readonly group: 'A' | 'B'; readonly ids: readonly string[] | null }
  | { readonly type: 'shutdown' };

export type WorkerMessage =
  | { readonly type: 'node-started'; readonly name: string; readonly nodeId: string }
  | { readonly type: 'node-stopped'; readonly name: string }
  | { readonly type: 'node-failed'; readonly name: string; readonly error: string }
  /** For each running node: how many of the live node-ids (other than itself) it knows. */
  /** `sentBytes`: session bytes each running node has sent since it started (issue 12 §4 figures). */
  | { readonly type: 'knowledge'; readonly known: Readonly<Record<string, number>>; readonly rssBytes: number; readonly sentBytes: Readonly<Record<string, number>> }
  | { readonly type: 'shutdown-done' };

/** How often workers report what their nodes know. */
export const SIM_REPORT_INTERVAL_MS = 500;
