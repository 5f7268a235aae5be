// The judge's verdicts (judge.ts) as a table: agreement of independent PNodes including an
// established one accepts; new PNodes never confirm each other outside bootstrap; a tie-breaker
// is always an established PNode; a reliable PNode alone; the tolerance validator.
import { describe, expect, it } from 'vitest';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { DEFAULT_REPLICATION, EXACT_VALIDATOR } from '../../../../src-shared/jobs/task-spec.js';
import { outputFile } from '../../../../src-shared/vnode/wasi-output.js';
import { type JudgeInput, type Vote, judge } from './judge.js';
import type { Standing } from './reputation.js';

const H = (n: number) => `sha256:${String(n).padStart(64, '0')}` as ContentHash;
const vote = (pnode: string, hash: number, standing: Standing = 'new', stdout?: string): Vote => ({
  replica: `r-${pnode}`,
  pnode,
  hash: H(hash),
  standing,
  output: stdout === undefined ? null : { exitCode: 0, stdout: new TextEncoder().encode(stdout), stderr: new Uint8Array(0), stderrTruncated: false, files: [outputFile('o', new Uint8Array(0))] },
});
const input = (votes: Vote[], more: Partial<JudgeInput> = {}): JudgeInput => ({ votes, running: [], plan: { alone: false }, policy: DEFAULT_REPLICATION, validator: EXACT_VALIDATOR, bootstrap: false, ...more });

describe('judge', () => {
  it('asks for the first run, then for an established one when the first came from a new PNode', () => {
    expect(judge(input([]))).toEqual({ kind: 'run', more: 2, established: false });
    expect(judge(input([vote('a', 1)]))).toEqual({ kind: 'run', more: 1, established: true });
    expect(judge(input([vote('a', 1, 'established')]))).toEqual({ kind: 'run', more: 1, established: false });
    expect(judge(input([vote('a', 1)], { running: ['established'] }))).toEqual({ kind: 'wait' });
  });

  it('accepts two agreeing results only with an established one among them (outside bootstrap)', () => {
    expect(judge(input([vote('a', 1), vote('b', 1)]))).toMatchObject({ kind: 'run', established: true });
    expect(judge(input([vote('a', 1), vote('b', 1)], { bootstrap: true }))).toMatchObject({ kind: 'accept', by: 'quorum' });
    expect(judge(input([vote('a', 1), vote('e', 1, 'established')]))).toMatchObject({ kind: 'accept', winner: { pnode: 'a' }, dissenting: [] });
  });

  it('after a mismatch asks an established tie-breaker, and the majority with an established result wins', () => {
    expect(judge(input([vote('a', 1), vote('e', 2, 'established')]))).toEqual({ kind: 'run', more: 1, established: true });
    const decided = judge(input([vote('a', 1), vote('e', 2, 'established'), vote('f', 2, 'established')]));
    expect(decided).toMatchObject({ kind: 'accept', winner: { pnode: 'e' }, dissenting: [{ pnode: 'a' }] });
    // Three strangers agreeing against one established PNode are not enough.
    expect(judge(input([vote('e', 2, 'established'), vote('a', 1), vote('b', 1), vote('c', 1)]))).toMatchObject({ kind: 'run', established: true });
  });

  it('fails after max-results without an accepted majority', () => {
    expect(judge(input([vote('a', 1), vote('b', 2), vote('c', 3), vote('d', 4), vote('e', 5, 'established')]))).toMatchObject({ kind: 'fail', reason: expect.stringContaining('no accepted majority among 5 results') });
  });

  it('accepts a reliable PNode alone under the plan, and not once it is no longer reliable', () => {
    expect(judge(input([], { plan: { alone: true } }))).toEqual({ kind: 'run', more: 1, established: false });
    expect(judge(input([vote('r', 1, 'reliable')], { plan: { alone: true } }))).toMatchObject({ kind: 'accept', by: 'reliable' });
    expect(judge(input([vote('r', 1, 'new')], { plan: { alone: true } }))).toMatchObject({ kind: 'run', more: 1, established: true });
  });

  it('groups floating-point outputs within the tolerance as one', () => {
    const tolerance = { kind: 'tolerance' as const, absolute: 1e-9, relative: 0 };
    const near = [vote('a', 1, 'new', 'e 1.0000000001'), vote('e', 2, 'established', 'e 1.0000000002')];
    expect(judge(input(near, { validator: tolerance }))).toMatchObject({ kind: 'accept' });
    expect(judge(input(near))).toMatchObject({ kind: 'run' });
    const far = [vote('a', 1, 'new', 'e 1.1'), vote('e', 2, 'established', 'e 1.2')];
    expect(judge(input(far, { validator: tolerance }))).toMatchObject({ kind: 'run', established: true });
  });
});
