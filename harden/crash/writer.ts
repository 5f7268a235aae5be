// The child process of the crash-safety trials (harden/crash.harden.ts): a real writer that runs
// until the parent SIGKILLs it, and reports every write on stdout (a pipe: synchronous on Linux, so
// a line printed is a line the parent gets even if the kill comes next).
//
//   node <dataDir> <contributor|orchestrator> <first generation> <lane seed>
//       a real NodeRuntime (file keystore; an orchestrator also runs its module with the admin
//       API, which writes admin.json) that, generation after generation, changes its settings,
//       its peer store, its advertisement cache, its own advertisement and its trace log, and
//       waits for each write to complete:
//         begin <file> <gen>    printed before the change is made in memory
//         done <file> <gen>     printed once the write of that change has completed
//       files: settings, peers, adcache, trace, authority (an orchestrator's registration authority
//       issues a token labelled with the generation); and `done adv-seq <n>` after an own
//       advertisement with sequence n was published (its sequence is on disk first).
//   directory <dataDir> <lane seed>
//       a real DirectoryStore taking PUTs as fast as it can, compacting every few batches, and
//       printing `done directory <node-id> <sequence>` for each row once it is on disk.
//
// Before the loop: `identity <node-id>` (and `admin <url>`), then `ready`. It gives up by itself
// after CRASH_WRITER_MAX_MS so an orphan never outlives a failed run for long.
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { startRuntime } from '../lib/runtimes.js';
import { orchestratorParts, type OrchestratorParts } from '../../src-node/recipes/orchestrator-node.js';
import { DirectoryStore } from '../../src-node/services/directory/directory-store.js';
import { makePublisher, signedAdvertisement } from '../../tests/support/directory.js';
import { systemClock } from '../../src-node/kernel/util/clock.js';
import { signArtifact } from '../../src-shared/protocol/signing.js';
import { formatTimestamp } from '../../src-shared/protocol/time.js';
import { Rng, deriveSeed } from '../lib/random.js';

export const CRASH_WRITER_MAX_MS = 60_000;
/** Lifetime of the advertisements written (long: a run of trials takes minutes). */
export const CRASH_AD_TTL_MS = 5 * 60 * 60_000;
/** Peers added per generation besides the marker, and the most kept (the store remembers 1,000). */
export const CRASH_PEERS_PER_GENERATION = 3;
export const CRASH_MAX_PEERS = 300;
/** An own advertisement is published every this many generations. */
export const CRASH_ADVERTISE_EVERY = 4;
export const CRASH_DIRECTORY_PUBLISHERS = 32;
export const CRASH_DIRECTORY_IN_FLIGHT = 8;

/** The peer and advertisement whose label and sequence carry the generation: the same in every trial of a lane. */
export function markerIdentity(laneSeed: number): NodeIdentity {
  return identityFromSeed(new Rng(deriveSeed(laneSeed, 'marker')).bytes(32), nativeCrypto, { createdAt: '2026-11-21T12:00:00Z' });
}

