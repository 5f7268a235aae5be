// Whether a node may compute, and what the UI says about it: the one place the rules live. The
// contributor's Availability feeds them the volunteer's settings and the machine's state; a node
// without one (a service) feeds them its settings alone.
import { pauseReasons } from '../vnode/conditions.js';
import type { ContributionLimits, ContributionView, SuspendReason } from './state.js';

/** The volunteer's choices that decide whether the node computes. */
export interface ContributionChoices {
  readonly joined: boolean;
  readonly contributionEnabled: boolean;
  readonly snoozedUntil: number | null;
  readonly limits: ContributionLimits;
}

/** What the machine says: someone is using it (recent input), it runs on battery. */
export interface MachineState {
  readonly userActive: boolean;
  readonly onBattery: boolean;
  /** Whether anything tells this node when the computer is in use (false: "only when idle" cannot work). Absent: yes. */
  readonly idleDetection?: boolean;
}

export const IDLE_MACHINE: MachineState = { userActive: false, onBattery: false };

/** Choices and machine, and the reasons that follow from them at one moment. */
export interface AvailabilityState extends ContributionChoices, MachineState {
  /** snoozedUntil when it is still ahead, else null. */
  readonly snoozedUntil: number | null;
  readonly snoozed: boolean;
  readonly idleDetection: boolean;
  /** Why not to compute now (not-joined, contribution-off, snoozed, on-battery, user-active); empty: compute. */
  readonly reasons: readonly SuspendReason[];
}

export function availabilityOf(choices: ContributionChoices, machine: MachineState, now: number): AvailabilityState {
  const snoozed = choices.snoozedUntil !== null && choices.snoozedUntil > now;
  const reasons: SuspendReason[] = choices.joined ? [] : ['not-joined'];
  reasons.push(...pauseReasons({ contributing: choices.contributionEnabled, snoozed, userActive: machine.userActive, onBattery: machine.onBattery }, choices.limits));
  return {
    joined: choices.joined,
    contributionEnabled: choices.contributionEnabled,
    snoozedUntil: snoozed ? choices.snoozedUntil : null,
    limits: choices.limits,
    userActive: machine.userActive,
    onBattery: machine.onBattery,
    snoozed,
    idleDetection: machine.idleDetection ?? true,
    reasons,
  };
}

/** True when nothing the volunteer chose or the machine says holds the node back. */
export function mayCompute(availability: AvailabilityState): boolean {
  return availability.reasons.length === 0;
}

/** Reasons coming from the volunteer and the machine, in the order the UI lists them. */
const AVAILABILITY_FIRST: readonly SuspendReason[] = ['not-joined', 'contribution-off', 'snoozed'];

/**
 * The UI's contribution section. Compute is donated only through an orchestrator: without a
 * registration the node is not contributing. `extra` are other components' reasons (the VNode
 * host's 'limits').
 */
export function contributionView(availability: AvailabilityState, registered: boolean, extra: readonly SuspendReason[] = []): ContributionView {
  const reasons = new Set<SuspendReason>(availability.reasons.filter((r) => AVAILABILITY_FIRST.includes(r)));
  if (!registered) reasons.add('no-orchestrator');
  for (const reason of availability.reasons) reasons.add(reason);
  for (const reason of extra) reasons.add(reason);
  let status: ContributionView['status'];
  if (!availability.joined || !availability.contributionEnabled) status = 'off';
  else if (availability.snoozed) status = 'snoozed';
  else if (reasons.size === 0) status = 'contributing';
  else status = 'connecting';
  return {
    enabled: availability.contributionEnabled,
    status,
    snoozedUntil: availability.snoozedUntil,
    limits: availability.limits,
    suspendReasons: [...reasons],
    idleDetection: availability.idleDetection,
  };
}
