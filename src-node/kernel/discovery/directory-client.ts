// The node's side of the seed directories (spec digest §e), a RuntimeModule named
// 'directory-client'.
//
// - Directories: the node's `--directory <url>` options plus the UI-added `settings.directories`
//   (followed as settings change). https anywhere, with the node's trust (system roots plus
//   --trust-ca); plain http only on loopback with --insecure-loopback.
// - Publishing: our own advertisement is PUT to every directory on start and on every runtime
//   'advertisement' event (each re-announce) — only when the node has one (a dial-only node has
//   none). A PUT that fails for want of the directory (transport, 429, 5xx) is retried with
//   backoff, always with the newest advertisement; a refusal of the artifact (409, 4xx) is not.
// - Fetching: fetchAdvertisement(nodeId) asks each directory in turn, for dialing a node we do
//   not know.
// - Syncing: per directory, an incremental loop over `GET /adv?since=<cursor>`: pages follow each
//   other while they are full; a short page means caught up, and the next poll comes after
//   DIRECTORY_SYNC_INTERVAL_MS (±10 %). Errors back off exponentially (1 s doubling to 5 min, full
//   jitter; a Retry-After is honoured). Cursors persist in `<dataDir>/directory-cursors.json`; a
//   cursor the directory no longer knows (400: its data was reset) starts the feed over.
// - Trust: the directory is a cache, not an authority. Every advertisement received goes through
//   the discovery intake (advertisement-intake.ts: schema, signer, signature, expiry, sequence, the
//   lifetime and endpoint rules the directory itself applies, then the peer store's room), charged
//   to the directory as its source (issue 15 §1): one directory holds at most its share of the
//   peers the node has not reached itself, and never pushes out one it has.
// - A hostile directory: a feed page of at least DIRECTORY_HOSTILE_MIN_ITEMS advertisements of which
//   more than DIRECTORY_HOSTILE_RATIO are invalid (forged, malformed, or living past the lifetime
//   rule — the far-future flood) makes the directory hostile: every peer only it brought is dropped
//   (peers.dropSource), its feed is read again from the start, and it is not asked anything for
//   DIRECTORY_HOSTILE_BACKOFF_MS. A directory removed from the configuration or settings takes the
//   peers only it brought with it, too.
// - Traces: `advertisement/published` (via directory, url, status), `advertisement/fetched` (url,
//   count; for pages with items, so a quiet poll leaves no trace), `advertisement/rejected` (code, class, node/id; not for E_ADV_STALE_SEQ, which only
//   means we know that one already, nor for a refusal for room; at most DIRECTORY_MAX_REJECTIONS_TRACED
//   per page, so a flood does not fill the trace log), `peer/discovered` for a node-id new to the peer store, and
//   `error/occurred` for a directory that cannot be reached or refuses us.
import type { Agent } from 'node:http';
import { type ErrorCode, ProtocolError, isErrorCode } from '../../../src-shared/protocol/errors.js';
import { DIRECTORY_PROOF_HEADER, directoryProof } from '../../../src-shared/network/directory-proof.js';
import { isNodeId } from '../../../src-shared/protocol/did-key.js';
import { errorDetail } from '../../../src-shared/protocol/trace.js';
import type { NodeAdvertisement } from '../advertisement/advertisement-types.js';
import { parseDirectoryUrl } from './directory-url.js';
import { type BackoffBounds, type RandomSource, RECONNECT_BACKOFF, backoffDelayMs } from '../peers/backoff.js';
import type { KernelComponents } from '../runtime/components.js';
import { requireComponents } from '../runtime/components.js';
import type { RuntimeModule } from '../runtime/runtime-module.js';
import { trustWithExtraCas } from '../transport/tls.js';
import { isCursorText, loadCursors, saveCursors } from './directory-cursors.js';
import { DIRECTORY_REQUEST_TIMEOUT_MS, type DirectoryResponse, directoryAgent, directoryRequest } from './directory-request.js';
import { directorySource } from '../peers/provenance.js';
import { takeAdvertisement } from './advertisement-intake.js';
import { INVALID_ADVERTISEMENT_CODES } from './peer-exchange.js';