export function markerLabel(generation: number): string {
  return `gen-${generation}`;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function advertisementOf(identity: NodeIdentity, sequence: number): Record<string, unknown> {
  const now = Date.now();
  return signArtifact(
    'node-advertisement.v1',
    {
      'schema/v': 1,
      'advertisement/id': `adv:harden-${sequence}`,
      'node/id': identity.nodeId,
      'sequence/no': sequence,
      'advertised-at': formatTimestamp(now),
      'expires-at': formatTimestamp(now + CRASH_AD_TTL_MS),
      'key/alg': 'ed25519',
      'key/public': identity.keyPublic,
      endpoints: [{ 'endpoint/url': 'ws://127.0.0.1:9/peer', 'endpoint/transport': 'wss', 'endpoint/role': 'listener', 'endpoint/priority': 0 }],
      'transports/supported': ['wss'],
    },
    identity.signer,
  );
}

async function runNode(dataDir: string, role: 'contributor' | 'orchestrator', firstGeneration: number, laneSeed: number): Promise<void> {
  // An orchestrator deployment runs the registration authority too (its key, state and revocation list).
  let parts: OrchestratorParts | undefined;
  const runtime = await startRuntime({ dataDir, role, listen: true, joined: false }, (opened) =>
    role === 'orchestrator' ? (parts = orchestratorParts(opened, { orchestrator: { adminListen: 'http://127.0.0.1:0' }, authority: {} })).modules : [],
  );
  const orchestrator = parts?.orchestrator;
  const authority = parts?.authority ?? undefined;
  say(`identity ${runtime.identity.nodeId}`);
  if (orchestrator?.admin) say(`admin ${orchestrator.admin.url}`);
  say('ready');
  const marker = markerIdentity(laneSeed);
  const rng = new Rng(deriveSeed(laneSeed, `churn-${firstGeneration}`));
  const churn: string[] = [];
  let openToken: string | undefined;
  for (let generation = firstGeneration; ; generation++) {
    say(`begin settings ${generation}`);
    await runtime.updateSettings((s) => ({ ...s, snoozedUntil: generation, limits: { ...s.limits, cpuPercent: 1 + (generation % 100) } }));
    say(`done settings ${generation}`);

    say(`begin peers ${generation}`);
    runtime.peers.upsertSeed({ nodeId: marker.nodeId, urls: ['ws://127.0.0.1:9/peer'], label: markerLabel(generation) });
    for (let i = 0; i < CRASH_PEERS_PER_GENERATION; i++) {
      const peer = identityFromSeed(rng.bytes(32), nativeCrypto);
      runtime.peers.upsertSeed({ nodeId: peer.nodeId, urls: [`ws://127.0.0.1:${1_024 + rng.int(60_000)}/peer`], label: 'x'.repeat(rng.int(120)) });
      churn.push(peer.nodeId);
    }
    while (churn.length > CRASH_MAX_PEERS) runtime.peers.forget(churn.shift()!);
    await runtime.peers.flush();
    say(`done peers ${generation}`);

    say(`begin adcache ${generation}`);
    const offered = runtime.advertisements.offer(advertisementOf(marker, generation));
    if (!offered.ok) throw new Error(`the marker advertisement was refused: ${offered.error.code} ${offered.error.detail}`);
    await runtime.advertisements.flush();
    say(`done adcache ${generation}`);

    if (generation % CRASH_ADVERTISE_EVERY === 0) {
      const own = await runtime.publishAdvertisement();
      if (own) say(`done adv-seq ${own['sequence/no']}`);
    }

    if (authority?.authority && generation % CRASH_ADVERTISE_EVERY === 2) {
      say(`begin authority ${generation}`);
      const issued = await authority.authority.issueToken({ label: markerLabel(generation) });
      say(`done authority ${generation}`);
      // One token open at a time: the one before is cancelled (a state write too).
      if (openToken) await authority.authority.revoke(openToken, 'harden');
      openToken = issued.tokenId;
    }

    say(`begin trace ${generation}`);
    runtime.traces.emit('error/occurred', { detail: { harden: generation, pad: 'p'.repeat(rng.int(400)) } });
    runtime.traces.flush();
    say(`done trace ${generation}`);
  }
}

async function runDirectory(dataDir: string, laneSeed: number, firstGeneration: number): Promise<void> {
  const store = await DirectoryStore.open({ dataDir, clock: systemClock, crypto: nativeCrypto, compactionRatio: 2, compactionMinBytes: 0 });
  const seedRng = new Rng(deriveSeed(laneSeed, 'publishers'));
  const publishers = Array.from({ length: CRASH_DIRECTORY_PUBLISHERS }, () => makePublisher(seedRng.bytes(32)));
  say('ready');
  // Sequences continue from the trial's first generation, so every row acknowledged is newer than the last trial's.
  let sequence = firstGeneration;
  let turn = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const publisher = publishers[turn++ % publishers.length]!;
      const at = sequence++;
      const outcome = store.put(signedAdvertisement(publisher, { sequence: at, at: Date.now(), ttlMs: CRASH_AD_TTL_MS }));
      if (outcome.kind !== 'stored') continue;
      await outcome.durable;
      say(`done directory ${publisher.nodeId} ${at}`);
    }
  };
  await Promise.all(Array.from({ length: CRASH_DIRECTORY_IN_FLIGHT }, lane));
}

export async function runHardenWriter(args: readonly string[]): Promise<void> {
  setTimeout(() => process.exit(3), CRASH_WRITER_MAX_MS).unref();
  const [mode, dataDir, ...rest] = args;
  if (!dataDir) throw new Error('usage: node <dataDir> <role> <first generation> <lane seed> | directory <dataDir> <lane seed> <first generation>');
  if (mode === 'node') {
    const role = rest[0] === 'orchestrator' ? 'orchestrator' : 'contributor';
    await runNode(dataDir, role, Number(rest[1] ?? 1), Number(rest[2] ?? 1));
  } else if (mode === 'directory') {
    await runDirectory(dataDir, Number(rest[0] ?? 1), Number(rest[1] ?? 1));
  } else {
    throw new Error(`unknown writer ${String(mode)}`);
  }
}
