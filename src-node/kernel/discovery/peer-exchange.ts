// Gossip peer exchange (DESIGN.md §1 "discovery is gossip, eventually consistent"; §5
// `peer-exchange`): nodes trade bounded random samples of signed node advertisements over their
// sessions. Everything received is advisory: each advertisement is verified and merged on its own
// (advertisement cache first — signature, expiry, sequence — then the peer store).
//
// Behaviour, for every node role:
// - A new session: push our current advertisement (if we listen) and request a sample.
// - Every PEER_EXCHANGE_INTERVAL_MS (± PEER_EXCHANGE_JITTER): request a sample from up to
//   PEER_EXCHANGE_FANOUT connected peers, hot peers first. At most one request per peer is
//   outstanding; an answer that does not come within PEER_EXCHANGE_RESPONSE_TIMEOUT_MS is given
//   up (and a late one counts as unsolicited).
// - Our advertisement is re-published (the advertiser's event): push it to every session.
// - What arrives goes through the discovery intake (advertisement-intake.ts): the shared lifetime
//   and endpoint rules, then the peer store's room and fairness, charged to the sender as its
//   source (its node-id, in the group of the address it speaks from: provenance.ts).
// - News travels (epidemic forwarding): an advertisement that was new to us (added, or a higher
//   sequence) is pushed on to our other sessions within PEER_EXCHANGE_FORWARD_DELAY_MS, batched,
//   never back to the peer it came from — but only a peer's own advertisement (pushed or in an
//   answer), or news a peer we reached ourselves (tried) pushed; never what we pulled from a relay
//   (that is our catching up, and could hand back what we answered others). A relay of thousands of
//   strangers' advertisements by a peer that merely dialed us stops here (issue 15 §1). A sender that gets blocked takes its queued news
//   with it, and news whose peer the store has since dropped is not sent. The cache's sequence
//   rule ends the flood: a node forwards an advertisement at most once per sequence number.
// - A request is answered with a sample of current, verified advertisements from the cache plus
//   our own (first): tried peers first (up to PEER_EXCHANGE_TRIED_SHARE of it), then the others
//   taking turns by the group of the source that brought them, newest first within each — so a
//   flooding source fills at most its turn — at most `want`, MAX_PEER_EXCHANGE_ADVERTISEMENTS and
//   PEER_EXCHANGE_MAX_RESPONSE_BYTES, never the requester's own. Requests and pushes from one
//   peer are admitted at PEER_EXCHANGE_INBOUND_PER_MINUTE (burst PEER_EXCHANGE_INBOUND_BURST);
//   beyond that they are ignored (counted as throttled). Responses are admitted only for a request
//   we sent that peer; any other response is ignored (counted as unsolicited).
// - In a network (config.network.id), only advertisements of that network (`federation/id`) are
//   taken and given; others are skipped and counted as foreign.
//
// Judging what a peer sends: a stale sequence (E_ADV_STALE_SEQ) is normal propagation and not
// traced; an expired one is traced (`advertisement/rejected`) but not held against the sender; an
// invalid one (schema, E_SIG_INVALID, E_SIG_UNKNOWN_SIGNER) is traced and is the sender's fault: a
// message holding any is one protocol violation (the peer store blocks after its strike
// threshold), and a message of at least PEER_EXCHANGE_RATIO_MIN_ADVERTISEMENTS advertisements of
// which more than PEER_EXCHANGE_MAX_INVALID_RATIO are invalid blocks the sender at once
// (AUTO_BLOCK_DURATION_MS). A blocked sender's session is closed.
import { type ErrorCode, ProtocolError } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { newId } from '../../../src-shared/protocol/ids.js';
import { MAX_PEER_EXCHANGE_ADVERTISEMENTS, type PeerExchangeBody } from '../../../src-shared/protocol/messages/discovery-bodies.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import { peerSource } from '../peers/provenance.js';
import { takeAdvertisement } from './advertisement-intake.js';

export type PeerExchangeComponents = Pick<KernelComponents, 'connections' | 'advertiser' | 'advertisements' | 'peers' | 'clock' | 'traces' | 'identity' | 'network'>;
import type { PeerConnection } from '../connection/peer-connection.js';
import type { NodeAdvertisement } from '../advertisement/advertisement-types.js';
import { PeerRateLimiter } from '../peers/rate-limiter.js';
import { AUTO_BLOCK_DURATION_MS } from '../peers/peer-store.js';
import { MAX_ADVERTISEMENT_BYTES } from '../peers/peer-record.js';

