// Issue 15 §1, eclipse resistance of the peer cache. A victim node (the discovery stack of
// `pnode node`, in this process) knows `honest` real peers from an honest seed directory and has
// dialed `tried` of them (they are tried); then an attacker in a process of its own
// (eclipse-attacker.ts) serves validly signed advertisements of thousands of identities through a
// seed directory the victim was given, and/or pushes them from gossiping sessions under many
// identities from several 127.x addresses. Meanwhile the victim's outbound sessions are closed
// every CHURN_EVERY_MS, so its working set keeps dialing, and an honest visitor opens a session to
// it every VISITOR_EVERY_MS. Then the victim is stopped and started again on its data dir (without
// the honest directory, so what it knows comes from its own files).
//
// Scenarios: far-future (the attack as the issue found it: directory and gossip, expiry years
// ahead), directory, gossip, both (advertisements at the longest lifetime the rules allow).
// Figures per scenario: the attacker's identities, addresses, advertisements and seconds; honest
// entries kept (peer store and cache) after the attack and after the restart; the victim's dials
// during the attack (to honest peers, and how many of those succeeded) and how often its hot peers
// were all honest (sampled every HOT_SAMPLE_MS); the visitor's handshakes;
// attacker entries the victim pushed (forwarded) and answered to honest peers; memory and disk
// growth; restart time and the time until the victim's hot peers are all honest again.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed } from '../../src-node/kernel/identity/node-identity.js';
import { discoveryNode, type DiscoveryNode, type DiscoveryNodeConfig } from '../../src-node/recipes/discovery-node.js';
import { directoryNode, type DirectoryNode } from '../../src-node/recipes/directory-node.js';
import type { PeerExchangeBody } from '../../src-shared/protocol/messages/discovery-bodies.js';
import type { SessionMessage } from '../../src-shared/protocol/messages/session-message.js';
import { HOT_PEERS } from '../../src-shared/protocol/profile.js';
import { openSession } from '../faults/healthy-peer.js';
import { pollFor, sleep } from '../faults/wait.js';
import { buildBundle, startBundledChild } from './bundled-child.js';
import { HonestClient, type HonestFigures } from './honest.js';
import { attackerAddresses, HONEST_ADDRESS, usable } from './loopback.js';
import { dirBytes, RssSampler, rssMiB } from './process.js';
import type { AttackerFigures, EclipseAttackerPlan } from './eclipse-attacker.js';

export const ECLIPSE_SCENARIOS = ['far-future', 'directory', 'gossip', 'both'] as const;
export type EclipseScenarioName = (typeof ECLIPSE_SCENARIOS)[number];

/** The victim's outbound sessions are closed this often during the attack, so it keeps dialing. */
export const CHURN_EVERY_MS = 1_000;
/** The honest visitor opens a session this often… */
export const VISITOR_EVERY_MS = 500;
/** …each given this long. */
export const VISITOR_TIMEOUT_MS = 5_000;
/** The victim's hot peers are looked at this often during the attack. */
export const HOT_SAMPLE_MS = 250;
/** Setting up (honest peers learned and dialed) and recovering get at most this long. */
export const SETUP_TIMEOUT_MS = 60_000;
/** The victim's directory polls and working-set plans, faster than the product's defaults (a short run). */
const VICTIM_SYNC_INTERVAL_MS = 1_000;
const VICTIM_PLAN_INTERVAL_MS = 500;

export interface EclipseOptions {
  readonly workDir: string;
  /** Honest peers the victim knows. */
  readonly honest: number;
  /** Of them, those the victim dials before the attack (tried). */
  readonly tried: number;
  /** Identities in the attacker's advertisement pool. */
  readonly identities: number;
  /** Addresses the gossiping sessions come from (in /24s of `perPrefix`). */
  readonly gossipAddresses: number;
  readonly perPrefix: number;
  /** Session identities the gossip may use. */
  readonly sessionIdentities: number;
  readonly attackMs: number;
  readonly loopbackRange: boolean;
  readonly seed: number;
  readonly scenarios?: readonly EclipseScenarioName[];
  readonly log?: (line: string) => void;
}

export interface Kept {
  readonly tried: number;
  readonly untried: number;
  /** Of all honest peers, in the peer store with their advertisement in the cache. */
  readonly rate: number;
}

export interface DialFigures {
  readonly dials: number;
  readonly toHonest: number;
  readonly honestSucceeded: number;
  readonly toAttacker: number;
}

