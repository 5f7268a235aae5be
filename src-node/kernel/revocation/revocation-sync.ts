// How a registration authority's revocations reach everyone (issue 15 §5), a RuntimeModule named
// 'revocation-sync' that every node role can run. It keeps the latest signed list of each authority
// the node follows (revocation-book.ts) and moves lists two ways:
//
// - Seed directories: every REVOCATION_FETCH_INTERVAL_MS (± REVOCATION_FETCH_JITTER) the node asks
//   each directory it uses for `GET /revocations/<authority key>`; a newer list is taken. An
//   authority's own lists (publish()) are PUT to every directory at once, retried with backoff
//   while a directory is unavailable, and PUT again every REVOCATION_REPUBLISH_INTERVAL_MS (a
//   directory that lost its data gets them back).
// - Sessions (`revocation-list`, trust-bodies.ts): on every new session the node asks the peer for
//   each authority it follows, naming the sequence it holds; a peer that holds a newer list answers
//   with it (or, when the list is too large for a session message, with a notice, and the asker
//   fetches it from its directories at once). A peer that asked about an authority is told of every
//   newer list of it for the rest of the session (a push), so a revocation crosses a network of
//   sessions within seconds. Bounded: REVOCATION_MESSAGES_PER_MINUTE per peer (burst
//   REVOCATION_MESSAGES_BURST), MAX_REVOCATION_SUBSCRIPTIONS_PER_SESSION authorities per session,
//   answers only to requests we sent, and a list that does not verify is a protocol violation of its
//   sender.
//
// So a revocation reaches a node over a session within seconds of the authority's change (its
// orchestrator pushes it), and through the directories within one fetch interval (2 minutes).
// Listeners ('changed') re-check what they trust: the orchestrator's operator trust, the PNode's own
// trusted registration. Traced as `advertisement/fetched` (or `/published` for our own) with detail
// artifact "revocation-list.v1": the spec's vocabulary has no word of its own for it.
import { EventEmitter } from 'node:events';
import type { Agent } from 'node:http';
import { ProtocolError, type Result } from '../../../src-shared/protocol/errors.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import { newId } from '../../../src-shared/protocol/ids.js';
import type { RevocationEntry } from '../../../src-shared/trust/attestation.js';
import { MAX_DISTRIBUTED_REVOCATION_LIST_BYTES, type RevocationList } from '../../../src-shared/trust/revocation-list.js';
import { NO_REVOCATION_LIST, type RevocationListBody } from '../../../src-shared/protocol/messages/trust-bodies.js';
import { MAX_SESSION_MESSAGE_BYTES } from '../../../src-shared/protocol/messages/session-message.js';
import type { PeerConnection } from '../connection/peer-connection.js';
import { parseDirectoryUrl } from '../discovery/directory-url.js';
import { DIRECTORY_REQUEST_TIMEOUT_MS, directoryAgent, directoryRequest } from '../discovery/directory-request.js';
import { type BackoffBounds, RECONNECT_BACKOFF, backoffDelayMs } from '../peers/backoff.js';
import { PeerRateLimiter } from '../peers/rate-limiter.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import { trustWithExtraCas } from '../transport/tls.js';
import { RevocationBook } from './revocation-book.js';

export const REVOCATION_SYNC_MODULE = 'revocation-sync';
/** How often a node asks its directories for newer lists. */
export const REVOCATION_FETCH_INTERVAL_MS = 2 * 60_000;
/** ± this share of the interval, drawn each time. */
export const REVOCATION_FETCH_JITTER = 0.1;
/** An authority's own lists are PUT to the directories again this often. */
export const REVOCATION_REPUBLISH_INTERVAL_MS = 10 * 60_000;
/** A PUT a directory could not take (unreachable, 429, 5xx) is retried on this schedule. */
export const REVOCATION_PUBLISH_BACKOFF: BackoffBounds = RECONNECT_BACKOFF;
/** Session messages of this kind admitted per peer per minute… */
export const REVOCATION_MESSAGES_PER_MINUTE = 30;
/** …and at once. */
export const REVOCATION_MESSAGES_BURST = 8;
/** Authorities one session may ask about (and be told of) at most. */
export const MAX_REVOCATION_SUBSCRIPTIONS_PER_SESSION = 4;
/** A request of ours not answered within this is forgotten. */
export const REVOCATION_REQUEST_TIMEOUT_MS = 15_000;
/** A list goes over a session only when its JSON is within this (the session message must stay under MAX_SESSION_MESSAGE_BYTES). */
export const MAX_SESSION_REVOCATION_LIST_CHARS = MAX_SESSION_MESSAGE_BYTES - 4 * 1024;