/** Poll interval of a caught-up feed. */
export const DIRECTORY_SYNC_INTERVAL_MS = 60_000;
/** The poll interval varies by ± this fraction, so nodes started together do not poll together. */
export const DIRECTORY_SYNC_JITTER = 0.1;
/** Backoff after errors (sync and publish): the reconnect schedule, 1 s doubling to 5 min, full jitter. */
export const DIRECTORY_BACKOFF: BackoffBounds = RECONNECT_BACKOFF;
/** Page size assumed when a directory does not say (`max-items`). */
export const DIRECTORY_DEFAULT_MAX_ITEMS = 100;
/** A page with more items than this is a misbehaving directory. */
export const DIRECTORY_MAX_PAGE_ITEMS = 1_000;
/** Cursors are written at most this often. */
export const DIRECTORY_CURSOR_SAVE_DELAY_MS = 2_000;
/** Longest Retry-After honoured. */
export const DIRECTORY_MAX_RETRY_AFTER_MS = 10 * 60_000;
/** A page with more than this share of invalid advertisements makes its directory hostile… */
export const DIRECTORY_HOSTILE_RATIO = 0.5;
/** …when it holds at least this many (fewer say too little about the directory). */
export const DIRECTORY_HOSTILE_MIN_ITEMS = 4;
/** A hostile directory is not asked anything for this long. */
export const DIRECTORY_HOSTILE_BACKOFF_MS = 60 * 60_000;
/** Rejections traced per feed page at most (the rest are counted in the page's trace). */
export const DIRECTORY_MAX_REJECTIONS_TRACED = 8;

export type DirectoryClientComponents = Pick<
  KernelComponents,
  'dataDir' | 'warn' | 'insecureLoopback' | 'trustCa' | 'identity' | 'advertisements' | 'peers' | 'settings' | 'traces' | 'advertiser' | 'clock'
> &
  // A private network's proof for its directories (issue 12 §2); tests of open networks may leave them out.
  Partial<Pick<KernelComponents, 'network' | 'crypto'>
>;

export interface DirectoryClientTiming {
  readonly requestTimeoutMs: number;
  readonly syncIntervalMs: number;
  readonly backoff: BackoffBounds;
}

export type ScheduleKind = 'sync' | 'publish';
export type ScheduleReason = 'caught-up' | 'error';

export interface DirectoryClientOptions {
  /** From the node's configuration (`--directory`, then the network's); the volunteer's settings add more. */
  readonly directories: readonly string[];
  readonly timing?: Partial<DirectoryClientTiming>;
  /** Jitter source (tests pin it). */
  readonly random?: RandomSource;
  /** Told of every timer set: which directory, what for, how long (tests watch the backoff). */
  readonly onSchedule?: (url: string, kind: ScheduleKind, delayMs: number, reason: ScheduleReason) => void;
}

export interface DirectoryStatus {
  readonly url: string;
  readonly cursor: string | null;
  readonly caughtUp: boolean;
  readonly syncFailures: number;
  readonly publishFailures: number;
  /** Sequence number of our advertisement the directory last accepted. */
  readonly publishedSequence: number | null;
  readonly lastError: string | null;
  /** Until when the directory is ignored for serving invalid advertisements (ms since the epoch), or null. */
  readonly hostileUntil: number | null;
}

export interface PublishOutcome {
  readonly url: string;
  /** HTTP status, or null when the directory could not be reached. */
  readonly status: number | null;
  readonly error?: ProtocolError;
}

/** A failure with the protocol code from the directory's error body (or the transport's). */
class DirectoryError extends ProtocolError {
  constructor(
    code: ErrorCode,
    detail: string,
    readonly status: number | null,
    readonly retryAfterMs: number | null,
  ) {
    super(code, detail);
  }
}

function retryAfterMs(response: DirectoryResponse): number | null {
  const header = response.headers['retry-after'];
  const seconds = typeof header === 'string' ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, DIRECTORY_MAX_RETRY_AFTER_MS) : null;
}

function errorFrom(url: string, response: DirectoryResponse): DirectoryError {
  const body = response.body as { code?: unknown; detail?: unknown } | undefined;
  const code: ErrorCode = isErrorCode(body?.code) ? body.code : response.status >= 500 || response.status === 429 ? 'E_TRANSPORT_UNAVAILABLE' : 'E_TRANSPORT_REJECTED';
  const detail = typeof body?.detail === 'string' ? body.detail.slice(0, 300) : `HTTP ${response.status}`;
  return new DirectoryError(code, `${url}: ${response.status} ${detail}`, response.status, retryAfterMs(response));
}

