// Which native notifications to show, from state transitions and from `notification` control
// events. Few and in plain words: the volunteer joined, an operator approved the machine (or
// withdrew it: the credential revoked), the machine lost every orchestrator. A gate keeps one kind from repeating within an interval, so a
// runtime that also sends the event, or a flapping link, never spams.
import type { ControlEvent, NotificationKind } from '../src-shared/control/messages.js';
import type { NodeState } from '../src-shared/control/state.js';

export interface NotificationSpec {
  readonly kind: NotificationKind;
  readonly title: string;
  readonly body: string;
}

/** One notification of a kind per this interval at most. */
export const NOTIFICATION_MIN_INTERVAL_MS = 10 * 60_000;
export const MAX_NOTIFICATION_TITLE_LENGTH = 64;
export const MAX_NOTIFICATION_BODY_LENGTH = 256;

export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['joined', 'trusted-approved', 'trusted-revoked', 'orchestrators-lost'];

export const NOTIFICATION_TEXT: Readonly<Record<NotificationKind, { readonly title: string; readonly body: string }>> = {
  joined: {
    title: 'You joined the network',
    body: 'This computer is now part of the PNode network. It shares spare compute within the limits you set.',
  },
  'trusted-approved': {
    title: 'Trusted registration approved',
    body: 'An operator has vouched for this computer. It now takes part as a trusted node.',
  },
  'trusted-revoked': {
    title: 'Trusted registration revoked',
    body: 'The operator who vouched for this computer withdrew it. It goes on as an untrusted node; enroll again to be trusted.',
  },
  'orchestrators-lost': {
    title: 'Lost contact with the network',
    body: 'PNode cannot reach any orchestrator, so no work runs for now. It keeps trying and carries on by itself.',
  },
};

/** What the tracker remembers between states. */
export interface NotificationMemory {
  /** The volunteer pressed Join in this run and no orchestrator has accepted the node yet. */
  readonly awaitingFirstRegistration: boolean;
}

export const INITIAL_NOTIFICATION_MEMORY: NotificationMemory = { awaitingFirstRegistration: false };

function registered(state: NodeState): number {
  return state.orchestrators.filter((orchestrator) => orchestrator.status === 'registered').length;
}

function spec(kind: NotificationKind): NotificationSpec {
  return { kind, ...NOTIFICATION_TEXT[kind] };
}

/**
 * Notifications for a step from `previous` to `next` (none for the first state seen):
 * - joined: an orchestrator accepted the node for the first time after the volunteer pressed
 *   Join in this run (a node that starts already joined, or reconnects after a loss, is not news);
 * - trusted-approved: the credential became valid while enrolling (`enrolling` → `trusted`);
 *   other paths (renewals, approval found at start) are for the runtime's own notification event;
 * - orchestrators-lost: the node had an orchestrator and now has none while still joined.
 */
export function notificationsForTransition(
  previous: NodeState | null,
  next: NodeState,
  memory: NotificationMemory,
): { readonly memory: NotificationMemory; readonly notifications: readonly NotificationSpec[] } {
  if (!next.network.joined) return { memory: { awaitingFirstRegistration: true }, notifications: [] };
  if (previous === null) return { memory: { awaitingFirstRegistration: false }, notifications: [] };
  const notifications: NotificationSpec[] = [];
  let awaitingFirstRegistration = memory.awaitingFirstRegistration;
  const before = registered(previous);
  const after = registered(next);
  if (awaitingFirstRegistration && after > 0) {
    notifications.push(spec('joined'));
    awaitingFirstRegistration = false;
  }
  if (previous.trusted.state === 'enrolling' && next.trusted.state === 'trusted') notifications.push(spec('trusted-approved'));
  if (before > 0 && after === 0 && previous.network.joined) notifications.push(spec('orchestrators-lost'));
  return { memory: { awaitingFirstRegistration }, notifications };
}

function clean(text: unknown, maxLength: number): string {
  if (typeof text !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length <= maxLength ? flat : `${flat.slice(0, maxLength - 1)}…`;
}

/** A `notification` control event as a notification; its text when it has some, ours otherwise. */
export function notificationFromEvent(event: ControlEvent): NotificationSpec | null {
  if (event.type !== 'notification' || !NOTIFICATION_KINDS.includes(event.kind)) return null;
  const title = clean(event.title, MAX_NOTIFICATION_TITLE_LENGTH);
  const body = clean(event.body, MAX_NOTIFICATION_BODY_LENGTH);
  const fallback = NOTIFICATION_TEXT[event.kind];
  return { kind: event.kind, title: title || fallback.title, body: body || fallback.body };
}

/** Lets a kind through at most once per `intervalMs`. */
export function createNotificationGate(intervalMs: number = NOTIFICATION_MIN_INTERVAL_MS): (kind: NotificationKind, now: number) => boolean {
  const last = new Map<NotificationKind, number>();
  return (kind, now) => {
    const at = last.get(kind);
    if (at !== undefined && now - at < intervalMs && now >= at) return false;
    last.set(kind, now);
    return true;
  };
}