export type RevocationSyncComponents = Pick<KernelComponents, 'dataDir' | 'crypto' | 'clock' | 'traces' | 'connections' | 'peers' | 'warn' | 'trustCa' | 'insecureLoopback'>;

export interface RevocationSyncOptions {
  /** The authorities this node follows (read each time: a PNode learns its issuer when it enrolls). */
  readonly keys: () => Iterable<string>;
  /** The directories it uses (read each time: the volunteer may add some). */
  readonly directories: () => readonly string[];
  readonly fetchIntervalMs?: number;
  readonly republishIntervalMs?: number;
  readonly publishBackoff?: BackoffBounds;
  readonly requestTimeoutMs?: number;
  readonly random?: () => number;
}

export interface RevocationSyncEvents {
  /** A newer list was taken (from a directory, a peer, or published here). */
  changed: [list: RevocationList, via: 'directory' | 'session' | 'local'];
}

export interface RevocationSyncStats {
  readonly fetches: number;
  readonly fetchedNewer: number;
  readonly requestsSent: number;
  readonly requestsAnswered: number;
  readonly pushesSent: number;
  readonly takenFromSessions: number;
  readonly refused: number;
  readonly throttled: number;
  readonly published: number;
  readonly publishFailures: number;
}

type Counters = { -readonly [K in keyof RevocationSyncStats]: number };

interface Pending {
  readonly peer: string;
  readonly key: string;
  readonly timer: NodeJS.Timeout;
}

function fitsSession(list: RevocationList): boolean {
  return JSON.stringify(list).length <= MAX_SESSION_REVOCATION_LIST_CHARS;
}

export class RevocationSync extends EventEmitter<RevocationSyncEvents> implements RuntimeModule {
  readonly name = REVOCATION_SYNC_MODULE;
  readonly book: RevocationBook;
  private running = false;
  private fetchTimer: NodeJS.Timeout | undefined;
  private republishTimer: NodeJS.Timeout | undefined;
  private fetching: Promise<void> | null = null;
  private readonly agents = new Map<string, Agent>();
  private readonly pending = new Map<string, Pending>();
  /** node-id → authorities its session asked about. */
  private readonly subscriptions = new Map<string, Set<string>>();
  /** node-id → authorities we asked its session about. */
  private readonly asked = new Map<string, Set<string>>();
  private readonly limiter: PeerRateLimiter;
  /** Lists this node published, by authority: PUT to every directory. */
  private readonly own = new Map<string, RevocationList>();
  /** Directory → the publishing in progress or waiting for its retry. */
  private readonly publishing = new Map<string, { failures: number; timer: NodeJS.Timeout | undefined; busy: boolean; again: boolean }>();
  private readonly counters: Counters = { fetches: 0, fetchedNewer: 0, requestsSent: 0, requestsAnswered: 0, pushesSent: 0, takenFromSessions: 0, refused: 0, throttled: 0, published: 0, publishFailures: 0 };
  private readonly detach: Array<() => void> = [];
  private readonly random: () => number;

  constructor(
    private readonly components: RevocationSyncComponents,
    private readonly options: RevocationSyncOptions,
  ) {
    super();
    requireComponents(this.name, components, ['dataDir', 'crypto', 'clock', 'traces', 'connections', 'peers', 'warn']);
    this.book = new RevocationBook({ dataDir: components.dataDir, crypto: components.crypto, warn: components.warn });
    this.limiter = new PeerRateLimiter({ messagesPerSecond: REVOCATION_MESSAGES_PER_MINUTE / 60, burst: REVOCATION_MESSAGES_BURST });
    this.random = options.random ?? Math.random;
  }

