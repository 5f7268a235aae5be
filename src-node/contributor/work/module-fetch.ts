// Fetching one workload module from an orchestrator (issue 7 §1), window by window: ask for up to
// MODULE_FETCH_WINDOW chunks, wait until each of them came (or was refused), ask for the next
// missing ones. The ModuleAssembler checks every chunk on arrival (module, size, index, length,
// no repeats) and the whole module's hash at the end:
//   - a chunk that does not fit is refused and asked for again in the next window;
//   - a module whose assembled bytes do not hash to its name (a chunk with the right length but
//     wrong bytes) is thrown away and fetched again from the start.
// Both, and a window that goes unanswered for MODULE_REQUEST_TIMEOUT_MS, use up one of
// MAX_MODULE_FETCH_RETRIES; then the fetch fails. Only chunks answering the current request count.
// No I/O of its own: the caller sends the requests and feeds in the answers.
import type { ContentHash } from '../../../src-shared/vnode/content-hash.js';
import { ModuleAssembler, type ModuleChunk } from '../../../src-shared/vnode/module-chunks.js';
import type { VNodeModuleRequestBody } from '../../../src-shared/protocol/messages/work-bodies.js';
import { MAX_CHUNKS_PER_MODULE_REQUEST } from '../../../src-shared/protocol/messages/work-bodies.js';

/** Chunks asked for at once (the orchestrator paces its sends within the session's rate limit). */
export const MODULE_FETCH_WINDOW = Math.min(4, MAX_CHUNKS_PER_MODULE_REQUEST);
/** A window unanswered this long is asked for again. */
export const MODULE_REQUEST_TIMEOUT_MS = 10_000;
/** Windows asked again, refused chunks and restarts after a bad hash, in all, before the fetch fails. */
export const MAX_MODULE_FETCH_RETRIES = 4;

export type FetchOutcome = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly detail: string };

export interface ModuleFetchStats {
  requests: number;
  chunksReceived: number;
  chunksRefused: number;
  restarts: number;
}

export interface ModuleFetchOptions {
  readonly moduleHash: ContentHash;
  readonly moduleSize: number;
  /** The orchestrator asked (the only node whose chunks count). */
  readonly from: string;
  /** Sends one request; false when the session is gone. */
  readonly send: (body: VNodeModuleRequestBody) => boolean;
  readonly newRequestId: () => string;
  readonly onDone: (outcome: FetchOutcome) => void;
  readonly timeoutMs?: number;
  readonly window?: number;
  readonly maxRetries?: number;
}

export class ModuleFetch {
  readonly stats: ModuleFetchStats = { requests: 0, chunksReceived: 0, chunksRefused: 0, restarts: 0 };
  private assembler: ModuleAssembler;
  private requestId: string | null = null;
  /** Indexes of the current window not answered yet. */
  private waiting = new Set<number>();
  private retries = 0;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(private readonly options: ModuleFetchOptions) {
    this.assembler = new ModuleAssembler(options.moduleHash, options.moduleSize);
  }

  get from(): string {
    return this.options.from;
  }

  get currentRequestId(): string | null {
    return this.requestId;
  }

  get done(): boolean {
    return this.finished;
  }

  start(): void {
    this.requestNext();
  }

  /** A chunk answering `reId`; chunks of an earlier request are ignored. */
  onChunk(reId: string, chunk: ModuleChunk): void {
    if (this.finished || reId !== this.requestId || !this.waiting.has(chunk.index)) return;
    this.waiting.delete(chunk.index);
    const added = this.assembler.add(chunk);
    if (added.ok) {
      this.stats.chunksReceived++;
      if (added.value.complete) return this.finish({ ok: true, bytes: added.value.bytes });
    } else if (this.assembler.missing().length === 0) {
      // Every chunk is in and the bytes do not hash to the module's name: start over.
      this.stats.chunksRefused++;
      this.stats.restarts++;
      if (!this.spendRetry(`the assembled module does not match its hash (${added.error.detail})`)) return;
      this.assembler = new ModuleAssembler(this.options.moduleHash, this.options.moduleSize);
      this.waiting.clear();
    } else {
      // This chunk did not fit: it stays missing and is asked for again with the next window.
      this.stats.chunksRefused++;
      if (!this.spendRetry(`chunk ${chunk.index} was refused: ${added.error.detail}`)) return;
    }
    if (this.waiting.size === 0) this.requestNext();
  }

  /** The orchestrator answered the current request with an error. */
  onError(reId: string, detail: string): void {
    if (reId !== this.requestId) return;
    this.finish({ ok: false, detail: `the orchestrator refused the module request: ${detail}` });
  }

  /** Gives up (session closed, runner stopping). */
  abort(detail: string): void {
    this.finish({ ok: false, detail });
  }

  private spendRetry(why: string): boolean {
    this.retries++;
    if (this.retries <= (this.options.maxRetries ?? MAX_MODULE_FETCH_RETRIES)) return true;
    this.finish({ ok: false, detail: `module ${this.options.moduleHash} could not be fetched: ${why}` });
    return false;
  }

  private requestNext(): void {
    if (this.finished) return;
    const window = this.assembler.missing().slice(0, this.options.window ?? MODULE_FETCH_WINDOW);
    if (window.length === 0) return;
    this.requestId = this.options.newRequestId();
    this.waiting = new Set(window);
    this.stats.requests++;
    const sent = this.options.send({ 'req/id': this.requestId, 'module/hash': this.options.moduleHash, 'module/size': this.options.moduleSize, chunks: window });
    if (!sent) return this.finish({ ok: false, detail: 'the session with the orchestrator closed' });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.finished) return;
      if (!this.spendRetry(`no answer within ${this.options.timeoutMs ?? MODULE_REQUEST_TIMEOUT_MS} ms`)) return;
      this.requestNext();
    }, this.options.timeoutMs ?? MODULE_REQUEST_TIMEOUT_MS);
    this.timer.unref();
  }

  private finish(outcome: FetchOutcome): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.options.onDone(outcome);
  }
}
