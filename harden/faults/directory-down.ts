// Scenario 2, the directory down: a `pnode directory` child, a seed and N nodes (real runtimes with
// the modules `pnode node` runs: bootstrap, directory client, peer exchange) bootstrapped from the
// directory and the seed. Once every node knows every other, the directory is SIGKILLed. Then new
// nodes start (the dead directory still configured) and existing nodes publish new advertisements:
// every live node must learn each of them by gossip alone. Figures: time from a newcomer's start
// until all others hold its advertisement (and until it holds theirs), and from a re-publication
// until all hold the new sequence.
import { join } from 'node:path';
import { NodeRuntime } from '../../src-node/kernel/runtime/node-runtime.js';
import { discoveryModules, discoveryParts } from '../../src-node/recipes/discovery.js';
import { DirectoryClient } from '../../src-node/kernel/discovery/directory-client.js';
import { PEER_EXCHANGE_INTERVAL_MS, PEER_EXCHANGE_JITTER, PeerExchange } from '../../src-node/kernel/discovery/peer-exchange.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';
import { loopbackConfig, seedOf, startRuntime, stopRuntimes, type RuntimeSpec } from '../lib/runtimes.js';
import { startDirectoryChild } from './services.js';
import { timeUntil } from './wait.js';

/** The longest wait for the first convergence (with the directory up). */
export const INITIAL_CONVERGE_WAIT_MS = 60_000;
/**
 * The longest wait for news to reach everyone by gossip: two periodic exchange rounds at their
 * longest, and a margin. Epidemic forwarding normally does it in well under a second.
 */
export const GOSSIP_WAIT_MS = Math.round(2 * PEER_EXCHANGE_INTERVAL_MS * (1 + PEER_EXCHANGE_JITTER)) + 10_000;
/** How often the nodes' advertisement caches are looked at. */
export const KNOWLEDGE_POLL_MS = 20;
/** Nodes started at once. */
export const NODE_START_BATCH = 8;
/** The directory must refuse connections once killed; a request gets this long. */
const DIRECTORY_PROBE_TIMEOUT_MS = 1_000;

export interface DirectoryDownOptions {
  readonly nodes: number;
  /** Nodes started after the directory died, one after another. */
  readonly newcomers: number;
  /** Existing nodes that publish a new advertisement after the directory died. */
  readonly republishers: number;
  readonly workDir: string;
  readonly log?: (line: string) => void;
}

export interface SpreadFigure {
  readonly kind: 'newcomer' | 're-published';
  readonly what: string;
  /** Nodes that must learn it, and how many did. */
  readonly of: number;
  readonly learned: number;
  /** From the start (newcomer) or the re-publication until every one held it; null if not all did. */
  readonly knownByAllMs: number | null;
  /** A newcomer: from its start until it held every other live node's advertisement. */
  readonly learnedAllMs: number | null;
}

export interface DirectoryDownResult {
  readonly nodes: number;
  readonly initialConvergenceMs: number | null;
  /** The directory no longer answered after the kill. */
  readonly directoryDead: boolean;
  readonly spread: readonly SpreadFigure[];
}

/** `holder` has `subject`'s advertisement with at least sequence `sequence`. */
function holds(holder: NodeRuntime, subject: NodeRuntime, sequence = 0): boolean {
  const held = holder.advertisements.get(subject.identity.nodeId);
  return held !== undefined && held !== null && held['sequence/no'] >= sequence;
}

function knownBy(members: readonly NodeRuntime[], subject: NodeRuntime, sequence = 0): number {
  return members.filter((m) => m !== subject && holds(m, subject, sequence)).length;
}

async function directoryAnswers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(DIRECTORY_PROBE_TIMEOUT_MS) });
    return true;
  } catch {
    return false;
  }
}