/** How often a node asks its peers for news. */
export const PEER_EXCHANGE_INTERVAL_MS = 30_000;
/** ± share of the interval drawn at random each round, so a network does not ask in lockstep. */
export const PEER_EXCHANGE_JITTER = 0.2;
/** Peers asked per periodic round (hot peers first). */
export const PEER_EXCHANGE_FANOUT = 3;
/** An answer later than this is given up (and then counted as unsolicited). */
export const PEER_EXCHANGE_RESPONSE_TIMEOUT_MS = 10_000;
/**
 * Requests and pushes admitted per peer per minute, sustained: a hub forwards a batch every
 * PEER_EXCHANGE_FORWARD_DELAY_MS at most (4 a second), each ≤ 32 advertisements to verify…
 */
export const PEER_EXCHANGE_INBOUND_PER_MINUTE = 240;
/** …and at once after a quiet spell (a new session sends a push and a request). */
export const PEER_EXCHANGE_INBOUND_BURST = 16;
/** New advertisements are gathered this long before they are forwarded as one push per peer. */
export const PEER_EXCHANGE_FORWARD_DELAY_MS = 250;
/** A message with more than this share of invalid advertisements gets its sender blocked at once… */
export const PEER_EXCHANGE_MAX_INVALID_RATIO = 0.5;
/** …when it holds at least this many (fewer say too little about the sender). */
export const PEER_EXCHANGE_RATIO_MIN_ADVERTISEMENTS = 4;
/** Bytes of advertisements (as JSON) in one answer; keeps it well inside one session message. */
export const PEER_EXCHANGE_MAX_RESPONSE_BYTES = 48 * 1024;

/** The codes that say an advertisement is not authentic or not well-formed: the sender's fault. */
export const INVALID_ADVERTISEMENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['E_PROTO_INVALID', 'E_SIG_INVALID', 'E_SIG_UNKNOWN_SIGNER']);

export type Penalty = 'none' | 'strike' | 'block';

/** What a message with `invalid` bad advertisements out of `total` costs its sender. */
export function penaltyFor(invalid: number, total: number): Penalty {
  if (invalid <= 0) return 'none';
  if (total >= PEER_EXCHANGE_RATIO_MIN_ADVERTISEMENTS && invalid / total > PEER_EXCHANGE_MAX_INVALID_RATIO) return 'block';
  return 'strike';
}

/** `base` ± `jitter` × base, uniformly. */
export function jitteredDelayMs(baseMs: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(baseMs * (1 - jitter + 2 * jitter * random())));
}

/** Share of an answer given first to peers we reached ourselves (issue 15 §1). */
export const PEER_EXCHANGE_TRIED_SHARE = 0.5;

export interface SampleOptions {
  readonly want: number;
  /** How many of the newest advertisements (by advertised-at) go first; the rest are drawn at random. */
  readonly newest?: number;
  /** Never included (the requester's node-id). */
  readonly exclude?: string | undefined;
  readonly maxBytes?: number;
  readonly random?: () => number;
  /** Take the candidates in the order given (an answer already ordered by answerOrder). */
  readonly keepOrder?: boolean;
}

function jsonSize(value: unknown): number {
  return JSON.stringify(value).length;
}

/** The items in a uniformly random order, drawn lazily (partial Fisher–Yates on a copy). */
export function* randomOrder<T>(items: readonly T[], random: () => number = Math.random): Generator<T> {
  const pool = [...items];
  for (let i = 0; i < pool.length; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    yield pool[i]!;
  }
}

/**
 * A uniform random sample of at most `want` (and MAX_PEER_EXCHANGE_ADVERTISEMENTS) advertisements,
 * without `exclude`'s, without any larger than MAX_ADVERTISEMENT_BYTES, within `maxBytes` in all.
 */
