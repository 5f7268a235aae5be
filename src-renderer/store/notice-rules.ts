// Banners that agree with the state (issue 14 §3): one notice per kind (a newer one replaces the
// older), and a notice goes by itself once what it said is no longer true.
import type { NotificationKind } from '../../src-shared/control/messages.js';
import type { NodeState } from '../../src-shared/control/state.js';

export interface NoticeLike {
  readonly kind: NotificationKind;
}

/** Whether a notice of this kind still says something true about this state. */
export function stillTrue(kind: NotificationKind, node: NodeState): boolean {
  switch (kind) {
    case 'orchestrators-lost':
      // Back in touch, or left on purpose: either way "no orchestrator reachable" is over.
      return node.network.joined && !node.orchestrators.some((o) => o.status === 'registered');
    case 'joined':
      return node.network.joined;
    case 'trusted-approved':
      return node.trusted.state === 'trusted' || node.trusted.state === 'expiring';
    default:
      return true;
  }
}

/** The notices with `added` in place of any of its kind, newest last, at most `max`. */
export function addNotice<N extends NoticeLike>(notices: readonly N[], added: N, max: number): N[] {
  return [...notices.filter((notice) => notice.kind !== added.kind), added].slice(-max);
}

/** The notices still true of `node` (the same array when all are, so selectors stay stable). */
export function pruneNotices<N extends NoticeLike>(notices: readonly N[], node: NodeState): readonly N[] {
  const kept = notices.filter((notice) => stillTrue(notice.kind, node));
  return kept.length === notices.length ? notices : kept;
}
