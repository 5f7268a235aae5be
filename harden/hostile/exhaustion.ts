// Issue 15 §2, connection and slot exhaustion, class by class on every listener: each class floods
// one listener from attacker addresses (socket-flood.ts) or with many identities from one address
// (session-flood.ts) for `attackMs`, while an honest client of that listener tries every
// `honestEveryMs` from the honest address. Figures per class: what the attacker had and did, the
// honest success rate before, during and after, the time to recover once the attack stopped, and
// the target's memory and disk.
import { HonestClient, figuresOf, type HonestFigures } from './honest.js';
import { SocketFlood, type FloodFigures, type FloodKind } from './socket-flood.js';
import { SessionFlood, type SessionFloodFigures } from './session-flood.js';
import { RssSampler, dirBytes, rssMiB } from './process.js';
import { HONEST_TIMEOUT_MS, honestAdmin, honestControl, honestDirectory, honestPeer, httpOnce, type Targets } from './targets.js';
import { HONEST_ADDRESS, attackerAddresses, usable } from './loopback.js';
import { scaled } from '../lib/random.js';
import { sleep } from '../faults/wait.js';

/**
 * How long the honest client keeps trying after the attack until it is served again. Recovery is
 * waited for, not timed: on a starved machine an attempt after the attack can fail, or outlast the
 * quiet window, though the listener is fine; recoveryMs is the figure.
 */
export const RECOVERY_PATIENCE_MS = 60_000;

export type ListenerName = 'directory' | 'contributor peer listener' | 'orchestrator peer listener' | 'control server' | 'admin API';

export interface AttackClass {
  readonly name: string;
  readonly listener: ListenerName;
  /**
   * Socket floods run side by side (e.g. idle sockets and slowloris). Floods of one class with the
   * same `block` share their addresses (default: each its own); `fromHonestAddress` floods come
   * from 127.0.0.1 itself, as a local attacker on a loopback-only server would.
   */
  readonly floods: ReadonlyArray<{
    readonly kind: FloodKind;
    readonly addresses: number;
    readonly perPrefix?: number;
    readonly socketsPerAddress: number;
    readonly path?: string;
    readonly block?: number;
    readonly fromHonestAddress?: boolean;
  }>;
  /** A session flood from one address, with this many identities at most. */
  readonly identities?: number;
}

/** The classes at `scale` (1: the numbers; the smoke run uses a small scale). */
export function exhaustionClasses(scale: number): AttackClass[] {
  const n = (full: number, min = 2): number => scaled(full, scale, min);
  return [
    { name: 'idle sockets, one address (the issue: ~4,200)', listener: 'directory', floods: [{ kind: 'idle', addresses: 1, socketsPerAddress: n(4_200, 80) }] },
    {
      name: 'idle + slowloris sockets from 64 addresses in 8 /24s (past the global cap)',
      listener: 'directory',
      floods: [
        { kind: 'idle', addresses: n(64, 4), perPrefix: 8, socketsPerAddress: n(40, 2), block: 0 },
        { kind: 'slow-headers', addresses: n(64, 4), perPrefix: 8, socketsPerAddress: n(40, 2), block: 0 },
      ],
    },
    { name: 'slow PUT bodies, one address', listener: 'directory', floods: [{ kind: 'slow-body', addresses: 1, socketsPerAddress: n(200, 80), path: '/adv/x' }] },
    {
      name: 'silent and no-hello sockets, one address (the issue: ~20)',
      listener: 'contributor peer listener',
      floods: [
        { kind: 'idle', addresses: 1, socketsPerAddress: n(150, 20), block: 0 },
        { kind: 'no-hello', addresses: 1, socketsPerAddress: n(150, 20), path: '/peer', block: 0 },
      ],
    },
    { name: 'no-hello sockets, 32 addresses (past the global pending cap)', listener: 'contributor peer listener', floods: [{ kind: 'no-hello', addresses: n(32, 4), perPrefix: 32, socketsPerAddress: n(24, 20), path: '/peer' }] },
    { name: 'sessions under many identities, one address', listener: 'contributor peer listener', floods: [], identities: n(200, 20) },
    { name: 'sessions under many identities, one address', listener: 'orchestrator peer listener', floods: [], identities: n(1_200, 20) },
    {
      name: 'idle sockets + unauthenticated upgrades from 127.0.0.1 (its only clients’ address)',
      listener: 'control server',
      floods: [
        { kind: 'idle', addresses: 1, socketsPerAddress: n(200, 40), fromHonestAddress: true },
        { kind: 'unauth-upgrade', addresses: 1, socketsPerAddress: n(50, 10), path: '/control', fromHonestAddress: true },
      ],
    },
    {
      name: 'idle sockets + unauthenticated 256 MiB bodies from 127.0.0.1 (its only clients’ address)',
      listener: 'admin API',
      floods: [
        { kind: 'idle', addresses: 1, socketsPerAddress: n(200, 40), fromHonestAddress: true },
        { kind: 'unauth-body', addresses: 1, socketsPerAddress: n(8, 2), path: '/vnodes', fromHonestAddress: true },
      ],
    },
  ];
}

export interface ClassResult {
  readonly name: string;
  readonly listener: ListenerName;
  readonly floods: readonly FloodFigures[];
  readonly sessions: SessionFloodFigures | null;
  /** Every address the attacker used in this class. */
  readonly addressesUsed: readonly string[];
  readonly attackSeconds: number;
  /** Connections the target held at the attack's end, where it tells (the directory's /metrics). */
  readonly heldByTarget: number | null;
  readonly before: HonestFigures;
  readonly during: HonestFigures;
  readonly after: HonestFigures;
  readonly recoveryMs: number | null;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly diskGrowthBytes: number;
}

