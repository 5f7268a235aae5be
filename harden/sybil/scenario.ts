// One Sybil scenario (issue 13 §4; `npm run harden -- sybil`): a real orchestrator with its work
// scheduler and job store, honest light PNodes each dialing from an address of its own
// (127.20.<i>.1: one machine per /24), and an attacker with many identities dialing from a few
// addresses, every one of them answering every task with the same wrong output (a prime count off
// by LIE_OFFSET; the benchmark they answer honestly, to get work at all). A project submits
// prime-counting tasks; every accepted output is compared with the sieve. The figures: what the
// attacker had (addresses, identities, registered, refused), what it sent, what got through.
import { countPrimesReference, decodePrimesOutput, encodePrimesInput } from '../../src-node/kernel/workloads/demo/primes.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { wasiWorkloadBytes } from '../../src-node/services/orchestrator/work/demo.js';
import { toBase64url } from '../../src-shared/protocol/encoding/base64url.js';
import { TestProject } from '../../tests/support/test-project.js';
import { LightPNode, lyingPrimes } from '../../tests/support/light-pnode.js';
import { type WorkNet, startWorkNet, submitBatch, waitBatch, waitUntil } from '../../tests/support/work-net.js';

/** What every attacking identity adds to the true count. */
export const LIE_OFFSET = 7;
const SPAN = 5_000;
const HEARTBEAT_MS = 250;

export interface SybilScenario {
  readonly name: string;
  readonly honest: number;
  /** Honest PNodes that are trusted (operator-attested, each by an operator of its own) from the start. */
  readonly trusted: number;
  /** The attacker's source addresses. */
  readonly attackerAddresses: readonly string[];
  /** Identities the attacker starts from each address. */
  readonly identitiesPerAddress: number;
  /** Tasks the honest PNodes run before the attacker comes (so some are established). */
  readonly warmUpTasks: number;
  readonly tasks: number;
  /** When the figure `wrong accepted` must be 0. */
  readonly mustHold: boolean;
  readonly seed: number;
}

export interface SybilFigures {
  readonly name: string;
  readonly mustHold: boolean;
  readonly honest: number;
  readonly honestEstablished: number;
  readonly honestTrusted: number;
  readonly attackerAddresses: number;
  readonly attackerPrefixes: number;
  readonly attackerIdentities: number;
  readonly attackerRegistered: number;
  readonly attackerRefused: number;
  readonly attackerTasks: number;
  readonly attackerResults: number;
  readonly tasks: number;
  readonly accepted: number;
  readonly failed: number;
  readonly wrongAccepted: number;
  readonly lies: number;
  readonly bans: number;
  readonly attemptsPerAccepted: number;
  readonly seconds: number;
}

const prefixOf = (address: string) => address.split('.').slice(0, 3).join('.');

/** Honest PNode i dials from its own /24. */
export const honestAddress = (i: number) => `127.20.${i + 1}.1`;

async function lights(net: WorkNet, addresses: readonly string[], make: (address: string) => ConstructorParameters<typeof LightPNode>[0]): Promise<LightPNode[]> {
  const nonces = new HandshakeNonceCache();
  const out: LightPNode[] = [];
  for (let i = 0; i < addresses.length; i += 16) {
    const batch = addresses.slice(i, i + 16).map((address) => new LightPNode(make(address)));
    await Promise.all(batch.map((p) => p.start(nonces).catch(() => undefined)));
    out.push(...batch);
  }
  return out;
}

async function runTasks(net: WorkNet, name: string, first: number, count: number): Promise<Array<{ state: string; wrong: boolean }>> {
  const module = wasiWorkloadBytes('primes-wasi');
  const tasks = Array.from({ length: count }, (_, i) => ({ name: `r${first + i}`, stdin: toBase64url(encodePrimesInput((first + i) * SPAN, (first + i + 1) * SPAN)), limits: { 'memory-mb': 16, 'max-ms': 30_000 } }));
  const { batch } = await submitBatch(net, name, module, tasks);
  await waitBatch(net, batch, 300_000);
  const results = await net.project.results(batch);
  return results.map((r, i) => {
    if (r['state'] !== 'accepted') return { state: String(r['state']), wrong: false };
    const lo = (first + i) * SPAN;
    return { state: 'accepted', wrong: decodePrimesOutput(TestProject.stdout(r)) !== countPrimesReference(lo, lo + SPAN) };
  });
}

