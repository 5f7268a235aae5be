import { describe, expect, it } from 'vitest';
import type { ControlEvent } from '../src-shared/control/messages.js';
import type { NodeState } from '../src-shared/control/state.js';
import {
  INITIAL_NOTIFICATION_MEMORY,
  MAX_NOTIFICATION_BODY_LENGTH,
  NOTIFICATION_MIN_INTERVAL_MS,
  NOTIFICATION_TEXT,
  createNotificationGate,
  notificationFromEvent,
  notificationsForTransition,
  type NotificationMemory,
} from './notifications.js';
import { T0, nodeState, orchestrator } from './testing/node-states.js';

/** Runs a sequence of states through the tracker and returns the kinds shown at each step. */
function replay(states: readonly NodeState[], memory: NotificationMemory = INITIAL_NOTIFICATION_MEMORY): string[][] {
  let previous: NodeState | null = null;
  const shown: string[][] = [];
  for (const state of states) {
    const step = notificationsForTransition(previous, state, memory);
    memory = step.memory;
    previous = state;
    shown.push(step.notifications.map((notification) => notification.kind));
  }
  return shown;
}

const notJoined = nodeState();
const joinedWaiting = nodeState({ joined: true, orchestrators: [orchestrator('connecting')] });
const registered = nodeState({ joined: true, orchestrators: [orchestrator('registered')] });
const lost = nodeState({ joined: true, orchestrators: [orchestrator('lost')] });

describe('notifications from state transitions', () => {
  it('announce joining once, when an orchestrator first accepts the node after Join', () => {
    expect(replay([notJoined, joinedWaiting, registered, registered])).toEqual([[], [], ['joined'], []]);
  });

  it('stay quiet for a node that starts already joined', () => {
    expect(replay([registered, registered])).toEqual([[], []]);
    expect(replay([joinedWaiting, registered])).toEqual([[], []]);
  });

  it('announce losing every orchestrator, and not rejoining after it', () => {
    expect(replay([notJoined, registered, lost, registered])).toEqual([[], ['joined'], ['orchestrators-lost'], []]);
  });

  it('count a list that emptied as lost too, but not leaving the network', () => {
    const emptied = nodeState({ joined: true, orchestrators: [] });
    expect(replay([registered, emptied])).toEqual([[], ['orchestrators-lost']]);
    const left = nodeState({ joined: false, orchestrators: [] });
    expect(replay([registered, left])).toEqual([[], []]);
  });

  it('announce a new Join after a Leave', () => {
    expect(replay([registered, notJoined, joinedWaiting, registered])).toEqual([[], [], [], ['joined']]);
  });

  it('announce trusted registration when enrolling turns into trusted only', () => {
    const enrolling = nodeState({ joined: true, trusted: { state: 'enrolling' } });
    const trusted = nodeState({ joined: true, trusted: { state: 'trusted' } });
    const expiring = nodeState({ joined: true, trusted: { state: 'expiring' } });
    expect(replay([enrolling, trusted])).toEqual([[], ['trusted-approved']]);
    expect(replay([expiring, trusted])).toEqual([[], []]);
    expect(replay([nodeState({ joined: true }), trusted])).toEqual([[], []]);
  });

  it('use plain words', () => {
    const step = notificationsForTransition(joinedWaiting, registered, { awaitingFirstRegistration: true });
    expect(step.notifications).toEqual([{ kind: 'joined', ...NOTIFICATION_TEXT.joined }]);
    for (const text of Object.values(NOTIFICATION_TEXT)) {
      expect(text.body).not.toMatch(/orchestrator lease|E_[A-Z]|did:key|heartbeat/);
    }
  });
});

describe('notifications from control events', () => {
  const event = (kind: string, title: string, body: string) => ({ type: 'notification', kind, title, body }) as ControlEvent;

  it('keep the runtime text, cleaned and bounded', () => {
    expect(notificationFromEvent(event('joined', ' Hello\n', 'line1\nline2'))).toEqual({ kind: 'joined', title: 'Hello', body: 'line1 line2' });
    const long = notificationFromEvent(event('orchestrators-lost', 't', 'b'.repeat(1000)));
    expect(long?.body.length).toBe(MAX_NOTIFICATION_BODY_LENGTH);
  });

  it('fall back to our text when the runtime sends none', () => {
    expect(notificationFromEvent(event('trusted-approved', '', '  '))).toEqual({ kind: 'trusted-approved', ...NOTIFICATION_TEXT['trusted-approved'] });
  });

  it('ignore unknown kinds and other events', () => {
    expect(notificationFromEvent(event('pwned', 'x', 'y'))).toBeNull();
    expect(notificationFromEvent({ type: 'patch', patch: {} })).toBeNull();
  });
});

describe('notification gate', () => {
  it('lets one of a kind through per interval', () => {
    const allowed = createNotificationGate();
    expect(allowed('orchestrators-lost', T0)).toBe(true);
    expect(allowed('orchestrators-lost', T0 + 1000)).toBe(false);
    expect(allowed('joined', T0 + 1000)).toBe(true);
    expect(allowed('orchestrators-lost', T0 + NOTIFICATION_MIN_INTERVAL_MS)).toBe(true);
  });

  it('does not get stuck when the clock goes back', () => {
    const allowed = createNotificationGate(60_000);
    expect(allowed('joined', T0)).toBe(true);
    expect(allowed('joined', T0 - 3_600_000)).toBe(true);
  });
});
