// What the admin API answers, as JSON: the orchestrator's status, its PNodes and its VNodes.
// Keys follow the wire's style (`node-id`, `memory-mb`); times are RFC 3339 strings.
import type { Orchestrator } from './orchestrator.js';
import type { PNodeEntry } from './registry.js';
import type { VNodeRecord } from './vnode-table.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export interface StatusView {
  readonly 'node-id': string;
  readonly 'started-at': string;
  readonly 'uptime-ms': number;
  readonly 'heartbeat-interval-ms': number;
  readonly 'lease-ms': number;
  readonly 'grace-ms': number;
  readonly 'listen-urls': readonly string[];
  readonly sessions: number;
  readonly pnodes: Readonly<Record<string, number>>;
  readonly vnodes: Readonly<Record<string, number>>;
  readonly 'heartbeats-per-second': number;
}

export function statusView(orchestrator: Orchestrator, nodeId: string, listenUrls: readonly string[], now: number): StatusView {
  const metrics = orchestrator.metrics();
  return {
    'node-id': nodeId,
    'started-at': new Date(orchestrator.startedAt).toISOString(),
    'uptime-ms': Math.max(0, now - orchestrator.startedAt),
    'heartbeat-interval-ms': orchestrator.heartbeatIntervalMs,
    'lease-ms': orchestrator.leaseMs,
    'grace-ms': orchestrator.graceMs,
    'listen-urls': listenUrls,
    sessions: metrics.sessions,
    pnodes: metrics.pnodesByState,
    vnodes: metrics.vnodesByState,
    'heartbeats-per-second': metrics.heartbeatsPerSecond,
  };
}

export function pnodeView(orchestrator: Orchestrator, entry: PNodeEntry, now: number) {
  const capacity = orchestrator.capacityOf(entry);
  const used = orchestrator.usageOf(entry);
  const offer = entry.descriptor.offer;
  return {
    'node-id': entry.nodeId,
    state: entry.state,
    trust: entry.trust,
    'operator-id': entry.operatorId,
    primary: entry.primary,
    contributing: entry.contributing,
    hardware: entry.descriptor.hardware,
    offer: { cores: offer.cores, 'memory-mb': offer['memory-mb'] },
    capacity: { cores: capacity.cores, 'memory-mb': capacity.memoryMb, capped: capacity.cores < offer.cores || capacity.memoryMb < offer['memory-mb'] },
    used: { cores: used.cores, 'memory-mb': used.memoryMb },
    'load-permille': entry.loadPermille,
    'memory-available-mb': entry.availableMemoryMb,
    score: orchestrator.registry.score(entry, now),
    'software-version': entry.descriptor['software/version'],
    'registered-at': iso(entry.registeredAt),
    'last-heartbeat': iso(entry.lastHeartbeatAt),
    'lease-expires-at': entry.state === 'registered' ? iso(entry.leaseExpiresAt) : null,
    'expired-at': iso(entry.expiredAt),
    heartbeats: entry.heartbeats,
    'missed-heartbeats': entry.missed,
    connected: orchestrator.isConnected(entry.nodeId),
    vnodes: [...entry.vnodes],
  };
}

export type PNodeView = ReturnType<typeof pnodeView>;

export function vnodeView(record: VNodeRecord) {
  return {
    'vnode-id': record.id,
    state: record.state,
    pnode: record.pnode,
    cores: record.cores,
    'memory-mb': record.memoryMb,
    'created-at': iso(record.createdAt),
    'updated-at': iso(record.updatedAt),
    placements: record.placements,
    moves: record.moves,
    failures: record.failures,
    reason: record.lastReason,
  };
}

export type VNodeAdminView = ReturnType<typeof vnodeView>;