export interface EclipseResult {
  readonly scenario: EclipseScenarioName;
  readonly attacker: AttackerFigures;
  readonly honest: number;
  readonly tried: number;
  readonly keptAfterAttack: Kept;
  readonly keptAfterRestart: Kept;
  readonly attackerEntries: { readonly peers: number; readonly cache: number; readonly afterRestartPeers: number; readonly afterRestartCache: number };
  readonly victimDials: DialFigures;
  /** Samples of the victim's hot peers during the attack (every HOT_SAMPLE_MS), and those in which every one was honest. */
  readonly hotSamples: number;
  readonly hotHonestSamples: number;
  readonly visitor: HonestFigures;
  /** Attacker advertisements the victim pushed (forwarded) to honest peers, and answered them. */
  readonly forwarded: number;
  readonly answered: number;
  readonly answersSeen: number;
  /** Refused by the victim: invalid (lifetime, forged), crowded (no room its source may take). */
  readonly refusedInvalid: number;
  readonly refusedCrowded: number;
  readonly heldBack: number;
  /** Whether the victim found the attacker's directory hostile (mostly invalid pages) and left it alone. */
  readonly directoryHostile: boolean;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly heapGrowthMiB: number;
  readonly diskBefore: number;
  readonly diskAfter: number;
  readonly restartMs: number;
  /** From the restart until the victim's hot peers were all honest; null if never within SETUP_TIMEOUT_MS. */
  readonly recoverMs: number | null;
}

