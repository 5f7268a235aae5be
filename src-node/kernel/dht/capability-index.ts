// The capability index (issue 16 §2): a node announces its DHT key under one topic per capability
// it offers (topics.ts), and finds others by looking a capability's topic up.
//
// What a lookup returns is a list of candidates (DHT keys, as dht:// endpoints), nothing more: a
// DHT record is signed by a DHT key, and a DHT key is not an identity. A candidate counts only once
// our signed handshake has run with it over the DHT stream (`find`): the node-id is then the one
// that signed the handshake, with the PSK proof in a private network. A candidate that fails is
// put aside for DHT_FAILED_KEY_COOLDOWN_MS. A core capability (core/…) must also be among the ones
// the peer's signed handshake offers; compute profiles (vnode/…, gpu/…) stay the peer's claim until
// the work it does shows otherwise (the orchestrator checks results).
//
// Bounds: a lookup reads at most DHT_MAX_RECORDS_PER_LOOKUP records within DHT_LOOKUP_TIMEOUT_MS
// and keeps DHT_MAX_CANDIDATES_PER_LOOKUP distinct keys; `find` verifies DHT_VERIFY_CONCURRENCY at
// a time, and makes at most DHT_FIND_LOOKUPS lookups (a second only when the first verified none,
// dialling keys new to the find and those it could not reach; never one that refused it).
// Announcements are refreshed every DHT_ANNOUNCE_REFRESH_MS (± jitter), within the engine's
// 20-minute record life.
import { formatDhtEndpoint } from '../../../src-shared/protocol/dht-endpoint.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { ProtocolError } from '../../../src-shared/protocol/errors.js';
import type { NodeId } from '../../../src-shared/protocol/did-key.js';
import type { ConnectionManager } from '../connection/connection-manager.js';
import type { PeerConnection } from '../connection/peer-connection.js';
import type { TraceSink } from '../trace/trace-sink.js';
import type { DhtEngine, DhtKeyPair } from './engine.js';
import { capabilityTopic, isCapabilityName, type TopicScope } from './topics.js';
import {
  DHT_ANNOUNCE_JITTER,
  DHT_ANNOUNCE_REFRESH_MS,
  DHT_FAILED_KEY_COOLDOWN_MS,
  DHT_FIND_LOOKUPS,
  DHT_LOOKUP_TIMEOUT_MS,
  DHT_MAX_ANNOUNCED_CAPABILITIES,
  DHT_MAX_CANDIDATES_PER_LOOKUP,
  DHT_MAX_FAILED_KEYS,
  DHT_MAX_RECORDS_PER_LOOKUP,
  DHT_VERIFY_CONCURRENCY,
} from './dht-limits.js';

export interface CapabilityCandidate {
  /** The DHT key, hex. */
  readonly key: string;
  readonly url: string;
}

export interface VerifiedPeer {
  readonly nodeId: NodeId;
  readonly url: string;
  readonly connection: PeerConnection;
}

export interface LookupFigures {
  readonly records: number;
  readonly candidates: number;
  /** The lookup was stopped at DHT_MAX_RECORDS_PER_LOOKUP or the timeout. */
  readonly truncated: boolean;
}

export interface CapabilityIndexOptions {
  readonly engine: DhtEngine;
  readonly keyPair: DhtKeyPair;
  readonly scope: TopicScope;
  readonly connections: Pick<ConnectionManager, 'connect' | 'get'>;
  readonly trace?: TraceSink | undefined;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** Tests lower these. */
  readonly refreshMs?: number;
  readonly lookupTimeoutMs?: number;
}

export interface IndexFigures {
  readonly announced: readonly string[];
  readonly announceRounds: number;
  readonly announceFailures: number;
  readonly lookups: number;
  /** Lookups stopped at DHT_LOOKUP_TIMEOUT_MS or DHT_MAX_RECORDS_PER_LOOKUP, with what they had. */
  readonly lookupsStopped: number;
  readonly candidatesSeen: number;
  /** Candidates a find did not dial: their key failed verification within DHT_FAILED_KEY_COOLDOWN_MS. */
  readonly coolingDown: number;
  readonly verified: number;
  readonly refused: number;
}

