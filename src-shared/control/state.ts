// The control contract, part 1: the state snapshot a node shows its UI (DESIGN.md §4). It crosses
// Electron IPC and the local control WebSocket as JSON, so it holds only JSON values, and times
// are milliseconds since the epoch (UI-side only; never signed).
import type { TraceEvent } from '../protocol/trace.js';
import type { HardwareView } from './hardware-view.js';
import type { ContributionHistoryView, CreditView } from './credit-view.js';
import type { ActivityView } from './activity-view.js';
import type { WorkView } from './work-view.js';

export const CONTROL_PROTOCOL = 'pnode-control.v1';

export type Temperature = 'cold' | 'warm' | 'hot' | 'blocked';
export type Lifecycle = 'idle' | 'dialing' | 'connected' | 'cooldown' | 'blocked';

export interface IdentityView {
  readonly nodeId: string;
  readonly participantId: string;
  readonly keyPublic: string;
  readonly createdAt: string;
  /** Where the secret key lives: the OS keychain, or (loudly) a plain file. */
  readonly keystore: 'keychain' | 'file';
}

export interface SeedView {
  readonly nodeId: string;
  readonly url: string;
  readonly label?: string;
}

/** A project the network takes work from (issue 13 §1), as the network descriptor shows it to volunteers. */
export interface ProjectView {
  /** Its key's did:key fingerprint (z…). */
  readonly key: string;
  readonly name: string;
  readonly description: string | null;
  readonly url: string | null;
}

/** A network as its signed descriptor describes it, for people (issue 12). */
export interface NetworkDetailsView {
  readonly networkId: string;
  readonly name: string;
  /** The owner's node-id: who signed the descriptor. */
  readonly owner: string;
  readonly joinPolicy: 'open' | 'psk';
  readonly pskHint: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly orchestrators: readonly { readonly nodeId: string; readonly url: string }[];
  readonly directories: readonly string[];
  readonly seeds: readonly SeedView[];
  /** One line per CA certificate the network asks its members to trust (its label, or its position). */
  readonly trustRoots: readonly string[];
  /** Every service is on this computer (a local test network). */
  readonly onThisComputer: boolean;
  readonly descriptorUrl: string | null;
}

/** Where a remembered network came from. */
export type NetworkSource = 'invite' | 'default' | 'local' | 'file';

export interface KnownNetworkView {
  readonly details: NetworkDetailsView;
  readonly source: NetworkSource;
  readonly lastJoinedAt: number | null;
  /** Its descriptor has expired (a renewed one is fetched when one is published). */
  readonly expired: boolean;
  /** A key for this private network is kept on this computer. */
  readonly hasKey: boolean;
}

/** An invite opened (a pnode:// link, a pasted one) and not yet accepted: nothing has changed. */
export interface InvitePreview {
  readonly details: NetworkDetailsView;
  /** The invite text it came from, to send back with join-network. */
  readonly invite: string;
  /** This node already remembers the network. */
  readonly known: boolean;
  /** It is the network this node is in now. */
  readonly current: boolean;
  /** A private network whose key this computer does not hold yet: joining asks for it. */
  readonly needsKey: boolean;
}

/** What a node knows about networks beyond the one it runs in (issue 12): shown by First run and Settings › Network. */
export interface NetworkBookView {
  /** The network this node is in, from its verified descriptor; null when none. */
  readonly current: NetworkDetailsView | null;
  /** Its invite link (pnode://join/…), to share or show as a QR code. */
  readonly currentInvite: string | null;
  /** Networks joined before, the current one included, most recent first. */
  readonly known: readonly KnownNetworkView[];
  /** The network this build of the app offers on first run; null when it carries none. */
  readonly defaultNetwork: NetworkDetailsView | null;
  readonly pendingInvite: InvitePreview | null;
  /** An invite link the system handed over (pnode://) that was refused: why, with its code, until dismissed. */
  readonly refusedInvite: { readonly code: string; readonly message: string } | null;
  /** A change of network in progress. */
  readonly switching: 'joining' | 'leaving' | 'starting-local' | null;
  /** Why the node is in no network although it was in one (an expired descriptor, …), with its code. */
  readonly problem: { readonly code: string; readonly message: string } | null;
  /** "Try it on this computer" can start a local test network here. */
  readonly canTryLocal: boolean;
}

export interface NetworkView {
  readonly networkId: string | null;
  readonly name: string | null;
  readonly joinPolicy: 'open' | 'psk' | null;
  /** The volunteer asked to be part of the network (Join / Leave). */
  readonly joined: boolean;
  readonly listenUrls: readonly string[];
  readonly seeds: readonly SeedView[];
  readonly directories: readonly string[];
  /** Directories in use that the volunteer did not add (the command line's, the network's); not removable here. */
  readonly configuredDirectories: readonly string[];
  readonly allowlistMode: boolean;
  readonly allowlist: readonly string[];
  /** The projects the network descriptor lists (none without a descriptor). */
  readonly projects: readonly ProjectView[];
  /** Networks joined before, the build's default, an invite waiting for confirmation (a node that can switch networks). */
  readonly book?: NetworkBookView;
}