export interface ExhaustionOptions {
  readonly targets: Targets;
  readonly classes: readonly AttackClass[];
  readonly attackMs: number;
  /** Honest attempts before the attack (baseline) and after it (recovery) run this long. */
  readonly quietMs: number;
  readonly honestEveryMs: number;
  /** Other loopback addresses can be bound here (else every flood comes from 127.0.0.1 too). */
  readonly loopbackRange: boolean;
  readonly log?: (line: string) => void;
}

interface TargetOf {
  readonly pid: number | undefined;
  readonly dataDir: string;
  readonly port: number;
  readonly honest: () => Promise<true | string>;
  readonly session?: { readonly url: string; readonly nodeId: string };
}

function targetOf(targets: Targets, listener: ListenerName): TargetOf {
  switch (listener) {
    case 'directory':
      return { pid: targets.directory.child.process.pid, dataDir: targets.directory.dataDir, port: targets.directory.port, honest: honestDirectory(targets.directory.port) };
    case 'contributor peer listener': {
      const c = targets.contributor;
      return { pid: c.child.process.pid, dataDir: c.dataDir, port: Number(new URL(c.url).port), honest: honestPeer(c.url, c.nodeId), session: { url: c.url, nodeId: c.nodeId } };
    }
    case 'orchestrator peer listener': {
      const o = targets.orchestrator;
      return { pid: o.child.process.pid, dataDir: o.dataDir, port: Number(new URL(o.url).port), honest: honestPeer(o.url, o.nodeId), session: { url: o.url, nodeId: o.nodeId } };
    }
    case 'control server': {
      const c = targets.contributor;
      return { pid: c.child.process.pid, dataDir: c.dataDir, port: c.control.port, honest: honestControl(c.control.url, c.control.token) };
    }
    case 'admin API': {
      const o = targets.orchestrator;
      return { pid: o.child.process.pid, dataDir: o.dataDir, port: o.admin.port, honest: honestAdmin(o.admin.port, o.admin.token) };
    }
  }
}

/** Connections the directory holds now (its /metrics gauge), or null. */
async function directoryConnections(port: number): Promise<number | null> {
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: HONEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => {
        const match = /^pnode_directory_connections (\d+)$/m.exec(text);
        resolve(match ? Number(match[1]) : null);
      });
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

let blockCounter = 0;

export async function runExhaustion(options: ExhaustionOptions): Promise<ClassResult[]> {
  const log = options.log ?? (() => undefined);
  const results: ClassResult[] = [];
  for (const attack of options.classes) {
    const target = targetOf(options.targets, attack.listener);
    // Each class's attackers come from their own block of addresses (no overlap with the last one's).
    const block = 10 + (blockCounter++ % 40) * 3;
    const floods = attack.floods.map((f, i) => {
      const addresses = f.fromHonestAddress ? [HONEST_ADDRESS] : usable(attackerAddresses(f.addresses, f.perPrefix ?? 250, block + (f.block ?? i)), options.loopbackRange);
      return new SocketFlood({ port: target.port, kind: f.kind, path: f.path, addresses, socketsPerAddress: f.socketsPerAddress });
    });
    const sessionFlood = attack.identities !== undefined && target.session ? new SessionFlood(target.session.url, target.session.nodeId, usable(attackerAddresses(1, 250, block + 2), options.loopbackRange)[0]!, attack.identities) : undefined;
    const honest = new HonestClient(attack.name, target.honest, options.honestEveryMs, HONEST_TIMEOUT_MS);
    const diskBefore = dirBytes(target.dataDir);
    const rssBefore = rssMiB(target.pid);
    const sampler = new RssSampler(target.pid);
    log(`  ${attack.listener}: ${attack.name}`);
    honest.start();
    const beforeFrom = Date.now();
    await sleep(options.quietMs);
    const attackFrom = Date.now();
    for (const flood of floods) flood.start();
    sessionFlood?.start();
    await sleep(options.attackMs);
    const held = attack.listener === 'directory' ? await directoryConnections(target.port) : null;
    const attackTo = Date.now();
    await Promise.all(floods.map((f) => f.stop()));
    await sessionFlood?.stop();
    await sleep(options.quietMs);
    const giveUpAt = Date.now() + RECOVERY_PATIENCE_MS;
    while (honest.recoveryMs(attackTo) === null && Date.now() < giveUpAt) await sleep(options.honestEveryMs);
    await honest.stop();
    const rssPeak = sampler.stop();
    results.push({
      name: attack.name,
      listener: attack.listener,
      floods: floods.map((f) => f.figures()),
      sessions: sessionFlood?.figures() ?? null,
      addressesUsed: [...new Set([...floods.flatMap((f) => f.spec.addresses), ...(sessionFlood ? [sessionFlood.address] : [])])],
      attackSeconds: (attackTo - attackFrom) / 1000,
      heldByTarget: held,
      before: honest.between(beforeFrom, attackFrom),
      during: honest.between(attackFrom, attackTo),
      after: figuresOf(honest.log.filter((a) => a.at >= attackTo)),
      recoveryMs: honest.recoveryMs(attackTo),
      rssBeforeMiB: rssBefore,
      rssPeakMiB: rssPeak,
      diskGrowthBytes: dirBytes(target.dataDir) - diskBefore,
    });
    // Let the target settle (timeouts, closes) before the next class.
    await sleep(Math.min(options.quietMs, 2_000));
  }
  return results;
}

/** Whether the directory can be reached (used to wait for a target to be back). */
export async function directoryAnswers(port: number): Promise<boolean> {
  return (await httpOnce({ port, path: '/healthz' })) === 200;
}