/** Worth trying again later: nobody answered, too busy, or a server-side failure. */
function isRetriable(error: unknown): boolean {
  if (error instanceof DirectoryError && error.status !== null) return error.status === 429 || error.status >= 500;
  return error instanceof ProtocolError && (error.code === 'E_TRANSPORT_UNAVAILABLE' || error.code === 'E_TRANSPORT_REJECTED');
}

class DirectoryLink {
  readonly agent: Agent;
  cursor: string | undefined;
  caughtUp = false;
  syncFailures = 0;
  syncTimer: NodeJS.Timeout | undefined;
  syncing: Promise<void> | null = null;
  publishFailures = 0;
  publishTimer: NodeJS.Timeout | undefined;
  publishing: Promise<void> | null = null;
  pendingPublish: NodeAdvertisement | null = null;
  publishedSequence: number | null = null;
  lastError: string | null = null;
  hostileUntil: number | null = null;
  /** Rejections traced in the page being read. */
  tracedThisPage = 0;
  stopped = false;

  constructor(
    readonly url: string,
    secure: boolean,
    runtime: DirectoryClientComponents,
  ) {
    this.agent = directoryAgent(secure, trustWithExtraCas(runtime.trustCa));
  }

  stop(): void {
    this.stopped = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.agent.destroy();
  }
}

export class DirectoryClient implements RuntimeModule {
  readonly name = 'directory-client';
  private readonly links = new Map<string, DirectoryLink>();
  private readonly warned = new Set<string>();
  private cursors = new Map<string, string>();
  private cursorTimer: NodeJS.Timeout | undefined;
  private cursorWrite: Promise<void> = Promise.resolve();
  private readonly timing: DirectoryClientTiming;
  private readonly random: RandomSource;
  private stopped = false;

  private readonly onAdvertisement = (advertisement: NodeAdvertisement): void => {
    for (const link of this.links.values()) this.publishTo(link, advertisement);
  };

  private detach: Array<() => void> = [];

  constructor(
    private readonly components: DirectoryClientComponents,
    private readonly options: DirectoryClientOptions,
  ) {
    requireComponents(this.name, components, ['dataDir', 'warn', 'identity', 'advertisements', 'peers', 'settings', 'traces', 'advertiser', 'clock']);
    this.timing = {
      requestTimeoutMs: options.timing?.requestTimeoutMs ?? DIRECTORY_REQUEST_TIMEOUT_MS,
      syncIntervalMs: options.timing?.syncIntervalMs ?? DIRECTORY_SYNC_INTERVAL_MS,
      backoff: options.timing?.backoff ?? DIRECTORY_BACKOFF,
    };
    this.random = options.random ?? Math.random;
  }

  private get runtime(): DirectoryClientComponents {
    return this.components;
  }

  async start(): Promise<void> {
    const runtime = this.components;
    this.stopped = false;
    try {
      this.cursors = await loadCursors(runtime.dataDir, (error, aside) => runtime.warn(`warning: ${error.message}; set aside as ${aside}`));
    } catch (error) {
      // Unreadable (permissions, say): every feed is read from the beginning; nothing is lost.
      runtime.warn(`warning: directory cursors: ${error instanceof Error ? error.message : String(error)}`);
      this.cursors = new Map();
    }
    this.detach = [
      runtime.advertiser.onAdvertisement(this.onAdvertisement),
      runtime.settings.subscribe((next, previous) => {
        if (next.directories !== previous.directories) this.reconcile();
      }),
    ];
    this.reconcile();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const runtime = this.components;
    for (const off of this.detach.splice(0)) off();
    for (const link of this.links.values()) link.stop();
    await Promise.all([...this.links.values()].flatMap((l) => [l.syncing, l.publishing]).map((p) => p?.catch(() => undefined)));
    this.links.clear();
    if (this.cursorTimer) {
      clearTimeout(this.cursorTimer);
      this.cursorTimer = undefined;
      await this.writeCursors(runtime);
    }
    await this.cursorWrite;
  }