export interface ContributionLimits {
  /** Share of each allowed core's time given to VNodes, 1–100. */
  readonly cpuPercent: number;
  /** Share of total memory VNodes may reserve, 1–100. */
  readonly memoryPercent: number;
  /** Cores offered to the orchestrator (≥ 1, ≤ logical cores). */
  readonly maxCores: number;
  readonly onlyWhenIdle: boolean;
  readonly pauseOnBattery: boolean;
}

/** Why the node is not computing right now (BOINC's "why am I not computing"). */
export type SuspendReason =
  | 'contribution-off'
  | 'not-joined'
  | 'snoozed'
  | 'on-battery'
  | 'user-active'
  | 'no-orchestrator'
  | 'limits';

export type ContributionStatus = 'off' | 'connecting' | 'contributing' | 'snoozed' | 'error';

export interface ContributionView {
  readonly enabled: boolean;
  readonly status: ContributionStatus;
  readonly snoozedUntil: number | null;
  readonly limits: ContributionLimits;
  readonly suspendReasons: readonly SuspendReason[];
  /** Whether this node can tell when the computer is in use ("only when idle" means nothing without it). */
  readonly idleDetection: boolean;
}

export interface OrchestratorView {
  readonly nodeId: string;
  readonly url: string;
  readonly status: 'connecting' | 'registered' | 'lost';
  readonly primary: boolean;
  readonly registeredAt: number | null;
  readonly lastHeartbeatAt: number | null;
  readonly leaseExpiresAt: number | null;
  readonly heartbeatIntervalMs: number | null;
  readonly heartbeatsAcked: number;
}

export interface PeerView {
  readonly nodeId: string;
  readonly label: string | null;
  readonly address: string | null;
  readonly temperature: Temperature;
  readonly lifecycle: Lifecycle;
  readonly direction: 'inbound' | 'outbound' | null;
  readonly rttMs: number | null;
  readonly score: number;
  readonly capabilities: readonly string[];
  readonly lastSeen: number | null;
  readonly blockedUntil: number | null;
  readonly blockReason: string | null;
}

export type VNodeState = 'allocated' | 'running' | 'paused' | 'released' | 'failed';

export interface VNodeView {
  readonly vnodeId: string;
  readonly orchestrator: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly state: VNodeState;
  readonly pausedReason: string | null;
  readonly tasksDone: number;
  readonly cpuMsToday: number;
  readonly cpuMsTotal: number;
  readonly since: number;
}

export type TrustedState = 'not-enrolled' | 'enrolling' | 'trusted' | 'expiring' | 'expired' | 'revoked' | 'error';

export interface TrustedView {
  readonly state: TrustedState;
  readonly operatorId: string | null;
  readonly credentialId: string | null;
  readonly validFrom: string | null;
  readonly validUntil: string | null;
  readonly lastError: string | null;
  /** When and why the credential was revoked (state 'revoked'), in the authority's words; null otherwise. */
  readonly revoked: { readonly at: string; readonly reason: string } | null;
}

export interface NodeState {
  readonly protocol: typeof CONTROL_PROTOCOL;
  readonly version: string;
  readonly startedAt: number;
  readonly identity: IdentityView | null;
  readonly network: NetworkView;
  readonly contribution: ContributionView;
  readonly orchestrators: readonly OrchestratorView[];
  readonly peers: readonly PeerView[];
  readonly vnodes: readonly VNodeView[];
  readonly trusted: TrustedView;
  readonly hardware: HardwareView | null;
  /** The most recent trace events, newest last, at most MAX_STATE_TRACES. */
  readonly traces: readonly TraceEvent[];
  readonly launchAtLogin: boolean | null;
  /** Credit from the signed receipts in the node's ledger (credit-view.ts). */
  readonly credit: CreditView;
  /** What this node gave: today, this week, all time (buckets through get-history). */
  readonly contributionHistory: ContributionHistoryView;
  /** The volunteer's log (activity-view.ts). */
  readonly activity: ActivityView;
  /** The work running here, its CPU use and its latest results (work-view.ts). */
  readonly work: WorkView;
}

export const MAX_STATE_TRACES = 200;

/** Top-level sections a patch may replace. */
export type StateSection = Exclude<keyof NodeState, 'protocol' | 'version' | 'startedAt'>;

export const DEFAULT_LIMITS: ContributionLimits = {
  cpuPercent: 50,
  memoryPercent: 25,
  maxCores: 1,
  onlyWhenIdle: false,
  pauseOnBattery: true,
};
