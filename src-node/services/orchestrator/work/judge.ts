// When a task's output is accepted (issue 13 §4), as a pure function of its results so far. Only
// `ok` results vote, one per PNode, and the replicas that produced them are independent
// (independence.ts: dispatch never sends a task to a PNode that shares an address, prefix,
// operator or session with one that ran it).
//
// Votes are grouped by what the task's validator calls equal: the output hash (exact), or the
// tolerance comparator over exit code, stdout and output files (floating-point outputs; the group
// is represented by its first result, and a result joins the first group it agrees with).
//
//   alone (adaptive replication: the first run went to a reliable PNode and was not picked for a
//     spot check): its one result is accepted while the PNode is still reliable.
//   quorum: accept the largest group once it has `quorum` results, is strictly larger than every
//     other group, and holds a result of an established PNode — so new identities, however many
//     and however spread, never confirm each other. Until then more runs: `quorum` in all, or one
//     more at a time after a mismatch. The next run must go to an established PNode when none of
//     the results or runs so far is established, or after a mismatch (a tie-breaker is never a
//     stranger). After `maxResults` results without a verdict the task fails.
//   bootstrap: while no established (or trusted) PNode is registered with the orchestrator, a
//     quorum without one is accepted — someone must be first, and work must not stop for good when
//     the established PNodes are away. It is the network's weak moment: strangers from several
//     /24s can then confirm each other (`npm run harden -- sybil` shows it); keep a few trusted
//     PNodes registered.
// The losing groups' results are lies, for the scheduler to punish.
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import type { ReplicationPolicy, ValidatorSpec } from '../../../../src-shared/jobs/task-spec.js';
import { compareWasiOutputs } from '../../../../src-shared/vnode/tolerance.js';
import type { WasiRunOutput } from '../../../../src-shared/vnode/wasi-output.js';
import { type Standing, isEstablished } from './reputation.js';

export interface Vote {
  readonly replica: string;
  readonly pnode: string;
  readonly hash: ContentHash;
  /** The WASI output (the tolerance validator compares it). */
  readonly output: WasiRunOutput | null;
  /** The PNode's standing when its result came. */
  readonly standing: Standing;
}

export interface TaskPlan {
  /** The first run went to a reliable PNode, which runs it alone. */
  readonly alone: boolean;
}

export type Verdict =
  | { readonly kind: 'accept'; readonly winner: Vote; readonly agreeing: readonly Vote[]; readonly dissenting: readonly Vote[]; readonly by: 'quorum' | 'reliable' }
  | { readonly kind: 'run'; readonly more: number; readonly established: boolean }
  | { readonly kind: 'wait' }
  | { readonly kind: 'fail'; readonly reason: string };

export interface JudgeInput {
  readonly votes: readonly Vote[];
  /** Standings of the runs still out. */
  readonly running: readonly Standing[];
  readonly plan: TaskPlan;
  readonly policy: ReplicationPolicy;
  readonly validator: ValidatorSpec;
  readonly bootstrap: boolean;
}

/** Whether two results are the same output under the validator. */
export function sameOutput(a: Vote, b: Vote, validator: ValidatorSpec): boolean {
  if (a.hash === b.hash) return true;
  if (validator.kind !== 'tolerance' || !a.output || !b.output) return false;
  return compareWasiOutputs(a.output, b.output, validator).equal;
}

/** Votes grouped by the validator, largest group first (ties: the earlier group first). */
export function groupVotes(votes: readonly Vote[], validator: ValidatorSpec): Vote[][] {
  const groups: Vote[][] = [];
  for (const vote of votes) {
    const group = groups.find((g) => sameOutput(g[0]!, vote, validator));
    if (group) group.push(vote);
    else groups.push([vote]);
  }
  return groups.map((g, i) => ({ g, i })).sort((a, b) => b.g.length - a.g.length || a.i - b.i).map((x) => x.g);
}

export function judge(input: JudgeInput): Verdict {
  const { votes, running, plan, policy, validator, bootstrap } = input;
  if (plan.alone && votes.length === 1 && running.length === 0 && votes[0]!.standing === 'reliable') {
    return { kind: 'accept', winner: votes[0]!, agreeing: votes, dissenting: [], by: 'reliable' };
  }
  const groups = groupVotes(votes, validator);
  const best = groups[0];
  if (best && best.length >= policy.quorum && (groups.length === 1 || best.length > groups[1]!.length) && (bootstrap || best.some((v) => isEstablished(v.standing)))) {
    return { kind: 'accept', winner: best[0]!, agreeing: best, dissenting: groups.slice(1).flat(), by: 'quorum' };
  }
  if (votes.length >= policy.maxResults) return { kind: 'fail', reason: `no accepted majority among ${votes.length} results (${groups.map((g) => g.length).join(' / ')})` };
  const mismatch = groups.length > 1;
  const target = Math.min(policy.maxResults, plan.alone && votes.length === 0 ? 1 : mismatch ? votes.length + 1 : Math.max(policy.quorum, votes.length + 1));
  const more = target - votes.length - running.length;
  if (more <= 0) return { kind: 'wait' };
  const anyEstablished = votes.some((v) => isEstablished(v.standing)) || running.some(isEstablished);
  const started = votes.length + running.length > 0;
  return { kind: 'run', more, established: !bootstrap && started && (mismatch || !anyEstablished) };
}