  /** The directories from the configuration (command line, network descriptor), as given. */
  configured(): readonly string[] {
    return this.options.directories;
  }

  /** The directories in use (normalised base URLs). */
  directories(): string[] {
    return [...this.links.keys()];
  }

  status(): DirectoryStatus[] {
    return [...this.links.values()].map((l) => ({
      url: l.url,
      cursor: l.cursor ?? null,
      caughtUp: l.caughtUp,
      syncFailures: l.syncFailures,
      publishFailures: l.publishFailures,
      publishedSequence: l.publishedSequence,
      lastError: l.lastError,
      hostileUntil: l.hostileUntil,
    }));
  }

  /** Publishes our current advertisement to every directory now; resolves when each has answered (once). */
  async publish(): Promise<PublishOutcome[]> {
    const advertisement = this.runtime.advertiser.advertisement;
    if (!advertisement) return [];
    return Promise.all([...this.links.values()].map((link) => this.putOnce(link, advertisement)));
  }

  /** Runs a sync round on every directory (or one) now, and resolves when it is done. */
  async syncNow(url?: string): Promise<void> {
    const links = [...this.links.values()].filter((l) => url === undefined || l.url === url);
    await Promise.all(
      links.map(async (link) => {
        if (link.syncing) await link.syncing;
        await this.sync(link);
      }),
    );
  }

  /**
   * Asks the directories, in order, for a node's advertisement; the first that verifies and is
   * current wins (it also goes to the cache and the peer store). Null when none has one.
   */
  async fetchAdvertisement(nodeId: string): Promise<NodeAdvertisement | null> {
    const runtime = this.runtime;
    if (!isNodeId(nodeId)) return null;
    for (const link of [...this.links.values()]) {
      if (this.isHostile(link)) continue;
      let response: DirectoryResponse;
      try {
        response = await this.request(link, 'GET', `/adv/${nodeId}`);
      } catch (error) {
        this.traceError(link, 'fetch', error);
        continue;
      }
      if (response.status === 404) continue;
      if (response.status !== 200) {
        this.traceError(link, 'fetch', errorFrom(link.url, response));
        continue;
      }
      runtime.traces.emit('advertisement/fetched', { peer: nodeId, detail: { via: 'directory', url: link.url, count: 1 } });
      const body = response.body as Record<string, unknown> | undefined;
      if (body?.['node/id'] !== nodeId) {
        this.traceRejected(link, new ProtocolError('E_PROTO_INVALID', `asked for ${nodeId}, the directory answered another node's advertisement`), nodeId);
        continue;
      }
      link.tracedThisPage = 0;
      const accepted = this.accept(link, body);
      if (accepted === 'accepted' || accepted === 'known') {
        const current = runtime.advertisements.get(nodeId);
        if (current) return current;
      }
    }
    return null;
  }

  // ---- directories -------------------------------------------------------------------------

  /** Brings the links in line with the configured and the UI-added directories. */
  private reconcile(): void {
    if (this.stopped) return;
    const runtime = this.runtime;
    const wanted = new Map<string, boolean>();
    for (const url of [...this.options.directories, ...runtime.settings.get().directories]) {
      try {
        const parsed = parseDirectoryUrl(url, { insecureLoopback: runtime.insecureLoopback });
        wanted.set(parsed.base, parsed.secure);
      } catch (error) {
        if (!this.warned.has(url)) {
          this.warned.add(url);
          runtime.warn(`warning: directory ${url} is not used: ${error instanceof ProtocolError ? error.detail : String(error)}`);
        }
      }
    }
    for (const [url, link] of this.links) {
      if (wanted.has(url)) continue;
      link.stop();
      this.links.delete(url);
      // What only it brought goes with it (issue 15 §1).
      runtime.peers.dropSource(directorySource(url).key);
      // Removed: its cursor goes too (added again later, its feed is read from the beginning).
      this.cursors.delete(url);
      this.saveCursorsSoon();
    }
    for (const [url, secure] of wanted) {
      if (this.links.has(url)) continue;
      const link = new DirectoryLink(url, secure, runtime);
      const cursor = this.cursors.get(url);
      if (cursor !== undefined) link.cursor = cursor;
      this.links.set(url, link);
      if (runtime.advertiser.advertisement) this.publishTo(link, runtime.advertiser.advertisement);
      void this.sync(link);
    }
  }

