// Node states for the shell's tests: the initial state with the sections a test cares about.
import { initialNodeState } from '../../src-shared/control/initial-state.js';
import type { ContributionView, NodeState, OrchestratorView, PeerView, TrustedView } from '../../src-shared/control/state.js';

export const T0 = Date.parse('2026-11-21T12:00:00Z');

export const NODE_A = 'node:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
export const NODE_B = 'node:did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG';

export interface StateParts {
  readonly contribution?: Partial<ContributionView>;
  readonly joined?: boolean;
  readonly orchestrators?: readonly OrchestratorView[];
  readonly peers?: readonly PeerView[];
  readonly trusted?: Partial<TrustedView>;
}

export function nodeState(parts: StateParts = {}): NodeState {
  const base = initialNodeState('0.1.0', T0);
  return {
    ...base,
    network: { ...base.network, joined: parts.joined ?? base.network.joined },
    contribution: { ...base.contribution, ...parts.contribution },
    orchestrators: parts.orchestrators ?? base.orchestrators,
    peers: parts.peers ?? base.peers,
    trusted: { ...base.trusted, ...parts.trusted },
  };
}

export function orchestrator(status: OrchestratorView['status'], nodeId: string = NODE_A): OrchestratorView {
  return {
    nodeId,
    url: 'wss://orchestrator.example:7443',
    status,
    primary: true,
    registeredAt: status === 'registered' ? T0 : null,
    lastHeartbeatAt: null,
    leaseExpiresAt: null,
    heartbeatIntervalMs: 10_000,
    heartbeatsAcked: 0,
  };
}

export function peer(lifecycle: PeerView['lifecycle'], nodeId: string = NODE_B): PeerView {
  return {
    nodeId,
    label: null,
    address: null,
    temperature: lifecycle === 'connected' ? 'hot' : 'cold',
    lifecycle,
    direction: 'outbound',
    rttMs: null,
    score: 0.5,
    capabilities: [],
    lastSeen: null,
    blockedUntil: null,
    blockReason: null,
  };
}