  async start(): Promise<void> {
    await this.book.load();
    this.running = true;
    const connections = this.components.connections;
    connections.handle('revocation-list', (connection, body) => this.onMessage(connection, body));
    const onConnected = (connection: PeerConnection): void => this.ask(connection);
    const onDisconnected = (connection: PeerConnection): void => this.forget(connection.peerNodeId);
    connections.on('connected', onConnected);
    connections.on('disconnected', onDisconnected);
    this.detach.push(
      () => connections.off('connected', onConnected),
      () => connections.off('disconnected', onDisconnected),
    );
    for (const connection of connections.connections()) this.ask(connection);
    this.scheduleFetch(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.detach.splice(0)) off();
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    if (this.republishTimer) clearTimeout(this.republishTimer);
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    for (const state of this.publishing.values()) if (state.timer) clearTimeout(state.timer);
    await this.fetching?.catch(() => undefined);
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    await this.book.flush();
  }

  stats(): RevocationSyncStats {
    return { ...this.counters };
  }

  /** The revocation of a credential by its issuer, as far as the lists held say. */
  revoked(credentialId: string, issuerKey: string): RevocationEntry | undefined {
    return this.book.revoked(credentialId, issuerKey);
  }

  latest(issuerKey: string): RevocationList | undefined {
    return this.book.get(issuerKey);
  }

  private follows(): Set<string> {
    return new Set(this.options.keys());
  }

  /**
   * A list of this node's own (the authority's, after each change) or one it was handed (a
   * --revocation-list file): taken, pushed to the sessions that asked, and PUT to every directory.
   */
  publish(list: RevocationList): Result<RevocationList> {
    const taken = this.take(list, 'local', () => true);
    if (!taken.ok && taken.error.code !== 'E_ADV_STALE_SEQ') return taken;
    const key = list['issuer/key'];
    const held = this.book.get(key)!;
    this.own.set(key, held);
    for (const url of this.options.directories()) this.publishTo(url);
    this.armRepublish();
    return { ok: true, value: held };
  }

  /**
   * A list handed to this node (a --revocation-list file): taken and told to the sessions that
   * asked, but not PUT anywhere (that is its authority's business).
   */
  share(list: RevocationList): Result<RevocationList> {
    return this.take(list, 'local', () => true);
  }

  /** Asks every directory now (tests, and a notice of a list too large for a session). */
  fetchNow(): Promise<void> {
    if (this.fetching) return this.fetching;
    this.fetching = this.fetchRound().finally(() => (this.fetching = null));
    return this.fetching;
  }

  // ---- taking lists ------------------------------------------------------------------------

  private take(value: unknown, via: 'directory' | 'session' | 'local', wanted: (key: string) => boolean = (key) => this.follows().has(key)): Result<RevocationList> {
    const taken = this.book.offer(value, wanted);
    if (!taken.ok) return taken;
    const list = taken.value.list;
    // The trace vocabulary is the spec's: a newer signed list is a fetched (or, here, published) artifact.
    this.components.traces.emit(via === 'local' ? 'advertisement/published' : 'advertisement/fetched', {
      detail: { artifact: 'revocation-list.v1', 'issuer/key': list['issuer/key'], 'sequence/no': list['sequence/no'], revoked: list.revoked.length, via },
    });
    this.pushToSubscribers(list);
    this.emit('changed', list, via);
    return { ok: true, value: list };
  }

  // ---- sessions ----------------------------------------------------------------------------

  /**
   * The authorities followed changed (a PNode enrolled): every session is asked about the new ones
   * now, and the directories too. Each fetch round does the same, in case nobody said.
   */
  followsChanged(): void {
    for (const connection of this.components.connections.connections()) this.ask(connection);
    void this.fetchNow();
  }

  private ask(connection: PeerConnection): void {
    if (!this.running) return;
    let asked = this.asked.get(connection.peerNodeId);
    if (!asked) {
      asked = new Set();
      this.asked.set(connection.peerNodeId, asked);
    }
    for (const key of [...this.follows()].slice(0, MAX_REVOCATION_SUBSCRIPTIONS_PER_SESSION)) {
      if (asked.has(key)) continue;
      asked.add(key);
      const reqId = newId('rl', this.components.clock.now());
      const body: RevocationListBody = { 'req/id': reqId, 'issuer/key': key, 'sequence/no': this.book.sequence(key) ?? NO_REVOCATION_LIST };
      if (!connection.send('revocation-list', body)) continue;
      const timer = setTimeout(() => this.pending.delete(reqId), this.options.requestTimeoutMs ?? REVOCATION_REQUEST_TIMEOUT_MS);
      timer.unref();
      this.pending.set(reqId, { peer: connection.peerNodeId, key, timer });
      this.counters.requestsSent++;
    }
  }

