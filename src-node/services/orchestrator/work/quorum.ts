// When a task's output is accepted (issue 7 §3), as a pure function of the results so far. Only
// `ok` results vote, one per PNode; they vote for their output hash (the host API gives modules no
// clock, randomness or I/O, so honest PNodes produce the same bytes).
//
//   quorum mode (the first run went to an untrusted PNode): run on QUORUM different PNodes; accept
//     a hash once QUORUM results agree on it and no other hash has as many. On a mismatch run on
//     one more PNode at a time (never one that ran the task already): the majority wins. After
//     MAX_VOTES_PER_TASK results without a majority the task fails.
//   trusted mode (the first run went to a trusted PNode): its result alone is accepted, except for
//     the spot-checked share of tasks, which run on a second PNode and follow the quorum rule.
//   Results that lose (their hash differs from the accepted one) are the scheduler's to punish.
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { MAX_VOTES_PER_TASK, QUORUM } from './work-profile.js';

export interface Vote {
  readonly pnode: string;
  readonly hash: ContentHash;
  /** The PNode counted as trusted when its result came (and was not demoted since). */
  readonly trusted: boolean;
}

export interface TaskPlan {
  /** Set when the first run is placed: `trusted` when it went to a trusted PNode. */
  readonly mode: 'trusted' | 'quorum' | null;
  readonly spotCheck: boolean;
}

export type Verdict =
  | { readonly kind: 'accept'; readonly hash: ContentHash; readonly by: 'quorum' | 'trusted'; readonly agreeing: readonly string[]; readonly dissenting: readonly Vote[] }
  | { readonly kind: 'run'; readonly more: number }
  | { readonly kind: 'wait' }
  | { readonly kind: 'fail'; readonly reason: string };

export interface QuorumRules {
  readonly quorum: number;
  readonly maxVotes: number;
}

export const DEFAULT_RULES: QuorumRules = { quorum: QUORUM, maxVotes: MAX_VOTES_PER_TASK };

/** Votes grouped by hash, largest group first. */
export function tally(votes: readonly Vote[]): Vote[][] {
  const groups = new Map<ContentHash, Vote[]>();
  for (const vote of votes) {
    const group = groups.get(vote.hash);
    if (group) group.push(vote);
    else groups.set(vote.hash, [vote]);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

/** The verdict on a task with these votes (one per PNode) and this many runs still out. */
export function judge(votes: readonly Vote[], running: number, plan: TaskPlan, rules: QuorumRules = DEFAULT_RULES): Verdict {
  const groups = tally(votes);
  const best = groups[0];
  if (best && best.length >= rules.quorum && (groups.length === 1 || best.length > groups[1]!.length)) {
    return { kind: 'accept', hash: best[0]!.hash, by: 'quorum', agreeing: best.map((v) => v.pnode), dissenting: votes.filter((v) => v.hash !== best[0]!.hash) };
  }
  const trustedAlone = plan.mode === 'trusted' && !plan.spotCheck && votes.every((v) => v.trusted);
  if (trustedAlone && votes.length === 1) return { kind: 'accept', hash: votes[0]!.hash, by: 'trusted', agreeing: [votes[0]!.pnode], dissenting: [] };
  if (votes.length >= rules.maxVotes) return { kind: 'fail', reason: `no majority among ${votes.length} results (${groups.map((g) => g.length).join(' / ')})` };
  const mismatch = groups.length > 1;
  const target = Math.min(rules.maxVotes, mismatch ? votes.length + 1 : trustedAlone ? 1 : rules.quorum);
  const more = target - votes.length - running;
  return more > 0 ? { kind: 'run', more } : { kind: 'wait' };
}
