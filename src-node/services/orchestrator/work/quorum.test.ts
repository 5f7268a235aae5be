import { describe, expect, it } from 'vitest';
import type { ContentHash } from '../../../../src-shared/vnode/content-hash.js';
import { type TaskPlan, type Vote, judge } from './quorum.js';
import { MAX_VOTES_PER_TASK } from './work-profile.js';

const X = `sha256:${'1'.repeat(64)}` as ContentHash;
const Y = `sha256:${'2'.repeat(64)}` as ContentHash;
const Z = `sha256:${'3'.repeat(64)}` as ContentHash;
const vote = (pnode: string, hash: ContentHash, trusted = false): Vote => ({ pnode, hash, trusted });
const QUORUM: TaskPlan = { mode: 'quorum', spotCheck: false };
const TRUSTED: TaskPlan = { mode: 'trusted', spotCheck: false };
const CHECKED: TaskPlan = { mode: 'trusted', spotCheck: true };
const UNPLANNED: TaskPlan = { mode: null, spotCheck: false };

describe('judge: untrusted PNodes need two agreeing results', () => {
  it('asks for two runs on a new task, then waits while they run', () => {
    expect(judge([], 0, UNPLANNED)).toEqual({ kind: 'run', more: 2 });
    expect(judge([], 1, QUORUM)).toEqual({ kind: 'run', more: 1 });
    expect(judge([], 2, QUORUM)).toEqual({ kind: 'wait' });
    expect(judge([vote('a', X)], 1, QUORUM)).toEqual({ kind: 'wait' });
    expect(judge([vote('a', X)], 0, QUORUM)).toEqual({ kind: 'run', more: 1 });
  });

  it('accepts when two agree', () => {
    expect(judge([vote('a', X), vote('b', X)], 0, QUORUM)).toEqual({ kind: 'accept', hash: X, by: 'quorum', agreeing: ['a', 'b'], dissenting: [] });
  });

  it('on a mismatch runs one more at a time, and the majority wins; the loser is named', () => {
    expect(judge([vote('a', X), vote('b', Y)], 0, QUORUM)).toEqual({ kind: 'run', more: 1 });
    expect(judge([vote('a', X), vote('b', Y)], 1, QUORUM)).toEqual({ kind: 'wait' });
    expect(judge([vote('a', X), vote('b', Y), vote('c', Y)], 0, QUORUM)).toEqual({ kind: 'accept', hash: Y, by: 'quorum', agreeing: ['b', 'c'], dissenting: [vote('a', X)] });
    // Three different answers, then a tie: still no majority.
    expect(judge([vote('a', X), vote('b', Y), vote('c', Z)], 0, QUORUM)).toEqual({ kind: 'run', more: 1 });
    expect(judge([vote('a', X), vote('b', Y), vote('c', X), vote('d', Y)], 0, QUORUM)).toEqual({ kind: 'run', more: 1 });
    expect(judge([vote('a', X), vote('b', Y), vote('c', Z), vote('d', X)], 0, QUORUM)).toMatchObject({ kind: 'accept', hash: X, dissenting: [vote('b', Y), vote('c', Z)] });
  });

  it(`fails after ${MAX_VOTES_PER_TASK} results without a majority`, () => {
    const votes = [vote('a', X), vote('b', Y), vote('c', X), vote('d', Y), vote('e', Z)];
    expect(votes).toHaveLength(MAX_VOTES_PER_TASK);
    expect(judge(votes, 0, QUORUM)).toEqual({ kind: 'fail', reason: 'no majority among 5 results (2 / 2 / 1)' });
  });
});

describe('judge: trusted PNodes run alone, except spot checks', () => {
  it('accepts a trusted PNode’s result alone', () => {
    expect(judge([], 1, TRUSTED)).toEqual({ kind: 'wait' });
    expect(judge([vote('t', X, true)], 0, TRUSTED)).toEqual({ kind: 'accept', hash: X, by: 'trusted', agreeing: ['t'], dissenting: [] });
  });

  it('a spot-checked task runs on a second PNode and needs agreement; a lying trusted PNode loses', () => {
    expect(judge([], 1, CHECKED)).toEqual({ kind: 'run', more: 1 });
    expect(judge([vote('t', X, true)], 0, CHECKED)).toEqual({ kind: 'run', more: 1 });
    expect(judge([vote('t', X, true), vote('u', Y)], 0, CHECKED)).toEqual({ kind: 'run', more: 1 });
    expect(judge([vote('t', X, true), vote('u', Y), vote('v', Y)], 0, CHECKED)).toMatchObject({ kind: 'accept', hash: Y, dissenting: [vote('t', X, true)] });
  });

  it('a result from a PNode no longer trusted (demoted) needs a second one', () => {
    expect(judge([vote('t', X, false)], 0, TRUSTED)).toEqual({ kind: 'run', more: 1 });
  });
});
