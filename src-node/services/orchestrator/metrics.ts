// Counters of the orchestrator and their Prometheus text exposition (format 0.0.4). Kept apart
// from the logic so the numbers have one home and the admin API only formats them.

/** Window of the heartbeats-per-second gauge. */
export const RATE_WINDOW_SECONDS = 10;

/** Events per second over the last RATE_WINDOW_SECONDS whole seconds (a ring of per-second counts). */
export class RateWindow {
  private readonly counts = new Array<number>(RATE_WINDOW_SECONDS + 1).fill(0);
  private second = 0;

  constructor(now: number) {
    this.second = Math.floor(now / 1000);
  }

  private advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (second <= this.second) return;
    const steps = Math.min(second - this.second, this.counts.length);
    for (let i = 1; i <= steps; i++) this.counts[(this.second + i) % this.counts.length] = 0;
    this.second = second;
  }

  add(now: number, n = 1): void {
    this.advance(now);
    this.counts[this.second % this.counts.length]! += n;
  }

  /** Mean rate over the completed seconds of the window (the current, partial second is left out). */
  perSecond(now: number): number {
    this.advance(now);
    let sum = 0;
    for (let i = 1; i <= RATE_WINDOW_SECONDS; i++) sum += this.counts[(this.second - i + this.counts.length * 2) % this.counts.length]!;
    return sum / RATE_WINDOW_SECONDS;
  }
}

export interface OrchestratorCounters {
  registrations: number;
  registrationsRefused: number;
  heartbeats: number;
  heartbeatsUnknown: number;
  leaseExpiries: number;
  forgotten: number;
  allocationsSent: number;
  allocationsAccepted: number;
  allocationsRefused: number;
  allocationsTimedOut: number;
  vnodesMoved: number;
  releasesSent: number;
}

export function zeroCounters(): OrchestratorCounters {
  return {
    registrations: 0,
    registrationsRefused: 0,
    heartbeats: 0,
    heartbeatsUnknown: 0,
    leaseExpiries: 0,
    forgotten: 0,
    allocationsSent: 0,
    allocationsAccepted: 0,
    allocationsRefused: 0,
    allocationsTimedOut: 0,
    vnodesMoved: 0,
    releasesSent: 0,
  };
}

export interface MetricsSnapshot {
  readonly counters: OrchestratorCounters;
  readonly pnodesByState: Readonly<Record<string, number>>;
  readonly vnodesByState: Readonly<Record<string, number>>;
  readonly heartbeatsPerSecond: number;
  readonly sessions: number;
  readonly heartbeatIntervalMs: number;
}

export type Sample = readonly [labels: Readonly<Record<string, string>> | null, value: number];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** One metric family of the text exposition (the work scheduler writes its own with it). */
export function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const text = labels ? `{${Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
    lines.push(`${name}${text} ${Number.isInteger(value) ? value : value.toFixed(3)}`);
  }
  return lines.join('\n');
}

/** The Prometheus text exposition of a snapshot. */
export function prometheusText(snapshot: MetricsSnapshot): string {
  const c = snapshot.counters;
  const byState = (states: Readonly<Record<string, number>>): Sample[] => Object.entries(states).map(([state, n]) => [{ state }, n]);
  const registered = snapshot.pnodesByState['registered'] ?? 0;
  return [
    family('pnode_orchestrator_registered_pnodes', 'gauge', 'PNodes holding a live lease.', [[null, registered]]),
    family('pnode_orchestrator_pnodes', 'gauge', 'PNode records by state (expired records are kept for a grace period).', byState(snapshot.pnodesByState)),
    family('pnode_orchestrator_sessions', 'gauge', 'Open peer sessions.', [[null, snapshot.sessions]]),
    family('pnode_orchestrator_heartbeat_interval_seconds', 'gauge', 'Heartbeat interval the orchestrator asks for.', [[null, snapshot.heartbeatIntervalMs / 1000]]),
    family('pnode_orchestrator_heartbeats_per_second', 'gauge', `Heartbeats handled per second over the last ${RATE_WINDOW_SECONDS} s.`, [[null, snapshot.heartbeatsPerSecond]]),
    family('pnode_orchestrator_heartbeats_total', 'counter', 'Heartbeats answered, by outcome.', [
      [{ outcome: 'acked' }, c.heartbeats],
      [{ outcome: 'not-registered' }, c.heartbeatsUnknown],
    ]),
    family('pnode_orchestrator_registrations_total', 'counter', 'Registrations, by outcome.', [
      [{ outcome: 'accepted' }, c.registrations],
      [{ outcome: 'refused' }, c.registrationsRefused],
    ]),
    family('pnode_orchestrator_lease_expiries_total', 'counter', 'Leases ended after missed heartbeats.', [[null, c.leaseExpiries]]),
    family('pnode_orchestrator_pnodes_forgotten_total', 'counter', 'Expired PNode records forgotten after the grace period.', [[null, c.forgotten]]),
    family('pnode_orchestrator_vnodes', 'gauge', 'VNodes by state.', byState(snapshot.vnodesByState)),
    family('pnode_orchestrator_allocations_total', 'counter', 'vnode-allocate requests, by outcome.', [
      [{ outcome: 'sent' }, c.allocationsSent],
      [{ outcome: 'accepted' }, c.allocationsAccepted],
      [{ outcome: 'refused' }, c.allocationsRefused],
      [{ outcome: 'timed-out' }, c.allocationsTimedOut],
    ]),
    family('pnode_orchestrator_vnodes_moved_total', 'counter', 'VNodes taken back from a PNode (lease ended, released, failed) to be placed again.', [[null, c.vnodesMoved]]),
    family('pnode_orchestrator_releases_total', 'counter', 'vnode-release requests sent.', [[null, c.releasesSent]]),
    '',
  ].join('\n');
}
