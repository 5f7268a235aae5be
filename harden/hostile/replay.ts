// Issue 15 §4, replay across restarts. A `pnode node` child answers hellos from `identities`
// peers whose clocks are off by a seeded amount inside the ±30 s skew window (behind and ahead),
// and an eavesdropper keeps every hello it saw. The node is SIGKILLed and restarted on its port
// and data dir, `rounds` times; after each restart every hello captured so far is replayed byte
// for byte (none may be accepted), and every peer dials afresh with its own clock until it is
// served. Figures: the attacker's resources, replays refused by which rule, the restart time, how
// soon honest peers are served again, the journal on disk and the node's memory; and the cost of a
// journal write.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { nativeCrypto } from '../../src-node/kernel/crypto/native-provider.js';
import { identityFromSeed, type NodeIdentity } from '../../src-node/kernel/identity/node-identity.js';
import { HandshakeNonceCache } from '../../src-node/kernel/session/nonce-cache.js';
import { startHandshake } from '../../src-node/kernel/session/handshake-flow.js';
import { openReplayGuard } from '../../src-node/kernel/session/replay-guard.js';
import { ReplayJournal } from '../../src-node/kernel/session/replay-journal.js';
import { HANDSHAKE_MAX_CLOCK_SKEW_MS } from '../../src-shared/protocol/profile.js';
import type { Clock } from '../../src-node/kernel/util/clock.js';
import { LOOPBACK_FLAGS, NODE_ID_LINE, spawnPnode, waitForBanner, type PnodeChild } from '../faults/pnode-child.js';
import { sleep } from '../faults/wait.js';
import { Rng } from '../lib/random.js';
import { rssMiB } from './process.js';
import { freeLoopbackPort } from '../../src-node/kernel/transport/free-port.js';

/** Peers' clocks are off by at most this (inside the skew window, with a margin for the run's own time). */
export const MAX_CLOCK_OFFSET_MS = HANDSHAKE_MAX_CLOCK_SKEW_MS - 5_000;
/** One handshake attempt gets this long. */
export const OFFER_TIMEOUT_MS = 10_000;
/** After a restart, a peer tries again this often until served… */
export const RETRY_EVERY_MS = 500;
/** …for at most this long (its clock lag is under the skew window). */
export const RETRY_FOR_MS = HANDSHAKE_MAX_CLOCK_SKEW_MS + 10_000;

export interface ReplayOptions {
  readonly workDir: string;
  readonly identities: number;
  /** Hellos each peer has answered (and the eavesdropper keeps) before each restart. */
  readonly hellosPerPeer: number;
  readonly rounds: number;
  /** Peers' clocks are off by at most this (default MAX_CLOCK_OFFSET_MS; the smoke run uses less, to wait less). */
  readonly maxOffsetMs?: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export type ReplayReason = 'floor' | 'journal' | 'skew window' | 'other refusal' | 'ACCEPTED';

export interface RoundFigures {
  readonly round: number;
  readonly restartMs: number;
  readonly replayed: number;
  readonly byReason: Readonly<Record<ReplayReason, number>>;
  /** Fresh handshakes right after the restart, by peers whose clock is not behind ours. */
  readonly freshOnTime: { readonly attempts: number; readonly served: number };
  /** From the restart until every peer got a fresh session (slow clocks wait out their lag); null if some never did. */
  readonly allServedAfterMs: number | null;
  readonly journalBytes: number;
  /** Lines in the journal file (entries written since its last rewrite). */
  readonly journalLines: number;
  readonly rssMiB: number;
}

export interface ReplayResult {
  readonly identities: number;
  readonly captured: number;
  readonly offsetsMs: { readonly min: number; readonly max: number };
  readonly rounds: readonly RoundFigures[];
  /** Microseconds a remember() takes with the journal (a synchronous append) and without. */
  readonly journalWriteUs: number;
  readonly memoryOnlyUs: number;
}

interface Peer {
  readonly identity: NodeIdentity;
  readonly offsetMs: number;
  readonly clock: Clock;
}

type Answer = { readonly kind: 'ack' } | { readonly kind: 'refused'; readonly code: string; readonly detail: string } | { readonly kind: 'no answer'; readonly detail: string };

/** Sends `helloText` as the first message of a fresh connection; what the node answered. */
export function offer(url: string, helloText: string): Promise<Answer> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let settled = false;
    const done = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(answer);
    };
    const timer = setTimeout(() => done({ kind: 'no answer', detail: 'timeout' }), OFFER_TIMEOUT_MS);
    ws.on('open', () => ws.send(helloText));
    ws.on('error', (error) => done({ kind: 'no answer', detail: error.message.slice(0, 40) }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const first = JSON.parse(String(data)) as { 'handshake/mode'?: string; body?: { code?: string; detail?: string } };
        if (first['handshake/mode'] === 'ack') return done({ kind: 'ack' });
        return done({ kind: 'refused', code: first.body?.code ?? '?', detail: first.body?.detail ?? '' });
      } catch {
        return done({ kind: 'no answer', detail: 'unreadable answer' });
      }
    });
    ws.on('close', (code) => done({ kind: 'no answer', detail: `closed ${code}` }));
  });
}

function helloOf(peer: Peer, recipient: string): string {
  return startHandshake({ crypto: nativeCrypto, identity: peer.identity, clock: peer.clock, nonces: new HandshakeNonceCache() }, { recipient, intent: 'peer-connect' }).helloText;
}