  private request(link: DirectoryLink, method: 'GET' | 'PUT', path: string, body?: string): Promise<DirectoryResponse> {
    const url = `${link.url}${path}`;
    // A private network's directory answers its members only: prove the key (issue 12 §2).
    const { network, crypto, clock } = this.components;
    const proof = network?.psk && crypto ? { [DIRECTORY_PROOF_HEADER]: directoryProof(crypto, network.psk, network.id, method, new URL(url).pathname, (clock ?? { now: Date.now }).now()) } : undefined;
    return directoryRequest(url, { method, agent: link.agent, timeoutMs: this.timing.requestTimeoutMs, ...(body !== undefined ? { body } : {}), ...(proof ? { headers: proof } : {}) });
  }

  private schedule(link: DirectoryLink, kind: ScheduleKind, delayMs: number, reason: ScheduleReason, run: () => void): void {
    if (link.stopped) return;
    const timer = setTimeout(run, delayMs);
    timer.unref();
    if (kind === 'sync') {
      if (link.syncTimer) clearTimeout(link.syncTimer);
      link.syncTimer = timer;
    } else {
      if (link.publishTimer) clearTimeout(link.publishTimer);
      link.publishTimer = timer;
    }
    this.options.onSchedule?.(link.url, kind, delayMs, reason);
  }

  private backoffMs(failures: number, error: unknown): number {
    const delay = backoffDelayMs(failures - 1, this.random, this.timing.backoff);
    const hinted = error instanceof DirectoryError ? (error.retryAfterMs ?? 0) : 0;
    return Math.max(delay, hinted);
  }

  // ---- publishing --------------------------------------------------------------------------

  /** Publishes `advertisement` to the link, retrying (newest first) while the directory is unavailable. */
  private publishTo(link: DirectoryLink, advertisement: NodeAdvertisement): void {
    link.pendingPublish = advertisement;
    if (link.publishing || link.publishTimer) return;
    link.publishing = this.publishLoop(link).finally(() => (link.publishing = null));
  }

  private async publishLoop(link: DirectoryLink): Promise<void> {
    while (link.pendingPublish && !link.stopped && !this.stopped) {
      const advertisement = link.pendingPublish;
      link.pendingPublish = null;
      const outcome = await this.putOnce(link, advertisement);
      if (outcome.error && isRetriable(outcome.error) && !link.stopped) {
        link.pendingPublish ??= advertisement;
        const delay = this.backoffMs(link.publishFailures, outcome.error);
        this.schedule(link, 'publish', delay, 'error', () => {
          link.publishTimer = undefined;
          if (link.pendingPublish) this.publishTo(link, link.pendingPublish);
        });
        return;
      }
    }
  }

  private async putOnce(link: DirectoryLink, advertisement: NodeAdvertisement): Promise<PublishOutcome> {
    const runtime = this.runtime;
    let response: DirectoryResponse;
    try {
      response = await this.request(link, 'PUT', `/adv/${advertisement['node/id']}`, JSON.stringify(advertisement));
    } catch (error) {
      link.publishFailures++;
      const failure = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', String(error));
      if (!link.stopped) this.traceError(link, 'publish', failure);
      return { url: link.url, status: null, error: failure };
    }
    if (response.status === 200 || response.status === 201) {
      link.publishFailures = 0;
      link.publishedSequence = advertisement['sequence/no'];
      runtime.traces.emit('advertisement/published', {
        detail: { via: 'directory', url: link.url, status: response.status, 'advertisement/id': advertisement['advertisement/id'], 'sequence/no': advertisement['sequence/no'] },
      });
      return { url: link.url, status: response.status };
    }
    const failure = errorFrom(link.url, response);
    if (isRetriable(failure)) link.publishFailures++;
    this.traceError(link, 'publish', failure);
    return { url: link.url, status: response.status, error: failure };
  }

  // ---- syncing -----------------------------------------------------------------------------

  private isHostile(link: DirectoryLink): boolean {
    if (link.hostileUntil === null) return false;
    if (this.runtime.clock.now() < link.hostileUntil) return true;
    link.hostileUntil = null;
    return false;
  }

