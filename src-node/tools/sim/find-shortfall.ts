// Why a simulated find came back empty: the simulation prints it beside its failure counts, so a
// figure like "2 found none" says whether the lookups ran short or the candidates failed.
import type { IndexFigures } from '../../kernel/dht/capability-index.js';

/** Why a DHT find came back empty, from the index's counters around it (another find at once may add to them). */
export function dhtFindShortfall(before: IndexFigures | undefined, after: IndexFigures | undefined): string {
  if (!after) return 'the DHT is not on';
  const delta = (key: 'lookups' | 'lookupsStopped' | 'candidatesSeen' | 'coolingDown' | 'refused'): number => after[key] - (before?.[key] ?? 0);
  const stopped = delta('lookupsStopped');
  return (
    `${delta('lookups')} lookups${stopped ? ` (${stopped} stopped early: time or record limit)` : ''}, ` +
    `${delta('candidatesSeen')} candidates, ${delta('coolingDown')} cooling down, ${delta('refused')} failed verification`
  );
}