function reasonOf(answer: Answer): ReplayReason {
  if (answer.kind === 'ack') return 'ACCEPTED';
  if (answer.kind === 'refused' && answer.code === 'E_HS_REPLAY') {
    if (answer.detail.includes('before this node started')) return 'floor';
    if (answer.detail.includes('already seen')) return 'journal';
    if (answer.detail.includes('from our clock')) return 'skew window';
  }
  return 'other refusal';
}

async function startNode(dataDir: string, port: number): Promise<{ child: PnodeChild; nodeId: string; startMs: number }> {
  const from = Date.now();
  const child = spawnPnode('replay-node', ['node', '--data-dir', dataDir, '--listen', `ws://127.0.0.1:${port}/peer`, ...LOOPBACK_FLAGS]);
  const [nodeId] = await waitForBanner(child, [NODE_ID_LINE, /listening\s+(ws:\/\/\S+)/]);
  return { child, nodeId: nodeId!, startMs: Date.now() - from };
}

/** µs per remember() of a hello signed now: with a journal in a temp dir, and memory only. */
export function measureJournalCost(count: number): { journalWriteUs: number; memoryOnlyUs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'pnode-harden-journal-'));
  try {
    const sender = identityFromSeed(new Uint8Array(32).fill(7), nativeCrypto).nodeId;
    const clock = { now: () => Date.now() };
    const guarded = openReplayGuard(dir, clock).nonces;
    const plain = new HandshakeNonceCache();
    const time = (cache: HandshakeNonceCache): number => {
      const from = process.hrtime.bigint();
      for (let i = 0; i < count; i++) {
        const now = clock.now();
        cache.remember(sender, `nonce:${i}`, now, now);
      }
      return Number(process.hrtime.bigint() - from) / 1_000 / count;
    };
    return { journalWriteUs: time(guarded), memoryOnlyUs: time(plain) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const log = options.log ?? (() => undefined);
  const rng = new Rng(options.seed);
  const dataDir = join(options.workDir, 'node');
  mkdirSync(dataDir, { recursive: true });
  const port = await freeLoopbackPort();
  const url = `ws://127.0.0.1:${port}/peer`;
  const maxOffset = Math.min(options.maxOffsetMs ?? MAX_CLOCK_OFFSET_MS, MAX_CLOCK_OFFSET_MS);
  const peers: Peer[] = Array.from({ length: options.identities }, (_, i) => {
    // The first peer's clock lags and the second leads by the most; the rest are drawn from the seed.
    const offsetMs = i === 0 ? -maxOffset : i === 1 ? maxOffset : rng.range(-maxOffset, maxOffset);
    return { identity: identityFromSeed(randomBytes(32), nativeCrypto), offsetMs, clock: { now: () => Date.now() + offsetMs } };
  });
  let node = await startNode(dataDir, port);
  const captured: string[] = [];
  const rounds: RoundFigures[] = [];
  try {
    // The node refuses a lagging peer's hellos until its clock has passed the node's start.
    await sleep(maxOffset + 1_000);
    for (let round = 1; round <= options.rounds; round++) {
      let answered = 0;
      for (const peer of peers) {
        for (let h = 0; h < options.hellosPerPeer; h++) {
          const text = helloOf(peer, node.nodeId);
          if ((await offer(url, text)).kind === 'ack') {
            captured.push(text);
            answered++;
          }
        }
      }
      log(`  round ${round}: ${answered} hellos answered and captured (${captured.length} in all); SIGKILL and restart`);
      await node.child.kill();
      node = await startNode(dataDir, port);
      const restartedAt = Date.now();
      const byReason: Record<ReplayReason, number> = { floor: 0, journal: 0, 'skew window': 0, 'other refusal': 0, ACCEPTED: 0 };
      // Replays first, while the newest captures are still inside their skew window.
      for (const text of captured) byReason[reasonOf(await offer(url, text))]++;
      // Fresh sessions: peers on time or ahead are served at once; lagging ones once their clock passes the start.
      let onTimeAttempts = 0;
      let onTimeServed = 0;
      const waiting = new Set(peers);
      for (const peer of peers) {
        if (peer.offsetMs < 0) continue;
        onTimeAttempts++;
        if ((await offer(url, helloOf(peer, node.nodeId))).kind === 'ack') {
          onTimeServed++;
          waiting.delete(peer);
        }
      }
      while (waiting.size > 0 && Date.now() - restartedAt < RETRY_FOR_MS) {
        for (const peer of [...waiting]) if ((await offer(url, helloOf(peer, node.nodeId))).kind === 'ack') waiting.delete(peer);
        if (waiting.size > 0) await sleep(RETRY_EVERY_MS);
      }
      const journalPath = ReplayJournal.pathIn(dataDir);
      let journalBytes = 0;
      try {
        journalBytes = statSync(journalPath).size;
      } catch {
        // none yet
      }
      rounds.push({
        round,
        restartMs: node.startMs,
        replayed: captured.length,
        byReason,
        freshOnTime: { attempts: onTimeAttempts, served: onTimeServed },
        allServedAfterMs: waiting.size === 0 ? Date.now() - restartedAt : null,
        journalBytes,
        journalLines: countLines(journalPath),
        rssMiB: rssMiB(node.child.process.pid),
      });
      log(`  round ${round}: replays ${JSON.stringify(byReason)}; every peer served again after ${rounds[rounds.length - 1]!.allServedAfterMs ?? '–'} ms`);
    }
  } finally {
    await node.child.kill();
  }
  const offsets = peers.map((p) => p.offsetMs);
  return {
    identities: peers.length,
    captured: captured.length,
    offsetsMs: { min: Math.min(...offsets), max: Math.max(...offsets) },
    rounds,
    ...measureJournalCost(5_000),
  };
}

function countLines(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
}