  /** The directory served mostly invalid advertisements: drop what only it brought, and leave it alone a while. */
  private markHostile(link: DirectoryLink, invalid: number, total: number, first: ProtocolError | undefined): void {
    const runtime = this.runtime;
    const dropped = runtime.peers.dropSource(directorySource(link.url).key);
    link.hostileUntil = this.runtime.clock.now() + DIRECTORY_HOSTILE_BACKOFF_MS;
    link.cursor = undefined;
    link.caughtUp = false;
    this.saveCursor(link);
    const detail = `${link.url}: ${invalid} of ${total} advertisements in a feed page are invalid${first ? ` (first: ${first.code} ${first.detail})` : ''}; ${dropped} peers only it brought dropped, ignored for ${DIRECTORY_HOSTILE_BACKOFF_MS / 60_000} min`;
    link.lastError = `E_PROTO_INVALID ${detail}`;
    runtime.traces.emit('error/occurred', { detail: errorDetail(new ProtocolError('E_PROTO_INVALID', detail), { via: 'directory', url: link.url, op: 'sync', hostile: true }) });
    runtime.warn(`warning: directory ${detail}`);
    this.schedule(link, 'sync', DIRECTORY_HOSTILE_BACKOFF_MS, 'error', () => void this.sync(link));
  }

  private sync(link: DirectoryLink): Promise<void> {
    if (link.syncing) return link.syncing;
    if (link.syncTimer) {
      clearTimeout(link.syncTimer);
      link.syncTimer = undefined;
    }
    link.syncing = this.syncRound(link).finally(() => (link.syncing = null));
    return link.syncing;
  }