  private forget(peer: string): void {
    this.subscriptions.delete(peer);
    this.asked.delete(peer);
    this.limiter.reset(peer);
    for (const [reqId, entry] of this.pending) {
      if (entry.peer !== peer) continue;
      clearTimeout(entry.timer);
      this.pending.delete(reqId);
    }
  }

  /** What goes to a peer about `list`: the list itself, or a notice when it is too large for a session. */
  private tell(list: RevocationList): RevocationListBody {
    return fitsSession(list) ? { list: list as unknown as Record<string, unknown> } : { 'issuer/key': list['issuer/key'], 'sequence/no': list['sequence/no'] };
  }

  private pushToSubscribers(list: RevocationList): void {
    const key = list['issuer/key'];
    for (const connection of this.components.connections.connections()) {
      if (!this.subscriptions.get(connection.peerNodeId)?.has(key)) continue;
      if (connection.send('revocation-list', this.tell(list))) this.counters.pushesSent++;
    }
  }

  private onMessage(connection: PeerConnection, body: RevocationListBody): void {
    if (!this.running) return;
    const peer = connection.peerNodeId;
    if (this.limiter.take(peer, this.components.clock.now()).verdict !== 'allowed') {
      this.counters.throttled++;
      return;
    }
    const reqId = body['req/id'];
    if (reqId !== undefined) {
      this.answer(connection, reqId, body['issuer/key']!, body['sequence/no']!);
      return;
    }
    const reId = body['re/id'];
    if (reId !== undefined) {
      const entry = this.pending.get(reId);
      // Only an answer to a request of ours to that peer is read.
      if (!entry || entry.peer !== peer) return;
      clearTimeout(entry.timer);
      this.pending.delete(reId);
    }
    if (body.list !== undefined) {
      const taken = this.take(body.list, 'session');
      if (taken.ok) this.counters.takenFromSessions++;
      else this.refusedFromPeer(connection, taken.error);
      return;
    }
    // A notice: a newer list than a session can carry exists; the directories have it.
    if (body['issuer/key'] !== undefined && this.follows().has(body['issuer/key']) && (body['sequence/no'] ?? NO_REVOCATION_LIST) > (this.book.sequence(body['issuer/key']) ?? NO_REVOCATION_LIST)) {
      void this.fetchNow();
    }
  }

  private answer(connection: PeerConnection, reqId: string, key: string, held: number): void {
    const peer = connection.peerNodeId;
    let asked = this.subscriptions.get(peer);
    if (!asked) {
      asked = new Set();
      this.subscriptions.set(peer, asked);
    }
    if (asked.has(key) || asked.size < MAX_REVOCATION_SUBSCRIPTIONS_PER_SESSION) asked.add(key);
    const list = this.book.get(key);
    const body: RevocationListBody = list && list['sequence/no'] > held ? { 're/id': reqId, ...this.tell(list) } : { 're/id': reqId };
    if (connection.send('revocation-list', body)) this.counters.requestsAnswered++;
  }

  /** A list a peer sent that we do not take: stale or not followed is normal; one that does not verify is the sender's fault. */
  private refusedFromPeer(connection: PeerConnection, error: ProtocolError): void {
    if (error.code === 'E_ADV_STALE_SEQ' || error.code === 'E_SIG_UNKNOWN_SIGNER' || error.code === 'E_TRANSPORT_UNAVAILABLE') return;
    this.counters.refused++;
    this.components.traces.emit('error/occurred', { peer: connection.peerNodeId, detail: errorDetail(error, { phase: 'revocation-list' }) });
    this.components.peers.protocolViolation(connection.peerNodeId, error.code, `revocation-list: ${error.detail}`);
  }

  // ---- directories -------------------------------------------------------------------------

  private scheduleFetch(delayMs: number): void {
    if (!this.running) return;
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    this.fetchTimer = setTimeout(() => {
      void this.fetchNow().finally(() => {
        const interval = this.options.fetchIntervalMs ?? REVOCATION_FETCH_INTERVAL_MS;
        this.scheduleFetch(Math.round(interval * (1 - REVOCATION_FETCH_JITTER + 2 * REVOCATION_FETCH_JITTER * this.random())));
      });
    }, delayMs);
    this.fetchTimer.unref();
  }

