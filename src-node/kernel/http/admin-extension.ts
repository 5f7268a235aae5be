// The orchestrator deployment's admin API is one HTTP server on loopback (services/orchestrator/
// admin-server.ts); other components add their endpoints to it (the work scheduler's /jobs, the
// registration authority's /authority/…). This is the contract between them, so none of them needs
// to import another service.

/** A request as an extension sees it: path segments (decoded), the method, and the JSON body on demand. */
export interface AdminRequest {
  readonly method: string;
  readonly parts: readonly string[];
  readonly now: number;
  /** The JSON body ({} when empty); 400 / 413 are answered for the extension. */
  body(): Promise<unknown>;
}

export interface AdminAnswer {
  readonly status: number;
  /** Sent as JSON; `{error}` for a 4xx. */
  readonly body: unknown;
  /** For 405: the methods the path takes. */
  readonly allow?: string;
}

/** Endpoints served by another module (issue 7: the work scheduler). */
export interface AdminExtension {
  /** The answer, or null when the path is not the extension's. */
  route(request: AdminRequest): Promise<AdminAnswer | null> | AdminAnswer | null;
  /** More Prometheus text, appended to /metrics. */
  metrics?(): string;
}

/** Where components add endpoints; the admin server serves them in the order they were added. */
export class AdminExtensions {
  private readonly added: AdminExtension[] = [];

  extend(extension: AdminExtension): void {
    this.added.push(extension);
  }

  /** The live list (extensions added after the server started are served too). */
  list(): readonly AdminExtension[] {
    return this.added;
  }
}