export async function runSybilScenario(s: SybilScenario): Promise<SybilFigures> {
  const started = Date.now();
  const trusted = new Set<string>();
  const net = await startWorkNet({
    contributors: 0,
    heartbeatIntervalMs: HEARTBEAT_MS,
    // Standing in for trusted registration: each trusted PNode has an operator of its own.
    trust: (descriptor) => (trusted.has(descriptor['node/id']) ? { level: 'trusted', operatorId: `operator-${descriptor['node/id'].slice(-8)}` } : { level: 'untrusted', operatorId: null }),
    // As deployed: PNodes are told apart by the address they come from.
    orchestrator: { devLoopback: false },
    scheduler: { devLoopback: false, scheduler: { random: seeded(s.seed) } },
  });
  const all: LightPNode[] = [];
  try {
    const url = net.orchestratorRuntime.listenUrls()[0]!;
    const orchestrator = net.orchestratorRuntime.identity.nodeId;
    const made = Array.from({ length: s.honest }, (_, i) => new LightPNode({ url, orchestrator, heartbeatMs: HEARTBEAT_MS, localAddress: honestAddress(i), cores: 2 }));
    for (const p of made.slice(0, s.trusted)) trusted.add(p.nodeId);
    const nonces = new HandshakeNonceCache();
    await Promise.all(made.map((p) => p.start(nonces)));
    const honest = made;
    all.push(...honest);
    await waitUntil(() => honest.every((h) => h.stats.registered), 'the honest PNodes to register', 30_000);
    let first = 0;
    if (s.warmUpTasks > 0) {
      await runTasks(net, 'warm-up', first, s.warmUpTasks);
      first += s.warmUpTasks;
    }
    const honestEstablished = honest.filter((h) => net.scheduler.standing(h.nodeId) !== 'new').length;
    const attackAddresses = s.attackerAddresses.flatMap((a) => Array<string>(s.identitiesPerAddress).fill(a));
    const attackers = await lights(net, attackAddresses, (address) => ({ url, orchestrator, heartbeatMs: HEARTBEAT_MS, localAddress: address, cores: 2, answer: lyingPrimes(LIE_OFFSET) }));
    all.push(...attackers);
    await waitUntil(() => attackers.every((a) => a.stats.registered || a.stats.refused !== null), 'every attacking identity to be answered', 60_000);
    const before = { lies: net.scheduler.counters.lies, attempts: net.scheduler.counters.attemptsSent };
    const outcome = await runTasks(net, 'under attack', first, s.tasks);
    const accepted = outcome.filter((o) => o.state === 'accepted').length;
    return {
      name: s.name,
      mustHold: s.mustHold,
      honest: s.honest,
      honestEstablished,
      honestTrusted: s.trusted,
      attackerAddresses: s.attackerAddresses.length,
      attackerPrefixes: new Set(s.attackerAddresses.map(prefixOf)).size,
      attackerIdentities: attackers.length,
      attackerRegistered: attackers.filter((a) => a.stats.registered).length,
      attackerRefused: attackers.filter((a) => a.stats.refused !== null).length,
      attackerTasks: attackers.reduce((n, a) => n + a.stats.tasks, 0),
      attackerResults: attackers.reduce((n, a) => n + a.stats.results, 0),
      tasks: s.tasks,
      accepted,
      failed: outcome.filter((o) => o.state === 'failed').length,
      wrongAccepted: outcome.filter((o) => o.wrong).length,
      lies: net.scheduler.counters.lies - before.lies,
      bans: net.scheduler.counters.bans,
      attemptsPerAccepted: (net.scheduler.counters.attemptsSent - before.attempts) / Math.max(1, accepted),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const p of all) p.stop();
    await net.stop();
  }
}

/** A small seeded generator (mulberry32) for the scheduler's spot checks and benchmark windows. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The scenarios of `npm run harden -- sybil`, scaled. */
export function sybilScenarios(scale: number, seed: number): SybilScenario[] {
  const n = (x: number, min: number) => Math.max(min, Math.round(x * scale));
  return [
    {
      name: 'one /24, no established PNode yet',
      honest: 6,
      trusted: 0,
      attackerAddresses: ['127.66.1.1', '127.66.1.2', '127.66.1.3'],
      identitiesPerAddress: n(40, 6),
      warmUpTasks: 0,
      tasks: n(200, 24),
      mustHold: true,
      seed,
    },
    {
      name: 'three /24s, honest PNodes established',
      honest: 6,
      trusted: 0,
      attackerAddresses: ['127.66.1.1', '127.66.2.1', '127.66.3.1'],
      identitiesPerAddress: n(40, 6),
      warmUpTasks: n(60, 30),
      tasks: n(200, 24),
      mustHold: true,
      seed: seed + 1,
    },
    {
      name: 'three /24s, two honest PNodes trusted',
      honest: 6,
      trusted: 2,
      attackerAddresses: ['127.66.1.1', '127.66.2.1', '127.66.3.1'],
      identitiesPerAddress: n(40, 6),
      warmUpTasks: 0,
      tasks: n(200, 24),
      mustHold: true,
      seed: seed + 3,
    },
    {
      name: 'three /24s, no established or trusted PNode yet',
      honest: 6,
      trusted: 0,
      attackerAddresses: ['127.66.1.1', '127.66.2.1', '127.66.3.1'],
      identitiesPerAddress: n(40, 6),
      warmUpTasks: 0,
      tasks: n(200, 24),
      mustHold: false,
      seed: seed + 2,
    },
  ];
}
