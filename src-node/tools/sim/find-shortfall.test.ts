import { describe, expect, it } from 'vitest';
import type { IndexFigures } from '../../kernel/dht/capability-index.js';
import { dhtFindShortfall } from './find-shortfall.js';

const figures = (counts: Partial<IndexFigures>): IndexFigures => ({
  announced: [],
  announceRounds: 0,
  announceFailures: 0,
  lookups: 0,
  lookupsStopped: 0,
  candidatesSeen: 0,
  coolingDown: 0,
  verified: 0,
  refused: 0,
  ...counts,
});

describe('why a DHT find found none', () => {
  it('says what the find itself did: lookups, those stopped early, candidates, cooled down, failed', () => {
    const before = figures({ lookups: 5, candidatesSeen: 9, refused: 1 });
    const after = figures({ lookups: 7, lookupsStopped: 1, candidatesSeen: 12, coolingDown: 1, refused: 3 });
    expect(dhtFindShortfall(before, after)).toBe('2 lookups (1 stopped early: time or record limit), 3 candidates, 1 cooling down, 2 failed verification');
  });

  it('counts from zero when the DHT came on during the find, and says when it is not on', () => {
    expect(dhtFindShortfall(undefined, figures({ lookups: 1 }))).toBe('1 lookups, 0 candidates, 0 cooling down, 0 failed verification');
    expect(dhtFindShortfall(figures({}), undefined)).toBe('the DHT is not on');
  });
});
