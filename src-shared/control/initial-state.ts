import { CONTROL_PROTOCOL, DEFAULT_LIMITS, type NodeState } from './state.js';
import { EMPTY_CREDIT_VIEW, EMPTY_HISTORY_VIEW } from './credit-view.js';
import { EMPTY_ACTIVITY_VIEW } from './activity-view.js';
import { EMPTY_WORK_VIEW } from './work-view.js';

/** The state of a node that has started but knows nothing yet. */
export function initialNodeState(version: string, startedAt: number): NodeState {
  return {
    protocol: CONTROL_PROTOCOL,
    version,
    startedAt,
    identity: null,
    network: {
      networkId: null,
      name: null,
      joinPolicy: null,
      joined: false,
      listenUrls: [],
      seeds: [],
      directories: [],
      configuredDirectories: [],
      allowlistMode: false,
      allowlist: [],
      projects: [],
    },
    contribution: { enabled: false, status: 'off', snoozedUntil: null, limits: DEFAULT_LIMITS, suspendReasons: ['not-joined'], idleDetection: true },
    orchestrators: [],
    peers: [],
    vnodes: [],
    trusted: { state: 'not-enrolled', operatorId: null, credentialId: null, validFrom: null, validUntil: null, lastError: null, revoked: null },
    hardware: null,
    traces: [],
    launchAtLogin: null,
    credit: EMPTY_CREDIT_VIEW,
    contributionHistory: EMPTY_HISTORY_VIEW,
    activity: EMPTY_ACTIVITY_VIEW,
    work: EMPTY_WORK_VIEW,
  };
}