/** The refresh delay: DHT_ANNOUNCE_REFRESH_MS ± DHT_ANNOUNCE_JITTER. */
export function announceDelayMs(refreshMs: number, random: () => number): number {
  return Math.round(refreshMs * (1 - DHT_ANNOUNCE_JITTER + 2 * DHT_ANNOUNCE_JITTER * random()));
}

export class CapabilityIndex {
  private announced: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private announcing: Promise<void> = Promise.resolve();
  /** DHT keys (hex) whose holder failed verification, with when (insertion order = age). */
  private readonly failedKeys = new Map<string, number>();
  private readonly selfKey: string;
  private readonly counts = { announceRounds: 0, announceFailures: 0, lookups: 0, lookupsStopped: 0, candidatesSeen: 0, coolingDown: 0, verified: 0, refused: 0 };

  constructor(private readonly options: CapabilityIndexOptions) {
    this.selfKey = options.keyPair.publicKey.toString('hex');
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  figures(): IndexFigures {
    return { announced: [...this.announced], ...this.counts };
  }

  /** Capabilities we announce from now on (the valid ones, at most DHT_MAX_ANNOUNCED_CAPABILITIES); announces at once. */
  setCapabilities(capabilities: readonly string[]): Promise<void> {
    const next = [...new Set(capabilities.filter(isCapabilityName))].slice(0, DHT_MAX_ANNOUNCED_CAPABILITIES);
    const removed = this.announced.filter((c) => !next.includes(c));
    this.announced = next;
    if (this.stopped) return Promise.resolve();
    const round = this.announcing.then(async () => {
      for (const capability of removed) await this.options.engine.unannounce(capabilityTopic(this.options.scope, capability), this.options.keyPair).catch(() => undefined);
      await this.announceAll();
    });
    this.announcing = round.catch(() => undefined);
    return this.announcing;
  }

  /** Starts the refresh loop. */
  start(): void {
    this.schedule();
  }

  /** Stops refreshing and takes our records back (bounded: the engine's queries end on their own). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.announcing;
    await Promise.allSettled(this.announced.map((c) => this.options.engine.unannounce(capabilityTopic(this.options.scope, c), this.options.keyPair)));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.announcing = this.announcing.then(() => this.announceAll()).catch(() => undefined);
      void this.announcing.then(() => this.schedule());
    }, announceDelayMs(this.options.refreshMs ?? DHT_ANNOUNCE_REFRESH_MS, this.options.random ?? Math.random));
    this.timer.unref();
  }

  private async announceAll(): Promise<void> {
    if (this.stopped || this.announced.length === 0) return;
    this.counts.announceRounds++;
    const results = await Promise.allSettled(
      this.announced.map((capability) => this.options.engine.announce(capabilityTopic(this.options.scope, capability), this.options.keyPair).finished()),
    );
    const failed = results.filter((r) => r.status === 'rejected').length;
    this.counts.announceFailures += failed;
    this.options.trace?.emit('advertisement/published', {
      detail: { via: 'dht', capabilities: [...this.announced], failed, 'dht/key': this.selfKey },
    });
  }

  /** Candidates for `capability`: distinct DHT keys from one bounded lookup (never our own). */
  async lookup(capability: string): Promise<{ candidates: CapabilityCandidate[]; figures: LookupFigures }> {
    const topic = capabilityTopic(this.options.scope, capability);
    this.counts.lookups++;
    const query = this.options.engine.lookup(topic);
    const seen = new Set<string>();
    const candidates: CapabilityCandidate[] = [];
    let records = 0;
    let truncated = false;
    const timer = setTimeout(() => {
      truncated = true;
      query.destroy();
    }, this.options.lookupTimeoutMs ?? DHT_LOOKUP_TIMEOUT_MS);
    timer.unref();
    try {
      outer: for await (const reply of query) {
        for (const peer of reply.peers) {
          if (++records > DHT_MAX_RECORDS_PER_LOOKUP) {
            truncated = true;
            break outer;
          }
          const key = Buffer.isBuffer(peer.publicKey) && peer.publicKey.length === 32 ? peer.publicKey.toString('hex') : undefined;
          if (!key || key === this.selfKey || seen.has(key)) continue;
          seen.add(key);
          if (candidates.length < DHT_MAX_CANDIDATES_PER_LOOKUP) candidates.push({ key, url: formatDhtEndpoint(peer.publicKey) });
        }
      }
    } catch {
      // A destroyed (timed out) or failed query: what it found so far stands.
    } finally {
      clearTimeout(timer);
      query.destroy();
    }
    this.counts.candidatesSeen += candidates.length;
    if (truncated) this.counts.lookupsStopped++;
    this.options.trace?.emit('peer/discovered', { detail: { via: 'dht', capability, candidates: candidates.length, records, truncated, verified: false } });
    return { candidates, figures: { records, candidates: candidates.length, truncated } };
  }

  /**
   * Up to `want` peers offering `capability`, each verified by our signed handshake over the DHT
   * (see the head of this file). Candidates in their cooldown are skipped.
   */
  async find(capability: string, want: number): Promise<VerifiedPeer[]> {
    const found: VerifiedPeer[] = [];
    const dialled = new Set<string>();
    // Keys whose dial failed for want of a path (not a refusal) in this find's first round.
    const unreachable = new Set<string>();
    // A lookup sees what the nodes it reached answered in time, and a DHT dial can miss a node that
    // is there: on a loaded network either comes back short. With nothing verified, one more round
    // (DHT_FIND_LOOKUPS) dials keys new to this find and, once more, the ones it could not reach;
    // never one that refused us. Each round dials at most one lookup's candidates.
    for (let round = 0; round < DHT_FIND_LOOKUPS && found.length === 0 && !this.stopped; round++) {
      const { candidates } = await this.lookup(capability);
      this.forgetOldFailures(this.now());
      const queue: CapabilityCandidate[] = [];
      for (const candidate of candidates) {
        if (unreachable.delete(candidate.key)) queue.push(candidate);
        else if (dialled.has(candidate.key)) continue;
        else if (this.failedKeys.has(candidate.key)) this.counts.coolingDown++;
        else queue.push(candidate);
      }
      for (const candidate of queue) dialled.add(candidate.key);
      const firstRound = round === 0;
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined && found.length < want && !this.stopped; next = queue.shift()) {
          const verified = await this.verify(next, capability);
          if (verified instanceof ProtocolError) {
            if (firstRound && verified.code === 'E_TRANSPORT_UNAVAILABLE') unreachable.add(next.key);
          } else if (found.length < want && !found.some((f) => f.nodeId === verified.nodeId)) found.push(verified);
        }
      };
      await Promise.all(Array.from({ length: Math.min(DHT_VERIFY_CONCURRENCY, queue.length) }, worker));
    }
    return found;
  }

  /** Dials one candidate; the handshake decides who it is. The error (and a cooldown) when it fails. */
  private async verify(candidate: CapabilityCandidate, capability: string): Promise<VerifiedPeer | ProtocolError> {
    try {
      const connection = await this.options.connections.connect([candidate.url]);
      if (capability.startsWith('core/') && !connection.peerCapabilities.includes(capability)) {
        throw new ProtocolError('E_PROTO_CAP_MISSING', `the peer's handshake does not offer ${capability}`);
      }
      this.counts.verified++;
      this.failedKeys.delete(candidate.key);
      this.options.trace?.emit('peer/discovered', { peer: connection.peerNodeId, detail: { via: 'dht', capability, 'dht/key': candidate.key, verified: true } });
      return { nodeId: connection.peerNodeId as NodeId, url: candidate.url, connection };
    } catch (error) {
      this.counts.refused++;
      this.remember(candidate.key);
      const failure = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', error instanceof Error ? error.message : String(error));
      this.options.trace?.emit('error/occurred', { detail: errorDetail(failure, { phase: 'dht-verify', capability, 'dht/key': candidate.key }) });
      return failure;
    }
  }

  private remember(key: string): void {
    this.failedKeys.delete(key);
    this.failedKeys.set(key, this.now());
    while (this.failedKeys.size > DHT_MAX_FAILED_KEYS) this.failedKeys.delete(this.failedKeys.keys().next().value!);
  }

  private forgetOldFailures(now: number): void {
    for (const [key, at] of this.failedKeys) {
      if (now - at < DHT_FAILED_KEY_COOLDOWN_MS) break;
      this.failedKeys.delete(key);
    }
  }
}