  private base(url: string): { base: string; agent: Agent } | null {
    try {
      const parsed = parseDirectoryUrl(url, { insecureLoopback: this.components.insecureLoopback });
      let agent = this.agents.get(parsed.base);
      if (!agent) {
        agent = directoryAgent(parsed.secure, trustWithExtraCas(this.components.trustCa));
        this.agents.set(parsed.base, agent);
      }
      return { base: parsed.base, agent };
    } catch {
      return null;
    }
  }

  private async fetchRound(): Promise<void> {
    const keys = [...this.follows()];
    for (const connection of this.components.connections.connections()) this.ask(connection);
    for (const url of this.options.directories()) {
      const target = this.base(url);
      if (!target || !this.running) continue;
      for (const key of keys) {
        this.counters.fetches++;
        try {
          const response = await directoryRequest(`${target.base}/revocations/${encodeURIComponent(key)}`, {
            method: 'GET',
            agent: target.agent,
            timeoutMs: DIRECTORY_REQUEST_TIMEOUT_MS,
            maxBytes: MAX_DISTRIBUTED_REVOCATION_LIST_BYTES + 1024,
          });
          if (response.status !== 200) continue;
          const taken = this.take(response.body, 'directory');
          if (taken.ok) this.counters.fetchedNewer++;
          else if (taken.error.code !== 'E_ADV_STALE_SEQ') {
            this.components.traces.emit('error/occurred', { detail: errorDetail(taken.error, { phase: 'revocation-list', via: 'directory', url: target.base }) });
          }
        } catch (error) {
          const failure = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', String(error));
          this.components.traces.emit('error/occurred', { detail: errorDetail(failure, { phase: 'revocation-list', via: 'directory', url: target.base, op: 'fetch' }) });
          break; // that directory is down: the next round asks again
        }
      }
    }
  }

  private armRepublish(): void {
    if (this.republishTimer || !this.running) return;
    this.republishTimer = setTimeout(() => {
      this.republishTimer = undefined;
      for (const url of this.options.directories()) this.publishTo(url);
      this.armRepublish();
    }, this.options.republishIntervalMs ?? REVOCATION_REPUBLISH_INTERVAL_MS);
    this.republishTimer.unref();
  }

  /** PUTs our own lists to one directory, retrying with backoff while it cannot take them. */
  private publishTo(url: string): void {
    const target = this.base(url);
    if (!target || !this.running) return;
    let state = this.publishing.get(target.base);
    if (!state) {
      state = { failures: 0, timer: undefined, busy: false, again: false };
      this.publishing.set(target.base, state);
    }
    if (state.timer) return;
    if (state.busy) {
      // A newer list came while a PUT was on its way: put again once it is done.
      state.again = true;
      return;
    }
    state.busy = true;
    state.again = false;
    const run = async (): Promise<boolean> => {
      for (const list of this.own.values()) {
        const response = await directoryRequest(`${target.base}/revocations/${encodeURIComponent(list['issuer/key'])}`, {
          method: 'PUT',
          agent: target.agent,
          timeoutMs: DIRECTORY_REQUEST_TIMEOUT_MS,
          body: JSON.stringify(list),
        });
        // 409: the directory holds this one or a newer one already.
        if (response.status === 200 || response.status === 201 || response.status === 409) {
          this.counters.published++;
          continue;
        }
        if (response.status === 429 || response.status >= 500) return false;
        const detail = (response.body as { detail?: unknown } | undefined)?.detail;
        this.components.traces.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_TRANSPORT_REJECTED', `${target.base}: ${response.status} ${typeof detail === 'string' ? detail.slice(0, 200) : ''}`), { phase: 'revocation-list', op: 'publish' }) });
      }
      return true;
    };
    void run()
      .catch(() => false)
      .then((done) => {
        state.busy = false;
        if (done) {
          state.failures = 0;
          if (state.again) this.publishTo(url);
          return;
        }
        this.counters.publishFailures++;
        const delay = backoffDelayMs(state.failures++, this.random, this.options.publishBackoff ?? REVOCATION_PUBLISH_BACKOFF);
        state.timer = setTimeout(() => {
          state.timer = undefined;
          this.publishTo(url);
        }, delay);
        state.timer.unref();
      });
  }
}
