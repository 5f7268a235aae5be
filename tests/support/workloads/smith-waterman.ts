// Test and bench helpers for workloads/smith-waterman: FASTA inputs made from a seeded generator
// (a database with the query's pieces planted in some sequences, mutated), and a reference search
// written independently of the C program (full score matrices instead of rolling rows) that
// follows the same rules, ties included (workloads/README.md), so its output is byte for byte the
// program's.

export interface Scoring {
  readonly match: number;
  readonly mismatch: number;
  readonly gapOpen: number;
  readonly gapExtend: number;
}

export const DEFAULT_SCORING: Scoring = { match: 2, mismatch: -3, gapOpen: 5, gapExtend: 2 };

export interface FastaRecord {
  readonly id: string;
  readonly seq: string;
}

/** A small seeded generator (xorshift32): the same inputs on every machine. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export function randomDna(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += 'ACGT'[Math.floor(random() * 4)];
  return out;
}

/** Copies a piece with point mutations (about one in `rate`). */
function mutate(random: () => number, piece: string, rate: number): string {
  let out = '';
  for (const c of piece) out += random() < 1 / rate ? 'ACGT'[Math.floor(random() * 4)] : c;
  return out;
}

export interface SearchInput {
  readonly query: FastaRecord;
  readonly db: readonly FastaRecord[];
}

/** A query and a database of `count` sequences of `length`, every `plantEvery`-th holding a mutated piece of the query. */
export function makeSearchInput(seed: number, queryLength: number, count: number, length: number, plantEvery = 7): SearchInput {
  const random = seededRandom(seed);
  const query = randomDna(random, queryLength);
  const db: FastaRecord[] = [];
  for (let k = 0; k < count; k++) {
    let seq = randomDna(random, length);
    if (k % plantEvery === 0) {
      const from = Math.floor(random() * (queryLength / 2));
      const piece = mutate(random, query.slice(from, from + Math.floor(queryLength / 3)), 12);
      const at = Math.floor(random() * Math.max(1, length - piece.length));
      seq = seq.slice(0, at) + piece + seq.slice(at + piece.length);
    }
    db.push({ id: `seq${k}`, seq });
  }
  return { query: { id: 'query', seq: query }, db };
}

/** FASTA text, 60 letters a line (lower case every other line, which the program ignores). */
export function toFasta(records: readonly FastaRecord[]): string {
  let out = '';
  for (const record of records) {
    out += `>${record.id} generated\n`;
    for (let i = 0, line = 0; i < record.seq.length; i += 60, line++) {
      const chunk = record.seq.slice(i, i + 60);
      out += `${line % 2 === 1 ? chunk.toLowerCase() : chunk}\n`;
    }
  }
  return out;
}

export interface Hit {
  readonly index: number;
  readonly score: number;
  readonly qStart: number;
  readonly qEnd: number;
  readonly tStart: number;
  readonly tEnd: number;
}

/** The best local alignment of q against t, with full matrices (i over t, j over q). */
export function alignReference(q: string, t: string, s: Scoring): Omit<Hit, 'index'> {
  const m = q.length;
  const n = t.length;
  const open = s.gapOpen + s.gapExtend;
  const ext = s.gapExtend;
  const NONE = -Infinity;
  const H = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  const E = Array.from({ length: n + 1 }, () => new Float64Array(m + 1).fill(NONE));
  const F = Array.from({ length: n + 1 }, () => new Float64Array(m + 1).fill(NONE));
  // Starts as [t, q] pairs; [0, 0] for none.
  const SH = Array.from({ length: n + 1 }, () => Array.from({ length: m + 1 }, () => [0, 0] as [number, number]));
  const SE = Array.from({ length: n + 1 }, () => Array.from({ length: m + 1 }, () => [0, 0] as [number, number]));
  const SF = Array.from({ length: n + 1 }, () => Array.from({ length: m + 1 }, () => [0, 0] as [number, number]));
  let best = { score: 0, qStart: 0, qEnd: 0, tStart: 0, tEnd: 0 };
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const eOpen = H[i]![j - 1]! - open;
      const eExt = E[i]![j - 1]! - ext;
      if (eExt > eOpen) {
        E[i]![j] = eExt;
        SE[i]![j] = SE[i]![j - 1]!;
      } else {
        E[i]![j] = eOpen;
        SE[i]![j] = SH[i]![j - 1]!;
      }
      const fOpen = H[i - 1]![j]! - open;
      const fExt = F[i - 1]![j]! - ext;
      if (fExt > fOpen) {
        F[i]![j] = fExt;
        SF[i]![j] = SF[i - 1]![j]!;
      } else {
        F[i]![j] = fOpen;
        SF[i]![j] = SH[i - 1]![j]!;
      }
      const diag = H[i - 1]![j - 1]!;
      let h = diag + (q[j - 1] === t[i - 1] ? s.match : s.mismatch);
      let start: [number, number] = diag > 0 ? SH[i - 1]![j - 1]! : [i, j];
      if (E[i]![j]! > h) {
        h = E[i]![j]!;
        start = SE[i]![j]!;
      }
      if (F[i]![j]! > h) {
        h = F[i]![j]!;
        start = SF[i]![j]!;
      }
      if (h <= 0) {
        h = 0;
        start = [0, 0];
      }
      H[i]![j] = h;
      SH[i]![j] = start;
      if (h > best.score) best = { score: h, tStart: start[0], qStart: start[1], tEnd: i, qEnd: j };
    }
  }
  return best;
}

/** The program's stdout for a search: hits at or above minScore, best first, at most `top` (0: all). */
export function searchReference(input: SearchInput, scoring: Scoring = DEFAULT_SCORING, minScore = 1, top = 0): string {
  const hits: Hit[] = input.db.map((record, index) => ({ index, ...alignReference(input.query.seq, record.seq, scoring) })).filter((h) => h.score >= minScore);
  hits.sort((a, b) => b.score - a.score || a.index - b.index);
  const shown = top > 0 ? hits.slice(0, top) : hits;
  return ['target\tscore\tq_start\tq_end\tt_start\tt_end\n', ...shown.map((h) => `${input.db[h.index]!.id}\t${h.score}\t${h.qStart}\t${h.qEnd}\t${h.tStart}\t${h.tEnd}\n`)].join('');
}