export function sampleAdvertisements(candidates: readonly NodeAdvertisement[], options: SampleOptions): NodeAdvertisement[] {
  const want = Math.min(Math.max(0, Math.floor(options.want)), MAX_PEER_EXCHANGE_ADVERTISEMENTS);
  let budget = options.maxBytes ?? PEER_EXCHANGE_MAX_RESPONSE_BYTES;
  const out: NodeAdvertisement[] = [];
  const taken = new Set<NodeAdvertisement>();
  const take = (advertisement: NodeAdvertisement): void => {
    if (out.length >= want || taken.has(advertisement) || advertisement['node/id'] === options.exclude) return;
    const size = jsonSize(advertisement);
    if (size > MAX_ADVERTISEMENT_BYTES || size > budget) return;
    budget -= size;
    taken.add(advertisement);
    out.push(advertisement);
  };
  if (options.keepOrder) {
    for (const advertisement of candidates) {
      if (out.length >= want) break;
      take(advertisement);
    }
    return out;
  }
  const newest = Math.min(want, Math.max(0, Math.floor(options.newest ?? 0)));
  if (newest > 0) {
    const byAge = [...candidates].sort((a, b) => Date.parse(b['advertised-at']) - Date.parse(a['advertised-at']));
    for (const advertisement of byAge) {
      if (out.length >= newest) break;
      take(advertisement);
    }
  }
  for (const advertisement of randomOrder(candidates, options.random)) {
    if (out.length >= want) break;
    take(advertisement);
  }
  return out;
}

/** An advertisement an answer may carry, with what the peer store says of its peer. */
export interface AnswerCandidate {
  readonly advertisement: NodeAdvertisement;
  readonly tried: boolean;
  /** The group of the source charged for the peer ('' when none). */
  readonly group: string;
}

function advertisedAt(a: NodeAdvertisement): number {
  return Date.parse(a['advertised-at']);
}

/**
 * The order an answer takes advertisements in (see the head of this file): `own` first, tried
 * peers at random up to `triedWanted`, then the others taking turns by group (groups in random
 * order, newest first within each), then the rest of the tried ones.
 */
export function answerOrder(own: NodeAdvertisement | null, candidates: readonly AnswerCandidate[], triedWanted: number, random: () => number = Math.random): NodeAdvertisement[] {
  const tried = [...randomOrder(candidates.filter((c) => c.tried).map((c) => c.advertisement), random)];
  const byGroup = new Map<string, NodeAdvertisement[]>();
  for (const c of candidates) {
    if (c.tried) continue;
    const list = byGroup.get(c.group);
    if (list) list.push(c.advertisement);
    else byGroup.set(c.group, [c.advertisement]);
  }
  const queues = [...randomOrder([...byGroup.values()], random)].map((list) => list.sort((a, b) => advertisedAt(b) - advertisedAt(a)));
  const turns: NodeAdvertisement[] = [];
  for (let round = 0; queues.some((q) => round < q.length); round++) {
    for (const queue of queues) if (round < queue.length) turns.push(queue[round]!);
  }
  const first = Math.max(0, Math.floor(triedWanted));
  return [...(own ? [own] : []), ...tried.slice(0, first), ...turns, ...tried.slice(first)];
}

export interface PeerExchangeOptions {
  readonly intervalMs?: number;
  readonly jitter?: number;
  readonly fanout?: number;
  readonly responseTimeoutMs?: number;
  /** How many advertisements we ask for (1…MAX_PEER_EXCHANGE_ADVERTISEMENTS). */
  readonly want?: number;
  readonly inboundPerMinute?: number;
  readonly inboundBurst?: number;
  readonly random?: () => number;
  readonly forwardDelayMs?: number;
}

export interface PeerExchangeStats {
  readonly requestsSent: number;
  readonly responsesReceived: number;
  /** Requests given up after PEER_EXCHANGE_RESPONSE_TIMEOUT_MS. */
  readonly timeouts: number;
  /** Responses to no request of ours (or too late, or from another peer): ignored. */
  readonly unsolicited: number;
  readonly requestsAnswered: number;
  /** Peers turned away for this node being full, each sent where else to go. */
  readonly turnedAwayWithPeers: number;
  readonly pushesSent: number;
  readonly pushesReceived: number;
  /** Requests and pushes ignored for the per-peer rate. */
  readonly throttled: number;
  /** Advertisements taken into the cache. */
  readonly accepted: number;
  readonly stale: number;
  /** Expired or too large: refused, not held against the sender. */
  readonly refused: number;
  /** Valid, but not kept: the peer store had no room its source could take (issue 15 §1; not traced). */
  readonly crowded: number;
  readonly invalid: number;
  readonly foreign: number;
  /** Our own advertisement sent back to us. */
  readonly own: number;
  /** Senders blocked at once for a mostly invalid message. */
  readonly blocked: number;
}

type Counters = { -readonly [K in keyof PeerExchangeStats]: number };

