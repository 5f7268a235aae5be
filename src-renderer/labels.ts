// Plain words for the contract's enumerations, in one place so every screen says the same thing.
import type { CommandName } from '../src-shared/control/commands.js';
import type { ContributionStatus, Lifecycle, Temperature, TrustedState, VNodeState } from '../src-shared/control/state.js';
import type { ConnectionStatus } from './bridge/connection.js';

export const CONTRIBUTION_STATUS_LABEL: Record<ContributionStatus, string> = {
  off: 'Off',
  connecting: 'Connecting',
  contributing: 'Contributing',
  snoozed: 'Snoozed',
  error: 'Error',
};

export const CONTRIBUTION_STATUS_HINT: Record<ContributionStatus, string> = {
  off: 'This computer is not giving any compute.',
  connecting: 'Reaching an orchestrator to offer compute.',
  contributing: 'Spare compute is being shared within your limits.',
  snoozed: 'Paused for now; it resumes by itself.',
  error: 'Something needs your attention; see below.',
};

export const TEMPERATURE_LABEL: Record<Temperature, string> = {
  hot: 'Hot',
  warm: 'Warm',
  cold: 'Cold',
  blocked: 'Blocked',
};

export const LIFECYCLE_LABEL: Record<Lifecycle, string> = {
  idle: 'idle',
  dialing: 'dialing',
  connected: 'connected',
  cooldown: 'cooling down',
  blocked: 'blocked',
};

export const VNODE_STATE_LABEL: Record<VNodeState, string> = {
  allocated: 'Allocated',
  running: 'Running',
  paused: 'Paused',
  released: 'Released',
  failed: 'Failed',
};

export const TRUSTED_STATE_LABEL: Record<TrustedState, string> = {
  'not-enrolled': 'Not enrolled',
  enrolling: 'Enrolling…',
  trusted: 'Trusted',
  expiring: 'Trusted, expiring soon',
  expired: 'Expired',
  revoked: 'Revoked',
  // A failed enrollment leaves the node as it was: not enrolled (the card says why it failed).
  error: 'Not enrolled',
};

export const ORCHESTRATOR_STATUS_LABEL = {
  connecting: 'Connecting',
  registered: 'Registered',
  lost: 'Lost',
} as const;

export function connectionLabel(status: ConnectionStatus): string {
  switch (status.kind) {
    case 'connected':
      return 'Connected to the node';
    case 'connecting':
      return 'Connecting to the node…';
    case 'disconnected':
      return 'Not connected to the node';
    case 'no-token':
      return 'This page needs its link';
    case 'refused':
      return 'This link is wrong or has expired';
  }
}

/** What each command does, to say "Could not …" when one fails. */
export const COMMAND_LABEL: Record<CommandName, string> = {
  'get-state': 'read the node state',
  join: 'join the network',
  leave: 'leave the network',
  'set-contribution': 'change contribution',
  snooze: 'snooze',
  resume: 'resume',
  'set-limits': 'save the limits',
  enroll: 'enroll',
  'renew-credential': 'renew the credential',
  'rotate-operator-key': 'rotate the operator key',
  'export-identity': 'export the identity',
  'import-identity': 'import the identity',
  'add-seed': 'add the seed',
  'remove-seed': 'remove the seed',
  'add-directory': 'add the directory',
  'remove-directory': 'remove the directory',
  'block-peer': 'block the peer',
  'unblock-peer': 'unblock the peer',
  'set-allowlist-mode': 'change allowlist mode',
  'allowlist-add': 'add to the allowlist',
  'allowlist-remove': 'remove from the allowlist',
  'set-launch-at-login': 'change launch at login',
  'send-signal-marker': 'send the signal marker',
  'get-receipt': 'read the credit receipt',
  'list-receipts': 'list the credit receipts',
  'get-history': 'read the contribution history',
  'list-activity': 'read the activity log',
  'get-result-picture': 'show the result picture',
  'set-peer-label': 'rename the peer',
  'open-invite': 'open the invite',
  'dismiss-invite': 'cancel the invite',
  'join-network': 'join the network',
  'leave-network': 'leave the network',
  'forget-network': 'forget the network',
  'list-networks': 'list the networks',
  'try-local-network': 'start a test network on this computer',
};