  /** Reads pages until a short one (caught up), then schedules the next poll; errors back off. */
  private async syncRound(link: DirectoryLink): Promise<void> {
    let restarted = false;
    if (this.isHostile(link)) {
      this.schedule(link, 'sync', Math.max(1, link.hostileUntil! - this.runtime.clock.now()), 'error', () => void this.sync(link));
      return;
    }
    try {
      while (!link.stopped && !this.stopped) {
        const path = link.cursor === undefined ? '/adv' : `/adv?since=${encodeURIComponent(link.cursor)}`;
        const response = await this.request(link, 'GET', path);
        if (link.stopped) return;
        if (response.status === 400 && link.cursor !== undefined && !restarted) {
          // The directory does not know our cursor (its data was reset): read its feed again.
          restarted = true;
          link.cursor = undefined;
          this.saveCursor(link);
          continue;
        }
        if (response.status !== 200) throw errorFrom(link.url, response);
        const page = this.readPage(link, response.body);
        link.tracedThisPage = 0;
        let invalid = 0;
        let firstInvalid: ProtocolError | undefined;
        for (const item of page.items) {
          const outcome = this.accept(link, item);
          if (outcome instanceof ProtocolError) {
            invalid++;
            firstInvalid ??= outcome;
          }
        }
        if (page.items.length > 0) this.runtime.traces.emit('advertisement/fetched', { detail: { via: 'directory', url: link.url, count: page.items.length, ...(invalid > 0 ? { invalid } : {}) } });
        if (page.items.length >= DIRECTORY_HOSTILE_MIN_ITEMS && invalid / page.items.length > DIRECTORY_HOSTILE_RATIO) {
          this.markHostile(link, invalid, page.items.length, firstInvalid);
          return;
        }
        link.cursor = page.next;
        link.syncFailures = 0;
        link.lastError = null;
        this.saveCursor(link);
        if (page.items.length < page.maxItems) {
          link.caughtUp = true;
          const interval = this.timing.syncIntervalMs;
          const delay = Math.round(interval * (1 - DIRECTORY_SYNC_JITTER + 2 * DIRECTORY_SYNC_JITTER * this.random()));
          this.schedule(link, 'sync', delay, 'caught-up', () => void this.sync(link));
          return;
        }
        link.caughtUp = false;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      if (link.stopped || this.stopped) return;
      link.syncFailures++;
      link.caughtUp = false;
      this.traceError(link, 'sync', error);
      this.schedule(link, 'sync', this.backoffMs(link.syncFailures, error), 'error', () => void this.sync(link));
    }
  }

  private readPage(link: DirectoryLink, body: unknown): { items: unknown[]; next: string; maxItems: number } {
    const page = body as { items?: unknown; next?: unknown; 'max-items'?: unknown } | undefined;
    if (typeof page !== 'object' || page === null || !Array.isArray(page.items) || !isCursorText(page.next)) {
      throw new ProtocolError('E_PROTO_INVALID', `${link.url}: the feed page is not {"items":[…],"next":"<cursor>"}`);
    }
    if (page.items.length > DIRECTORY_MAX_PAGE_ITEMS) throw new ProtocolError('E_PROTO_INVALID', `${link.url}: a feed page of ${page.items.length} items`);
    const declared = page['max-items'];
    const maxItems = typeof declared === 'number' && Number.isSafeInteger(declared) && declared > 0 ? declared : DIRECTORY_DEFAULT_MAX_ITEMS;
    return { items: page.items, next: page.next, maxItems };
  }

  // ---- what comes in -----------------------------------------------------------------------

  /**
   * Takes one advertisement from a directory through the intake. 'crowded': valid, but its
   * directory holds its share of the peer store already. An invalid one is the error itself.
   */
  private accept(link: DirectoryLink, item: unknown): 'accepted' | 'known' | 'own' | 'rejected' | 'crowded' | ProtocolError {
    const runtime = this.runtime;
    const claimed = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['node/id'] : undefined;
    if (claimed === runtime.identity.nodeId) return 'own';
    const taken = takeAdvertisement(runtime, item, 'directory', directorySource(link.url));
    if (!taken.ok) {
      if (taken.error.code === 'E_ADV_STALE_SEQ') return 'known';
      if (taken.error.code === 'E_TRANSPORT_UNAVAILABLE') return 'crowded';
      this.traceRejected(link, taken.error, typeof claimed === 'string' ? claimed : null);
      return INVALID_ADVERTISEMENT_CODES.has(taken.error.code) ? taken.error : 'rejected';
    }
    const advertisement = taken.value.offer.advertisement;
    const nodeId = advertisement['node/id'];
    if (taken.value.peer === 'added') {
      runtime.traces.emit('peer/discovered', { peer: nodeId, detail: { via: 'directory', url: link.url } });
    }
    return 'accepted';
  }

  private traceRejected(link: DirectoryLink, error: ProtocolError, nodeId: string | null): void {
    if (link.tracedThisPage++ >= DIRECTORY_MAX_REJECTIONS_TRACED) return;
    this.runtime.traces.emit('advertisement/rejected', {
      ...(nodeId !== null && isNodeId(nodeId) ? { peer: nodeId } : {}),
      detail: errorDetail(error, { 'node/id': nodeId === null ? null : nodeId.slice(0, 200), via: 'directory', url: link.url }),
    });
  }

  private traceError(link: DirectoryLink, op: 'sync' | 'publish' | 'fetch', error: unknown): void {
    const failure = error instanceof ProtocolError ? error : new ProtocolError('E_TRANSPORT_UNAVAILABLE', error instanceof Error ? error.message : String(error));
    link.lastError = `${failure.code} ${failure.detail}`;
    this.runtime.traces.emit('error/occurred', { detail: errorDetail(failure, { via: 'directory', url: link.url, op }) });
  }

  // ---- cursors -----------------------------------------------------------------------------

  private saveCursor(link: DirectoryLink): void {
    if (link.cursor === undefined) this.cursors.delete(link.url);
    else this.cursors.set(link.url, link.cursor);
    this.saveCursorsSoon();
  }

  private saveCursorsSoon(): void {
    if (this.cursorTimer) return;
    const runtime = this.runtime;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      void this.writeCursors(runtime);
    }, DIRECTORY_CURSOR_SAVE_DELAY_MS);
    this.cursorTimer.unref();
  }

  private writeCursors(runtime: DirectoryClientComponents): Promise<void> {
    const snapshot = new Map(this.cursors);
    this.cursorWrite = this.cursorWrite
      .catch(() => undefined)
      .then(() => saveCursors(runtime.dataDir, snapshot))
      .catch((error: unknown) => runtime.warn(`warning: directory cursors: ${error instanceof Error ? error.message : String(error)}`));
    return this.cursorWrite;
  }
}