function zeroCounters(): Counters {
  return {
    requestsSent: 0,
    responsesReceived: 0,
    timeouts: 0,
    unsolicited: 0,
    requestsAnswered: 0,
    turnedAwayWithPeers: 0,
    pushesSent: 0,
    pushesReceived: 0,
    throttled: 0,
    accepted: 0,
    stale: 0,
    refused: 0,
    crowded: 0,
    invalid: 0,
    foreign: 0,
    own: 0,
    blocked: 0,
  };
}

type Outcome = 'accepted' | 'stale' | 'refused' | 'crowded' | 'invalid' | 'foreign' | 'own';

interface Pending {
  readonly peer: string;
  readonly timer: NodeJS.Timeout;
}

interface QueuedNews {
  readonly advertisement: NodeAdvertisement;
  readonly from: string;
  readonly sentTo: Set<string>;
}

export class PeerExchange implements RuntimeModule {
  readonly name = 'peer-exchange';
  /** Set while running: the components, or undefined once stopped (late timers do nothing). */
  private runtime: PeerExchangeComponents | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly pendingByPeer = new Map<string, string>();
  private readonly limiter: PeerRateLimiter;
  private readonly counters = zeroCounters();
  private readonly detach: Array<() => void> = [];
  private readonly intervalMs: number;
  private readonly jitter: number;
  private readonly fanout: number;
  private readonly responseTimeoutMs: number;
  private readonly want: number;
  private readonly random: () => number;
  private readonly forwardDelayMs: number;
  /** News waiting to be forwarded, by node-id: who sent it (never sent back) and who has had it. */
  private readonly forwardQueue = new Map<string, QueuedNews>();
  /** Advertisements relayed by non-tried peers and not forwarded (issue 15 §1). */
  private notForwarded = 0;
  private forwardTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly components: PeerExchangeComponents,
    options: PeerExchangeOptions = {},
  ) {
    requireComponents(this.name, components, ['connections', 'advertiser', 'advertisements', 'peers', 'clock', 'traces', 'identity']);
    this.intervalMs = options.intervalMs ?? PEER_EXCHANGE_INTERVAL_MS;
    this.jitter = options.jitter ?? PEER_EXCHANGE_JITTER;
    this.fanout = options.fanout ?? PEER_EXCHANGE_FANOUT;
    this.responseTimeoutMs = options.responseTimeoutMs ?? PEER_EXCHANGE_RESPONSE_TIMEOUT_MS;
    this.want = Math.min(Math.max(1, Math.floor(options.want ?? MAX_PEER_EXCHANGE_ADVERTISEMENTS)), MAX_PEER_EXCHANGE_ADVERTISEMENTS);
    this.random = options.random ?? Math.random;
    this.forwardDelayMs = options.forwardDelayMs ?? PEER_EXCHANGE_FORWARD_DELAY_MS;
    this.limiter = new PeerRateLimiter({
      messagesPerSecond: (options.inboundPerMinute ?? PEER_EXCHANGE_INBOUND_PER_MINUTE) / 60,
      burst: options.inboundBurst ?? PEER_EXCHANGE_INBOUND_BURST,
    });
  }

  start(): void {
    const runtime = this.components;
    this.runtime = runtime;
    runtime.connections.handle('peer-exchange', (connection, body) => this.onMessage(connection, body));
    const onConnected = (connection: PeerConnection): void => this.greet(connection);
    const onDisconnected = (connection: PeerConnection): void => this.forgetPeer(connection.peerNodeId);
    const onAdvertisement = (advertisement: NodeAdvertisement): void => this.pushToAll(advertisement);
    const onTurningAway = (connection: PeerConnection): void => this.sendElsewhere(runtime, connection);
    runtime.connections.on('connected', onConnected);
    runtime.connections.on('disconnected', onDisconnected);
    runtime.connections.on('turning-away', onTurningAway);
    this.detach.push(
      () => runtime.connections.off('connected', onConnected),
      () => runtime.connections.off('disconnected', onDisconnected),
      () => runtime.connections.off('turning-away', onTurningAway),
      runtime.advertiser.onAdvertisement(onAdvertisement),
    );
    // Sessions adopted before this module started (inbound ones can be) are greeted now.
    for (const connection of runtime.connections.connections()) this.greet(connection);
    this.scheduleRound();
  }

  stop(): void {
    this.runtime = undefined;
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.roundTimer = undefined;
    if (this.forwardTimer) clearTimeout(this.forwardTimer);
    this.forwardTimer = undefined;
    this.forwardQueue.clear();
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    this.pendingByPeer.clear();
    for (const off of this.detach.splice(0)) off();
  }

  stats(): PeerExchangeStats {
    return { ...this.counters };
  }

  /** News held back: relayed by a peer we have not reached ourselves, so not passed on. */
  get heldBack(): number {
    return this.notForwarded;
  }

  // ---- sending ----

  private greet(connection: PeerConnection): void {
    const own = this.runtime?.advertiser.advertisement;
    if (own) this.push(connection, own);
    this.sendRequest(connection);
  }

  private push(connection: PeerConnection, advertisement: NodeAdvertisement): void {
    if (connection.send('peer-exchange', { advertisements: [advertisement] })) this.counters.pushesSent++;
  }

  private pushToAll(advertisement: NodeAdvertisement): void {
    for (const connection of this.runtime?.connections.connections() ?? []) this.push(connection, advertisement);
  }

  /** Queues news for forwarding; the latest sequence of a node replaces an older queued one. */
  private queueForward(advertisement: NodeAdvertisement, from: string): void {
    this.forwardQueue.set(advertisement['node/id'], { advertisement, from, sentTo: new Set() });
    this.armForward();
  }

  private armForward(): void {
    if (this.forwardTimer || this.forwardQueue.size === 0) return;
    this.forwardTimer = setTimeout(() => {
      this.forwardTimer = undefined;
      this.flushForward();
    }, this.forwardDelayMs);
    this.forwardTimer.unref();
  }

  /**
   * One push per session per flush with the oldest queued news it has not had and did not send
   * us, bounded by MAX_PEER_EXCHANGE_ADVERTISEMENTS and the byte budget. What did not fit waits
   * for the next flush, so a burst of news reaches every peer, one batch per delay at most.
   */
  private flushForward(): void {
    const cache = this.runtime?.advertisements;
    // News whose peer was dropped meanwhile (its source turned out hostile) is not passed on.
    for (const [nodeId, item] of this.forwardQueue) {
      if (cache?.get(nodeId)?.['sequence/no'] !== item.advertisement['sequence/no']) this.forwardQueue.delete(nodeId);
    }
    const queued = [...this.forwardQueue.values()];
    const connections = this.runtime?.connections.connections() ?? [];
    const needs = (item: QueuedNews, peer: string): boolean => item.from !== peer && item.advertisement['node/id'] !== peer && !item.sentTo.has(peer);
    for (const connection of connections) {
      const peer = connection.peerNodeId;
      const news = queued.filter((item) => needs(item, peer));
      const batch = sampleAdvertisements(
        news.map((item) => item.advertisement),
        { want: MAX_PEER_EXCHANGE_ADVERTISEMENTS, random: () => 0 },
      );
      if (batch.length === 0 || !connection.send('peer-exchange', { advertisements: batch })) continue;
      this.counters.pushesSent++;
      for (const advertisement of batch) this.forwardQueue.get(advertisement['node/id'])?.sentTo.add(peer);
    }
    for (const [nodeId, item] of this.forwardQueue) {
      if (!connections.some((c) => needs(item, c.peerNodeId))) this.forwardQueue.delete(nodeId);
    }
    this.armForward();
  }

  private sendRequest(connection: PeerConnection): boolean {
    const runtime = this.runtime;
    const peer = connection.peerNodeId;
    if (!runtime || this.pendingByPeer.has(peer)) return false;
    const id = newId('px', runtime.clock.now());
    if (!connection.send('peer-exchange', { 'req/id': id, want: this.want })) return false;
    const timer = setTimeout(() => {
      if (this.pending.delete(id)) {
        this.pendingByPeer.delete(peer);
        this.counters.timeouts++;
      }
    }, this.responseTimeoutMs);
    timer.unref();
    this.pending.set(id, { peer, timer });
    this.pendingByPeer.set(peer, id);
    this.counters.requestsSent++;
    return true;
  }

  private scheduleRound(): void {
    if (!this.runtime) return;
    this.roundTimer = setTimeout(() => {
      this.round();
      this.scheduleRound();
    }, jitteredDelayMs(this.intervalMs, this.jitter, this.random));
    this.roundTimer.unref();
  }

  /** One periodic round: ask up to `fanout` connected peers, hot ones first, the rest at random. */
  private round(): void {
    const runtime = this.runtime;
    if (!runtime) return;
    const connections = runtime.connections.connections().filter((c) => !this.pendingByPeer.has(c.peerNodeId));
    const hot: PeerConnection[] = [];
    const rest: PeerConnection[] = [];
    for (const c of connections) (runtime.peers.get(c.peerNodeId)?.temperature === 'hot' ? hot : rest).push(c);
    const targets = hot.slice(0, this.fanout);
    for (const connection of randomOrder(rest, this.random)) {
      if (targets.length >= this.fanout) break;
      targets.push(connection);
    }
    for (const connection of targets) this.sendRequest(connection);
  }

  private forgetPeer(peer: string): void {
    const id = this.pendingByPeer.get(peer);
    if (id !== undefined) {
      clearTimeout(this.pending.get(id)?.timer);
      this.pending.delete(id);
      this.pendingByPeer.delete(peer);
    }
    this.limiter.reset(peer);
  }

  // ---- receiving ----

  private onMessage(connection: PeerConnection, body: PeerExchangeBody): void {
    const runtime = this.runtime;
    if (!runtime) return;
    const requestId = body['req/id'];
    const responseTo = body['re/id'];
    if (requestId !== undefined) {
      if (!this.admit(connection.peerNodeId)) return;
      this.answer(runtime, connection, requestId, body.want ?? 1);
      return;
    }
    if (responseTo !== undefined) {
      const entry = this.pending.get(responseTo);
      if (!entry || entry.peer !== connection.peerNodeId) {
        this.counters.unsolicited++;
        return;
      }
      clearTimeout(entry.timer);
      this.pending.delete(responseTo);
      this.pendingByPeer.delete(entry.peer);
      this.counters.responsesReceived++;
      this.merge(runtime, connection, (body.advertisements ?? []).slice(0, this.want), false);
      return;
    }
    if (!this.admit(connection.peerNodeId)) return;
    this.counters.pushesReceived++;
    this.merge(runtime, connection, body.advertisements ?? [], true);
  }

  private admit(peer: string): boolean {
    const decision = this.limiter.take(peer, this.runtime?.clock.now() ?? Date.now());
    if (decision.verdict === 'allowed') return true;
    this.counters.throttled++;
    return false;
  }

  private inNetwork(runtime: PeerExchangeComponents, advertisement: Readonly<Record<string, unknown>>): boolean {
    const network = runtime.network?.id;
    return network === undefined || advertisement['federation/id'] === network;
  }

  /**
   * A peer this node turns away because it is full gets, as a parting push, peers to go to instead:
   * it cools this node for a while (1013), and a newcomer turned away by its only seed would
   * otherwise know no one (gossipsub's prune does the same). Only peers this node reached itself:
   * a push is news the receiver may pass on, and news is forwarded only from peers one reached
   * (the eclipse harness holds this: no attacker entry is ever pushed to an honest peer).
   */
  private sendElsewhere(runtime: PeerExchangeComponents, connection: PeerConnection): void {
    const sample = this.sample(runtime, connection, this.want, (nodeId) => runtime.peers.isTried(nodeId));
    if (sample.length > 0 && connection.send('peer-exchange', { advertisements: sample })) this.counters.turnedAwayWithPeers++;
  }

  private answer(runtime: PeerExchangeComponents, connection: PeerConnection, requestId: string, want: number): void {
    const sample = this.sample(runtime, connection, want);
    try {
      if (connection.send('peer-exchange', { 're/id': requestId, advertisements: sample })) this.counters.requestsAnswered++;
    } catch (error) {
      // Only an encoding bound can throw here; the sample is kept within it, so this is a bug to report.
      runtime.traces.emit('error/occurred', { peer: connection.peerNodeId, detail: errorDetail(error instanceof ProtocolError ? error : new ProtocolError('E_PROTO_INVALID', String(error)), { phase: 'peer-exchange answer' }) });
    }
  }

  /** The advertisements an answer to the peer of `connection` carries: tried peers first, each source group in turn. */
  private sample(runtime: PeerExchangeComponents, connection: PeerConnection, want: number, include: (nodeId: string) => boolean = () => true): Readonly<Record<string, unknown>>[] {
    const candidates: AnswerCandidate[] = runtime.advertisements
      .all()
      .filter((a) => this.inNetwork(runtime, a) && include(a['node/id']))
      .map((advertisement) => {
        const record = runtime.peers.get(advertisement['node/id']);
        return { advertisement, tried: runtime.peers.isTried(advertisement['node/id']), group: record?.sources[0]?.group ?? '' };
      });
    const ordered = answerOrder(runtime.advertiser.advertisement, candidates, Math.ceil(want * PEER_EXCHANGE_TRIED_SHARE), this.random);
    return sampleAdvertisements(ordered, { want, exclude: connection.peerNodeId, keepOrder: true });
  }

  private merge(runtime: PeerExchangeComponents, connection: PeerConnection, advertisements: readonly Readonly<Record<string, unknown>>[], pushed: boolean): void {
    const sender = connection.peerNodeId;
    let accepted = 0;
    const invalid: ProtocolError[] = [];
    for (const advertisement of advertisements) {
      const { outcome, error } = this.offer(runtime, connection, advertisement, pushed);
      this.counters[outcome]++;
      if (outcome === 'accepted') accepted++;
      if (outcome === 'invalid' && error) invalid.push(error);
    }
    if (accepted > 0) runtime.traces.emit('advertisement/fetched', { peer: sender, detail: { via: 'gossip', count: accepted } });
    const first = invalid[0];
    const penalty = penaltyFor(invalid.length, advertisements.length);
    if (penalty === 'none' || !first) return;
    const reason = `peer-exchange: ${invalid.length} of ${advertisements.length} advertisements invalid (first: ${first.code} ${first.detail})`;
    runtime.peers.protocolViolation(sender, first.code, reason);
    if (penalty === 'block') {
      runtime.peers.block(sender, { reason, durationMs: AUTO_BLOCK_DURATION_MS });
      this.counters.blocked++;
      this.dropQueuedFrom(sender);
      connection.close(first.code, reason);
    } else if (runtime.peers.isBlocked(sender)) {
      this.dropQueuedFrom(sender);
      connection.close(first.code, reason);
    }
  }

  /** A hostile sender's news goes with it: none of it is forwarded. */
  private dropQueuedFrom(sender: string): void {
    for (const [nodeId, item] of this.forwardQueue) if (item.from === sender) this.forwardQueue.delete(nodeId);
  }

  /** Verifies and merges one advertisement from the peer of `connection`. */
  private offer(runtime: PeerExchangeComponents, connection: PeerConnection, advertisement: Readonly<Record<string, unknown>>, pushed: boolean): { outcome: Outcome; error?: ProtocolError } {
    const sender = connection.peerNodeId;
    const nodeId = typeof advertisement['node/id'] === 'string' ? advertisement['node/id'] : '';
    if (nodeId === runtime.identity.nodeId) return { outcome: 'own' };
    if (!this.inNetwork(runtime, advertisement)) return { outcome: 'foreign' };
    const reject = (error: ProtocolError, outcome: Outcome): { outcome: Outcome; error: ProtocolError } => {
      runtime.traces.emit('advertisement/rejected', { peer: sender, detail: errorDetail(error, { 'node/id': nodeId, via: 'gossip' }) });
      return { outcome, error };
    };
    if (jsonSize(advertisement) > MAX_ADVERTISEMENT_BYTES) {
      return reject(new ProtocolError('E_PROTO_INVALID', `advertisement larger than ${MAX_ADVERTISEMENT_BYTES} bytes`), 'refused');
    }
    const result = takeAdvertisement(runtime, advertisement, 'gossip', peerSource(sender, connection.address));
    if (result.ok) {
      const taken = result.value.offer.advertisement;
      // Forwarded only from its own node or a peer we reached ourselves (see the head of this file).
      if (taken['node/id'] === sender || (pushed && runtime.peers.isTried(sender))) this.queueForward(taken, sender);
      else this.notForwarded++;
      if (result.value.peer === 'added') runtime.traces.emit('peer/discovered', { peer: nodeId, detail: { via: 'gossip', from: sender } });
      return { outcome: 'accepted' };
    }
    if (result.error.code === 'E_ADV_STALE_SEQ') return { outcome: 'stale' };
    // A flood refused for room is counted, not traced: tracing each would let it fill the disk.
    if (result.error.code === 'E_TRANSPORT_UNAVAILABLE') return { outcome: 'crowded' };
    return reject(result.error, INVALID_ADVERTISEMENT_CODES.has(result.error.code) ? 'invalid' : 'refused');
  }
}
