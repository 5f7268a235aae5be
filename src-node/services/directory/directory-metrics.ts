// Counters of the seed directory and their Prometheus text form (`GET /metrics`).

export type PutOutcomeLabel = 'stored' | 'unchanged' | string;
export type GetRoute = 'id-hit' | 'id-miss' | 'feed';
export type RateScope = 'ip' | 'publisher';
/** Why a connection was dropped at accept: its address at its cap, all taken, or evicted to make room. */
export type ConnectionRefusal = 'address' | 'total' | 'evicted';

export interface DirectoryGauges {
  readonly entries: number;
  readonly logBytes: number;
  readonly compactions: number;
  readonly expiredPurged: number;
  readonly uptimeSeconds: number;
  /** Connections held now. */
  readonly connections: number;
  /** Bytes of the live advertisements. */
  readonly storedBytes: number;
  /** Rows evicted to make room (fairness) since start. */
  readonly evicted: number;
}

export class DirectoryMetrics {
  readonly puts = new Map<PutOutcomeLabel, number>();
  readonly gets: Record<GetRoute, number> = { 'id-hit': 0, 'id-miss': 0, feed: 0 };
  readonly rateLimited: Record<RateScope, number> = { ip: 0, publisher: 0 };
  readonly connectionRefusals: Record<ConnectionRefusal, number> = { address: 0, total: 0, evicted: 0 };
  /** Requests refused before reaching a route (bad path, method, size, media type). */
  badRequests = 0;

  connectionRefused(reason: ConnectionRefusal): void {
    this.connectionRefusals[reason]++;
  }

  put(outcome: PutOutcomeLabel): void {
    this.puts.set(outcome, (this.puts.get(outcome) ?? 0) + 1);
  }

  get(route: GetRoute): void {
    this.gets[route]++;
  }

  limited(scope: RateScope): void {
    this.rateLimited[scope]++;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(gauges: DirectoryGauges): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: ReadonlyArray<readonly [string, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('pnode_directory_entries', 'gauge', 'Live (unexpired) advertisements stored.', [['', gauges.entries]]);
    metric(
      'pnode_directory_puts_total',
      'counter',
      'PUT /adv requests by outcome: stored, unchanged (idempotent), or the error code.',
      [...this.puts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([outcome, n]) => [`{outcome="${outcome}"}`, n] as const),
    );
    metric('pnode_directory_gets_total', 'counter', 'GET requests by route and result.', [
      ['{route="id",result="hit"}', this.gets['id-hit']],
      ['{route="id",result="miss"}', this.gets['id-miss']],
      ['{route="feed",result="page"}', this.gets.feed],
    ]);
    metric('pnode_directory_rate_limited_total', 'counter', 'Requests answered 429, by limit.', [
      ['{scope="ip"}', this.rateLimited.ip],
      ['{scope="publisher"}', this.rateLimited.publisher],
    ]);
    metric('pnode_directory_connections', 'gauge', 'Connections held now.', [['', gauges.connections]]);
    metric('pnode_directory_connections_refused_total', 'counter', 'Connections dropped at accept: per-address cap, all taken, or evicted (longest idle of the heaviest address) to make room.', [
      ['{reason="address"}', this.connectionRefusals.address],
      ['{reason="total"}', this.connectionRefusals.total],
      ['{reason="evicted"}', this.connectionRefusals.evicted],
    ]);
    metric('pnode_directory_bad_requests_total', 'counter', 'Requests refused before a route (path, method, size, media type).', [['', this.badRequests]]);
    metric('pnode_directory_expired_purged_total', 'counter', 'Expired advertisements purged (on read, by the sweep, at load).', [['', gauges.expiredPurged]]);
    metric('pnode_directory_stored_bytes', 'gauge', 'Bytes of the live advertisements (the stored-bytes budget).', [['', gauges.storedBytes]]);
    metric('pnode_directory_evicted_total', 'counter', 'Rows evicted to make room for a newcomer from a lighter source.', [['', gauges.evicted]]);
    metric('pnode_directory_log_bytes', 'gauge', 'Size of the append-only log.', [['', gauges.logBytes]]);
    metric('pnode_directory_compactions_total', 'counter', 'Log compactions since start.', [['', gauges.compactions]]);
    metric('pnode_directory_uptime_seconds', 'gauge', 'Seconds since the directory started.', [['', gauges.uptimeSeconds]]);
    return `${lines.join('\n')}\n`;
  }
}