function config(dataDir: string, role: 'contributor' | 'seed', directories: readonly string[]): DiscoveryNodeConfig {
  return {
    dataDir,
    role,
    listen: ['ws://127.0.0.1:0/peer'],
    seeds: [],
    insecureLoopback: true,
    trustCa: [],
    keystore: 'file',
    warn: () => undefined,
    version: 'harden',
    initialSettings: { joined: role === 'contributor' },
    timing: { planIntervalMs: VICTIM_PLAN_INTERVAL_MS },
    discovery: { directories, directoryClient: { timing: { syncIntervalMs: VICTIM_SYNC_INTERVAL_MS } } },
  };
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function kept(victim: DiscoveryNode, honestIds: readonly string[], triedIds: ReadonlySet<string>): Kept {
  let tried = 0;
  let untried = 0;
  for (const id of honestIds) {
    if (!victim.runtime.peers.get(id) || !victim.runtime.advertisements.get(id)) continue;
    if (triedIds.has(id)) tried++;
    else untried++;
  }
  return { tried, untried, rate: honestIds.length === 0 ? 1 : (tried + untried) / honestIds.length };
}

function attackerCounts(victim: DiscoveryNode, known: ReadonlySet<string>): { peers: number; cache: number } {
  return {
    peers: victim.runtime.peers.all().filter((r) => !known.has(r.nodeId)).length,
    cache: victim.runtime.advertisements.all().filter((a) => !known.has(a['node/id'])).length,
  };
}

/** Watches the victim's dials through its peer store: who, and whether the session came up. */
function watchDials(victim: DiscoveryNode, honest: ReadonlySet<string>): { figures: () => DialFigures; stop: () => void } {
  let dials = 0;
  let toHonest = 0;
  let honestSucceeded = 0;
  let toAttacker = 0;
  const stop = victim.runtime.peers.subscribe((event) => {
    if (event.type !== 'updated') return;
    const { peer, previous } = event;
    if (peer.lifecycle === 'dialing' && previous.lifecycle !== 'dialing') {
      dials++;
      if (honest.has(peer.nodeId)) toHonest++;
      else toAttacker++;
    }
    if (previous.lifecycle === 'dialing' && peer.lifecycle === 'connected' && honest.has(peer.nodeId)) honestSucceeded++;
  });
  return { figures: () => ({ dials, toHonest, honestSucceeded, toAttacker }), stop };
}

async function startHonest(options: EclipseOptions, root: string): Promise<{ directory: DirectoryNode; peers: DiscoveryNode[] }> {
  const directory = await directoryNode({ ...config(join(root, 'honest-directory'), 'seed', []), role: 'directory', listen: [], directory: { listen: 'http://127.0.0.1:0', fsync: false } });
  const peers: DiscoveryNode[] = [];
  for (let i = 0; i < options.honest; i++) peers.push(await discoveryNode(config(join(root, `honest-${i}`), 'seed', [directory.directory.url])));
  return { directory, peers };
}

export async function runEclipseScenario(options: EclipseOptions, scenario: EclipseScenarioName): Promise<EclipseResult> {
  const log = options.log ?? (() => undefined);
  const root = join(options.workDir, scenario);
  await mkdir(root, { recursive: true });
  const victimDir = join(root, 'victim');
  const { directory, peers: honestPeers } = await startHonest(options, root);
  const honestIds: string[] = honestPeers.map((p) => p.runtime.identity.nodeId);
  const honestSet = new Set<string>(honestIds);
  const visitorIdentity = identityFromSeed(randomBytes(32), nativeCrypto);
  let victim = await discoveryNode(config(victimDir, 'contributor', [directory.directory.url]));
  const known = new Set<string>([...honestIds, visitorIdentity.nodeId, directory.runtime.identity.nodeId]);
  const stopAll = async (): Promise<void> => {
    await victim.stop().catch(() => undefined);
    await Promise.all(honestPeers.map((p) => p.stop().catch(() => undefined)));
    await directory.stop().catch(() => undefined);
  };
  try {
    // Before: the victim learns every honest peer from the directory and dials `tried` of them.
    const learned = await pollFor(() => (honestIds.every((id) => victim.runtime.advertisements.get(id)) ? true : undefined), { timeoutMs: SETUP_TIMEOUT_MS, everyMs: 100 });
    if (!learned) throw new Error(`the victim did not learn the ${options.honest} honest peers from the directory`);
    const triedIds = new Set(honestIds.slice(0, options.tried));
    for (const peer of honestPeers.slice(0, options.tried)) {
      await victim.runtime.connections.connect(peer.runtime.listenUrls(), { nodeId: peer.runtime.identity.nodeId }).catch(() => undefined);
    }
    for (const id of victim.runtime.peers.all().filter((r) => r.verifiedAt !== null && honestSet.has(r.nodeId))) triedIds.add(id.nodeId);
    await pollFor(() => ([...triedIds].every((id) => victim.runtime.peers.isTried(id)) ? true : undefined), { timeoutMs: SETUP_TIMEOUT_MS, everyMs: 100 });
    await victim.runtime.peers.flush();
    await victim.runtime.advertisements.flush();
    const diskBefore = dirBytes(victimDir);
    const heapBefore = heapMiB();
    const rssBefore = rssMiB(process.pid);
    log(`  ${scenario}: victim knows ${honestIds.length} honest peers (${triedIds.size} tried); attack for ${options.attackMs / 1000} s`);

    // The attack, in a process of its own.
    const gossip = scenario === 'gossip' || scenario === 'both' || scenario === 'far-future';
    const byDirectory = scenario === 'directory' || scenario === 'both' || scenario === 'far-future';
    const addresses = usable(attackerAddresses(options.gossipAddresses, options.perPrefix), options.loopbackRange);
    const directoryHost = options.loopbackRange ? '127.66.0.1' : HONEST_ADDRESS;
    const plan: EclipseAttackerPlan = {
      seed: options.seed,
      identities: options.identities,
      farFuture: scenario === 'far-future',
      directoryHost: byDirectory ? directoryHost : null,
      victim: gossip ? { url: victim.runtime.listenUrls()[0]!, nodeId: victim.runtime.identity.nodeId } : null,
      addresses,
      sessionIdentities: options.sessionIdentities,
      durationMs: options.attackMs,
    };
    const sampler = new RssSampler(process.pid);
    const dials = watchDials(victim, honestSet);
    let forwarded = 0;
    let answered = 0;
    let answersSeen = 0;
    const victimId: string = victim.runtime.identity.nodeId;
    const spies = honestPeers.map((peer) => {
      const spy = (connection: { peerNodeId: string }, message: SessionMessage): void => {
        if (message.kind !== 'peer-exchange' || connection.peerNodeId !== victimId) return;
        const body = message.body as PeerExchangeBody;
        const strangers = (body.advertisements ?? []).filter((a) => !known.has(String(a['node/id'])) && a['node/id'] !== victimId).length;
        if (body['re/id'] !== undefined) {
          answersSeen++;
          answered += strangers;
        } else if (body['req/id'] === undefined) forwarded += strangers;
      };
      peer.runtime.connections.on('message', spy);
      return () => peer.runtime.connections.off('message', spy);
    });
    const visitor = new HonestClient(
      'visitor',
      async () => {
        const connection = await openSession(visitorIdentity, victim.runtime.listenUrls()[0]!, victimId, HONEST_ADDRESS);
        connection.close(undefined, 'visit over');
        return true;
      },
      VISITOR_EVERY_MS,
      VISITOR_TIMEOUT_MS,
    );
    const bundle = await buildBundle({ dir: 'hostile', module: 'eclipse-attacker.ts', run: 'runEclipseAttacker' }, 'eclipse-attacker');
    const { child, match } = await startBundledChild(bundle, [JSON.stringify(plan)], /directory (\S+)\nready\n/);
    const attackStart = Date.now();
    if (match[1] !== 'none') await victim.runtime.updateSettings((s) => ({ ...s, directories: [...s.directories, match[1]!] }));
    visitor.start();
    let hotSamples = 0;
    let hotHonestSamples = 0;
    const hotSampler = setInterval(() => {
      const hot = victim.runtime.peers.all().filter((r) => r.temperature === 'hot');
      if (hot.length === 0) return;
      hotSamples++;
      if (hot.every((r) => honestSet.has(r.nodeId))) hotHonestSamples++;
    }, HOT_SAMPLE_MS);
    const churn = setInterval(() => {
      for (const connection of victim.runtime.connections.connections()) if (connection.direction === 'outbound') connection.close(undefined, 'harness churn');
    }, CHURN_EVERY_MS);
    let figures: AttackerFigures | undefined;
    try {
      const done = await pollFor(() => /figures (\{.*\})\n/.exec(child.output())?.[1], { timeoutMs: options.attackMs + 60_000, everyMs: 200 });
      if (!done) throw new Error(`the attacker did not finish:\n${child.output().slice(-2_000)}`);
      figures = JSON.parse(done) as AttackerFigures;
    } finally {
      clearInterval(churn);
      clearInterval(hotSampler);
      await visitor.stop();
      await child.kill();
    }
    const attackEnd = Date.now();
    const rssPeak = sampler.stop();
    dials.stop();
    for (const off of spies) off();
    const keptAfterAttack = kept(victim, honestIds, triedIds);
    const during = attackerCounts(victim, known);
    const stats = victim.peerExchange.stats();
    const heldBack = victim.peerExchange.heldBack;
    const directoryHostile = victim.directoryClient.status().some((d) => d.url === match[1] && d.hostileUntil !== null);
    const heapAfter = heapMiB();
    log(`  ${scenario}: attack over; honest kept ${(keptAfterAttack.rate * 100).toFixed(1)} %, attacker entries ${during.peers} peers / ${during.cache} cached; restarting the victim`);

    // The restart: the same data dir, without the honest directory (what it knows is what it kept).
    await victim.stop();
    const restartFrom = Date.now();
    victim = await discoveryNode(config(victimDir, 'contributor', []));
    const restartMs = Date.now() - restartFrom;
    const keptAfterRestart = kept(victim, honestIds, triedIds);
    const after = attackerCounts(victim, known);
    const recovered = await pollFor(
      () => {
        const live = victim.runtime.connections.connections().filter((c) => c.isOpen);
        const honestLive = live.filter((c) => honestSet.has(c.peerNodeId));
        return honestLive.length >= HOT_PEERS && live.every((c) => honestSet.has(c.peerNodeId)) ? Date.now() : undefined;
      },
      { timeoutMs: SETUP_TIMEOUT_MS, everyMs: 50 },
    );
    await victim.runtime.peers.flush();
    await victim.runtime.advertisements.flush();
    const diskAfter = dirBytes(victimDir);
    return {
      scenario,
      attacker: figures,
      honest: honestIds.length,
      tried: triedIds.size,
      keptAfterAttack,
      keptAfterRestart,
      attackerEntries: { peers: during.peers, cache: during.cache, afterRestartPeers: after.peers, afterRestartCache: after.cache },
      victimDials: dials.figures(),
      hotSamples,
      hotHonestSamples,
      visitor: visitor.between(attackStart, attackEnd),
      forwarded,
      answered,
      answersSeen,
      refusedInvalid: stats.invalid,
      refusedCrowded: stats.crowded,
      heldBack,
      directoryHostile,
      rssBeforeMiB: rssBefore,
      rssPeakMiB: rssPeak,
      heapGrowthMiB: heapAfter - heapBefore,
      diskBefore,
      diskAfter,
      restartMs,
      recoverMs: recovered === undefined ? null : recovered - restartFrom,
    };
  } finally {
    await stopAll();
  }
}

export async function runEclipse(options: EclipseOptions): Promise<EclipseResult[]> {
  const results: EclipseResult[] = [];
  for (const scenario of options.scenarios ?? ECLIPSE_SCENARIOS) {
    results.push(await runEclipseScenario(options, scenario));
    await sleep(100);
  }
  return results;
}