export async function runDirectoryDown(options: DirectoryDownOptions): Promise<DirectoryDownResult> {
  const log = options.log ?? (() => undefined);
  const directory = await startDirectoryChild(join(options.workDir, 'directory'), await freeLoopbackPort());
  const members: NodeRuntime[] = [];
  try {
    const seed = await startRuntime({ dataDir: join(options.workDir, 'seed'), role: 'seed', listen: true }, (r) => [new DirectoryClient(r.components, { directories: [directory.url] }), new PeerExchange(r.components)]);
    members.push(seed);
    let counter = 0;
    const startNode = (): Promise<NodeRuntime> => {
      const spec: RuntimeSpec = { dataDir: join(options.workDir, `node-${counter++}`), role: 'contributor', listen: true, seeds: [seedOf(seed)] };
      const config = loopbackConfig(spec);
      return NodeRuntime.launch(config, (r) => discoveryModules(discoveryParts(r, { directories: [directory.url] })));
    };
    const started = Date.now();
    for (let i = 0; i < options.nodes; i += NODE_START_BATCH) {
      const batch = Array.from({ length: Math.min(NODE_START_BATCH, options.nodes - i) }, () => startNode());
      members.push(...(await Promise.all(batch)));
    }
    const converged = (): boolean => members.every((subject) => knownBy(members, subject) === members.length - 1);
    const initialConvergenceMs = await timeUntil(converged, { timeoutMs: INITIAL_CONVERGE_WAIT_MS, everyMs: KNOWLEDGE_POLL_MS, from: started });
    log(`  ${members.length} nodes (seed included) ${initialConvergenceMs === null ? 'did not converge' : `know each other after ${initialConvergenceMs} ms`}`);

    await directory.child.kill();
    const directoryDead = !(await directoryAnswers(directory.url));
    log(`  directory SIGKILLed${directoryDead ? '' : ' (but it still answers!)'}`);

    const spread: SpreadFigure[] = [];
    for (let i = 0; i < options.newcomers; i++) {
      const from = Date.now();
      const newcomer = await startNode();
      members.push(newcomer);
      const others = members.filter((m) => m !== newcomer);
      const [knownByAllMs, learnedAllMs] = await Promise.all([
        timeUntil(() => knownBy(members, newcomer) === others.length, { timeoutMs: GOSSIP_WAIT_MS, everyMs: KNOWLEDGE_POLL_MS, from }),
        timeUntil(() => others.every((o) => holds(newcomer, o)), { timeoutMs: GOSSIP_WAIT_MS, everyMs: KNOWLEDGE_POLL_MS, from }),
      ]);
      spread.push({ kind: 'newcomer', what: `newcomer ${i + 1}`, of: others.length, learned: knownBy(members, newcomer), knownByAllMs, learnedAllMs });
      log(`  newcomer ${i + 1}: known by ${knownBy(members, newcomer)}/${others.length}${knownByAllMs === null ? '' : ` after ${knownByAllMs} ms`}`);
    }
    for (let i = 0; i < options.republishers; i++) {
      // Existing contributors in turn (not the seed, not a newcomer).
      const node = members[1 + (i % Math.max(1, options.nodes))]!;
      const from = Date.now();
      const advertisement = await node.publishAdvertisement();
      const sequence = advertisement?.['sequence/no'] ?? 0;
      const others = members.length - 1;
      const knownByAllMs = await timeUntil(() => knownBy(members, node, sequence) === others, { timeoutMs: GOSSIP_WAIT_MS, everyMs: KNOWLEDGE_POLL_MS, from });
      spread.push({ kind: 're-published', what: `re-published ${i + 1} (seq ${sequence})`, of: others, learned: knownBy(members, node, sequence), knownByAllMs, learnedAllMs: null });
      log(`  re-published advertisement ${i + 1}: held by ${knownBy(members, node, sequence)}/${others}${knownByAllMs === null ? '' : ` after ${knownByAllMs} ms`}`);
    }
    return { nodes: members.length, initialConvergenceMs, directoryDead, spread };
  } finally {
    await stopRuntimes(members);
    await directory.child.kill();
  }
}
